"""Cut cleaned articles into passages that can be cited on their own.

Passages end on Chinese sentence boundaries and never cross a section, and each
carries its heading path, so a quoted passage reads as a complete thought and
its citation says where in the article it stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from knowledge.cleaning import load_corpus
from knowledge.document import SectionNode, split_sentences, walk_sections
from knowledge.models import Chunk, CleanDocument
from knowledge.script import to_simplified

TARGET_CHARS = 220
MAX_CHARS = 360
SECTION_SEPARATOR = " › "


def chunk_document(doc: CleanDocument) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in walk_sections(doc.blocks):
        if section.path and len(section.children) >= 2:
            chunks.append(_outline_chunk(doc, section, len(chunks)))
        for i, sentences in enumerate(_pack(section)):
            chunks.append(_make_chunk(doc, section, len(chunks), sentences, opens_section=i == 0))
    return chunks


def chunk_corpus(docs: Iterable[CleanDocument]) -> list[Chunk]:
    return [chunk for doc in docs for chunk in chunk_document(doc)]


def _pack(section: SectionNode) -> Iterator[tuple[str, ...]]:
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
    section: SectionNode,
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


def _outline_chunk(doc: CleanDocument, section: SectionNode, position: int) -> Chunk:
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


def current_chunks(corpus_dir: Path) -> list[Chunk]:
    """The corpus's passages as the index serves them, without the index's own modules
    (chromadb and LangChain take seconds to import; citations need only the passages)."""
    chunks = chunk_corpus(load_corpus(corpus_dir))
    if not chunks:
        raise ValueError(f"no passages found in corpus directory {corpus_dir}")
    return chunks
