"""Inline keyboards and their callback data (well under Telegram's 64 bytes)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import t
from knowledge.models import Lang
from value_engine.survey.models import Instrument


class SourcesCb(CallbackData, prefix="src"):
    exchange_id: int


class FeedbackCb(CallbackData, prefix="fb"):
    exchange_id: int
    helpful: bool


def answer_keyboard(
    exchange_id: int, lang: Lang, *, with_sources: bool = True, voted: bool | None = None
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if with_sources:
        builder.button(
            text=t("sources_button", lang), callback_data=SourcesCb(exchange_id=exchange_id)
        )
    up = "👍 ✓" if voted is True else "👍"
    down = "👎 ✓" if voted is False else "👎"
    builder.button(text=up, callback_data=FeedbackCb(exchange_id=exchange_id, helpful=True))
    builder.button(text=down, callback_data=FeedbackCb(exchange_id=exchange_id, helpful=False))
    builder.adjust(1, 2) if with_sources else builder.adjust(2)
    return builder.as_markup()


class CustomerCb(CallbackData, prefix="cu"):
    action: str  # "rec", "tx", "cmp"
    customer_id: str


def customer_keyboard(customer_id: str, lang: Lang) -> InlineKeyboardMarkup | None:
    """The breakdown's follow-up buttons; none for IDs too long for Telegram's 64-byte limit."""
    builder = InlineKeyboardBuilder()
    try:
        for action, key in (
            ("rec", "btn_recommendations"),
            ("tx", "btn_transactions"),
            ("cmp", "btn_compare"),
        ):
            builder.button(
                text=t(key, lang), callback_data=CustomerCb(action=action, customer_id=customer_id)
            )
    except ValueError:
        return None
    builder.adjust(1)
    return builder.as_markup()


class SurveyCb(CallbackData, prefix="sv"):
    action: str  # "show" another instrument, "seg" compare segments, "adv" recommendations
    instrument: str  # an Instrument value


def survey_keyboard(
    shown: Instrument, available: list[Instrument], lang: Lang, segments: bool
) -> InlineKeyboardMarkup:
    """The other instruments, then this one's segment comparison and recommendations."""
    builder = InlineKeyboardBuilder()
    for other in available:
        if other is not shown:
            builder.button(
                text=t(f"btn_survey_{other.value}", lang),
                callback_data=SurveyCb(action="show", instrument=other.value),
            )
    if segments:
        builder.button(
            text=t("btn_survey_segments", lang),
            callback_data=SurveyCb(action="seg", instrument=shown.value),
        )
    builder.button(
        text=t("btn_survey_advice", lang),
        callback_data=SurveyCb(action="adv", instrument=shown.value),
    )
    builder.adjust(1)
    return builder.as_markup()
