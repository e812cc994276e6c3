"""Which files a `--source` names, as an explicit list.

DuckDB and Spark both read a path as a glob: a folder named `sales*` also read a sibling
`sales_other_team/`, `data[1]/` read `data1/`, and a folder of Parquet and CSV files was
read half (DuckDB) or as CSV throughout (Spark). So the files are listed here, in Python,
and each engine gets the list with its own glob characters escaped: a path is a path.
Whoever wants a pattern asks for one (`--glob`), and it is expanded here too.
"""

from __future__ import annotations

import glob as globbing
import re
from dataclasses import dataclass
from pathlib import Path

from value_engine.sources.errors import SourceError

SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".txt": "csv"}
KIND_NAMES = {"parquet": "Parquet (.parquet, .pq)", "csv": "CSV (.csv, .txt)"}


@dataclass(frozen=True, slots=True)
class SourceFiles:
    """The files of one kind ("parquet" or "csv") a source names, sorted."""

    files: list[str]
    kind: str


def source_files(source: str | Path, pattern: bool = False) -> SourceFiles:
    """The files `source` names: a file, a folder's files, or (`pattern`) a glob's.
    Hidden files and files of other kinds (Spark's _SUCCESS, .crc) are not read."""
    text = str(source)
    if pattern:
        matched = [Path(p) for p in sorted(globbing.glob(text, recursive=True))]
        if not matched:
            raise SourceError(f"{text}: no file or folder matches this pattern")
        listed = [f for p in matched for f in (_folder_files(p) if p.is_dir() else [p])]
        return _one_kind(text, listed, strict=False)
    path = Path(text)
    if path.is_dir():
        return _one_kind(text, _folder_files(path), strict=False)
    if not path.exists():
        raise SourceError(f"{text}: no such file or folder")
    return _one_kind(text, [path], strict=True)


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def _one_kind(source: str, files: list[Path], strict: bool) -> SourceFiles:
    return kinds_of(source, [str(f) for f in files], strict)


def kinds_of(source: str, files: list[str], strict: bool) -> SourceFiles:
    """The files of one kind, or SourceError: none, two kinds, or (`strict`: the one file
    named) not a Parquet or CSV file. Other files in a folder are not read."""
    kinds: dict[str, list[str]] = {}
    for file in files:
        kind = SUFFIXES.get(Path(file).suffix.lower())
        if kind is None and strict:
            raise SourceError(f"{source}: expected a .parquet or .csv file (or a folder of them)")
        if kind is not None:
            kinds.setdefault(kind, []).append(file)
    if not kinds:
        raise SourceError(f"{source}: no .parquet or .csv files here")
    if len(kinds) > 1:
        found = " and ".join(f"{len(kinds[k])} {KIND_NAMES[k]}" for k in sorted(kinds))
        raise SourceError(
            f"{source}: holds files of two kinds ({found}); point --source at files of one kind"
        )
    ((kind, names),) = kinds.items()
    return SourceFiles(names, kind)


def duckdb_literal(path: str) -> str:
    """`path` as DuckDB reads it literally: each glob character in a class of its own."""
    return re.sub(r"([*?\[])", r"[\1]", path)


def hadoop_literal(path: str) -> str:
    """`path` as Spark (Hadoop's glob) reads it literally: glob characters after a backslash."""
    return re.sub(r"([\\*?\[\]{}])", r"\\\1", path)
