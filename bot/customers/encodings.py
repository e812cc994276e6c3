"""Which encoding a company's CSV file is in: UTF-8, GB18030/GBK or Big5.

GB18030 decodes almost any byte string, so "not UTF-8, therefore GBK" turned a Big5 file
(common for Traditional Chinese companies) into nonsense (台灣電子股份有限公司 ->
芖筿Τそ) without an error. When a file is valid in both Chinese encodings, the one
whose text reads as Chinese wins: the share of its characters that are common Han
characters (by wordfreq's frequencies), ASCII or ordinary punctuation. A file that mixes
UTF-8 lines with others, or that no encoding reads, is refused with its first bad line.

GB18030 and Big5 also decode each other's bytes without an error, so a file mixing the
two decoded whole in the one that reads better, and the other lines became nonsense
(华为技术有限公司 in GBK read as Big5: 貌峈撮扲衄癹鼠侗). So every line of a Chinese
file is judged too (`garbled_line`): a line whose characters are mostly outside common
use, or that reads with fewer of them in the other Chinese encoding, fails the file with
its line, as a UTF-8 line among GBK ones does.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

NAMES = {"utf-8": "utf-8-sig", "gbk": "gb18030", "gb18030": "gb18030", "big5": "cp950"}
CHINESE = ("gbk", "big5")
COMMON_ZIPF = 2.5  # a character used at least this often in Chinese text


@dataclass(frozen=True, slots=True)
class EncodingProblem(Exception):
    code: str  # "bad_encoding" | "mixed_encoding" | "garbled_text"
    line: int
    value: str = ""  # garbled_text: the encoding the line does not read in


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding name); raises EncodingProblem naming the file's own line."""
    if declared:
        text = _strict(data, declared)
        _check_lines(data, text, NAMES.get(declared.lower().replace("_", "-"), declared))
        return text, declared
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        mixed = _first_line_after_utf8(data, error.start)
        if mixed is not None:
            raise EncodingProblem("mixed_encoding", mixed) from None
    readings: list[tuple[float, str, str]] = []  # (plausibility, name, text)
    for name in CHINESE:
        try:
            text = data.decode(NAMES[name])
        except UnicodeDecodeError:
            continue
        readings.append((_plausibility(text), name, text))
    if not readings:
        raise EncodingProblem("bad_encoding", _first_bad_line(data))
    _, best, text = max(readings, key=lambda reading: reading[0])
    _check_lines(data, text, NAMES[best])
    return text, best


def _check_lines(data: bytes, text: str, codec: str) -> None:
    """Raises `garbled_text` with the first line of a GBK or Big5 reading that is nonsense.
    Byte 0x0A is never part of a GBK or Big5 character, so byte and text lines align."""
    other = {NAMES["gbk"]: NAMES["big5"], NAMES["big5"]: NAMES["gbk"]}.get(codec)
    if other is None:
        return
    raw_lines = data.split(b"\n")
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.isascii() and garbled_line(line, raw_lines[number - 1], other):
            name = next(key for key, value in NAMES.items() if value == codec)
            raise EncodingProblem("garbled_text", number, name)


MIN_UNCOMMON = 2  # a name or two with a rare character is not nonsense


def garbled_line(line: str, raw: bytes, other: str) -> bool:
    """Whether a decoded line reads as nonsense.

    The rule: a character is outside common use unless it is ASCII, punctuation, or a
    Han character with a wordfreq Zipf frequency of at least COMMON_ZIPF in either
    script. A line with fewer than MIN_UNCOMMON such characters reads; one where they
    are more than half of its non-ASCII characters is nonsense; one where they are at
    least a quarter is nonsense when its bytes (`raw`) read with fewer of them in the
    `other` Chinese encoding. Why: a wrong decoding yields mostly rare characters,
    private-use code points, kana and Greek (北京钢铁 in GBK read as Big5: 控儔詩沺),
    while a real name has few rare characters, so 鑫淼璟晟科技 passes. A line of one
    rare character in the wrong encoding can pass unseen: there is too little to judge."""
    chars = [c for c in line if not c.isspace() and not c.isascii()]
    uncommon = sum(not _reads(c) for c in chars)
    if uncommon < MIN_UNCOMMON:
        return False
    if 2 * uncommon > len(chars):
        return True
    if 4 * uncommon < len(chars):
        return False
    try:
        alternative = raw.decode(other)
    except UnicodeDecodeError:
        return False
    return sum(not _reads(c) for c in alternative if not c.isspace()) < uncommon


def _strict(data: bytes, name: str) -> str:
    codec = NAMES.get(name.lower().replace("_", "-"), name)
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        raise EncodingProblem("bad_encoding", _first_bad_line(data, codec)) from None


def _first_line_after_utf8(data: bytes, bad_at: int) -> int | None:
    """The line of the first non-UTF-8 byte, if lines before it are UTF-8 with Chinese in
    them: then the file mixes encodings (a GBK file has no valid non-ASCII UTF-8 line)."""
    before = data[:bad_at]
    start = before.rfind(b"\n") + 1
    if any(b >= 0x80 for b in data[:start]):
        return before.count(b"\n") + 1
    return None


def _first_bad_line(data: bytes, codec: str = "gb18030") -> int:
    for number, line in enumerate(data.split(b"\n"), start=1):
        for name in (codec, NAMES["big5"], "utf-8"):
            try:
                line.decode(name)
                break
            except (UnicodeDecodeError, LookupError):
                continue
        else:
            return number
    return 1


def _plausibility(text: str) -> float:
    sample = [c for c in text[:20_000] if not c.isspace()]
    if not sample:
        return 1.0
    return sum(_reads(c) for c in sample) / len(sample)


@lru_cache(maxsize=20_000)
def _reads(char: str) -> bool:
    if char.isascii():
        return True
    if "\u4e00" <= char <= "\u9fff":
        # Imported here: a quarter of a second, needed only for a file not in UTF-8.
        from wordfreq import zipf_frequency

        from knowledge.script import to_simplified

        zipf = max(zipf_frequency(char, "zh"), zipf_frequency(to_simplified(char), "zh"))
        return zipf >= COMMON_ZIPF
    return unicodedata.category(char).startswith("P")  # ,。「」 but not Τ or そ
