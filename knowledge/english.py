"""English readers read the articles' Chinese with the theory's terms named in English.

No offline model translates Chinese well enough to quote, so an English answer keeps
the quoted sentences and glosses every theory term the glossary knows: 價值資產
(value equity). A gloss goes right after the term where that does not split a word
(before punctuation or at the end of the sentence); otherwise it goes on a line of its
own under the quote, so the quoted wording stays exactly the article's.
"""

from __future__ import annotations

import re

from knowledge.glossary import gloss_pairs
from knowledge.script import to_simplified

_ALREADY_ENGLISH = re.compile(r"\s*[((]\s*[A-Za-z]{2}")
_BOUNDARY = re.compile(r"[\s,。、;:!?,.;:!?()()「」“”\"'\[\]]")


def gloss_lines(lines: list[str]) -> list[str]:
    """Each term glossed once per answer, at its first use."""
    done: set[str] = set()
    out: list[str] = []
    for line in lines:
        glossed, leftover = _gloss(line, done)
        out.append(glossed)
        if leftover:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}  ({'; '.join(f'{zh}: {en}' for zh, en in leftover)})")
    return out


def _gloss(line: str, done: set[str]) -> tuple[str, list[tuple[str, str]]]:
    simplified = to_simplified(line)  # one character per character: positions carry over
    inserts: list[tuple[int, str]] = []
    leftover: list[tuple[str, str]] = []
    for zh, en in gloss_pairs(simplified):
        if en in done:
            continue
        done.add(en)
        at = simplified.find(zh)
        end = at + len(zh)
        original = line[at:end]
        if _ALREADY_ENGLISH.match(line, end):
            continue  # "顧客感知價值(Customer Perceived Value,CPV)": the article names it
        if end >= len(line) or _BOUNDARY.match(line[end]):
            inserts.append((end, f" ({en})"))
        else:
            leftover.append((original, en))
    for end, text in sorted(inserts, reverse=True):
        line = line[:end] + text + line[end:]
    return line, leftover
