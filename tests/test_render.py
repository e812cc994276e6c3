from hypothesis import given
from hypothesis import strategies as st

from bot.render import TELEGRAM_LIMIT, answer_html, passages_html, split_html
from knowledge.models import Answer, Lang, Source
from tests.telegram_server.server import parse_html


def test_answer_html_escapes_everything() -> None:
    answer = Answer(
        question="q",
        answered=True,
        text="Lead <b>\n• a & b < c > d [1]",
        lang=Lang.EN,
        sources=(Source("d", "T&<x>", 'S"', "t", 1.0),),
    )
    html = answer_html(answer)
    plain = parse_html(html)  # raises like Telegram's "can't parse entities"
    assert "a & b < c > d [1]" in plain
    assert '[1] T&<x> — S"' in plain


@given(st.text(min_size=0, max_size=12_000))
def test_any_text_splits_into_parseable_messages(text: str) -> None:
    sources = [Source("d", "title", "section", text, 1.0)] * 3
    for part in split_html(passages_html(sources, Lang.ZH_HANT)):
        assert len(part) <= TELEGRAM_LIMIT
        parse_html(part)


def test_long_single_line_is_cut_outside_entities() -> None:
    html = "&amp;" * 2000
    parts = split_html(html)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= TELEGRAM_LIMIT
        parse_html(part)
