"""One model of each article: sections, paragraphs, sentences and the lists they form.

Passages (what is indexed and cited) are cut from this model, and answers read it to
say a whole thought: the lead-in "成本的構成要素包括:" together with the items that
follow it, a numbered step with its explanation, a heading's sub-headings each with
its first sentence. Enumerations come in the articles' own shapes:

- sub-headings of one heading ("(一)強化顧客的感知", "1、在控製成本的基礎上…");
- paragraphs that each open with a marker ("1、貨幣成本。", "- 產品質量:", "A產品…");
- sentences inside a paragraph that open with one ("一是…二是…", "首先…其次…第三…最後…").

Inline lists inside one sentence ("價值資產、品牌資產、維系資產三個部分") need no model:
the sentence itself states them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from knowledge.models import Block, CleanDocument
from knowledge.script import to_simplified

_SENTENCE = re.compile(r"[^。!?;!?;]+[。!?;!?;]*[」』”\"]?")
_SENTENCE_MARKS = re.compile(r"[。!?;!?;]")
_ZH_DIGITS = "一二三四五六七八九十"

# A paragraph that is one item of a list: "1、", "2.", "(一)", "- ", "A產品…", "第一,".
_PARAGRAPH_ITEM = re.compile(
    r"^\s*(?:[-•·]\s*\S|\d{1,2}\s*[、.](?!\d)|[((][一二三四五六七八九十\d]+[))]|[A-H](?=[\u4e00-\u9fff])"
    r"|第[一二三四五六七八九十]+[,,、])"
)
# A sentence that opens an item inside a paragraph; the number it carries, -1 for "最后".
_SENTENCE_ITEM = re.compile(
    r"^(?P<n>\d{1,2})[、.](?!\d)|^.{0,8}?(?P<m>首先|其次|再次|最后"
    r"|第(?P<d>[一二三四五六七八九十])(?:[,,、]|层次|步|阶段|部分|是)|(?P<s>[一二三四五六七八九十])是)"
)
# "分為三個層次。" / "從三個方面依次來籌劃:A;": a count of what the next sentences say.
_COUNTED = re.compile(
    r"(?:分为|分成|区分为|归纳为|包括|包含|有|从|经过)\s*(?P<n>[二两三四五六七八九十])\s*(?:个|种|类|大类)?"
    r"(?:层次|部分|方面|阶段|步骤|步|要素|途径|方法|类型|类|种|点)[^。;:]{0,12}(?P<end>[。:]|$)"
)
_INLINE_HEADING = re.compile(r"^[^,,。;;::]{2,12}[::]")  # "提升品牌资产:品牌资产表示…"
_COLON_ITEM = re.compile(r"[::]\s*(?:1[、.]|一是|首先|\(一\)|(一))")
_ANNOUNCES = re.compile(r"[::]\s*$|(?:如下|以下|下列)[^。]{0,12}[::。]?\s*$|包括[::]?\s*$")


def split_sentences(text: str) -> list[str]:
    """Split on 。!?; (full and half width), keeping the mark and a closing quote."""
    return [s.strip() for s in _SENTENCE.findall(text) if _SENTENCE_MARKS.sub("", s).strip()]


# Lists inside one sentence. Named ones: "將客戶價值分為既成價值、潛在價值和影響價值",
# "由價值資產、品牌資產、維系資產三個部分組成"; items are short Han terms.
_ITEM = r"[\u4e00-\u9fff]{2,10}"
_LAST = r"[\u4e00-\u9fff]{2,10}?"  # the shortest that ends where the list does ("式样|等组成")
_NAMED_LIST = re.compile(
    rf"(?P<intro>[\u4e00-\u9fff]{{2,14}}?(?:分为|分解为|包括|是由|由|有))"
    rf"(?:[一二三四五六七八九十]个[\u4e00-\u9fff]{{0,6}}?(?:部分|层次|要素|方面))?[::]?"
    rf"(?P<items>{_ITEM}(?:、{_ITEM})+(?:和|以及|及|与){_LAST}|{_ITEM}(?:、{_ITEM}){{1,}}、{_LAST})"
    r"(?=[,。;、))]|等|[一二三四五六七八九十三]个|组成|$)"
)
# ... and lists after a colon: "三個特有的驅動要素:品牌知曉度、品牌態度、品牌道德。"
_COLON_LIST = re.compile(
    r"[::]\s*(?P<items>(?:[^、,,。;;::]{2,14}、)+[^、,,。;;::]{2,14}?)(?=[。;;,,]|等|$)"
)
_JOINERS = r"、|和|以及|及|与"


@dataclass(frozen=True, slots=True)
class InlineList:
    intro: str  # "将客户价值分为"
    items: tuple[str, ...]


def inline_lists(simplified: str) -> list[InlineList]:
    """The named lists a sentence states, three or more distinct terms each."""
    found = []
    for m in _NAMED_LIST.finditer(simplified):
        items = re.split(_JOINERS, m["items"])
        intro = re.sub(r"^(?:它|其|他们)", "", m["intro"])
        if (
            len(set(items)) == len(items) >= 3
            and not any("的" in item for item in items)
            and not re.search(r"[的这]", intro[:2])
        ):
            found.append(InlineList(intro, tuple(items)))
    return found


def inline_items(simplified: str) -> list[str]:
    """The items of the list a sentence states, named or after a colon; [] if none."""
    named = inline_lists(simplified)
    if named:
        return list(named[0].items)
    m = _COLON_LIST.search(simplified)
    return [i for i in re.split(_JOINERS, m["items"]) if i] if m else []


def announces_items(sentence: str) -> bool:
    """A lead-in: "…包括:", "有以下幾點:": it must never end an answer on its own."""
    return bool(_ANNOUNCES.search(to_simplified(sentence.strip())))


@dataclass
class SectionNode:
    """A heading's own paragraphs and the headings directly under it."""

    path: tuple[str, ...]
    paragraphs: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def walk_sections(blocks: Iterable[Block]) -> Iterator[SectionNode]:
    """The outline in article order; a heading with empty text closes the open sections."""
    stack: list[tuple[int, str]] = []
    sections: dict[tuple[str, ...], SectionNode] = {(): SectionNode(path=())}
    order: list[tuple[str, ...]] = [()]
    for block in blocks:
        if block.kind == "heading":
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            if not block.text:
                stack.clear()
                continue
            parent = tuple(text for _, text in stack)
            sections[parent].children.append(block.text)
            stack.append((block.level, block.text))
            path = tuple(text for _, text in stack)
            if path not in sections:
                sections[path] = SectionNode(path=path)
                order.append(path)
            continue
        sections[tuple(text for _, text in stack)].paragraphs.append(block.text)
    for path in order:
        yield sections[path]


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str  # as the article writes it
    simplified: str
    section: tuple[str, ...]
    paragraph: int  # the paragraph's number in the document, -1 for a heading


