"""Issue 24, section 3: `--source` reads exactly the files it names, refuses a folder of two
kinds in one line, and refuses the rows `cvm import` refuses, for DuckDB and Spark alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.customers.csv_import import import_customers
from bot.customers.transactions_import import import_transactions
from bot.storage.repository import make_engine
from tests.cli_run import run_cvm
from value_engine.sources.errors import BadRows
from value_engine.sources.files import DuckSource, SourceError

HEADER = "customer_id,timestamp,amount,gross_margin\n"
GOOD = "C1,2026-01-05,10,3\nC1,2026-02-05,20,6\nC2,2026-03-01,5,1\n"
OTHER = "X9,2026-01-01,999,1\n"  # a sibling's data: never read through a look-alike path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + text)
    return path


@pytest.fixture()
def look_alikes(tmp_path: Path) -> dict[str, Path]:
    """Paths with glob characters, each next to a sibling its glob would also match."""
    _write(tmp_path / "sales*" / "a.csv", GOOD)
    _write(tmp_path / "sales_other_team" / "secret.csv", OTHER)
    _write(tmp_path / "data[1]" / "a.csv", GOOD)
    _write(tmp_path / "data1" / "a.csv", OTHER)
    _write(tmp_path / "x?.csv", GOOD)
    _write(tmp_path / "xa.csv", OTHER)
    return {
        "folder": tmp_path / "sales*",
        "brackets": tmp_path / "data[1]",
        "file": tmp_path / "x?.csv",
    }


@pytest.mark.parametrize("which", ["folder", "brackets", "file"])
def test_a_path_with_glob_characters_reads_only_itself(
    look_alikes: dict[str, Path], which: str
) -> None:
    with DuckSource(look_alikes[which]) as source:
        assert source.transactions == 3
        ids = {row[0] for row in source.con.execute("SELECT customer_id FROM tx").fetchall()}
    assert ids == {"C1", "C2"}


def test_glob_reads_a_pattern_on_request(tmp_path: Path) -> None:
    _write(tmp_path / "2026-01.csv", GOOD)
    _write(tmp_path / "2026-02.csv", "C3,2026-02-01,7,2\n")
    _write(tmp_path / "2025-12.csv", OTHER)
    with DuckSource(tmp_path / "2026-*.csv", pattern=True) as source:
        assert source.transactions == 4
    with pytest.raises(SourceError, match="no such file or folder"):
        DuckSource(tmp_path / "2026-*.csv")  # without --glob: a path, not there


def _mixed(folder: Path) -> Path:
    _write(folder / "b.csv", GOOD)
    table = pa.table(
        {
            "customer_id": ["C5"],
            "timestamp": ["2026-01-01"],
            "amount": ["4"],
            "gross_margin": ["1"],
        }
    )
    pq.write_table(table, folder / "a.parquet")
    return folder


def test_a_folder_of_parquet_and_csv_is_refused_naming_both(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"two kinds \(1 CSV .*1 Parquet"):
        DuckSource(_mixed(tmp_path / "mixed"))


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_cvm_refuses_a_mixed_folder_in_one_line(tmp_path: Path, engine: str) -> None:
    done = run_cvm(
        tmp_path, "value", "fit", "--source", str(_mixed(tmp_path / "mixed")), "--engine", engine
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "Parquet" in done.stderr and "CSV" in done.stderr


# Rows the import refuses, each with the import's error code.
BAD_ROWS = [
    ("C1,2100-01-01,10,3\n", "future_date", "2100-01-01"),
    ("C1,2026-01-01,10,inf\n", "bad_margin", "inf"),
    ("C1,2026-01-01,10,abc\n", "bad_margin", "abc"),
    ("C1,2026-01-01,inf,3\n", "bad_amount", "inf"),
    ("C1,2026-01-01,0,0\n", "zero_amount", "0"),
    ("C1,1960-01-01,10,3\n", "bad_date", "1960-01-01"),
    ("C\x01,2026-01-01,10,3\n", "bad_customer_id", "C\x01"),
]


@pytest.mark.parametrize(("row", "code", "example"), BAD_ROWS)
def test_a_source_refuses_the_rows_the_import_refuses(
    tmp_path: Path, row: str, code: str, example: str
) -> None:
    source = _write(tmp_path / "tx.csv", GOOD + row)
    with pytest.raises(BadRows) as refused:
        DuckSource(source)
    assert [(b.code, b.rows, b.example) for b in refused.value.broken] == [(code, 1, example)]
    # The import refuses the same row with the same code: one set of rules.
    engine = make_engine(f"sqlite:///{tmp_path / 'i.db'}")
    import_customers(engine, b"id,name\nC1,a\nC2,b\n")
    report = import_transactions(engine, source.read_bytes())
    assert not report.committed
    assert [issue.code for issue in report.errors] == [code]


def test_a_cost_column_is_checked_too(tmp_path: Path) -> None:
    source = tmp_path / "tx.csv"
    source.write_text("customer_id,timestamp,amount,cost\nC1,2026-01-01,10,-inf\n")
    with pytest.raises(BadRows) as refused:
        DuckSource(source)
    assert [b.code for b in refused.value.broken] == ["bad_cost"]


def test_cvm_names_the_future_row_in_the_imports_words(tmp_path: Path) -> None:
    source = _write(tmp_path / "tx.csv", GOOD + "C1,2100-01-01,10,3\n")
    done = run_cvm(tmp_path, "value", "fit", "--source", str(source))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "1 row: date in the future “2100-01-01”" in done.stderr


# --- Spark -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from value_engine.sources.spark import spark_session

    session = spark_session("local[1]")
    yield session
    session.stop()


@pytest.mark.spark
def test_spark_reads_paths_literally_and_refuses_bad_rows(
    spark: Any, look_alikes: dict[str, Path], tmp_path: Path
) -> None:
    from value_engine.sources.spark import SparkSource

    for path in look_alikes.values():
        with SparkSource(str(path), spark=spark) as source:
            assert source.transactions == 3, path
    # A path this machine cannot list (the cluster's file system) is listed by Hadoop,
    # and read as literally: here through Hadoop's own local file system.
    from value_engine.sources.spark import _read

    for path in look_alikes.values():
        assert _read(spark, f"file://{path}", None, False).count() == 3, path
    with pytest.raises(SourceError, match="two kinds"):
        _read(spark, f"file://{_mixed(tmp_path / 'mixed_remote')}", None, False)
    with SparkSource(str(tmp_path / "x*.csv"), spark=spark, pattern=True) as source:
        assert source.transactions == 4  # x?.csv and xa.csv, as asked
    with pytest.raises(SourceError, match="two kinds"):
        SparkSource(str(_mixed(tmp_path / "mixed")), spark=spark)
    bad = _write(tmp_path / "bad.csv", GOOD + "".join(row for row, _, _ in BAD_ROWS[:2]))
    with pytest.raises(BadRows) as refused:
        SparkSource(str(bad), spark=spark)
    assert [(b.code, b.rows) for b in refused.value.broken] == [
        ("future_date", 1),
        ("bad_margin", 1),
    ]
