"""/survey for managers: a card and a chart per instrument, segment comparison, advice.

Survey answers are customer data: managers only, private chats only, every view audited.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.exc import OperationalError

from bot.access import AccessControl
from bot.charts import survey as survey_charts
from bot.keyboards import SurveyCb, survey_keyboard
from bot.render import split_html
from bot.render.survey import (
    compare_html,
    instrument_name,
    survey_advice_html,
    survey_chart_labels,
    survey_error_text,
    survey_html,
)
from bot.routers.customers import manager_in_private
from bot.surveys.service import NoSurveyError, SurveyResult, SurveyService
from bot.texts import t
from knowledge.models import Lang
from value_engine.survey.models import Instrument, SurveyError

log = logging.getLogger(__name__)
ORDER = (Instrument.DELIVERED, Instrument.KANO, Instrument.EQUITY)
WORDS = {
    "delivered": Instrument.DELIVERED,
    "delivered-value": Instrument.DELIVERED,
    "value": Instrument.DELIVERED,
    "讓渡": Instrument.DELIVERED,
    "让渡": Instrument.DELIVERED,
    "讓渡價值": Instrument.DELIVERED,
    "让渡价值": Instrument.DELIVERED,
    "kano": Instrument.KANO,
    "卡諾": Instrument.KANO,
    "卡诺": Instrument.KANO,
    "equity": Instrument.EQUITY,
    "drivers": Instrument.EQUITY,
    "資產": Instrument.EQUITY,
    "资产": Instrument.EQUITY,
}


def make_router() -> Router:
    router = Router(name="surveys")
    router.message.register(survey_command, Command("survey"))
    router.callback_query.register(
        survey_button, SurveyCb.filter(F.action.in_({"show", "seg", "adv"}))
    )
    return router


async def survey_command(
    message: Message,
    command: CommandObject,
    lang: Lang,
    access: AccessControl,
    survey_service: SurveyService,
) -> None:
    if not await manager_in_private(message, lang, access):
        return
    word = (command.args or "").strip().lower()
    if word and word not in WORDS:
        await message.reply(t("survey_usage", lang))
        return
    available = await _guarded(message.answer, lang, survey_service.aavailable())
    if available is None:
        return
    if not available:
        await message.answer(t("survey_none", lang))
        return
    wanted = WORDS.get(word) or next(i for i in ORDER if i in available)
    assert message.from_user is not None
    await _show(
        message, message.from_user.id, wanted, list(available), lang, access, survey_service
    )


async def survey_button(
    query: CallbackQuery,
    callback_data: SurveyCb,
    lang: Lang,
    access: AccessControl,
    survey_service: SurveyService,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    if not await access.is_manager(query.from_user.id):
        await query.answer(t("not_manager", lang), show_alert=True)
        return
    if message is None or message.chat.type != "private":
        await query.answer(t("private_only", lang), show_alert=True)
        return
    try:
        instrument = Instrument(callback_data.instrument)
    except ValueError:
        await query.answer()
        return
    await query.answer()
    available = await _guarded(message.answer, lang, survey_service.aavailable())
    if available is None:
        return
    if callback_data.action == "show":
        await _show(
            message, query.from_user.id, instrument, list(available), lang, access, survey_service
        )
        return
    if callback_data.action == "seg":
        rows = await _guarded(message.answer, lang, survey_service.acompare(instrument))
        if rows is None:
            return
        await access.audit(query.from_user.id, None, f"survey {instrument.value} segments")
        text = compare_html(instrument, rows, lang)
    else:
        result = await _guarded(message.answer, lang, survey_service.aresult(instrument))
        if result is None:
            return
        await access.audit(query.from_user.id, None, f"survey {instrument.value} advice")
        text = survey_advice_html(result, lang)
    for part in split_html(text):
        await message.answer(part)


async def _show(
    message: Message,
    user_id: int,
    instrument: Instrument,
    available: list[Instrument],
    lang: Lang,
    access: AccessControl,
    survey_service: SurveyService,
) -> None:
    result: SurveyResult | None = await _guarded(
        message.answer, lang, survey_service.aresult(instrument)
    )
    if result is None:
        return
    await access.audit(user_id, None, f"survey {instrument.value}")
    png = await asyncio.to_thread(_chart, result, lang)
    await message.answer_photo(BufferedInputFile(png, filename=f"survey-{instrument.value}.png"))
    parts = split_html(survey_html(result, lang))
    keyboard = survey_keyboard(
        instrument, [i for i in ORDER if i in available], lang, bool(result.segments)
    )
    for n, part in enumerate(parts):
        await message.answer(part, reply_markup=keyboard if n == len(parts) - 1 else None)


def _chart(result: SurveyResult, lang: Lang) -> bytes:
    if result.delivered is not None:
        labels = survey_chart_labels(lang, result.delivered.overall.competitor)
        return survey_charts.delivered_chart(result.delivered, labels)
    if result.kano is not None:
        return survey_charts.kano_chart(result.kano, survey_chart_labels(lang))
    assert result.equity is not None
    return survey_charts.equity_chart(result.equity, survey_chart_labels(lang))


async def _guarded(reply: Any, lang: Lang, work: Any) -> Any:
    """Await a survey call; None (after telling the manager why) when it cannot be done."""
    try:
        return await work
    except NoSurveyError as missing:
        await reply(
            t("survey_not_imported", lang, instrument=instrument_name(missing.instrument, lang))
        )
    except SurveyError as problem:
        await reply(survey_error_text(problem, lang))
    except OperationalError:
        log.exception("survey database unavailable")
        await reply(t("data_unavailable", lang))
    return None
