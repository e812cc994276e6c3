"""Case questions: "which company did this?", from the corpus's business cases.

Company names are read from the text's own structure, not from a list kept by hand: the
items of a "案例" outline, "X公司", "以X为代表", "「X」公司/领带/香烟", "案例:X的…" and
"例如X通过…". A case is a sentence in
which such a name is the subject; the question shows the sentence with the name blanked,
and the wrong options are the other companies of the corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.models import Chunk
from knowledge.quiz.entry import BankEntry, list_items, seeded
from knowledge.quiz.generate.common import entry, mask, passages, sentences, short_id
from knowledge.quiz.validate import fold
from knowledge.script import to_simplified

_NAME = r"[\u4e00-\u9fff]{2,5}?"
_LEFT = r"(?:^|(?<=[,。:;“「—\s的如])|(?<=例如)|(?<=比如)|(?<=著名的))"
_NAME_PATTERNS = (
    re.compile(rf"{_LEFT}(?P<n>{_NAME})公司"),
    re.compile(rf"以(?P<n>{_NAME})为代表"),
    re.compile(rf"「(?P<n>{_NAME})」(?:公司|领带|香烟)"),
    re.compile(rf"案例[一二三四五六七八九十]*[::—-]+(?P<n>{_NAME})(?:的|成功)"),
    re.compile(rf"(?:例如|比如|如)(?!果)[,]?(?P<n>[A-Za-z]{{3,}}|{_NAME})(?:通过|依靠)"),
)
# Pronouns, quantifiers and generic nouns ("企业", "汽车制造商") are not company names.
_NOT_NAMES = re.compile(
    r"^(?:该|本|其|这|小|大|一|每|各|某|很|国内|美国|全球)|企业|公司|员工|制造商|商家|跨国|必须"
)
_SUBJECT = r"(?:^|(?<=[,。:;如])|(?<=例如国内以)|(?<=著名的))"
MIN_CASE, MAX_CASE = 18, 110
PER_COMPANY = 2


@dataclass(frozen=True, slots=True)
class Case:
    company: str
    sentence: str  # Simplified, as in the passage
    passage: Chunk


def company_names(chunks: list[Chunk]) -> list[str]:
    names: set[str] = set()
    for chunk in chunks:
        if chunk.is_outline and "案例" in list_items(chunk)[0]:
            names.update(item for item in list_items(chunk)[1] if 2 <= len(item) <= 5)
            continue
        text = to_simplified(chunk.text)
        for pattern in _NAME_PATTERNS:
            names.update(m["n"] for m in pattern.finditer(text) if not _NOT_NAMES.search(m["n"]))
    return sorted(names)


def find_cases(chunks: list[Chunk], names: list[str]) -> list[Case]:
    cases: list[Case] = []
    count: dict[str, int] = {}
    for chunk in passages(chunks):
        for sentence in sentences(chunk):
            if not MIN_CASE <= len(sentence) <= MAX_CASE:
                continue
            for name in names:
                if count.get(name, 0) >= PER_COMPANY:
                    continue
                if re.search(rf"{_SUBJECT}[「“]?{re.escape(name)}", sentence):
                    cases.append(Case(name, sentence, chunk))
                    count[name] = count.get(name, 0) + 1
                    break
    return cases


def case_entries(chunks: list[Chunk]) -> list[BankEntry]:
    names = company_names(chunks)
    entries = []
    for n, case in enumerate(find_cases(chunks, names)):
        others = [x for x in names if x not in case.sentence and case.company not in x]
        if len(others) < 3:
            continue
        text = fold(case.passage.text)
        at_name = text.find(fold(case.sentence))
        start = case.sentence.find(case.company) + len(case.company)
        cue = case.sentence[start : start + 30]
        at_cue = text.find(fold(cue), at_name)
        if at_name < 0 or at_cue < 0:
            continue
        entries.append(
            entry(
                id=f"case-{short_id(case.passage)}-{n + 1}",
                topic="cases",
                difficulty=2,
                passage=case.passage,
                cue=cue,
                question=f"文中哪家企业的案例是:「{mask(case.sentence, case.company)}」?",
                answer=case.company,
                distractors=seeded(case.sentence).sample(others, 3),
                explanation=case.sentence,
                window=at_cue - text.rfind(fold(case.company), 0, at_cue),
                window_after=0,
            )
        )
    return entries
