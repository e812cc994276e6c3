"""Which of the articles' sentences answer a question, read from the document model.

The planner finds the sentence that best answers the question (its vector, its words
and its section's heading, the passage ranking, the article or case the question
names), then takes the whole thought it belongs to: a list with its lead-in and every
item, the steps of a method, a definition with what completes it and its formula, an
example with its figure, each side of a comparison, the item a follow-up points at.
How the chosen sentences read is answer.py's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from knowledge.document import Document, Enumeration, Item, announces_items, inline_items
from knowledge.glossary import bridge
from knowledge.index import KnowledgeIndex
from knowledge.lexical import query_tokens, tokenize
from knowledge.models import Lang, Passage
from knowledge.question import QuestionIntent, defines
from knowledge.reader import Reader
from knowledge.script import to_simplified

MAX_ITEM_CHARS = 160
LIST_CHARS = 900  # what a list answer may spend on its items together
PASSAGE_PRIOR = 0.5  # how much the passage ranking adds to a sentence's own score
SUPPORT_MARGIN = 0.35  # a second thought joins the answer when it scores nearly as well
COUNT_MARGIN = 0.6  # "哪三個": a list of three may outrank a slightly better sentence
FORMULA_MARGIN = 1.0  # how much less than the answer a formula of its article may score
OPENING_SENTENCES = 2  # a section's first sentences introduce what it lists
ARTICLE_PREFERENCE = 0.5  # the question names the article it asks about
CONTEXT_PREFERENCE = 0.5  # a follow-up is about what the last answer said
SHORT_SENTENCE = 24  # "三是后期分析。" says too little alone: its explanation follows
# A thought is rounded out with the rest of its paragraph while the answer stays within
# this many characters. Chosen on the labelled train split by bench/tune_thought.py: the
# smallest budget within 1% of the best (0: 130 of 244 rows, 250: 148, 300: 149, 450: 151).
THOUGHT_CHARS = 300
_OPEN_END = re.compile(r"[;;::,,、][」』”\"]?$")  # "…主要有:擔心…;" goes on
_CONNECTIVE_BACK = re.compile(
    r"^(?:因此|所以|这|该|其|此|它|他们|但|而|同时|另外|此外|并且|换句话说)"
)
_CONNECTIVE_ON = re.compile(r"^(?:即|也就是|例如|比如|如|因此|所以|这|其中|换句话说|具体|包括)")
_CLASSIFIES = re.compile(r"分为|分成|划分|几类|类型|种类|可分")
_DEFINING = re.compile(r"是指|指的是|就是|即|定义为|称为|认为|指")
EQUATION = re.compile(r"[A-Za-z]\w{0,3}\s*(?:\([^)]{1,20}\))?\s*=")
_NAMES_ARTICLE = re.compile(r"\barticle\b|\bpaper\b|文章|那篇|这篇|论文|一文", re.I)
_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万]+(?:年|位|倍|磅|英里|美元|家|个百分点)")
ITEM_MARKER = re.compile(r"^\s*[-•·]\s*")
_KIND_CUES: dict[str, re.Pattern[str]] = {
    "why": re.compile(r"因为|因此|所以|由于|原因|在于|关键|导致|进而|引起|源于|来源于|来自"),
    "case": re.compile(r"例如|比如|如|案例|公司|企业"),
    "number": _NUMBER,
    "how": re.compile(r"通过|要|应|必须|首先|方法|策略|措施"),
}


@dataclass(frozen=True, slots=True)
class Focus:
    """The list an answer told, so "那第二個呢?" can be answered from it."""

    doc_id: str
    enumeration: int


@dataclass(frozen=True, slots=True)
class Draft:
    """What a composer needs: the question, its intent, and the passages it may cite."""

    question: str
    retrieval_query: str
    lang: Lang
    intent: QuestionIntent
    passages: tuple[Passage, ...]
    focus: Focus | None = None  # the list the previous answer told, for a follow-up
    context: str = ""  # the previous answer, when this question points back at it
    # The ranker's log-odds, per sentence of the reader, that it holds the answer.
    scores: np.ndarray | None = field(default=None, compare=False)
    # The same for each part of a two-part question, each answered on its own line.
    part_scores: tuple[np.ndarray, ...] = field(default=(), compare=False)


@dataclass
class Line:
    ref: int
    text: str  # in the article's script; rendered in the reader's
    indent: bool = False
    label: str | None = None


@dataclass
class Plan:
    lines: list[Line] = field(default_factory=list)
    focus: Focus | None = None
    count: int | None = None  # items in a told list

    def has(self, ref: int) -> bool:
        return any(line.ref == ref for line in self.lines)


class Planner:
    def __init__(self, index: KnowledgeIndex, reader: Reader) -> None:
        self._index = index
        self._reader = reader

    def plan(self, draft: Draft) -> Plan:
        intent = draft.intent
        if draft.focus is not None and intent.ordinal is not None:
            told = self._items_plan(draft.focus, intent.ordinals or (intent.ordinal,))
            if told is not None:
                return told
        if intent.kind == "classify":
            classified = self._classify_plan(draft)
            if classified is not None:
                return classified
        if intent.kind == "comparison" and len(intent.sides) == 2:
            compared = self._comparison_plan(draft)
            if compared is not None:
                return compared
        scores = draft.scores if draft.scores is not None else self._scores(draft)
        anchor = int(np.argmax(self._on_the_case(draft.intent, scores)))
        if intent.count:
            subjects = {
                t for t in query_tokens(draft.retrieval_query) if self._reader.distinctive(t)
            }
            anchor = self._matching_count(scores, anchor, intent.count, subjects)
        plan = self._expand(draft, anchor, scores)
        if intent.ordinal is not None and draft.focus is None and not draft.context:
            told = self._nth_of(plan, intent.ordinals or (intent.ordinal,))
            if told is not None:
                return told
        for part in draft.part_scores:  # "投了多少?破產時負債多少?": every part is answered
            ref = int(np.argmax(part))
            if not plan.has(ref):
                doc, index = self._locate(ref)
                self._add_thought(plan, doc, index, intent.kind)
        return plan

    # -- scoring -------------------------------------------------------------------------

    def scores(self, draft: Draft) -> np.ndarray:
        return self._scores(draft)

    def _scores(self, draft: Draft) -> np.ndarray:
        reader = self._reader
        # A follow-up found its passages with the last question's words; its sentence is the
        # one that answers its own words, near what was just said (_lean_on_context).
        query = draft.question if draft.context else draft.retrieval_query
        terms = set(query_tokens(query))
        named_doc = named_article(query, terms, self._reader.documents)
        # "the customer-equity article" names where to look, not what is asked.
        title = set(tokenize(self._reader.documents[named_doc].title)) if named_doc else set()
        terms -= title
        vector = self._query_vector(query, draft.lang, title)
        # Passages were ranked for the retrieval query; a follow-up's sentences are scored on
        # its own words, so the passages' closeness does not carry over to them.
        passage_cosine = (
            {}
            if draft.context
            else {self._index.position[p.chunk.chunk_id]: p.dense for p in draft.passages}
        )
        scores = reader.scores(vector, terms, passage_cosine)
        prior = np.zeros_like(scores)
        fused = [p.score for p in draft.passages]
        low, high = (min(fused), max(fused)) if fused else (0.0, 0.0)
        for passage in draft.passages:
            chunk_idx = self._index.position[passage.chunk.chunk_id]
            weight = (passage.score - low) / (high - low) if high > low else 1.0
            for ref in reader.chunk_refs.get(chunk_idx, []):
                prior[ref] = max(prior[ref], PASSAGE_PRIOR * (0.25 + 0.75 * weight))
        scores = np.asarray(scores + prior, dtype=np.float64)
        cue = _KIND_CUES.get(draft.intent.kind)
        # The question's subject: terms few sentences use. A sentence defining one of them
        # ("性價比:是指…") answers "怎麼算/是什麼/算哪一種" alike.
        subjects = tuple(t for t in terms if reader.distinctive(t) and len(t) >= 2)
        parts = {t for term in draft.intent.definition_terms for t in tokenize(term) if t != term}
        for ref in range(len(scores)):
            text = reader.simplified(ref)
            if cue is not None and cue.search(text):
                scores[ref] += 0.15
            if draft.intent.definition_terms and defines(text, draft.intent.definition_terms):
                scores[ref] += 0.6
            elif parts and all(p in text for p in parts) and _DEFINING.search(text):
                scores[ref] += 0.5  # "提出了「顧客價值讓渡」…顧客價值指…": the term, reworded
            elif subjects and defines(text, subjects):
                scores[ref] += 0.3
            if named_doc is not None and reader.refs[ref].doc_id == named_doc:
                scores[ref] += ARTICLE_PREFERENCE
        if draft.context:
            self._lean_on_context(scores, draft.context)
        return scores

    def _query_vector(self, query: str, lang: Lang, title: set[str]) -> np.ndarray | None:
        embedder = self._index.embedder
        if embedder is None:
            return None
        vector = embedder.embed_query(query)
        if lang is Lang.EN:
            # The articles are Chinese: the question's own terms in Chinese carry further
            # than the English sentence does in a small multilingual model.
            bridged = " ".join(zh for zh in bridge(query) if not set(tokenize(zh)) <= title)
            if bridged:
                vector = vector + embedder.embed_query(bridged)
                vector = vector / (np.linalg.norm(vector) or 1.0)
        return np.asarray(vector, dtype=np.float32)

    def _classify_plan(self, draft: Draft) -> Plan | None:
        """ "…算哪一種?": the item, of a list the question names, that fits the description
        best, said after the list's lead-in so the reader sees the classification."""
        # The items are told apart by meaning first ("身分地位感" is 社會價值's "身份象徵"),
        # the words they share with the question ("帶來", "品牌") at half weight.
        vector = self._query_vector(draft.retrieval_query, draft.lang, set())
        if vector is None:
            return None
        terms = {t for t in query_tokens(draft.retrieval_query) if len(t) >= 2}
        scores = self._reader.scores(vector, set()) + 0.5 * self._reader.scores(None, terms)
        best: tuple[float, Document, int, int] | None = None
        for doc in self._reader.documents.values():
            for number, enumeration in enumerate(doc.enumerations):
                if enumeration.kind == "headings" or enumeration.lead is None:
                    continue
                lead_text = doc.sentences[enumeration.lead].simplified
                if not _CLASSIFIES.search(lead_text) or not terms & set(tokenize(lead_text)):
                    continue  # not a classification, or not the one the question names
                for item in enumeration.items:
                    ref = self._reader.ref_id(doc.doc_id, item.sentences[0])
                    if ref is not None and (best is None or scores[ref] > best[0]):
                        best = (float(scores[ref]), doc, number, item.sentences[0])
        if best is None:
            return None
        _, doc, number, index = best
        plan = Plan(focus=Focus(doc.doc_id, number))
        lead = doc.enumerations[number].lead
        assert lead is not None
        self._add(plan, doc, lead)
        self._add(plan, doc, index)
        plan.lines[-1].indent = True
        return plan

    def _comparison_plan(self, draft: Draft) -> Plan | None:
        """ "價值資產和品牌資產有什麼區別?": what the articles say of each side, side by side."""
        plan = Plan()
        for side in draft.intent.sides:
            zh = bridge(side) if draft.lang is Lang.EN else [side]
            if not zh:
                return None
            terms = {t for z in zh for t in tokenize(z)}
            vector = self._query_vector(" ".join(zh), Lang.ZH_HANS, set())
            scores = self._reader.scores(vector, terms)
            for ref in range(len(scores)):
                text = self._reader.simplified(ref)
                if not any(z in text for z in zh):
                    scores[ref] = -np.inf  # a side is answered only where it is named
                elif defines(text, tuple(zh)):
                    scores[ref] += 0.6
            if not np.isfinite(scores.max()):
                return None
            doc, index = self._locate(int(np.argmax(scores)))
            start = len(plan.lines)
            self._add_thought(plan, doc, index, "definition")
            if len(plan.lines) > start:
                plan.lines[start].label = side
        return plan

    def _on_the_case(self, intent: QuestionIntent, scores: np.ndarray) -> np.ndarray:
        """ "华为如何创造客户价值?" is answered by what 华为 did, where the articles tell it,
        not by the general rule that scores a little higher."""
        if intent.kind != "case" or not intent.cases:
            return scores
        names = [
            ref
            for ref in range(len(scores))
            if any(c in self._reader.simplified(ref) for c in intent.cases)
        ]
        if not names:
            return scores
        masked = np.full_like(scores, -np.inf)
        masked[names] = scores[names]
        return masked

    def _lean_on_context(self, scores: np.ndarray, context: str) -> None:
        """ "那這幾個變了會怎樣?": the answer is near what was just said, so the paragraphs
        the previous answer quoted come first."""
        said = to_simplified(context)
        near: set[int] = set()
        for ref in range(len(scores)):
            if self._reader.simplified(ref) in said:
                doc, index = self._locate(ref)
                near.update(
                    r
                    for i in doc.paragraph_of(index)
                    if (r := self._reader.ref_id(doc.doc_id, i)) is not None
                )
        for ref in near:
            scores[ref] += CONTEXT_PREFERENCE

    def _matching_count(
        self, scores: np.ndarray, anchor: int, count: int, subjects: set[str]
    ) -> int:
        """ "哪三個": among the best sentences, prefer one whose list has that many items,
        and of those, a list that is about the question's subject ("品牌資產有三個驅動要素:…")
        over one that merely has it among its items ("由價值資產、品牌資產、維系資產組成")."""
        best = float(scores[anchor])
        chosen, chosen_score = anchor, -np.inf
        for ref in np.argsort(-scores)[:12]:
            if float(scores[ref]) < best - COUNT_MARGIN:
                break
            doc, index = self._locate(int(ref))
            found = doc.enumeration_of(index)
            text = doc.sentences[index].simplified
            items = inline_items(text)
            if found is not None and len(found[0].items) == count:
                intro = doc.sentences[found[0].lead].simplified if found[0].lead is not None else ""
            elif len(items) == count:
                intro = text.split(items[0])[0]
            else:
                continue
            about = sum(term in intro for term in subjects)
            score = float(scores[ref]) + COUNT_MARGIN * about / (len(subjects) or 1)
            if score > chosen_score:
                chosen, chosen_score = int(ref), score
        return chosen

    # -- what to say ---------------------------------------------------------------------

    def _expand(self, draft: Draft, anchor: int, scores: np.ndarray) -> Plan:
        doc, index = self._locate(anchor)
        intent = draft.intent
        found = doc.enumeration_of(index)
        sentence = doc.sentences[index]
        if sentence.paragraph < 0 and (found is None or found[1] >= 0):
            if found is not None and intent.wants_list and not self._names_item(draft, *found):
                # "有哪些基本策略?" met one of the strategies' headings: tell them all.
                return self._list_plan(doc, found[0], self._enumeration_number(doc, found[0]))
            # A section heading answers best with what the section says under it.
            told = self._section_plan(doc, sentence.section, intent)
            if told is not None:
                return told
        plan = Plan()
        if found is not None:
            enumeration, item = found
            listy = intent.wants_list or intent.kind in ("list", "how", "why", "other")
            if item >= 0 and self._names_item(draft, enumeration, item):
                self._add_item(plan, doc, enumeration.items[item].sentences)
            elif item == -1 or listy:
                return self._list_plan(doc, enumeration, self._enumeration_number(doc, enumeration))
            else:
                self._add_item(plan, doc, enumeration.items[item].sentences)
        else:
            opening = doc.section_sentences(sentence.section)[:OPENING_SENTENCES]
            introduces = index in opening and not inline_items(sentence.simplified)
            below = doc.list_under(sentence.section) if intent.wants_list and introduces else None
            if below is not None:  # "有哪些策略?" met the section's introduction
                return self._list_plan(doc, doc.enumerations[below], below)
            self._add_thought(plan, doc, index, intent.kind)
        self._add_support(plan, draft, anchor, scores)
        if intent.kind in ("definition", "number"):
            self._add_formula(plan, anchor, scores)
        return plan

    def _add_formula(self, plan: Plan, anchor: int, scores: np.ndarray) -> None:
        """A definition with a formula states it: "Vc = Rc - Cc" after "顧客價值指…差額"."""
        if any(EQUATION.search(line.text) for line in plan.lines):
            return
        said = {self._reader.refs[line.ref].doc_id for line in plan.lines}
        best = float(scores[anchor])
        for ref in np.argsort(-scores):
            if float(scores[ref]) < best - FORMULA_MARGIN:
                return
            doc, index = self._locate(int(ref))
            if doc.doc_id in said and EQUATION.search(doc.sentences[index].text):
                self._add(plan, doc, index)
                return

    def _section_plan(
        self, doc: Document, section: tuple[str, ...], intent: QuestionIntent
    ) -> Plan | None:
        body = doc.section_sentences(section)
        if not body:
            return None
        for index in body:
            found = doc.enumeration_of(index)
            if found is not None and (intent.wants_list or intent.kind != "definition"):
                enumeration = found[0]
                return self._list_plan(doc, enumeration, self._enumeration_number(doc, enumeration))
        plan = Plan()
        self._add(plan, doc, doc.paragraph_of(body[0])[0])
        self._add_thought(plan, doc, body[0], intent.kind)
        return plan

    def _names_item(self, draft: Draft, enumeration: Enumeration, item: int) -> bool:
        """The question names one item ("核心運作主要管哪幾塊"): it asks inside that item."""
        terms = {t for t in query_tokens(draft.retrieval_query) if self._reader.distinctive(t)}
        labels = [set(tokenize(it.label)) for it in enumeration.items]
        mine = terms & labels[item]
        return bool(mine) and not any(mine & other for n, other in enumerate(labels) if n != item)

    def _add_thought(self, plan: Plan, doc: Document, index: int, kind: str) -> None:
        """The anchor sentence with what completes it, rounded out from its paragraph."""
        self._add_completed(plan, doc, index, kind)
        self._round_out(plan, doc, index)

    def _round_out(self, plan: Plan, doc: Document, index: int) -> None:
        """A sentence that ends in ";" or ":" has not ended ("自帶一雙鞋套…;自帶一塊抹布…;
        自帶一瓶水…。"): it is read on to its full stop. Then the paragraph's other sentences
        join, after and then before, while the answer stays within THOUGHT_CHARS: on
        questions nobody tuned on, the key fact was often the next sentence of the right
        paragraph, which the answer had stopped just short of."""
        paragraph = doc.sentences[index].paragraph
        if paragraph < 0:
            return
        sentences = doc.paragraph_of(index)
        told = [
            where.index
            for line in plan.lines
            if (where := self._reader.refs[line.ref]).doc_id == doc.doc_id
            and where.index in sentences
        ] or [index]
        last = sentences.index(max(told))
        while last + 1 < len(sentences) and _OPEN_END.search(doc.sentences[sentences[last]].text):
            last += 1
            self._add(plan, doc, sentences[last])
        total = sum(len(line.text) for line in plan.lines)
        while last + 1 < len(sentences):
            length = len(doc.sentences[sentences[last + 1]].text)
            if total + length > THOUGHT_CHARS:
                break
            last += 1
            self._add(plan, doc, sentences[last])
            total += length
        first = sentences.index(min(told))
        opening = self._ref(doc, sentences[first])
        at = next((n for n, line in enumerate(plan.lines) if line.ref == opening), None)
        while at is not None and first > 0:
            length = len(doc.sentences[sentences[first - 1]].text)
            if total + length > THOUGHT_CHARS:
                break
            first -= 1
            ref = self._ref(doc, sentences[first])
            if ref is not None and not plan.has(ref):
                plan.lines.insert(at, Line(ref, doc.sentences[sentences[first]].text))
                total += length

    def _ref(self, doc: Document, index: int) -> int | None:
        return self._reader.ref_id(doc.doc_id, index)

    def _add_completed(self, plan: Plan, doc: Document, index: int, kind: str) -> None:
        """The anchor sentence, with what it leans on before and what completes it after."""
        paragraph = doc.paragraph_of(index)
        pos = paragraph.index(index)
        text = doc.sentences[index].simplified
        if kind == "case" and 0 < pos <= 2:
            for before in paragraph[:pos]:  # a case is told from where its paragraph starts
                self._add(plan, doc, before)
        elif pos > 0 and _CONNECTIVE_BACK.match(text):
            self._add(plan, doc, paragraph[pos - 1])
        self._add(plan, doc, index)
        following = _following(doc, index)
        if announces_items(doc.sentences[index].text):
            for nxt in following[:3]:
                self._add(plan, doc, nxt)
            return
        if following and (
            len(text) < SHORT_SENTENCE * 2
            or kind in ("definition", "why", "how", "case", "number")
            or _CONNECTIVE_ON.match(doc.sentences[following[0]].simplified)
        ):
            nxt = following[0]
            if doc.sentences[nxt].paragraph == doc.sentences[index].paragraph:
                self._add(plan, doc, nxt)
                if announces_items(doc.sentences[nxt].text):
                    for more in following[1:4]:
                        self._add(plan, doc, more)
                # "例如,…": the example that completes the thought comes with it.
                for more in following[1:3]:
                    if not _CONNECTIVE_ON.match(doc.sentences[more].simplified):
                        break
                    self._add(plan, doc, more)
        if kind == "number" and not any(_NUMBER.search(line.text) for line in plan.lines):
            # "有多重?": read on to the figure, a sentence or two further at most.
            for more in following[1:3]:
                self._add(plan, doc, more)
                if _NUMBER.search(doc.sentences[more].text):
                    break

    def _add_item(self, plan: Plan, doc: Document, sentences: tuple[int, ...]) -> None:
        for n, index in enumerate(sentences[:3]):
            if n and sum(len(line.text) for line in plan.lines) > MAX_ITEM_CHARS * 2:
                break
            self._add(plan, doc, index)

    def _add_support(self, plan: Plan, draft: Draft, anchor: int, scores: np.ndarray) -> None:
        """A second thought from elsewhere, when it answers nearly as well as the first."""
        anchor_doc, anchor_index = self._locate(anchor)
        paragraph = anchor_doc.sentences[anchor_index].paragraph
        best = float(scores[anchor])
        for ref in np.argsort(-scores)[1:6]:
            ref = int(ref)
            if float(scores[ref]) < best - SUPPORT_MARGIN:
                return
            doc, index = self._locate(ref)
            if plan.has(ref) or (doc is anchor_doc and doc.sentences[index].paragraph == paragraph):
                continue
            if doc.sentences[index].paragraph < 0:
                continue
            self._add_thought(plan, doc, index, draft.intent.kind)
            return

    def _list_plan(self, doc: Document, enumeration: Enumeration, number: int) -> Plan:
        plan = Plan(focus=Focus(doc.doc_id, number), count=len(enumeration.items))
        if enumeration.lead is not None:
            lead = self._reader.ref_id(doc.doc_id, enumeration.lead)
            if lead is not None:
                plan.lines.append(Line(lead, doc.sentences[enumeration.lead].text))
        with_body = enumeration.kind != "headings" or len(enumeration.items) <= 6
        # Few items, more of each: a two-item list says what each item means.
        budget = max(MAX_ITEM_CHARS, LIST_CHARS // len(enumeration.items))
        for item in enumeration.items:
            head = self._item_line(doc, enumeration, item, with_body, budget)
            if head is not None:
                plan.lines.append(head)
        return plan

    def _item_line(
        self, doc: Document, enumeration: Enumeration, item: Item, with_body: bool, limit: int
    ) -> Line | None:
        """One item as one line: its label and the sentences that explain it, in `limit`
        characters."""
        if enumeration.kind == "headings":
            heading = doc.heading_index(item.label)
            ref = self._reader.ref_id(doc.doc_id, heading) if heading is not None else None
            body = _joined(doc, item.sentences, limit) if with_body else ""
            if body:
                ref = self._reader.ref_id(doc.doc_id, item.sentences[0]) or ref
            if ref is None:
                return None
            return Line(ref, _clip(f"{item.label}:{body}" if body else item.label, limit), True)
        ref = self._reader.ref_id(doc.doc_id, item.sentences[0])
        if ref is None:
            return None
        text = _joined(doc, item.sentences, limit)
        return Line(ref, _clip(ITEM_MARKER.sub("", text), limit), indent=True)

    def _nth_of(self, plan: Plan, ordinals: tuple[int, ...]) -> Plan | None:
        """ "建立核心競爭力的第四步是什麼?" asked fresh: the list the answer found (or the one
        its first sentence stands in), its lead-in, and the item asked for, not the whole list."""
        focus = plan.focus or self._list_told(plan.lines[:1])
        told = self._items_plan(focus, ordinals) if focus is not None else None
        if told is None or focus is None:
            return None
        doc = self._reader.documents[focus.doc_id]
        lead = doc.enumerations[focus.enumeration].lead
        ref = self._ref(doc, lead) if lead is not None else None
        if lead is not None and ref is not None and not told.has(ref):
            told.lines.insert(0, Line(ref, doc.sentences[lead].text))
        return told

    def _items_plan(self, focus: Focus, ordinals: tuple[int, ...]) -> Plan | None:
        """The items asked for, in the order asked ("第三種跟最後一種"); None when the list
        has none of them."""
        told = [plan for o in ordinals if (plan := self._item_plan(focus, o)) is not None]
        if not told:
            return None
        plan = Plan(focus=focus)
        for item in told:
            plan.lines.extend(line for line in item.lines if not plan.has(line.ref))
        return plan

    def _item_plan(self, focus: Focus, ordinal: int) -> Plan | None:
        doc = self._reader.documents.get(focus.doc_id)
        if doc is None or focus.enumeration >= len(doc.enumerations):
            return None
        items = doc.enumerations[focus.enumeration].items
        if not items or ordinal == 0 or abs(ordinal) > len(items):
            return None
        item = items[ordinal - 1] if ordinal > 0 else items[ordinal]
        plan = Plan(focus=focus)
        heading = None
        if doc.enumerations[focus.enumeration].kind == "headings":
            heading = doc.heading_index(item.label)
        if heading is not None:
            self._add(plan, doc, heading)
            self._add_item(plan, doc, tuple(doc.section_sentences(doc.sentences[heading].section)))
        else:
            self._add_item(plan, doc, item.sentences)
        return plan if plan.lines else None

    def _add(self, plan: Plan, doc: Document, index: int) -> None:
        ref = self._reader.ref_id(doc.doc_id, index)
        if ref is not None and not plan.has(ref):
            plan.lines.append(Line(ref, doc.sentences[index].text))

    def _locate(self, ref: int) -> tuple[Document, int]:
        where = self._reader.refs[ref]
        return self._reader.documents[where.doc_id], where.index

    def _enumeration_number(self, doc: Document, enumeration: Enumeration) -> int:
        return next(i for i, e in enumerate(doc.enumerations) if e is enumeration)

    def _list_told(self, lines: list[Line]) -> Focus | None:
        """The list the first of `lines` that stands in one belongs to."""
        for line in lines:
            doc, index = self._locate(line.ref)
            found = doc.enumeration_of(index)
            if found is not None:
                return Focus(doc.doc_id, self._enumeration_number(doc, found[0]))
        return None

    def focus_of(self, draft: Draft) -> Focus | None:
        """The list the answer to `draft` tells, if any (for the follow-up after it): the
        one it told whole, or the one its quoted items stand in ("一是組織整合…二是…",
        quoted sentence by sentence, is still the list "那最後一項呢?" points into)."""
        plan = self.plan(draft)
        return plan.focus or self._list_told(plan.lines)


def named_article(query: str, terms: set[str], documents: dict[str, Document]) -> str | None:
    """ "講客戶資產那篇文章說…", "the customer-equity article": the one article whose
    title has a term of the question that no other title has."""
    if not _NAMES_ARTICLE.search(query):
        return None
    titles = {d: set(tokenize(doc.title)) for d, doc in documents.items()}
    named = {
        d
        for d, tokens in titles.items()
        for t in terms & tokens
        if sum(t in other for other in titles.values()) == 1
    }
    return named.pop() if len(named) == 1 else None


def _following(doc: Document, index: int) -> list[int]:
    """The sentences after `index` in its section, in article order."""
    section = doc.sentences[index].section
    return [
        i
        for i in range(index + 1, len(doc.sentences))
        if doc.sentences[i].section == section and doc.sentences[i].paragraph >= 0
    ][:6]


def _joined(doc: Document, sentences: tuple[int, ...], limit: int) -> str:
    """An item's first sentences, as many as fit in `limit` characters; the first always
    ("三是後期分析。" brings its explanation when there is room)."""
    text = ""
    for index in sentences:
        sentence = doc.sentences[index].text
        if text and len(text) + len(sentence) > limit:
            break
        text += sentence
    return text


def _clip(text: str, limit: int = MAX_ITEM_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    comma = max(cut.rfind(","), cut.rfind(","), cut.rfind(";"))
    return (cut[:comma] if comma > limit // 2 else cut) + "…"