@dataclass(frozen=True, slots=True)
class Item:
    label: str  # the heading, or the item's first sentence
    sentences: tuple[int, ...]  # what the article says under it, first sentence first


@dataclass(frozen=True, slots=True)
class Enumeration:
    lead: int | None  # the sentence that introduces the list, if the article has one
    heading: str  # the section the list stands in
    items: tuple[Item, ...]
    kind: str  # "headings" | "paragraphs" | "sentences" | "counted"
    section: tuple[str, ...] = ()  # where it stands in the outline


@dataclass
class Document:
    doc_id: str
    title: str
    sentences: list[Sentence] = field(default_factory=list)
    enumerations: list[Enumeration] = field(default_factory=list)
    # sentence -> (enumeration, item); item -1 marks the list's lead-in
    membership: dict[int, tuple[int, int]] = field(default_factory=dict)

    def enumeration_of(self, sentence: int) -> tuple[Enumeration, int] | None:
        where = self.membership.get(sentence)
        if where is None:
            return None
        return self.enumerations[where[0]], where[1]

    def paragraph_of(self, sentence: int) -> list[int]:
        para = self.sentences[sentence].paragraph
        if para < 0:
            return [sentence]
        return [i for i, s in enumerate(self.sentences) if s.paragraph == para]

    def heading_index(self, text: str) -> int | None:
        return next(
            (i for i, s in enumerate(self.sentences) if s.paragraph < 0 and s.text == text), None
        )

    def list_under(self, path: tuple[str, ...]) -> int | None:
        """The first list stated in the section `path` or below it."""
        return next(
            (n for n, e in enumerate(self.enumerations) if e.section[: len(path)] == path and path),
            None,
        )

    def section_sentences(self, path: tuple[str, ...]) -> list[int]:
        return [i for i, s in enumerate(self.sentences) if s.section == path and s.paragraph >= 0]


