"""Managers' customer value features: /customer, natural requests, /top, /segments, CSV upload.

Every path checks the manager role and the chat type first, and every read of
customer data is written to the audit log.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.exc import OperationalError

from bot import charts
from bot.access import AccessControl
from bot.config import Settings
from bot.customers.csv_import import detect_kind
from bot.customers.import_report import ImportKind
from bot.customers.requests import CustomerRequest, parse_customer_request
from bot.customers.service import NoDataError, ValueService
from bot.keyboards import CustomerCb, customer_keyboard
from bot.render import split_html
from bot.render.survey import customer_survey_line
from bot.render.value import (
    breakdown_chart_labels,
    card_html,
    compare_html,
    import_html,
    recommendations_html,
    segment_name,
    segments_chart_labels,
    segments_html,
    top_html,
    transactions_html,
)
from bot.surveys.csv_import import detect_instrument
from bot.surveys.service import NoSurveyError, SurveyService
from bot.texts import t
from knowledge.models import Lang
from value_engine.models import ModelError
from value_engine.survey.models import RespondentValue, SurveyError

log = logging.getLogger(__name__)
TOP_MAX = 50


def make_router() -> Router:
    router = Router(name="customers")
    router.message.register(customer_command, Command("customer"))
    router.message.register(top_command, Command("top"))
    router.message.register(segments_command, Command("segments"))
    router.message.register(upload, F.document, F.chat.type == ChatType.PRIVATE)
    router.message.register(customer_words, F.text, ~F.text.startswith("/"), _natural_request)
    router.callback_query.register(customer_button, CustomerCb.filter())
    return router


async def _natural_request(message: Message, value_service: ValueService) -> bool | dict[str, Any]:
    """Only a private message naming a customer; an ID that is not a customer and has no
    dash (e.g. "KANO2") is left to the knowledge questions."""
    if message.chat.type != ChatType.PRIVATE or not message.text:
        return False
    request = parse_customer_request(message.text)
    if request is None:
        return False
    if "-" not in request.customer_id:
        try:
            known = await _run(value_service.store.find_customer_id, request.customer_id)
        except OperationalError:
            known = None
        if known is None:
            return False
    return {"request": request}


async def _run(func: Any, *args: Any) -> Any:
    return await asyncio.to_thread(func, *args)


async def manager_in_private(message: Message, lang: Lang, access: AccessControl) -> bool:
    user_id = message.from_user.id if message.from_user else None
    if not await access.is_manager(user_id):
        await message.reply(t("not_manager", lang))
        return False
    if message.chat.type != ChatType.PRIVATE:
        await message.reply(t("private_only", lang))
        return False
    return True


async def customer_command(
    message: Message,
    command: CommandObject,
    lang: Lang,
    access: AccessControl,
    value_service: ValueService,
    survey_service: SurveyService,
    settings: Settings,
) -> None:
    if not await manager_in_private(message, lang, access):
        return
    customer_id = (command.args or "").strip()
    if not customer_id:
        await message.reply(t("customer_usage", lang))
        return
    await _send_breakdown(
        message, customer_id, lang, access, value_service, survey_service, settings
    )


async def customer_words(
    message: Message,
    request: CustomerRequest,
    lang: Lang,
    access: AccessControl,
    value_service: ValueService,
    survey_service: SurveyService,
    settings: Settings,
) -> None:
    if not await manager_in_private(message, lang, access):
        return
    await _send_breakdown(
        message, request.customer_id, lang, access, value_service, survey_service, settings
    )


async def _send_breakdown(
    message: Message,
    customer_id: str,
    lang: Lang,
    access: AccessControl,
    value_service: ValueService,
    survey_service: SurveyService,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    shown_id = customer_id[:64]
    breakdown = await _guarded(message, lang, value_service.abreakdown(shown_id))
    if breakdown is _FAILED:
        return
    if breakdown is None:
        await message.reply(t("unknown_customer", lang, customer_id=_escape(shown_id)))
        return
    await access.audit(message.from_user.id, breakdown.customer_id, "breakdown")
    png = await _run(charts.breakdown_chart, breakdown, breakdown_chart_labels(lang))
    await message.answer_photo(
        BufferedInputFile(png, filename=f"{breakdown.customer_id}.png"),
    )
    card = card_html(breakdown, lang, settings.value_default_margin)
    perceived = await _perceived_value(survey_service, breakdown.customer_id)
    if perceived is not None:
        card += "\n\n" + customer_survey_line(perceived[0], perceived[1], lang)
    await message.answer(card, reply_markup=customer_keyboard(breakdown.customer_id, lang))


async def _perceived_value(
    survey_service: SurveyService, customer_id: str
) -> tuple[RespondentValue, int] | None:
    """The customer's own survey answers, if any; the card is shown without them when the
    survey cannot be read, since the purchase-model breakdown stands on its own."""
    try:
        return await survey_service.acustomer_value(customer_id)
    except (OperationalError, SurveyError, NoSurveyError) as exc:
        log.warning("survey answers of %s not shown: %s", customer_id, exc)
        return None


async def customer_button(
    query: CallbackQuery,
    callback_data: CustomerCb,
    lang: Lang,
    access: AccessControl,
    value_service: ValueService,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    if not await access.is_manager(query.from_user.id):
        await query.answer(t("not_manager", lang), show_alert=True)
        return
    if message is None or message.chat.type != ChatType.PRIVATE:
        await query.answer(t("private_only", lang), show_alert=True)
        return
    await query.answer()
    try:
        breakdown = await value_service.abreakdown(callback_data.customer_id)
    except (NoDataError, OperationalError):
        await message.answer(t("data_unavailable", lang))
        return
    except ModelError as exc:
        log.warning("value model failed: %s", exc)
        await message.answer(t("value_model_failed", lang))
        return
    if breakdown is None:
        await message.answer(
            t("unknown_customer", lang, customer_id=_escape(callback_data.customer_id))
        )
        return
    action = {"rec": "recommendations", "tx": "transactions", "cmp": "compare"}.get(
        callback_data.action
    )
    if action is None:
        return
    await access.audit(query.from_user.id, breakdown.customer_id, action)
    if action == "recommendations":
        text = recommendations_html(breakdown, lang)
    elif action == "transactions":
        count = await _run(value_service.store.transaction_count, breakdown.customer_id)
        text = transactions_html(
            breakdown.customer_id,
            breakdown.recent_transactions,
            count,
            lang,
            published=breakdown.source is not None,
        )
    else:
        text = compare_html(breakdown.score, breakdown.segment_stats, lang)
    for part in split_html(text):
        await message.answer(part)


async def top_command(
    message: Message,
    command: CommandObject,
    lang: Lang,
    access: AccessControl,
    value_service: ValueService,
) -> None:
    if not await manager_in_private(message, lang, access):
        return
    raw = (command.args or "10").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= TOP_MAX:
        await message.reply(t("top_usage", lang, max=TOP_MAX))
        return
    rows = await _guarded(message, lang, value_service.atop(int(raw)))
    if rows is _FAILED:
        return
    assert message.from_user is not None
    await access.audit(message.from_user.id, None, f"top {raw}")
    for part in split_html(top_html(rows, lang)):
        await message.answer(part)


async def segments_command(
    message: Message, lang: Lang, access: AccessControl, value_service: ValueService
) -> None:
    if not await manager_in_private(message, lang, access):
        return
    stats = await _guarded(message, lang, value_service.asegments())
    if stats is _FAILED:
        return
    assert message.from_user is not None
    await access.audit(message.from_user.id, None, "segments")
    names = {s.segment.value: segment_name(s.segment.value, lang) for s in stats}
    png = await _run(charts.segments_chart, stats, names, segments_chart_labels(lang))
    await message.answer_photo(BufferedInputFile(png, filename="segments.png"))
    await message.answer(segments_html(stats, lang))


async def upload(
    message: Message,
    bot: Bot,
    lang: Lang,
    access: AccessControl,
    value_service: ValueService,
    survey_service: SurveyService,
    settings: Settings,
) -> None:
    if not await manager_in_private(message, lang, access):
        return
    document = message.document
    assert document is not None and message.from_user is not None
    name = document.file_name or "upload.csv"
    if not name.lower().endswith((".csv", ".txt")):
        await message.reply(t("upload_not_csv", lang))
        return
    limit = settings.upload_max_mb
    if document.file_size is not None and document.file_size > limit * 1024 * 1024:
        await message.reply(t("upload_too_big", lang, limit=limit))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    data = buffer.getvalue()
    if len(data) > limit * 1024 * 1024:
        await message.reply(t("upload_too_big", lang, limit=limit))
        return
    if detect_instrument(data) is not None:
        await _import_survey(message, name, data, lang, access, survey_service, settings)
        return
    kind = detect_kind(data)
    if kind is None:
        await message.reply(t("upload_unknown_kind", lang))
        return
    try:
        report = await value_service.aimport(kind, data, settings.upload_max_rows)
    except OperationalError:
        await message.reply(t("data_unavailable", lang))
        return
    await access.audit(message.from_user.id, None, f"import {kind.value} {name[:80]}")
    text = import_html(report, name, lang)
    if report.committed and (report.inserted or report.updated) and kind is ImportKind.TRANSACTIONS:
        text += "\n" + t("import_refitted", lang)
    for part in split_html(text):
        await message.reply(part)


async def _import_survey(
    message: Message,
    name: str,
    data: bytes,
    lang: Lang,
    access: AccessControl,
    survey_service: SurveyService,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    try:
        # The upload's caption names the survey's wave, as --wave does on the command line.
        wave = (message.caption or "").strip() or None
        report = await survey_service.aimport(data, settings.upload_max_rows, wave)
    except OperationalError:
        await message.reply(t("data_unavailable", lang))
        return
    await access.audit(message.from_user.id, None, f"import survey {report.instrument} {name[:80]}")
    for part in split_html(import_html(report, name, lang)):
        await message.reply(part)


class _Failed:
    pass


_FAILED: Any = _Failed()


async def _guarded(message: Message, lang: Lang, work: Any) -> Any:
    """Await a data call; tell the manager politely when there is no data or no database."""
    try:
        return await work
    except NoDataError:
        await message.reply(t("no_value_data", lang))
    except ModelError as exc:
        log.warning("value model failed: %s", exc)
        await message.reply(t("value_model_failed", lang))
    except OperationalError:
        log.exception("customer database unavailable")
        await message.reply(t("data_unavailable", lang))
    return _FAILED


def _escape(text: str) -> str:
    return html.escape(text)
