from bot.config import PACKAGE_CORPUS
from knowledge.chunking import MAX_CHARS, chunk_corpus, split_sentences
from knowledge.cleaning import load_corpus


def test_split_sentences_on_chinese_boundaries() -> None:
    text = "第一句。第二句!第三句?第四句;「引號。」結尾"
    assert split_sentences(text) == [
        "第一句。",
        "第二句!",
        "第三句?",
        "第四句;",
        "「引號。」",
        "結尾",
    ]


def test_chunks_are_complete_sections_with_metadata() -> None:
    chunks = chunk_corpus(load_corpus(PACKAGE_CORPUS))
    assert 80 <= len(chunks) <= 200
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    for chunk in chunks:
        assert chunk.doc_id and chunk.title and chunk.section
        body = "".join(chunk.sentences)
        assert len(body) <= MAX_CHARS + 200  # one long sentence may overflow, never a section
        if not chunk.is_outline:
            assert chunk.text.endswith(body)
            assert body[-1] in '。!?;!?;」”"' or len(chunk.sentences) >= 1


def test_section_heading_is_context_and_opening_line() -> None:
    chunks = chunk_corpus(load_corpus(PACKAGE_CORPUS))
    happy = next(c for c in chunks if "讓顧客感到快樂" in c.section and not c.is_outline)
    assert happy.text.startswith("(三)讓顧客感到快樂\n")
    assert "让顾客感到快乐" in happy.search_text  # retrievers see Simplified


def test_outline_passage_lists_the_sixteen_strategies() -> None:
    chunks = chunk_corpus(load_corpus(PACKAGE_CORPUS))
    outline = next(
        c for c in chunks if c.is_outline and c.text.startswith("提高顧客感知價值的基本策略")
    )
    assert len(outline.sentences) == 16
    assert outline.sentences[6].startswith("7、以准確的品牌定位")
