"""/survey through the real dispatcher, services and database (issue 12)."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher

from bot.factory import Services
from bot.runners.terminal import TerminalSession
from tests.telegram_server.server import parse_html
from tests.test_customer_handlers import (
    GROUP,
    MANAGER_EN,
    STAFF,
    _message,
    _photos,
    _press,
    _texts,
)


async def test_manager_gets_chart_card_and_buttons(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services
) -> None:
    bot, session = recorded
    await dp.feed_update(bot, _message("/survey", MANAGER_EN))
    assert _photos(session) == ["sendPhoto"]
    (card,) = _texts(session)
    assert card.startswith("<b>Customer delivered value</b>")
    audit = demo_services.value.store.audit_log(1)[0]
    assert audit.action == "survey delivered-value" and audit.customer_id is None


async def test_staff_and_groups_are_refused(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services
) -> None:
    bot, session = recorded
    await dp.feed_update(bot, _message("/survey", STAFF))
    await dp.feed_update(bot, _message("/survey", MANAGER_EN, chat=GROUP))
    await dp.feed_update(bot, _press("sv:adv:kano", STAFF))
    assert not _photos(session)
    texts = _texts(session)
    assert "only available to managers" in texts[0] and "never shown in group" in texts[1]


async def test_buttons_show_other_instruments_segments_and_advice(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services
) -> None:
    bot, session = recorded
    await dp.feed_update(bot, _press("sv:show:kano", MANAGER_EN))
    await dp.feed_update(bot, _press("sv:seg:equity", MANAGER_EN))
    await dp.feed_update(bot, _press("sv:adv:delivered-value", MANAGER_EN))
    texts = _texts(session)
    assert texts[0].startswith("<b>Kano") and "準時交貨" in texts[0]
    assert texts[1].startswith("<b>customer-equity drivers by segment</b>")
    assert texts[2].startswith("<b>What the articles suggest (delivered value)</b>")


@pytest.mark.parametrize("code", ["en", "zh-hant", "zh-hans"])
async def test_every_survey_message_is_html_telegram_accepts(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services, code: str
) -> None:
    """Telegram refuses a stray "<" (as in "p < 0.001") and the whole card is lost."""
    bot, session = recorded
    manager = MANAGER_EN.model_copy(update={"language_code": code})
    for instrument in ("delivered-value", "kano", "equity"):
        await dp.feed_update(bot, _press(f"sv:show:{instrument}", manager))
        await dp.feed_update(bot, _press(f"sv:seg:{instrument}", manager))
        await dp.feed_update(bot, _press(f"sv:adv:{instrument}", manager))
    texts = _texts(session)
    assert len(texts) == 9 and len(_photos(session)) == 3
    for text in texts:
        parse_html(text)
        assert "nan" not in text.lower().split() and "inf" not in text.lower().split()


async def test_an_uploads_caption_names_the_survey_wave(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services
) -> None:
    """Issue 25: the caption is the upload's --wave; a named wave that asked other
    questions refuses the file politely and nothing is written."""
    from aiogram.types import Document

    from value_engine.survey.models import Instrument

    bot, session = recorded
    before = demo_services.surveys.available()[Instrument.DELIVERED]
    wave = before.waves[-1].name
    session.documents["w"] = b"respondent_id,value:product,cost:time\nX1,4,2\n"
    doc = Document(file_id="w", file_unique_id="w", file_name="q2.csv", file_size=40)
    await dp.feed_update(bot, _message(None, MANAGER_EN, document=doc, caption=f" {wave} "))
    (reply,) = _texts(session)
    parse_html(reply)
    assert "Nothing was imported" in reply and f"wave “{wave}” asked other questions" in reply
    after = demo_services.surveys.available()[Instrument.DELIVERED]
    assert after.respondents == before.respondents and after.waves == before.waves
