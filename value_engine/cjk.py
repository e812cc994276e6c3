"""Chinese text has no spaces between words: a name filled into a Chinese sentence
("{drivers} 對顧客行為…") is joined to the text around it when both sides are Chinese
("服務體驗對顧客行為…"), and keeps its spaces where one side is Latin or a number
("quality 對顧客行為…", "佔 R² 的 42%")."""

from __future__ import annotations

import re

# Han ideographs, CJK punctuation and full-width forms (,:() and the like)
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
# a run of spaces between two such characters, HTML tags (<b>, </b>) allowed on either side
_GAP = re.compile(rf"(?<={_CJK})((?:<[^<>]+>)*) +((?:<[^<>]+>)*)(?={_CJK})")


def tighten(text: str) -> str:
    """`text` without the spaces between two Chinese characters."""
    return _GAP.sub(r"\1\2", text)
