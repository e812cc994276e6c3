"""Every user-facing sentence of the bot, in the three reply languages: one module per
feature, one lookup. Simplified Chinese is derived from Traditional with OpenCC where a
module writes only English and Traditional, so the two scripts never drift apart."""

from __future__ import annotations

from bot.texts.admin import ADMIN_TEXTS
from bot.texts.chat import CHAT_TEXTS
from bot.texts.ops import OPS_TEXTS
from bot.texts.quiz import QUIZ_TEXTS
from bot.texts.survey import SURVEY_TEXTS
from bot.texts.survey_findings import SURVEY_FINDING_TEXTS
from bot.texts.value import VALUE_TEXTS
from knowledge.models import Lang
from value_engine.cjk import tighten


def _merged() -> dict[str, dict[Lang, str]]:
    merged: dict[str, dict[Lang, str]] = {}
    parts = (CHAT_TEXTS, VALUE_TEXTS, SURVEY_TEXTS, SURVEY_FINDING_TEXTS, QUIZ_TEXTS)
    for part in (*parts, ADMIN_TEXTS, OPS_TEXTS):
        overlap = merged.keys() & part.keys()
        if overlap:
            raise KeyError(f"text keys defined twice: {sorted(overlap)}")
        merged.update(part)
    return merged


_T = _merged()
# Survey texts fill names a manager chose (drivers, features) into Chinese sentences: no
# space is left between a Chinese name and the Chinese text around it (value_engine.cjk).
_TIGHT = SURVEY_TEXTS.keys() | SURVEY_FINDING_TEXTS.keys()


def t(key: str, lang: Lang, **values: object) -> str:
    text = _T[key][lang]
    if not values:
        return text
    text = text.format(**values)
    return tighten(text) if lang is not Lang.EN and key in _TIGHT else text


def tn(key: str, lang: Lang, n: int, **values: object) -> str:
    """`key` with the count `n`, in the singular where the language has one ("1 row",
    not "1 rows"): the text `key_one` when n is 1 and the module defines it."""
    one = f"{key}_one"
    return t(one if n == 1 and one in _T else key, lang, n=n, **values)
