"""Kano answers as the codes 1..5, from the codes themselves or the words people write.

1 = like, 2 = must-be, 3 = neutral, 4 = live with, 5 = dislike (the contract's coding), in
English or Chinese, as survey tools export them. Questionnaires print the answers as full
sentences ("I like it that way", "It must be that way", "I can live with it that way";
我很喜歡, 理應如此, 能夠忍受), so those are taken as they are written: case, spacing,
curly apostrophes, full-width characters and a closing full stop do not matter, and every
Traditional wording is also known in Simplified script.
"""

from __future__ import annotations

import re
import unicodedata

from knowledge.script import to_simplified

_WORDINGS: dict[int, tuple[str, ...]] = {
    1: (
        "like",
        "like it",
        "i like it",
        "i like it that way",
        "i like it this way",
        "i would like it",
        "i would like it that way",
        "i'd like it",
        "i'd like it that way",
        "i enjoy it",
        "i enjoy it that way",
        "delighted",
        "喜歡",
        "我喜歡",
        "很喜歡",
        "我很喜歡",
        "非常喜歡",
        "我非常喜歡",
        "喜歡這樣",
        "我喜歡這樣",
        "我喜歡它這樣",
    ),
    2: (
        "must-be",
        "must be",
        "mustbe",
        "expect",
        "expected",
        "i expect it",
        "i expect it that way",
        "i expect it this way",
        "it must be that way",
        "it must be this way",
        "it must be",
        "it should be that way",
        "it is basic",
        "理所當然",
        "理應如此",
        "理當如此",
        "它理應如此",
        "本應如此",
        "必須如此",
        "必須這樣",
        "應該如此",
        "應該這樣",
        "應該的",
        "必須",
        "必須的",
        "必備",
    ),
    3: (
        "neutral",
        "i am neutral",
        "i'm neutral",
        "i feel neutral",
        "indifferent",
        "i am indifferent",
        "i'm indifferent",
        "i don't care",
        "i do not care",
        "doesn't matter",
        "it doesn't matter",
        "無所謂",
        "我無所謂",
        "都可以",
        "中立",
        "沒感覺",
        "沒有感覺",
        "沒意見",
    ),
    4: (
        "live with",
        "live-with",
        "livewith",
        "i can live with it",
        "i can live with it that way",
        "i can live with it this way",
        "i can tolerate it",
        "i can tolerate it that way",
        "i can accept it",
        "tolerate",
        "can tolerate",
        "能忍受",
        "能夠忍受",
        "可以忍受",
        "我能忍受",
        "我能夠忍受",
        "我可以忍受",
        "勉強接受",
        "勉強可以接受",
        "可以接受",
    ),
    5: (
        "dislike",
        "dislike it",
        "i dislike it",
        "i dislike it that way",
        "i dislike it this way",
        "i don't like it",
        "i do not like it",
        "i don't like it that way",
        "i do not like it that way",
        "不喜歡",
        "我不喜歡",
        "很不喜歡",
        "我很不喜歡",
        "非常不喜歡",
        "我非常不喜歡",
        "不喜歡這樣",
        "我不喜歡這樣",
        "討厭",
        "無法接受",
        "不能接受",
    ),
}
_SPACES = re.compile(r"\s+")
_CLOSING = ".。!!"


def _normalized(raw: str) -> str:
    """The wording as compared: NFKC (full-width letters and punctuation to plain ones),
    lower case, curly apostrophes straight, single spaces, no closing full stop."""
    text = unicodedata.normalize("NFKC", raw).replace("’", "'").replace("‘", "'")
    text = _SPACES.sub(" ", text.strip().lower()).rstrip(_CLOSING).strip()
    return text[:-2] if text.endswith(".0") else text


KANO_LABELS: dict[str, int] = {}
for _code, _labels in _WORDINGS.items():
    KANO_LABELS[str(_code)] = _code
    for _label in _labels:
        KANO_LABELS[_normalized(_label)] = _code
        KANO_LABELS[_normalized(to_simplified(_label))] = _code


def kano_code(raw: str) -> int | None:
    return KANO_LABELS.get(_normalized(raw))
