"""What an earlier answer told, read back from its text for the follow-up after it.

A follow-up's ordinal ("那第二個呢?", "what does the second one mean?") may point at a list
the answer stated inside one sentence ("客户资产是由价值资产、品牌资产、维系资产三个部分组成"),
which the document model does not set out item by item; the answer's own text is where
the reader met it.
"""

from __future__ import annotations

import re

from knowledge.document import inline_items
from knowledge.models import CITATION_MARK
from knowledge.script import to_simplified

_GLOSS = re.compile(r"\s*\([A-Za-z][^()]*\)")  # "品牌资产 (brand equity)"
_ITEM_OPENER = re.compile(
    r"(?:[一二三四五六七八九十]是|首先|其次|第[一二三四五六七八九十]|\d{1,2}[、..](?!\d)|[((][一二三四五六七八九十\d][))])"
)


def inline_items_asked(answer: str, ordinals: tuple[int, ...]) -> list[str]:
    """The items ordinals name in the list an answer's first quoted line states inside a
    sentence ("客户资产是由价值资产、品牌资产、维系资产三个部分组成"): the first list the reader
    met. Glosses and citations are left out; [] unless the list has every item asked for."""
    quoted = [line for line in answer.splitlines() if line.lstrip().startswith("•")]
    if not ordinals or not quoted or not quoted[0].startswith("•"):
        return []  # the answer told a list item by item (indented): that list is the one
    plain = _GLOSS.sub("", CITATION_MARK.sub("", to_simplified(quoted[0].lstrip(" •")))).strip()
    if _ITEM_OPENER.match(plain):
        return []  # "一是前期溝通…": an item of a list the answer quotes
    items = inline_items(plain)
    if not items or any(o == 0 or abs(o) > len(items) for o in ordinals):
        return []
    return [items[o - 1] if o > 0 else items[o] for o in ordinals]


def glossed(answer: str, term: str) -> str | None:
    """The English name an answer gave `term` ("品牌资产 (brand equity)"), if any."""
    found = re.search(re.escape(term) + r"\s*\(([A-Za-z][^()]*)\)", to_simplified(answer))
    return found.group(1) if found else None
