"""Cut cleaned articles into passages that can be cited on their own.

Passages end on Chinese sentence boundaries and never cross a section, and each
carries its heading path, so a quoted passage reads as a complete thought and
its citation says where in the article it stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from knowledge.models import Block, Chunk, CleanDocument
from knowledge.script import to_simplified

_SENTENCE = re.compile(r"[^。!?;!?;]+[。!?;!?;]*[」』”\"]?")
_SENTENCE_MARKS = re.compile(r"[。!?;!?;]")
TARGET_CHARS = 220
MAX_CHARS = 360
SECTION_SEPARATOR = " › "


def split_sentences(text: str) -> list[str]:
    """Split on 。!?; (full and half width), keeping the mark and a closing quote."""
    return [s.strip() for s in _SENTENCE.findall(text) if _SENTENCE_MARKS.sub("", s).strip()]


@dataclass
class _Section:
    path: tuple[str, ...]
    paragraphs: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def chunk_document(doc: CleanDocument) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in _sections(doc.blocks):
        if section.path and len(section.children) >= 2:
            chunks.append(_outline_chunk(doc, section, len(chunks)))
        for i, sentences in enumerate(_pack(section)):
            chunks.append(_make_chunk(doc, section, len(chunks), sentences, opens_section=i == 0))
    return chunks


def chunk_corpus(docs: Iterable[CleanDocument]) -> list[Chunk]:
    return [chunk for doc in docs for chunk in chunk_document(doc)]


def _sections(blocks: Iterable[Block]) -> Iterator[_Section]:
    """Walk the outline; a section lists its direct child headings for the outline passage."""
    stack: list[tuple[int, str]] = []
    sections: dict[tuple[str, ...], _Section] = {(): _Section(path=())}
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
                sections[path] = _Section(path=path)
                order.append(path)
            continue
        sections[tuple(text for _, text in stack)].paragraphs.append(block.text)
    for path in order:
        yield sections[path]


def _pack(section: _Section) -> Iterator[tuple[str, ...]]:
    """Group sentences into passages near TARGET_CHARS, preferring paragraph ends."""
    current: list[str] = []
    size = 0
    for paragraph in section.paragraphs:
        for sentence in split_sentences(paragraph):
            if current and size + len(sentence) > MAX_CHARS:
                yield tuple(current)
                current, size = [], 0
            current.append(sentence)
            size += len(sentence)
        if size >= TARGET_CHARS:
            yield tuple(current)
            current, size = [], 0
    if current:
        yield tuple(current)


def _display_section(doc: CleanDocument, path: tuple[str, ...]) -> str:
    return SECTION_SEPARATOR.join(path[-2:]) if path else doc.title


def _make_chunk(
    doc: CleanDocument,
    section: _Section,
    position: int,
    sentences: tuple[str, ...],
    *,
    opens_section: bool,
) -> Chunk:
    body = "".join(sentences)
    heading = section.path[-1] if section.path else ""
    # The passage that opens a section reads as the article does: heading first.
    text = f"{heading}\n{body}" if heading and opens_section else body
    # Only the leaf heading: with the full path, every item of a list would match the
    # list's own heading as well as the outline passage that actually answers it.
    context = " ".join((doc.title, *section.path[-1:]))
    return Chunk(
        chunk_id=f"{doc.doc_id}#{position}",
        doc_id=doc.doc_id,
        title=doc.title,
        section=_display_section(doc, section.path),
        position=position,
        text=text,
        sentences=sentences,
        search_text=to_simplified(f"{context}\n{body}"),
    )


def _outline_chunk(doc: CleanDocument, section: _Section, position: int) -> Chunk:
    """A heading's list of sub-headings: the best passage for "what are the N ..." questions."""
    heading = section.path[-1] if section.path else doc.title
    items = tuple(section.children)
    text = "\n".join((heading, *items))
    context = " ".join((doc.title, *section.path))
    return Chunk(
        chunk_id=f"{doc.doc_id}#{position}",
        doc_id=doc.doc_id,
        title=doc.title,
        section=_display_section(doc, section.path),
        position=position,
        text=text,
        sentences=items,
        search_text=to_simplified(f"{context}\n{' '.join(items)}"),
        is_outline=True,
    )
