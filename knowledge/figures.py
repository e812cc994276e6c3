"""Does a question ask for a figure, and does an answer give one?

A question about a company the articles mention, asking a figure they do not give
("諾基亞2007年賣了幾支手機?", "how much did Marlboro add to its advertising?"), finds the
passage about that company and would be answered with a sentence that has no figure in it.
The asked attribute is the figure: when the answer states none, the articles do not cover
the question, and the bot says so instead of answering beside the point.
"""

from __future__ import annotations

import re

from knowledge.script import to_simplified

# "多少", "几年/几天/几次…" (not "哪几个", which asks for a list), "多久", "哪一年".
_ASKS_ZH = re.compile(
    r"多少|(?<!哪)几(?:年|天|周|个月|个小时|次|支|家|位|倍|成|岁|个百分点|名|元|块)"
    r"|多久|多长时间|哪一?年"
)
# "how much" also asks for a degree ("how much does brand matter?"): only money counts.
_ASKS_EN = re.compile(
    r"\bhow\s+many\b|\bwhat\s+year\b|\bwhich\s+year\b|\bin\s+what\s+year\b|\bhow\s+long\b"
    r"|\bwhat\s+(?:percentage|share|proportion)\b|\bhow\s+much\b(?=.*\b(?:spen[dt]|invest\w*|"
    r"cost\w*|pa(?:y|id)|price\w*|revenue\w*|profit\w*|debts?|money|budget\w*|fees?|dollars?|"
    r"sales|los[et]|earn\w*|salary|salaries)\b)",
    re.I,
)
# "…只算賺多少錢嗎?" asks yes or no, not for a figure.
_YES_NO = re.compile(r"[吗么嘛]\s*$")
_CLAUSE = re.compile(r"[,,。??;;!!]")
# A figure: digits, or Chinese numerals with what they count.
_FIGURE = re.compile(
    r"\d|百分之|一半|翻[倍番]|[一二两三四五六七八九十百千万亿半几数]+\s*(?:年|月|天|周|日|小时|分钟|次|支|家|位|个|名|倍|成"
    r"|%|％|元|美元|英镑|磅|英里|公里|亿|万|千|百|岁|层|项|种|点|步|部分|个百分点)"
)
_CITATION = re.compile(r"\[\d+\]")
_ITEM_NUMBER = re.compile(r"(?<![\d.])\d{1,2}[、..)](?!\d)")  # "1、價值就是…" numbers a list


def asks_figure(question: str) -> bool:
    if _ASKS_EN.search(question):
        return True
    for clause in _CLAUSE.split(to_simplified(question)):
        if _ASKS_ZH.search(clause) and not _YES_NO.search(clause):
            return True
    return False


def states_figure(answer_text: str) -> bool:
    """The quoted lines of an answer, without its lead-in line ("共 3 項") and passage
    numbers, state a figure."""
    body = answer_text.split("\n", 1)[1] if "\n" in answer_text else answer_text
    body = _ITEM_NUMBER.sub("", _CITATION.sub("", to_simplified(body)))
    return bool(_FIGURE.search(body))
