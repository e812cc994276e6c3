"""Turn the articles as collected from the web into theory only.

The raw files carry site navigation, "hot topics" lists, a spam title, adverts,
upload/ranking/footer furniture and pinyin annotations. None of that may ever be
indexed or cited, so it is removed here, by rules kept in one table per
document, while every remaining sentence keeps its original wording and script.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.models import Block, CleanDocument

# A pinyin annotation directly after a Han character or after another annotation:
# 客(ke)戶(hu)(hu) -> 客戶. Upper case and digits are real content: (Q1), (CRM).
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff)])\([a-zü]{1,6}\)")
_SENTENCE_END = "。!?;!?;:"
# Numbering styles of headings. Which style is the outer one differs per article
# ("1." is the top level of the Q&A compilation but sits under "一、" elsewhere), so
# levels are given in the order the styles first appear in each document.
_HEADING_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("dotted-decimal", re.compile(r"^\d+\.\d+\s")),  # 2.1 ...
    ("decimal-dot", re.compile(r"^\d{1,2}\.\s*\S")),  # 1. 如何增加顧客價值 / 1.從顧客角度
    ("han-comma", re.compile(r"^[一二三四五六七八九十]+、")),  # 一、什麼是顧客價值
    ("han-paren", re.compile(r"^[((][一二三四五六七八九十]+[))]")),  # (一)強化顧客的感知
    ("decimal-space", re.compile(r"^\d+\s+\S")),  # 1 顧客價值理念的樹立
    ("decimal-comma", re.compile(r"^\d{1,2}、\S")),  # 1、影響價值
)
_UNNUMBERED = "unnumbered"
_MAX_HEADING_CHARS = 40


@dataclass(frozen=True)
class Profile:
    """What is noise in one collected article, and where its theory starts and ends."""

    doc_id: str
    title: str
    start_after: str | None = None  # content begins after the first line starting so
    end_at: tuple[str, ...] = ()  # content ends at the first line starting with one of these
    drop_lines: tuple[str, ...] = ()  # regexes: whole lines that are furniture
    drop_paragraphs_with: tuple[str, ...] = ()  # substrings marking an advert paragraph
    # Literal edits: transcoding damage in the collected copy, forum text glued to a heading.
    repairs: tuple[tuple[str, str], ...] = ()
    inline_headings: tuple[str, ...] = ()  # regexes: headings run into their paragraph
    page_markers: bool = False  # "N、" at the start of each page of a paged document
    strip_prefixes: tuple[str, ...] = ()  # regexes removed from the start of the body
    # Paragraphs (by their start) that leave the numbered sections for the article's own level.
    section_resets: tuple[str, ...] = ()


_COMMON_DROP = (
    r"^導航:",
    r"^發布時間:",
    r"^時間:\d",
    r"^導語:",
    r"^閱讀全文$",
    r"^;$",
    r"^\(\d+\).*擴展閱讀$",  # "(4)...擴展閱讀": a site link label, its text stays in its section
    r"^答主:",
    r"^轉載:",
    r"^關鍵詞:",
)

PROFILES: dict[str, Profile] = {
    p.doc_id: p
    for p in (
        Profile(
            doc_id="000_c6be4bacd106c3e4",
            title="用哪些方法識別顧客價值驅動因素",
            start_after="發布時間:",
            end_at=("與用哪些方法識別顧客價值驅動因素相關的資料", "熱點內容"),
            repairs=((" 客戶關系管理學的簡答題,詳細的解答,謝謝!", ""),),
        ),
        Profile(
            doc_id="001_f463028d47abf65d",
            title="顧客關系從創造顧客價值開始研究論文",
            start_after="關鍵詞:",
            repairs=(("??梢哉堎Y深的員工", "可以請資深的員工"),),
            inline_headings=(
                r"一、顧客關系管理從創造顧客價值開始(?=顧客關系管理\(CRM\))",
                r"1\.從顧客角度出發管理顧客的不滿與顧客的流失(?=要管理)",
                r"2\.為基本需求類顧客,提供價廉物美的產品和服務,穩定企業市場占有率(?=最低層次)",
                r"3\.為滿足性需求類顧客,提供基本的服務,塑造企業或產品的形象(?=當企業)",
                r"4\.鎖定吸引性\(差異化\)需求類顧客,實現企業戰略并提升企業競爭力(?=吸引性)",
                r"1\.以顧客價值創造為中心,加強品質管理(?=在顧客購買成本)",
                r"2\.提升企業業務能力,為顧客兌現高質量服務承諾(?=企業首先)",
                r"3\.做好企業支援性基礎建設(?=一是組織整合)",
            ),
        ),
        Profile(
            doc_id="002_0206c474e108bfd9",
            title="客戶價值管理之道",
            start_after="講師:",
            end_at=("轉載:",),
            section_resets=("說起來簡單",),
        ),
        Profile(
            doc_id="003_a0e5660cb37d284e",
            title="客户价值",
            start_after="客户价值",
            end_at=("免责声明",),
            drop_paragraphs_with=("本课程",),
        ),
        Profile(
            doc_id="004_81bdd608656f408b",
            title="浅析顾客价值管理中客户资产价值的提升",
            start_after="资源描述",
            end_at=("展开阅读全文",),
            page_markers=True,
            repairs=(("关键词:客户关系管理 客户价值管理 客户资产", ""),),
            strip_prefixes=(r"^浅析顾客价值管理中客户资产价值的提升",),
            inline_headings=(
                r"内容摘要(?=:)",
                r"从客户关系管理到客户价值管理(?=现代市场竞争)",
                r"客户资产概念提出的意义(?=随着竞争)",
                r"对客户资产价值的认识(?=不同学者)",
                r"客户资产价值的提升(?=客户资产是由)",
            ),
        ),
    )
}


def strip_pinyin(text: str) -> str:
    return _PINYIN.sub("", text)


def clean_text(doc_id: str, raw: str) -> CleanDocument:
    """Clean one article; unknown documents get the generic rules only."""
    profile = PROFILES.get(doc_id) or Profile(doc_id=doc_id, title=_first_line(raw))
    text = raw.replace("\r\n", "\n").replace("\u3000", " ")
    for bad, good in profile.repairs:
        text = text.replace(bad, good)
    text = strip_pinyin(text)
    lines = [ln.strip() for ln in text.split("\n")]
    lines = _between(lines, profile)
    if profile.page_markers:
        lines = _join_pages(lines)
    lines = _drop_furniture(lines, profile)
    blocks = _to_blocks(lines, profile)
    return CleanDocument(doc_id=doc_id, title=profile.title, blocks=tuple(blocks))


def load_corpus(corpus_dir: Path) -> list[CleanDocument]:
    return [
        clean_text(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(corpus_dir.glob("*.txt"))
    ]


def _first_line(raw: str) -> str:
    return next((ln.strip() for ln in raw.splitlines() if ln.strip()), "untitled")


def _between(lines: list[str], profile: Profile) -> list[str]:
    start = 0
    if profile.start_after is not None:
        for i, line in enumerate(lines):
            if line.startswith(profile.start_after):
                start = i + 1
                break
    out: list[str] = []
    for line in lines[start:]:
        if any(line.startswith(marker) for marker in profile.end_at):
            break
        out.append(line)
    return out


def _join_pages(lines: list[str]) -> list[str]:
    """A paged document restarts each page with "N、" mid-sentence: stitch the pages back."""
    body = ""
    expected = 1
    for line in lines:
        if not line:
            continue
        marker = f"{expected}、"
        if line.startswith(marker):
            body += line[len(marker) :]
            expected += 1
        else:
            body += "\n" + line
    return body.strip().split("\n")


def _drop_furniture(lines: list[str], profile: Profile) -> list[str]:
    patterns = [re.compile(p) for p in (*_COMMON_DROP, *profile.drop_lines)]
    prefixes = [re.compile(p) for p in profile.strip_prefixes]
    out: list[str] = []
    for line in lines:
        if not line or any(p.search(line) for p in patterns):
            continue
        if any(s in line for s in profile.drop_paragraphs_with):
            continue
        for prefix in prefixes:
            line = prefix.sub("", line)
        if line:
            out.append(line)
    return out


def _split_inline_headings(line: str, patterns: Iterable[re.Pattern[str]]) -> list[tuple[str, str]]:
    """Cut a paragraph at headings run into it; yields (kind, text) pieces in order."""
    cuts: list[tuple[int, int]] = []
    for pattern in patterns:
        for m in pattern.finditer(line):
            cuts.append((m.start(), m.end()))
    if not cuts:
        return [("para", line)]
    pieces: list[tuple[str, str]] = []
    pos = 0
    for start, end in sorted(cuts):
        if start > pos:
            pieces.append(("para", line[pos:start]))
        pieces.append(("heading", line[start:end]))
        pos = end
    if pos < len(line):
        pieces.append(("para", line[pos:]))
    return [(kind, text.strip().lstrip(":")) for kind, text in pieces if text.strip(" :")]


def _heading_style(line: str) -> str | None:
    """A short line without closing punctuation is a heading; its numbering gives its style."""
    if len(line) > _MAX_HEADING_CHARS or line[-1] in _SENTENCE_END or ":" in line:
        return None
    if line.startswith("- "):
        return None
    return _numbering_style(line)


def _numbering_style(line: str) -> str:
    for style, pattern in _HEADING_STYLES:
        if pattern.search(line):
            return style
    return _UNNUMBERED


def _to_blocks(lines: list[str], profile: Profile) -> list[Block]:
    inline = [re.compile(p) for p in profile.inline_headings]
    levels: dict[str, int] = {}
    blocks: list[Block] = []
    last_heading = ""
    for line in lines:
        for kind, text in _split_inline_headings(line, inline):
            if text == profile.title:
                continue  # the article's own title, repeated as its first line
            style = _numbering_style(text) if kind == "heading" else _heading_style(text)
            if style is None:
                if text.startswith(profile.section_resets):
                    blocks.append(Block("heading", "", 1))
                    last_heading = ""
                blocks.append(Block("para", text))
                continue
            if _strip_numbering(text) == _strip_numbering(last_heading):
                continue  # the article repeats its own heading as a subtitle
            level = levels.setdefault(style, len(levels) + 1)
            blocks.append(Block("heading", text, level))
            last_heading = text
    return _demote_empty_headings(blocks)


def _strip_numbering(text: str) -> str:
    for _, pattern in _HEADING_STYLES:
        m = pattern.search(text)
        if m:
            return text[m.end() - 1 :].strip()
    return text.strip()


def _demote_empty_headings(blocks: list[Block]) -> list[Block]:
    """A 'heading' with nothing under it before the next equal-or-higher heading is a list line."""
    out: list[Block] = []
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        empty = nxt is None or (nxt.kind == "heading" and nxt.level <= block.level)
        if block.kind == "heading" and empty and block.text:
            out.append(Block("para", block.text))
        else:
            out.append(block)
    return out
