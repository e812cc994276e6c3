"""Compose an answer from the articles' own sentences, shaped by what was asked.

No generative model usable for Chinese ships in a PyPI package, so this is the
offline default and must read well on its own. It finds the sentence that best
answers the question (across the best passages), then says the whole thought it
belongs to, read from the document model: a list with its lead-in and every item,
a step with its explanation, a definition with the sentence that completes it. A
lead-in ("…包括:") never ends an answer. Nothing is paraphrased, so nothing can be
invented; each line carries the number of the passage it is quoted from.
"""

from __future__ import annotations

import re

import numpy as np

from knowledge.answer_plan import (
    EQUATION,
    ITEM_MARKER,
    SHORT_SENTENCE,
    Draft,
    Focus,
    Line,
    Plan,
    Planner,
)
from knowledge.document import announces_items
from knowledge.english import gloss_lines
from knowledge.index import KnowledgeIndex
from knowledge.models import CITATION_MARK, Answer, Lang, Passage, Source
from knowledge.reader import Reader
from knowledge.script import to_script

MAX_CITED = 3  # the LLM composer's context: the best passage and two nearly as good
CITE_RATIO = 0.75
MAX_SOURCES = 5
MAX_ANSWER_CHARS = 1200

LEAD = {
    Lang.ZH_HANT: "根據知識庫:",
    Lang.ZH_HANS: "根据知识库:",
    Lang.EN: "From our articles (quoted in Chinese, with key terms in English):",
}
LIST_LEAD = {
    Lang.ZH_HANT: "根據知識庫,共 {n} 項:",
    Lang.ZH_HANS: "根据知识库,共 {n} 项:",
    Lang.EN: "From our articles, {n} points (quoted in Chinese, with key terms in English):",
}
LABELS = {
    "formula": {Lang.ZH_HANT: "公式:", Lang.ZH_HANS: "公式:", Lang.EN: "Formula: "},
    "example": {Lang.ZH_HANT: "例:", Lang.ZH_HANS: "例:", Lang.EN: "Example: "},
}
NOT_COVERED = {
    Lang.ZH_HANT: (
        "抱歉,知識庫沒有涵蓋這個問題,我不想憑空回答。"
        "我可以回答顧客價值理論的問題,例如:顧客感知價值、顧客讓渡價值(總價值減總成本)、"
        "狩野的三個需求層次、客戶生命週期價值、客戶資產(價值資產、品牌資產、維系資產)、"
        "二八法則、既成/潛在/影響價值,以及提升感知價值的策略。"
    ),
    Lang.ZH_HANS: (
        "抱歉,知识库没有涵盖这个问题,我不想凭空回答。"
        "我可以回答顾客价值理论的问题,例如:顾客感知价值、顾客让渡价值(总价值减总成本)、"
        "狩野的三个需求层次、客户生命周期价值、客户资产(价值资产、品牌资产、维系资产)、"
        "二八法则、既成/潜在/影响价值,以及提升感知价值的策略。"
    ),
    Lang.EN: (
        "Sorry, our knowledge base does not cover that question, and I won't guess. "
        "I can answer questions on customer value theory, for example: perceived value, "
        "delivered value (total value minus total cost), Kano's three levels of needs, "
        "customer lifetime value, customer equity (value, brand and retention equity), "
        "the 80/20 rule, realized/potential/influence value, and strategies to raise "
        "perceived value."
    ),
}
NO_FIGURE = {
    Lang.ZH_HANT: (
        "抱歉,知識庫的文章沒有給出這個數字,我不想憑空回答。"
        "文章談的是顧客價值的理論和案例;具體的金額、年份、人數或比例,請查原始資料或公司內部的數據。"
    ),
    Lang.ZH_HANS: (
        "抱歉,知识库的文章没有给出这个数字,我不想凭空回答。"
        "文章谈的是顾客价值的理论和案例;具体的金额、年份、人数或比例,请查原始资料或公司内部的数据。"
    ),
    Lang.EN: (
        "Sorry, our articles do not give that figure, and I won't guess. They cover customer "
        "value theory and its cases; for amounts, years, head counts or percentages, please "
        "check the original sources or our own data."
    ),
}
_EXAMPLE = re.compile(r"^(?:例如|比如|譬如|如|案例)")


def not_covered(question: str, lang: Lang) -> Answer:
    return Answer(question=question, answered=False, text=NOT_COVERED[lang], lang=lang)


def no_figure(question: str, lang: Lang) -> Answer:
    """The articles speak of what was asked about, but not of the figure asked for."""
    return Answer(question=question, answered=False, text=NO_FIGURE[lang], lang=lang)