def parse_document(doc: CleanDocument) -> Document:
    model = Document(doc_id=doc.doc_id, title=doc.title)
    nodes = list(walk_sections(doc.blocks))
    by_path: dict[tuple[str, ...], list[list[int]]] = {}
    heading_sentence: dict[tuple[str, ...], int] = {}
    paragraph = 0
    for node in nodes:
        if node.path:
            heading_sentence[node.path] = _add(model, node.path[-1], node.path, -1)
        paras: list[list[int]] = []
        for text in node.paragraphs:
            paras.append([_add(model, s, node.path, paragraph) for s in split_sentences(text)])
            paragraph += 1
        by_path[node.path] = paras
    for node in nodes:
        paras = by_path[node.path]
        heading = node.path[-1] if node.path else doc.title
        _heading_items(model, node, by_path, heading_sentence, heading)
        _paragraph_items(model, paras, heading, node.path)
        for para in paras:
            _sentence_items(model, para, heading, node.path)
        _counted_items(model, [s for para in paras for s in para], heading, node.path)
    return model


def parse_corpus(docs: Iterable[CleanDocument]) -> dict[str, Document]:
    return {doc.doc_id: parse_document(doc) for doc in docs}


def _add(model: Document, text: str, path: tuple[str, ...], paragraph: int) -> int:
    model.sentences.append(Sentence(text, to_simplified(text), path, paragraph))
    return len(model.sentences) - 1


def _register(model: Document, enumeration: Enumeration) -> None:
    number = len(model.enumerations)
    model.enumerations.append(enumeration)
    if enumeration.kind != "headings":  # a sub-heading's body belongs to its own section
        for n, item in enumerate(enumeration.items):
            for s in item.sentences:
                model.membership.setdefault(s, (number, n))
    if enumeration.lead is not None:
        model.membership.setdefault(enumeration.lead, (number, -1))


def _heading_items(
    model: Document,
    node: SectionNode,
    by_path: dict[tuple[str, ...], list[list[int]]],
    heading_sentence: dict[tuple[str, ...], int],
    heading: str,
) -> None:
    if len(node.children) < 2 or not node.path:
        return  # the article's own top level is its table of contents, not a list it states
    items = []
    for child in node.children:
        path = (*node.path, child)
        body = [s for para in by_path.get(path, []) for s in para]
        items.append(Item(label=child, sentences=tuple(body[:2])))
        model.membership.setdefault(
            heading_sentence[path], (len(model.enumerations), len(items) - 1)
        )
    own = [s for para in by_path[node.path] for s in para]
    lead = own[-1] if own and announces_items(model.sentences[own[-1]].text) else None
    if lead is None and node.path:
        lead = heading_sentence[node.path]
    _register(model, Enumeration(lead, heading, tuple(items), "headings", node.path))


