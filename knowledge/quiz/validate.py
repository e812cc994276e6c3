"""`cvm quiz check`: reject questions a trainer should not put in front of staff.

Checks, per rendered question: Telegram's quiz-poll limits; two to ten options; no
duplicate options (compared in Simplified, without punctuation); a valid answer index;
a cited passage that exists in the index; and, for the Chinese versions, that the
passage supports the correct option next to the question's cue while supporting no
other option there (otherwise the question is ambiguous).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jieba

from knowledge.quiz.entry import BankEntry, list_items, render
from knowledge.quiz.models import QuizQuestion
from knowledge.script import to_simplified

MAX_QUESTION = 300  # Telegram sendPoll limits
MAX_OPTION = 100
MAX_EXPLANATION = 200
MIN_OPTIONS, MAX_OPTIONS = 2, 10
WINDOW = 30  # characters either side of the cue that count as "next to" it
_PUNCT = re.compile(r"[\s,。、;:!?()()「」“”\"'‘’.,;:!?—…·]")
_SYMBOLS = re.compile(r"[0-9+\-×=/*%<>]")


@dataclass(frozen=True, slots=True)
class Problem:
    question_id: str
    message: str


def fold(text: str) -> str:
    return _PUNCT.sub("", to_simplified(text)).lower()


def supported(option: str, region: str) -> bool:
    """The option is in the region word for word, or (a longer option) all its words are."""
    folded = fold(option)
    if folded and folded in region:
        return True
    if _SYMBOLS.search(folded):  # formulas and figures must match exactly
        return False
    words = [fold(w) for w in jieba.lcut(to_simplified(option)) if len(w) >= 2]
    if len(folded) <= 8 or len(words) < 2:
        return False
    position = 0
    for word in words:  # every word, in the option's order
        position = region.find(word, position)
        if position < 0:
            return False
        position += len(word)
    return True


def check_entry(entry: BankEntry) -> list[Problem]:
    problems: list[Problem] = []
    if entry.passage is None:
        return [Problem(entry.id, "its source quote is not in any indexed passage of that article")]
    if "zh" not in entry.variants:
        problems.append(Problem(entry.id, "has no Chinese version"))
    try:
        questions = render(entry)
    except (KeyError, TypeError, ValueError) as exc:
        return [Problem(entry.id, f"malformed entry ({exc})")]
    for question in questions:
        problems += check_limits(question)
    en = entry.variants.get("en")
    zh = entry.variants.get("zh")
    if (
        en
        and zh
        and (int(en["correct"]) != int(zh["correct"]) or len(en["options"]) != len(zh["options"]))
    ):
        problems.append(Problem(entry.id, "English and Chinese versions disagree on the options"))
    if zh and not problems:
        problems += check_support(entry, [str(o) for o in zh["options"]], int(zh["correct"]))
    return problems


def check_limits(q: QuizQuestion) -> list[Problem]:
    problems = []
    if not q.question.strip() or len(q.question) > MAX_QUESTION:
        problems.append(Problem(q.id, f"question must be 1–{MAX_QUESTION} characters"))
    if not MIN_OPTIONS <= len(q.options) <= MAX_OPTIONS:
        problems.append(Problem(q.id, f"needs {MIN_OPTIONS}–{MAX_OPTIONS} options"))
    for option in q.options:
        if not option.strip() or len(option) > MAX_OPTION:
            problems.append(
                Problem(q.id, f"option empty or over {MAX_OPTION} characters: {option[:30]}")
            )
    folded = [fold(o) for o in q.options]
    if len(set(folded)) != len(folded):
        problems.append(Problem(q.id, "duplicate options"))
    if not 0 <= q.correct < len(q.options):
        problems.append(Problem(q.id, "the answer index is out of range"))
    if len(q.explanation) > MAX_EXPLANATION:
        problems.append(Problem(q.id, f"explanation over {MAX_EXPLANATION} characters"))
    return problems


def check_support(entry: BankEntry, options: list[str], correct: int) -> list[Problem]:
    assert entry.passage is not None
    if entry.passage.is_outline:  # generated list question: the list itself is the region
        _, items = list_items(entry.passage)
        region = "|".join(fold(i) for i in items)
    else:
        text = fold(entry.passage.text)
        cue = fold(entry.cue)
        at = text.find(cue) if cue else -1
        if at < 0:
            return [Problem(entry.id, "its cue is not in the cited passage")]
        before = WINDOW if entry.window is None else entry.window
        after = before if entry.window_after is None else entry.window_after
        region = text[max(0, at - before) : at + len(cue) + after]
    problems = []
    if not supported(options[correct], region):
        problems.append(
            Problem(entry.id, f"the passage does not support the answer: {options[correct]}")
        )
    for n, option in enumerate(options):
        if n != correct and supported(option, region):
            problems.append(Problem(entry.id, f"ambiguous: the passage also supports {option}"))
    return problems


def check_all(entries: list[BankEntry]) -> list[Problem]:
    problems = [p for entry in entries for p in check_entry(entry)]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            problems.append(Problem(entry.id, "duplicate id"))
        seen.add(entry.id)
    return problems


def valid_questions(entries: list[BankEntry]) -> list[QuizQuestion]:
    """Only what passes every check reaches users; the rest is `cvm quiz check`'s report."""
    bad = {p.question_id.split(".")[0] for p in check_all(entries)}
    return [q for entry in entries if entry.id not in bad for q in render(entry)]