def cited_passages(passages: tuple[Passage, ...], wants_list: bool) -> tuple[Passage, ...]:
    """The best passage, and up to two more that are nearly as good (the LLM's context)."""
    if not passages:
        return ()
    best = passages[0].score
    chosen = [passages[0]]
    for passage in passages[1:]:
        if len(chosen) >= MAX_CITED or passage.score < best * CITE_RATIO:
            break
        if passage.chunk.is_outline and not wants_list:
            continue
        chosen.append(passage)
    return tuple(chosen)


def sources_of(passages: tuple[Passage, ...]) -> tuple[Source, ...]:
    return tuple(
        Source(
            doc=p.chunk.doc_id,
            title=p.chunk.title,
            section=p.chunk.section,
            text=p.chunk.text,
            score=p.score,
        )
        for p in passages
    )


class ExtractiveComposer:
    name = "extractive"

    def __init__(self, index: KnowledgeIndex, reader: Reader) -> None:
        self._index = index
        self._reader = reader
        self._planner = Planner(index, reader)

    def compose(self, draft: Draft) -> Answer:
        return self._render(draft, self._planner.plan(draft))

    def focus_of(self, draft: Draft) -> Focus | None:
        """The list the answer to `draft` tells, if any (for the follow-up after it)."""
        return self._planner.focus_of(draft)

    def sentence_scores(self, draft: Draft) -> np.ndarray:
        """The rules' score of every sentence for `draft` (a part of a two-part question)."""
        return self._planner.scores(draft)

    # -- how it reads ----------------------------------------------------------------------

    def _joined_short(self, lines: list[Line]) -> list[Line]:
        """ "1、消費收入。" alone is a label: it shares a line with the sentence after it."""
        out: list[Line] = []
        for line in lines:
            last = out[-1] if out else None
            if (
                last is not None
                and len(last.text) < SHORT_SENTENCE
                and not announces_items(last.text)
                and not last.indent  # list items keep a line each
                and not line.indent
                and self._reader.chunk_of[last.ref] == self._reader.chunk_of[line.ref]
                and line.label is None
            ):
                out[-1] = Line(last.ref, last.text + line.text, last.indent, last.label)
                continue
            out.append(line)
        return out

    def _render(self, draft: Draft, plan: Plan) -> Answer:
        lang = draft.lang
        numbers: dict[int, int] = {}
        cited: list[int] = []
        body: list[str] = []
        size = 0
        lines = self._joined_short(_no_dangling_lead(plan.lines))
        for line in lines:
            chunk = self._reader.chunk_of[line.ref]
            if chunk not in numbers:
                if len(cited) >= MAX_SOURCES:
                    continue
                cited.append(chunk)
                numbers[chunk] = len(cited)
            text = to_script(ITEM_MARKER.sub("", line.text), lang)
            label = _label(line.text, lang)
            side = f"{_capitalized(to_script(line.label, lang))} — " if line.label else ""
            rendered = f"{'  ' if line.indent else ''}• {side}{label}{text} [{numbers[chunk]}]"
            if size + len(rendered) > MAX_ANSWER_CHARS and body:
                break
            body.append(rendered)
            size += len(rendered)
        lead = LIST_LEAD[lang].format(n=plan.count) if plan.count else LEAD[lang]
        if lang is Lang.EN:
            body = gloss_lines(body)
        passages = tuple(
            Passage(chunk=self._index.chunks[c], score=_score_of(draft, c, self._index))
            for c in cited
        )
        return Answer(
            question=draft.question,
            answered=True,
            text="\n".join([lead, *body]),
            lang=lang,
            sources=sources_of(passages),
            composer=self.name,
        )


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _label(text: str, lang: Lang) -> str:
    if EQUATION.search(text) or "公式" in text:
        return LABELS["formula"][lang]
    if lang is Lang.EN and _EXAMPLE.search(text):
        return LABELS["example"][lang]
    return ""


def _no_dangling_lead(lines: list[Line]) -> list[Line]:
    """A lead-in with nothing after it says nothing: drop it rather than end on it."""
    out = list(lines)
    while out and announces_items(out[-1].text) and len(out) > 1:
        out.pop()
    return out


def _score_of(draft: Draft, chunk_idx: int, index: KnowledgeIndex) -> float:
    chunk_id = index.chunks[chunk_idx].chunk_id
    return next((p.score for p in draft.passages if p.chunk.chunk_id == chunk_id), 0.0)


def citation_numbers(text: str) -> set[int]:
    return {int(n) for n in CITATION_MARK.findall(text)}
