"""What kind of question is this: a definition, a list, a follow-up?

The articles are mostly definitions and enumerations, so knowing which one a
question asks for decides which passage answers it best: "什麼是X" wants the
sentence "X是…", "有哪些…" wants the outline of a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from knowledge.glossary import bridge, case_names
from knowledge.script import to_simplified

_DEFINITION = (
    re.compile(r"^(?:请问)?(?:什么是|什么叫|何谓|何为)(?P<term>.+?)[??.。]*$"),
    re.compile(
        r"^(?P<term>.+?)(?:是什么|指什么|是指什么|的定义是什么|的定义|的含义是什么|的含义)[??.。]*$"
    ),
)
_EN_DEFINITION = re.compile(r"^(?:what\s+is|what's|what\s+are|define|meaning\s+of)\b", re.I)
_LIST = re.compile(
    r"哪些|哪几|(?<![这那])几(?:种|个|类)|[二三四五六七八九十两]个|[二三四五六七八九十两]种|组成|包括|构成"
    r"|\bwhat\s+are\b|\bwhich\b|\blist\b|\bkinds?\b|\btypes?\b|\blevels?\b|\bstages?\b"
    r"|\bcomponents?\b|\bparts?\b|\bstrategies\b|\bsteps\b",
    re.I,
)
_ORDINALS_EN = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1,
}  # fmt: skip
_ORDINAL_ZH = re.compile(
    r"第\s*([一二三四五六七八九十\d]+)(?=个|步|点|项|种|条|类|阶段|层|部分|方面|呢|是|[??]|$)|最后一"
)
_ZH_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
_POINTS_BACK = re.compile(
    r"^(?:and|what about|how about|then|so)\b|^(?:那|那么|还有|另外|而|再)|这几|那几|这些|那些|它们"
    r"|\b(?:the|that|this)\s+(?:last|first|second|third|fourth|fifth)\s+one\b|^(?:具体|详细)",
    re.I,
)
_FOLLOW_UP = re.compile(
    r"^(?:and|what about|how about|then|also|so)\b|\b(?:it|that|this|those|these|them|one)\b"
    r"|^(?:那|那么|还有|另外|而|再)|它|这个|那个|这些|那些|上面|刚才|前面",
    re.I,
)


# What the question asks for, first match wins: the answer's shape follows from it.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "comparison",
        re.compile(r"区别|差别|不同之处|相比|比较|\bdiffer|\bcompare|\bversus\b|\bvs\.?\b", re.I),
    ),
    (
        "why",  # reasons, and what a change leads to
        re.compile(
            r"为什么|为何|原因|何以|后果|会怎样|影响到什么|带来什么|导致什么|怎么来的|从何而来|来源"
            r"|\bwhy\b|\breasons?\b|\bwhat happens\b|\bconsequences?\b|\beffects?\b",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"多少|几年|哪一?年|多久|多重|多大|第几|排名|排第|多长时间|怎么算|如何计算|怎么计算|公式"
            r"|\bhow\s+(?:many|much|long|heavy|big)\b|\bwhat\s+year\b|\bwhen\b|\brank|\bformula\b"
            r"|\bcalculat",
            re.I,
        ),
    ),
    (
        "case",
        re.compile(r"例子|案例|举例|举个|实例|做法|\bexamples?\b|\bcase\b|\bwhat\s+did\b", re.I),
    ),
    (
        "classify",  # "買名牌的身分感在客戶價值的分類裡算哪一種?": one item of a known list
        re.compile(
            r"算哪|属于哪|归为哪|归于哪|归哪|是哪一[种类]|\bwhich\s+(?:type|kind|category)\b"
            r"|\bcounts?\s+as\b|\bfalls?\s+(?:in|under)\b",
            re.I,
        ),
    ),
    ("list", _LIST),
    ("how", re.compile(r"怎么|怎样|如何|怎么办|方法|步骤|\bhow\b|\bsteps?\b|\bways?\b", re.I)),
    (
        "definition",
        re.compile(r"什么是|是什么|指什么|定义|含义|意思|算哪|属于|\bwhat\b|\bdefin", re.I),
    ),
)
_COUNT = re.compile(
    r"(?<!第)([二两三四五六七八九十])(?:个|种|类|点|步|方面|阶段|层次|部分|件)|哪([二两三四五六七八九十])"
)
_COUNT_EN = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten)\b", re.I)
_EN_NUMBERS = {
    w: i
    for i, w in enumerate(
        ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], 2
    )
}


@dataclass(frozen=True, slots=True)
class QuestionIntent:
    definition_terms: tuple[str, ...]  # Simplified Chinese terms the question asks to define
    wants_list: bool
    ordinal: int | None  # 1-based item asked for ("the second one"), -1 for "the last"
    looks_like_follow_up: bool
    points_back: bool = (
        False  # opens by pointing at the last answer: "那第三步呢?", "And the last one?"
    )
    kind: str = "other"  # definition|list|how|why|case|number|comparison|other
    count: int | None = None  # how many items a list question expects ("哪三個")
    cases: tuple[str, ...] = ()  # the articles' cases it names (华为), in their Chinese
    sides: tuple[str, ...] = ()  # a comparison's two terms, as the question writes them
    # Every item asked for, when more than one: "第三種跟最後一種" (3, -1), "後面兩個" (-2, -1).
    ordinals: tuple[int, ...] = ()


def analyze(question: str) -> QuestionIntent:
    simplified = to_simplified(question).strip()
    count = _count(simplified)
    ordinals = _ordinals(simplified)
    kind = next((kind for kind, p in _KINDS if p.search(simplified)), "other")
    if count is not None and kind in ("other", "how", "definition"):
        kind = "list"  # "从哪三方面来规划": the three aspects are the answer
    cases = case_names(simplified)
    if cases and kind in ("other", "how", "definition"):
        kind = "case"  # "华为如何创造客户价值?": what the company did
    return QuestionIntent(
        definition_terms=_definition_terms(simplified),
        wants_list=bool(_LIST.search(simplified)) or count is not None,
        ordinal=ordinals[0] if ordinals else None,
        looks_like_follow_up=_looks_like_follow_up(simplified),
        points_back=bool(_POINTS_BACK.search(simplified)),
        kind=kind,
        count=count,
        cases=cases,
        sides=_sides(simplified) if kind == "comparison" else (),
        ordinals=ordinals,
    )


_PART_BREAK = re.compile(
    r"(?<=[?\uff1f])\s*(?=\S)|[;\uff1b]\s*"
    r"|[,\uff0c\u3001]\s*(?=(?:还有|以及|另外|并且|同时|又|and\s+(?:how|what|when|why|which|who|where)\b))"
    r"|\s+and\s+(?=(?:how|what|when|why|which|who|where)\b)",
    re.I,
)
_MIN_PART = 4  # characters: "分别是什么?" is a part of its own; "是吗?" is not


def sub_questions(question: str) -> tuple[str, ...]:
    """The parts of a two-part question ("投了多少錢?破產時負債多少?", "on what date, and how
    many years?"), each to be answered on its own line; () for a one-part question."""
    parts = [p.strip(" ,;\uff0c\uff1b") for p in _PART_BREAK.split(question.strip())]
    parts = [p for p in parts if len(p) >= _MIN_PART]
    return tuple(parts) if len(parts) >= 2 else ()


def _count(simplified: str) -> int | None:
    m = _COUNT.search(simplified)
    if m:
        digit = m.group(1) or m.group(2)
        return 2 if digit == "两" else _ZH_DIGITS[digit]
    m_en = _COUNT_EN.search(simplified)
    return _EN_NUMBERS[m_en.group(1).lower()] if m_en else None


_SIDES = (
    re.compile(
        r"(?P<a>[^,,。??]{2,16}?)(?:和|与|跟|同|及)(?P<b>[^,,。??]{2,16}?)(?:之间)?(?:有什么|有何|的)?(?:区别|不同|差别|异同)"
    ),
    re.compile(r"(?P<a>[^,,。??]{2,16}?)(?:相比|比较|对比)(?P<b>[^,,。??]{2,16}?)"),
    re.compile(r"difference\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)[??.]*$", re.I),
    re.compile(r"compare\s+(?P<a>.+?)\s+(?:and|with|to)\s+(?P<b>.+?)[??.]*$", re.I),
    re.compile(r"(?P<a>[\w\s-]+?)\s+(?:vs\.?|versus)\s+(?P<b>[\w\s-]+?)[??.]*$", re.I),
)


def _sides(simplified: str) -> tuple[str, ...]:
    """ "價值資產和品牌資產有什麼區別?" -> ("价值资产", "品牌资产")."""
    for pattern in _SIDES:
        m = pattern.search(simplified)
        if m:
            return (m["a"].strip(" 「」“”\"'"), m["b"].strip(" 「」“”\"'"))
    return ()


def _definition_terms(simplified: str) -> tuple[str, ...]:
    for pattern in _DEFINITION:
        m = pattern.match(simplified)
        if m:
            return (m.group("term").strip(),)
    if _EN_DEFINITION.match(simplified):
        return tuple(bridge(simplified)[:1])
    return ()


# "Why is it worth it in the first place?" asks for no item of a list.
_NOT_ORDINAL_EN = re.compile(
    r"\bin the first place\b|\bfirst of all\b|\bat first\b|\bat last\b"
    r"|\blast (?:year|month|week|time|decade)\b",
    re.I,
)


_EN_ORDINAL_WORDS = "|".join(_ORDINALS_EN)
# "the second one", "its third step", "the last two"; not the adverb in "what should it do
# first?". "the third and the last" asks for two.
_ORDINAL_EN = re.compile(
    rf"\b(?:(?:the|its|their|this|that|your|our)\s+(?:very\s+)?({_EN_ORDINAL_WORDS})\b"
    rf"(?:\s+(two|three)\b)?|({_EN_ORDINAL_WORDS})\s+one\b)"
)
_AND_ORDINAL_EN = re.compile(rf"\s*(?:one\s*)?(?:,|and|or|&)\s*(?:the\s+)?({_EN_ORDINAL_WORDS})\b")
# "前兩個", "後面兩項", "最後三種": a run of items from either end of the list.
_RUN_ZH = re.compile(r"(前|最后|后面|后)\s*([两二三])\s*(?:个|项|种|点|条|层|步|类|部分)")
_RUN_LENGTH = {"两": 2, "二": 2, "三": 3, "two": 2, "three": 3}


def _run(length: int, from_start: bool) -> tuple[int, ...]:
    return tuple(range(1, length + 1)) if from_start else tuple(range(-length, 0))


def _ordinals(simplified: str) -> tuple[int, ...]:
    """The items asked for, in the question's order: 1-based, negative from the end."""
    lowered = _NOT_ORDINAL_EN.sub(" ", simplified.lower())
    m = _ORDINAL_EN.search(lowered)
    if m:
        first = _ORDINALS_EN[m.group(1) or m.group(3)]  # "the second", "second one"
        if m.group(2) and first in (1, -1):  # "the first two", "the last two"
            return _run(_RUN_LENGTH[m.group(2)], first == 1)
        found, rest = [first], lowered[m.end() :]
        while more := _AND_ORDINAL_EN.match(rest):
            found.append(_ORDINALS_EN[more.group(1)])
            rest = rest[more.end() :]
        return tuple(dict.fromkeys(found))
    run = _RUN_ZH.search(simplified)
    if run:
        return _run(_RUN_LENGTH[run.group(2)], run.group(1) == "前")
    found = []
    for m in _ORDINAL_ZH.finditer(simplified):
        if m.group(0).startswith("最后"):
            found.append(-1)
        elif m.group(1).isdigit():
            found.append(int(m.group(1)))
        elif m.group(1) in _ZH_DIGITS:
            found.append(_ZH_DIGITS[m.group(1)])
    return tuple(dict.fromkeys(found))


# The words that name the item, where `_ordinals` finds it: "第二個", "後面兩個", "the
# second one", "its last"; not the adverb "first".
ORDINAL_WORDS = re.compile(
    r"第\s*[一二三四五六七八九十\d]+\s*(?:个|步|点|项|种|条|类|阶段|层|部分|方面)?|最后一\S?"
    r"|(?:前|最后|后面|后)\s*[两二三]\s*(?:个|项|种|点|条|层|步|类|部分)"
    rf"|\b(?:the|its|their|this|that|your|our)\s+(?:very\s+)?(?:{_EN_ORDINAL_WORDS})\b"
    rf"(?:\s+(?:one|two|three)\b)?|\b(?:{_EN_ORDINAL_WORDS})\s+one\b",
    re.I,
)


def without_ordinal(text: str) -> str:
    """The question less its ordinal ("第二個", "the last one"): what is left names its
    subject, if it has one."""
    return ORDINAL_WORDS.sub(" ", to_simplified(text))


def _looks_like_follow_up(simplified: str) -> bool:
    """Explicit pointers back only; a short question that names its topic stands alone."""
    return bool(_FOLLOW_UP.search(simplified))


def defines(text: str, terms: tuple[str, ...]) -> bool:
    """Does `text` (Simplified) define one of `terms`: "X是…", "X指…", "X即…"?"""
    pattern = _definition_pattern(terms)
    return pattern is not None and pattern.search(text) is not None


@lru_cache(maxsize=1024)
def _definition_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for all the terms (None without any): an answer tests every sentence of
    the articles against the same terms, which compiled term by term cost a third of a
    question's CPU."""
    names = [re.escape(term) for term in terms if term]
    if not names:
        return None
    return re.compile("(?:" + "|".join(names) + r")\s*(?:\([^)]*\))?\s*(?:是|即|指|就是|:|:|--|——)")
