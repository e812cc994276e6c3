"""Chinese script handling and reply-language detection.

Traditional and Simplified must match each other both ways, so everything the
retrievers compare is folded to Simplified; what users read is converted to
their own script.
"""

from __future__ import annotations

import re
from functools import lru_cache

import opencc

from knowledge.models import Lang

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Codes like "C-1042" or "SKU9" say nothing about the writer's language.
_IDENTIFIER = re.compile(r"(?<![A-Za-z])[A-Za-z]{1,5}-?\d+\b")
_COMMAND = re.compile(r"^/\w+(@\w+)?\s*")


@lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return str(_converter("t2s").convert(text))


def to_traditional(text: str) -> str:
    # Character-level s2t, not a regional phrase rewrite: the source wording stays. OpenCC
    # writes 爲 where Taiwan and Hong Kong readers (and the corpus) write 為; both fold back
    # to 为, so the swap is safe for matching.
    return str(_converter("s2t").convert(text)).replace("爲", "為")


def to_script(text: str, lang: Lang) -> str:
    """Render Chinese text in the reader's script; English readers get the original."""
    if lang is Lang.ZH_HANS:
        return to_simplified(text)
    if lang is Lang.ZH_HANT:
        return to_traditional(text)
    return text


def han_count(text: str) -> int:
    return len(_HAN.findall(text))


def lang_from_code(language_code: str | None) -> Lang | None:
    """Map Telegram's IETF language_code to a reply language."""
    if not language_code:
        return None
    code = language_code.lower().replace("_", "-")
    if code.startswith("zh"):
        if any(tag in code for tag in ("hant", "tw", "hk", "mo")):
            return Lang.ZH_HANT
        return Lang.ZH_HANS
    if code.startswith("en"):
        return Lang.EN
    return None


def detect_lang(text: str, language_code: str | None = None, default: Lang = Lang.EN) -> Lang:
    """The question's own script wins; Telegram's language_code breaks ties.

    Many Han characters are shared by both scripts, so a question written only in
    those says nothing about the script and the user's client language decides.
    """
    hinted = lang_from_code(language_code)
    text = _COMMAND.sub("", text.strip())
    hans = han_count(text)
    if hans == 0:
        if _LATIN.search(_IDENTIFIER.sub("", text)):
            return Lang.EN
        return hinted or default
    words = len(_LATIN_WORD.findall(text))
    if words >= 2 and words * 2 >= hans:
        return Lang.EN  # an English sentence quoting a Chinese term
    simplified = to_simplified(text)
    traditional = to_traditional(text)
    if simplified != text and traditional == text:
        return Lang.ZH_HANT
    if traditional != text and simplified == text:
        return Lang.ZH_HANS
    if simplified != text and traditional != text:
        # Mixed: count which side changes more characters.
        t_changes = sum(a != b for a, b in zip(text, simplified, strict=False))
        s_changes = sum(a != b for a, b in zip(text, traditional, strict=False))
        return Lang.ZH_HANT if t_changes >= s_changes else Lang.ZH_HANS
    if hinted in (Lang.ZH_HANT, Lang.ZH_HANS):
        return hinted
    return Lang.ZH_HANT if default is Lang.ZH_HANT else Lang.ZH_HANS
