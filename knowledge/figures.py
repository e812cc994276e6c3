"""Does a question ask for a figure or a date, and does an answer give one?

A question about a company the articles mention, asking a figure they do not give
("諾基亞2007年賣了幾支手機?", "how much did Marlboro add to its advertising?"), finds the
passage about that company and would be answered with a sentence that has no figure in it.
The asked attribute is the figure: when the answer states none, the articles do not cover
the question, and the bot says so instead of answering beside the point. A question
asking *when* ("狩野的需求層次是哪一年提出的?") is stricter: any figure will not do ("分為三個
層次" is not a year); the answer must say when.
"""

from __future__ import annotations

import re

from knowledge.script import to_simplified

# "多少", "几年/几天/几次…" (not "哪几个", which asks for a list), "多久", "哪一年".
_ASKS_ZH = re.compile(
    r"多少|(?<![哪这那近前头好十])几(?:年|天|周|个月|个小时|次|支|家|位|倍|成|岁|个百分点|名|元|块)"
    r"|多久|多长时间|哪一?年(?![龄级轻])"
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
# "哪一年", "什麼年代", and "什麼時候提出的?" about an event (not "什麼時候該…", "哪一年齡層",
# "如何年化", and not "什麼時候最需要關懷的?", a condition).
_EVENT_ZH = r"(?:提出|出现|开始|成立|创立|创办|推出|兴起|发表|发布|上市|诞生|破产|投入|引入|问世)"
_ASKS_DATE_ZH = re.compile(
    r"哪一?年(?![龄级轻])|(?<![如任])何年(?![龄级化轻])|哪个年代|什么年代|哪个世纪"
    r"|(?:什么时候|何时)[^的]*" + _EVENT_ZH + r"[^的]*的$"
)
_EVENT_EN = (
    r"(?:found|establish|set\s+up|start|begin|began|launch|introduce|publish|propose|"
    r"coin|invent|appear|emerge|c[oa]me\s+(?:out|up\s+with)|develop|put\s+forward|file|"
    r"go\s+bankrupt|went\s+bankrupt|open)"
)
_ASKS_DATE_EN = re.compile(
    r"\bwhen\s+(?:did|was|were)\b[^?]*\b" + _EVENT_EN + r"|\b(?:what|which)\s+(?:year|decade)\b"
    r"|\bon\s+what\s+date\b|\bhow\s+long\s+ago\b",
    re.I,
)
# When: a year, a decade or century, or years counted ("半世紀前", "近幾年", "15年後").
_DATE = re.compile(
    r"(?<!\d)(?:1[0-9]|20)\d{2}(?![\d万亿千百元.%])|年代|[\d一二三四五六七八九十半]+\s*世纪"
    r"|(?<![贴接靠])近[几些]?年(?![轻])"
    r"|[\d一二两三四五六七八九十百半几数]+\s*(?:多)?年(?:前|后|来|间|之前|之后|以前|以后)"
)
_CITATION = re.compile(r"\[\d+\]")
_ITEM_NUMBER = re.compile(r"(?<![\d.])\d{1,2}[、..)](?!\d)")  # "1、價值就是…" numbers a list
# "Rc=f(Q1,Q2,Q3)": a formula's symbols carry digits but state no figure.
_SYMBOL = re.compile(r"(?<![A-Za-z\d])[A-Za-z]{1,2}\d{1,2}(?![\d.])")


def asks_figure(question: str) -> bool:
    if _ASKS_EN.search(question):
        return True
    for clause in _CLAUSE.split(to_simplified(question)):
        if _ASKS_ZH.search(clause) and not _YES_NO.search(clause):
            return True
    return False


def asks_date(question: str) -> bool:
    if _ASKS_DATE_EN.search(question):
        return True
    return any(_ASKS_DATE_ZH.search(c.strip()) for c in _CLAUSE.split(to_simplified(question)))


def states_figure(answer_text: str) -> bool:
    """The quoted lines of an answer, without its lead-in line ("共 3 項") and passage
    numbers, state a figure."""
    return bool(_FIGURE.search(_body(answer_text)))


def states_date(answer_text: str) -> bool:
    return bool(_DATE.search(_body(answer_text)))


def _body(answer_text: str) -> str:
    """Without the lead-in line ("根據知識庫,共 3 項:"), which counts what follows; an LLM's
    answer starts with what it says, and its first line may hold the figure."""
    first, _, rest = answer_text.partition("\n")
    body = rest if rest and first.rstrip().endswith((":", ":")) else answer_text
    return _SYMBOL.sub("", _ITEM_NUMBER.sub("", _CITATION.sub("", to_simplified(body))))
