"""The field's bilingual vocabulary, read from one data file (`data/glossary.yaml`).

The articles are Chinese; staff also ask in English. Dense embeddings bridge the
languages only roughly, so English questions are bridged to the articles' exact
wording through this table, and English answers gloss the theory's Chinese terms
with their English names. It is domain vocabulary, not question-specific hints:
add a term when the articles use it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

GLOSSARY_FILE = Path(__file__).with_name("data") / "glossary.yaml"


_NAMES: dict[str, str] = {}  # lower-case key -> the English name as written ("CRM", "Kano")


def _load() -> tuple[
    dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]
]:
    raw = yaml.safe_load(GLOSSARY_FILE.read_text(encoding="utf-8"))

    def part(name: str) -> dict[str, tuple[str, ...]]:
        return {str(en).lower(): tuple(str(z) for z in zh) for en, zh in raw[name].items()}

    _NAMES.update({str(en).lower(): str(en) for name in ("terms", "cases") for en in raw[name]})
    return part("terms"), part("cases"), part("words")


_THEORY, CASES, WORDS = _load()
TERMS: dict[str, tuple[str, ...]] = {**_THEORY, **CASES}  # everything glossed
EN_TO_ZH: dict[str, tuple[str, ...]] = {**WORDS, **TERMS}

_KEYS = sorted(EN_TO_ZH, key=len, reverse=True)
_KEY_OF = {re.sub(r"[ -]", " ", key): key for key in _KEYS}
# "customer-equity article" and "customer equity" are one term: a space or a hyphen.
_PATTERN = re.compile(
    r"(?<![a-z0-9])("
    + "|".join(re.sub(r"\\[ -]", "[ -]", re.escape(t)) for t in _KEYS)
    + r")(?:s|es)?(?![a-z0-9])"
)


def english_terms(text: str) -> list[str]:
    """The glossary entries an English question uses (plurals too), longest first, no overlaps."""
    return [_KEY_OF[re.sub(r"[ -]", " ", m)] for m in _PATTERN.findall(text.lower())]


def bridge(text: str, *, terms_only: bool = False) -> list[str]:
    """Chinese wording for the English vocabulary in `text`, in the order it is used."""
    out: list[str] = []
    for term in english_terms(text):
        if terms_only and term not in TERMS:
            continue
        for zh in EN_TO_ZH[term]:
            if zh not in out:
                out.append(zh)
    return out


@lru_cache(maxsize=1)
def _zh_to_en() -> tuple[tuple[str, str], ...]:
    """Each Chinese term of the theory with the English name it is glossed with.

    The first English name listed wins; longest Chinese terms first so 顾客感知价值
    is glossed as a whole, not as 感知价值 inside it. Latin-script entries (Q1, Vc)
    need no gloss.
    """
    seen: dict[str, str] = {}
    for en, zh_terms in TERMS.items():
        for zh in zh_terms:
            if re.search(r"[\u4e00-\u9fff]", zh) and len(zh) >= 2 and zh not in seen:
                seen[zh] = _NAMES.get(en, en)
    return tuple(sorted(seen.items(), key=lambda kv: len(kv[0]), reverse=True))


def gloss_pairs(simplified: str) -> list[tuple[str, str]]:
    """The theory terms `simplified` contains, with their English names, longest first."""
    found: list[tuple[str, str]] = []
    covered: list[tuple[int, int]] = []
    for zh, en in _zh_to_en():
        start = simplified.find(zh)
        while start >= 0:
            end = start + len(zh)
            if not any(a < end and start < b for a, b in covered):
                covered.append((start, end))
                if (zh, en) not in found:
                    found.append((zh, en))
            start = simplified.find(zh, end)
    return found


@lru_cache(maxsize=1)
def _synonym_sets() -> tuple[tuple[str, ...], ...]:
    return tuple(zh for zh in TERMS.values() if len(zh) > 1)


def synonyms(simplified: str) -> list[str]:
    """Other names the articles use for a term the text uses: 终身价值 and 生命周期价值 are one
    entry of the glossary (lifetime value), so a question with one finds the other."""
    out: list[str] = []
    for names in _synonym_sets():
        if any(name in simplified for name in names):
            out.extend(name for name in names if name not in simplified and name not in out)
    return out


def case_names(simplified: str) -> tuple[str, ...]:
    """The articles' cases a question names, in the articles' Chinese (华为, 星巴克), from
    either language."""
    lowered = simplified.lower()
    found = [zh for zhs in CASES.values() for zh in zhs if zh in simplified]
    found += [zh for en in english_terms(lowered) if en in CASES for zh in CASES[en]]
    return tuple(dict.fromkeys(found))
