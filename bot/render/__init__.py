"""Telegram HTML rendering: escaping that is right for any text, and the 4096 limit."""

from __future__ import annotations

import html
import re
from html import escape

from bot.texts import t
from knowledge.models import Answer, Lang, Source

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Telegram HTML as plain text, for the terminal chat and the CLI."""
    return html.unescape(_TAG.sub("", text))


def answer_html(answer: Answer) -> str:
    lines = escape(answer.text).split("\n")
    if answer.answered and lines:
        lines[0] = f"<b>{lines[0]}</b>"
    body = "\n".join(lines)
    if not answer.sources:
        return body
    cites = "\n".join(
        f"[{n}] {escape(s.title)} — {escape(s.section)}" for n, s in enumerate(answer.sources, 1)
    )
    return f"{body}\n\n<i>{escape(t('sources_header', answer.lang))}:</i>\n{cites}"


def passages_html(sources: list[Source], lang: Lang) -> str:
    parts = [f"<b>{escape(t('passages_header', lang))}</b>"]
    for n, source in enumerate(sources, 1):
        parts.append(
            f"<b>[{n}] {escape(source.title)} — {escape(source.section)}</b>\n"
            f"<blockquote>{escape(source.text)}</blockquote>"
        )
    return "\n\n".join(parts)


def split_html(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at line breaks (never inside a tag or entity) into messages under the limit.

    Tags here never span lines except <blockquote>, which is closed and reopened
    around a cut so each part parses on its own.
    """
    parts: list[str] = []
    current = ""
    open_quote = False
    for line in html.split("\n"):
        for piece in _hard_wrap(line, limit - 40):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) + (13 if open_quote else 0) <= limit:
                current = candidate
            else:
                parts.append(current + ("</blockquote>" if open_quote else ""))
                current = ("<blockquote>" if open_quote else "") + piece
            open_quote = _quote_open_after(piece, open_quote)
    if current:
        parts.append(current)
    return parts


def _quote_open_after(piece: str, was_open: bool) -> bool:
    opens = piece.count("<blockquote>")
    closes = piece.count("</blockquote>")
    return (was_open and closes <= opens) or (not was_open and opens > closes)


def _hard_wrap(line: str, width: int) -> list[str]:
    """A single line longer than a message: cut it, but not inside an &entity; or <tag>."""
    out: list[str] = []
    while len(line) > width:
        cut = width
        amp, lt = line.rfind("&", 0, cut), line.rfind("<", 0, cut)
        if amp > line.rfind(";", 0, cut):
            cut = amp
        if lt > line.rfind(">", 0, cut):
            cut = min(cut, lt)
        out.append(line[:cut])
        line = line[cut:]
    out.append(line)
    return out