def _paragraph_items(
    model: Document, paras: list[list[int]], heading: str, path: tuple[str, ...]
) -> None:
    """Runs of two or more paragraphs that each open with an item marker."""
    run: list[int] = []  # positions in `paras`
    for pos, para in enumerate([*paras, []]):
        if para and _PARAGRAPH_ITEM.match(model.sentences[para[0]].text):
            run.append(pos)
            continue
        if len(run) >= 2:
            before = paras[run[0] - 1] if run[0] > 0 else []
            lead = before[-1] if before else None
            items = tuple(Item(model.sentences[paras[p][0]].text, tuple(paras[p])) for p in run)
            _register(model, Enumeration(lead, heading, items, "paragraphs", path))
        run = []


def _sentence_items(model: Document, para: list[int], heading: str, path: tuple[str, ...]) -> None:
    """ "一是…二是…三是…", "首先…其次…第三…最后…" inside one paragraph."""
    starts: list[tuple[int, int]] = []  # (position in para, number)
    for pos, s in enumerate(para):
        number = _item_number(model.sentences[s].simplified)
        if number is None:
            continue
        expected = len(starts) + 1
        if number == expected or (number == -1 and starts):
            starts.append((pos, number))
        elif number == 1:
            starts = [(pos, 1)]
    if len(starts) < 2:
        return
    items: list[Item] = []
    for k, (pos, _) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else _last_item_end(model, para, pos, items)
        body = tuple(para[pos:end])
        items.append(Item(model.sentences[body[0]].text, body))
    # "…包括:1、產品價值。": with no sentence before the first item, its lead-in opens it.
    first = starts[0][0]
    lead = para[first - 1] if first > 0 else None
    _register(model, Enumeration(lead, heading, tuple(items), "sentences", path))


def _last_item_end(model: Document, para: list[int], pos: int, items: list[Item]) -> int:
    """Where the last item of a run stops: nothing marks it, so no longer than the longest
    item before it, and never past a sentence that opens a new topic ("提升品牌資產:…")."""
    longest = max((len(item.sentences) for item in items), default=1)
    end = min(len(para), pos + longest)
    for at in range(pos + 1, end):
        if _INLINE_HEADING.match(model.sentences[para[at]].simplified):
            return at
    return end


def _counted_items(
    model: Document, section: list[int], heading: str, path: tuple[str, ...]
) -> None:
    """A sentence that counts what follows: "將顧客的需求分為三個層次。" and the next three."""
    for pos, s in enumerate(section):
        m = _COUNTED.search(model.sentences[s].simplified)
        if m is None or s in model.membership:
            continue
        n = 2 if m["n"] == "两" else _ZH_DIGITS.index(m["n"]) + 1
        rest = re.sub(r"[。;;\s]+$", "", model.sentences[s].simplified[m.end() :])
        if rest and re.search(r"和|、|与|及", rest):
            continue  # "有兩種途徑:減少A和增加B": the sentence lists them itself
        inline = bool(rest)
        first = pos if inline else pos + 1
        body = section[first : first + n]
        if len(body) < n or any(b in model.membership for b in body[1:]):
            continue
        lead = None if inline else s
        labels = [model.sentences[b].text for b in body]
        if inline:  # the first item is what follows the colon, not the count before it
            labels[0] = re.split(r"[::]", labels[0], maxsplit=1)[-1]
        items = tuple(Item(label, (b,)) for label, b in zip(labels, body, strict=True))
        _register(model, Enumeration(lead, heading, items, "counted", path))


def _item_number(simplified: str) -> int | None:
    m = _SENTENCE_ITEM.match(simplified)
    if m is None:
        colon = _COLON_ITEM.search(simplified)
        return 1 if colon else None
    if m["n"]:
        return int(m["n"])
    word = m["m"]
    if word == "首先":
        return 1
    if word == "其次":
        return 2
    if word == "再次":
        return 3
    if word == "最后":
        return -1
    digit = m["d"] or m["s"]
    return _ZH_DIGITS.index(digit) + 1 if digit else None
