"""Compose an answer from retrieved passages without a language model.

No generative model usable for Chinese ships in a PyPI package, so this is the
offline default and must read well on its own: the most relevant sentences of
the best passages, in the reader's script, each followed by the number of the
passage it comes from. Nothing is paraphrased, so nothing can be invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from knowledge.index import KnowledgeIndex
from knowledge.lexical import query_tokens, tokenize
from knowledge.models import Answer, Lang, Passage, Source
from knowledge.question import QuestionIntent, defines
from knowledge.script import to_script, to_simplified

MAX_CITED = 3
CITE_RATIO = 0.75  # a further passage is cited if its fused score is this share of the best
SENTENCES_FROM_BEST = 2
MAX_ANSWER_CHARS = 900

LEAD = {
    Lang.ZH_HANT: "根據知識庫:",
    Lang.ZH_HANS: "根据知识库:",
    Lang.EN: "Here is what our sources say (quoted from the Chinese articles):",
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


@dataclass(frozen=True, slots=True)
class Draft:
    """What a composer needs: the question, its intent, and the passages it may cite."""

    question: str
    retrieval_query: str
    lang: Lang
    intent: QuestionIntent
    passages: tuple[Passage, ...]


def not_covered(question: str, lang: Lang) -> Answer:
    return Answer(question=question, answered=False, text=NOT_COVERED[lang], lang=lang)


def cited_passages(passages: tuple[Passage, ...], wants_list: bool) -> tuple[Passage, ...]:
    """The best passage, and up to two more that are nearly as good.

    A list (outline) passage is only worth citing second when the question asks
    for a list; otherwise it adds a dozen headings that answer nothing.
    """
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

    def __init__(self, index: KnowledgeIndex) -> None:
        self._index = index

    def compose(self, draft: Draft) -> Answer:
        cited = cited_passages(draft.passages, draft.intent.wants_list)
        lines: list[str] = []
        for number, passage in enumerate(cited, start=1):
            budget = SENTENCES_FROM_BEST if number == 1 else 1
            for sentence in self._pick_sentences(draft, passage, budget):
                lines.append(f"{to_script(sentence, draft.lang)} [{number}]")
        body = "\n".join(f"• {line}" for line in lines)
        if len(body) > MAX_ANSWER_CHARS:
            body = body[: MAX_ANSWER_CHARS - 1].rsplit("\n", 1)[0]
        return Answer(
            question=draft.question,
            answered=True,
            text=f"{LEAD[draft.lang]}\n{body}",
            lang=draft.lang,
            sources=sources_of(cited),
            composer=self.name,
        )

    def _pick_sentences(self, draft: Draft, passage: Passage, budget: int) -> list[str]:
        sentences = list(passage.chunk.sentences)
        if passage.chunk.is_outline:
            picked = _nth(sentences, draft.intent.ordinal)
            return picked if picked else sentences
        scores = self._sentence_scores(draft, passage)
        if draft.intent.ordinal is not None:
            for i, sentence in enumerate(sentences):
                if _mentions_ordinal(sentence, draft.intent.ordinal):
                    scores[i] += 2.0
        if draft.intent.definition_terms:
            for i, sentence in enumerate(sentences):
                if defines(to_simplified(sentence), draft.intent.definition_terms):
                    scores[i] += 1.0
        keep = sorted(np.argsort(-scores)[:budget])  # article order reads better
        return [sentences[i] for i in keep]

    def _sentence_scores(self, draft: Draft, passage: Passage) -> np.ndarray:
        """Cosine to the question where vectors exist, plus the share of question terms."""
        sentences = passage.chunk.sentences
        q_terms = set(query_tokens(draft.retrieval_query))
        overlap = np.array(
            [len(q_terms & set(tokenize(s))) / (len(q_terms) or 1) for s in sentences],
            dtype=np.float64,
        )
        vectors = self._index.chunk_sentence_vectors(self._index.position[passage.chunk.chunk_id])
        embedder = self._index.embedder
        if vectors is None or embedder is None or len(vectors) != len(sentences):
            return overlap
        cosine = vectors @ embedder.embed_query(draft.retrieval_query)
        return np.asarray(cosine, dtype=np.float64) * 4.0 + overlap


_ZH_NUM = "一二三四五六七八九十"


def _ordinal_markers(n: int) -> list[str]:
    zh = _ZH_NUM[n - 1] if 1 <= n <= 10 else str(n)
    return [f"第{zh}", f"{zh}是", f"{zh}、", f"({zh})", f"({zh})", f"{n}、", f"{n}."]


def _mentions_ordinal(sentence: str, n: int) -> bool:
    if n < 1:
        return False
    return any(marker in sentence for marker in _ordinal_markers(n))


def _nth(items: list[str], ordinal: int | None) -> list[str]:
    if ordinal is None or not items:
        return []
    if ordinal == -1:
        return [items[-1]]
    if 1 <= ordinal <= len(items):
        return [items[ordinal - 1]]
    return []


_CITATION = re.compile(r"\[(\d+)\]")


def citation_numbers(text: str) -> set[int]:
    return {int(n) for n in _CITATION.findall(text)}
