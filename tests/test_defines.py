"""`defines` tests every sentence of the articles against a question's terms, once per
answer: one compiled pattern for all the terms answers exactly as a search per term did
(issue 24, section 8: a third of a question's CPU went to compiling those searches)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from knowledge.question import defines

_WORDS = st.sampled_from(
    ["顾客价值", "价值", "CLV", "品牌(资产)", "a.b", "让渡", "", "是", "指", "客户"]
)
_GLUE = st.sampled_from(["是", "即", "指", "就是", ":", ":", "--", "——", " (CLV) 是", "的", " "])


def _per_term(text: str, terms: tuple[str, ...]) -> bool:
    """The earlier definition, one search per term: the oracle."""
    return any(
        re.search(re.escape(term) + r"\s*(?:\([^)]*\))?\s*(?:是|即|指|就是|:|:|--|——)", text)
        for term in terms
        if term
    )


@given(
    st.lists(st.tuples(_WORDS, _GLUE), max_size=6).map(lambda ps: "".join(a + b for a, b in ps)),
    st.lists(_WORDS, max_size=4).map(tuple),
)
def test_one_pattern_answers_as_one_search_per_term(text: str, terms: tuple[str, ...]) -> None:
    assert defines(text, terms) == _per_term(text, terms)


def test_examples() -> None:
    assert defines("顾客让渡价值是指顾客总价值与总成本之差", ("顾客让渡价值",))
    assert defines("品牌(资产) 即…", ("品牌(资产)",))  # a term's own brackets are literal
    assert defines("CLV (customer lifetime value): the value", ("LTV", "CLV"))
    assert not defines("提升顾客让渡价值的方法", ("顾客让渡价值",))
    assert not defines("顾客价值是", ())
    assert not defines("顾客价值是", ("",))
