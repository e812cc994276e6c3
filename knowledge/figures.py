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

from knowledge.models import CITATION_MARK
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
# What a figure is counted in, by the counter or noun a question asks it with: "幾支手機"
# wants a number of 支 (or 部, 台), not the "24小時" of the passage the company's name found.
# Each pair: the counter after 幾/多少 (not the words it starts: 多少成本, 多少部分), and the
# units a figure in the answer may carry for it.
_MONEY = r"元|块|美元|英镑|欧元|日元|港币|万|亿|\$"
_DURATION = r"年|世纪|月|周|星期|天|日|小时|钟头|分钟"
_PERCENT = r"%|％|百分之|个百分点|成"
_UNITS_ZH: tuple[tuple[str, str], ...] = (
    (r"个?百分点", _PERCENT),
    (r"年(?![龄级轻])", r"年|世纪"),
    (r"个?月", r"月"),
    (r"个?(?:星期|礼拜)|周(?![期年边])", r"周|星期|天|日"),
    (r"天", r"天|日"),
    (r"个?(?:小时|钟头)", r"小时|钟头|分钟|天"),
    (r"次", r"次"),
    (r"支(?![持出付])|部(?![分门])|台", r"支|部|台"),
    (r"家(?![庭人电])|间|座", r"家|间|座"),
    (r"[位名](?![置字])|个?人", r"位|名|人"),
    (r"倍", r"倍|翻"),
    (r"成(?![本功长员为交果])", _PERCENT),
    (r"岁", r"岁"),
    (r"元(?!素)|块|钱", _MONEY),
)
# "第幾名" asks a rank, which "第88名" gives: no unit to hold it to.
_ASKED_COUNT = re.compile(r"(百分之)?(?:(?<![哪这那近前头好十第])几|(?<!第)多少)(\S{0,4})")
# A change or a rate asked with 多少 ("成本降低了多少?", "回報率是多少?") may be a percentage.
_CHANGE_OR_RATE = re.compile(r"率|降低|减少|下降|提高|增长|增加|上升|节省")
# "学费多少", "花了多少钱", "投了多少": an amount of money.
_MONEY_ASK_ZH = re.compile(
    r"(?:学费|费用|价格|价钱|售价|成本|资金|贷款|债务|投资|投了|花了|营收|收入|工资|薪水|预算)"
    r"[^,,。??]{0,4}多少(?!倍)"
)
_UNITS_EN: tuple[tuple[str, str], ...] = (
    (r"years?", r"年|世纪"),
    (r"months?", r"月"),
    (r"weeks?", r"周|星期|天|日"),
    (r"days?", r"天|日"),
    (r"hours?", r"小时|钟头|分钟|天"),
    (r"times", r"倍|次|翻"),
    (r"employees|staff|people|workers|baristas|members|persons", r"位|名|人"),
    (r"stores|shops|outlets|branches|locations|cafes", r"家|间|店"),
    (r"phones|handsets|units|devices|cars", r"支|部|台|辆"),
)
_HOW_MANY = re.compile(r"\bhow\s+many((?:\s+[\w-]+){1,3})", re.I)
# A number and what it counts: "24小時", "5000多家", "一千二百人", "兩個月". Not a rank
# ("前100名", "第88位"), not "一家公司" or "多數人", not the month or day of a date
# ("1998年11月1日"), and a year ("1971年") is no number of years.
_COUNTED = (
    r"(?<![前第年月\d.])(?!(?:1[0-9]|20)\d{{2}}\s*年)"
    r"(?:\d+(?:\.\d+)?[百千万亿]*|[一二两三四五六七八九十百千万亿半]{{2,}}|[二两三四五六七八九十百千半])"
    r"\s*(?:多|余|来)?\s*个?\s*(?:{})"
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


def asked_units(question: str) -> tuple[str, ...]:
    """What each figure the question asks for is counted in, as patterns of units: an
    answer must state a number in each. Empty when any figure will do ("品牌價值有多少?")."""
    units: list[str] = []
    for match in _HOW_MANY.finditer(question):
        for word in match.group(1).lower().split():
            found = [unit for noun, unit in _UNITS_EN if re.fullmatch(noun, word)]
            if found:
                units.append(found[0])
                break
    if re.search(r"\bhow\s+long\b(?!\s+ago)", question, re.I):
        units.append(_DURATION)
    for clause in _CLAUSE.split(to_simplified(question)):
        if _YES_NO.search(clause):
            continue
        counted = False
        for match in _ASKED_COUNT.finditer(clause):
            if match.group(1):
                units.append(_PERCENT)
                counted = True
                continue
            found = [unit for counter, unit in _UNITS_ZH if re.match(counter, match.group(2))]
            units += found[:1]
            counted = counted or bool(found)
        # "花了多少年" counts years, not money; "成本降低了多少?" may be a percentage.
        if not counted and _MONEY_ASK_ZH.search(clause) and not _CHANGE_OR_RATE.search(clause):
            units.append(_MONEY)
        if re.search(r"多久|多长时间", clause):
            units.append(_DURATION)
    return tuple(dict.fromkeys(units))


def asks_date(question: str) -> bool:
    if _ASKS_DATE_EN.search(question):
        return True
    return any(_ASKS_DATE_ZH.search(c.strip()) for c in _CLAUSE.split(to_simplified(question)))


def states_figure(answer_text: str, units: tuple[str, ...] = ()) -> bool:
    """The quoted lines of an answer, without its lead-in line ("共 3 項") and passage
    numbers, state a figure, and one in each of `units` when the question asked for those."""
    body = _body(answer_text)
    if not units:
        return bool(_FIGURE.search(body))
    return all(re.search(_COUNTED.format(unit), body) for unit in units)


def states_date(answer_text: str) -> bool:
    return bool(_DATE.search(_body(answer_text)))


def _body(answer_text: str) -> str:
    """Without the lead-in line ("根據知識庫,共 3 項:"), which counts what follows; an LLM's
    answer starts with what it says, and its first line may hold the figure."""
    first, _, rest = answer_text.partition("\n")
    body = rest if rest and first.rstrip().endswith((":", ":")) else answer_text
    return _SYMBOL.sub("", _ITEM_NUMBER.sub("", CITATION_MARK.sub("", to_simplified(body))))
