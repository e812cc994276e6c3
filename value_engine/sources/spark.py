"""Transactions on Spark: the same summary query, the fit on its groups, and the scoring
run by the executors with mapInPandas, written back as Parquet where the data is.

pyspark is an optional extra (`pip install .[spark]`): the bot's image does not carry it.
`master` is `local[*]` on one machine or the cluster's URL (`SPARK_MASTER`). A source is a
Parquet or CSV path (a file or a folder, local or on the cluster's file system) or
`table:NAME` for a table in Spark's catalog.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from value_engine.models import RfmSegment
from value_engine.periods import last_quarters
from value_engine.row_rules import SPARK, broken_rules, row_rules, rules_query
from value_engine.sources.errors import BadRows, SourceError
from value_engine.sources.files import REQUIRED
from value_engine.sources.paths import (
    SUFFIXES,
    SourceFiles,
    hadoop_literal,
    kinds_of,
    source_files,
)
from value_engine.sources.pipeline import (
    SCORE_COLUMNS,
    SourceModels,
    backtest_where,
    fit_groups,
    holdout_cut,
    score_batch,
)
from value_engine.sources.served import ServedScores, ServingPass
from value_engine.sources.served_sql import history_sql, ranked_sql, selection_sql
from value_engine.sources.summary_sql import (
    FALLBACK_SQL,
    PURCHASE_GROUPS_SQL,
    SPEND_GROUPS_SQL,
    summary_sql,
)

SCORE_SCHEMA = "customer_id string, " + ", ".join(f"{c} double" for c in SCORE_COLUMNS)


LOCAL_DRIVER_MEMORY = "4g"


def driver_memory(master: str) -> str | None:
    """`SPARK_DRIVER_MEMORY`, else 4g on one machine (local[*]), where the driver does all
    the work: with Spark's own 1g, the fit's groups of ten million customers ran it out of
    heap, and Spark then waits forever instead of failing. On a cluster, its own defaults."""
    given = os.environ.get("SPARK_DRIVER_MEMORY", "").strip()
    if given:
        return given
    return LOCAL_DRIVER_MEMORY if master.startswith("local") else None


def spark_session(master: str = "local[*]") -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SourceError(
            "Spark is not installed here: pip install '.[spark]' (pyspark), or use the "
            "embedded --engine duckdb"
        ) from None
    # Executors on this machine run this interpreter, which has numpy and pyarrow.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        builder = (
            SparkSession.builder.master(master)
            .appName("cvm-value")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")  # our progress line is enough
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        )
        if master.startswith("local"):  # one machine: a few shuffle partitions, not 200
            builder = builder.config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 2)))
        memory = driver_memory(master)
        if memory:
            builder = builder.config("spark.driver.memory", memory)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        return session
    except Exception as exc:  # py4j and JVM start-up errors have no common base class
        raise SourceError(f"cannot start Spark at {master}: {str(exc).splitlines()[0]}") from None


def _local_files(source: str, pattern: bool) -> SourceFiles | None:
    """The explicit files of a source on this machine, as Spark reads them literally
    (paths.py), found before Spark starts; None for `table:NAME` and for a path this
    machine does not see (the cluster's file system: `_cluster_files`)."""
    if source.startswith("table:"):
        return None
    scheme, _, rest = source.partition("://")
    if rest and scheme != "file":
        return None
    local = rest if rest else source
    if not (pattern or Path(local).exists()):
        return None
    found = source_files(local, pattern)
    return SourceFiles([hadoop_literal(str(Path(f).absolute())) for f in found.files], found.kind)


def _cluster_files(spark: Any, source: str, pattern: bool) -> SourceFiles:
    """The files of a path on the cluster's file system (hdfs://, s3a://, or a path of
    its default one), listed by Hadoop as paths.py lists local ones; a pattern is left
    to Hadoop's glob."""
    if pattern:
        kind = SUFFIXES.get(Path(source).suffix.lower())
        if kind is None:
            raise SourceError(
                f"{source}: a pattern must end in .parquet or .csv with --engine spark"
            )
        return SourceFiles([source], kind)
    hadoop = spark._jvm.org.apache.hadoop.fs
    path = hadoop.Path(source)  # the constructor does not glob
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    if not fs.exists(path):
        raise SourceError(f"{source}: no such file or folder")
    if fs.getFileStatus(path).isDirectory():
        listed = [s.getPath() for s in fs.listStatus(path) if s.isFile()]
        names = [str(p.toString()) for p in listed if not str(p.getName()).startswith((".", "_"))]
    else:
        names = [str(path.toString())]
    found = kinds_of(source, names, strict=not fs.getFileStatus(path).isDirectory())
    return SourceFiles([hadoop_literal(f) for f in found.files], found.kind)


def _read(spark: Any, source: str, files: SourceFiles | None, pattern: bool) -> Any:
    if source.startswith("table:"):
        return spark.table(source.removeprefix("table:"))
    if files is None:
        files = _cluster_files(spark, source, pattern)
    if files.kind == "parquet":
        return spark.read.parquet(*files.files)
    return spark.read.option("header", True).csv(files.files)


@contextmanager
def _spark_errors(what: str) -> Iterator[None]:
    """Py4J and Spark errors have no common base class: any of them becomes one line. A
    ModelError from the executors' scoring would arrive wrapped the same way."""
    try:
        yield
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(f"{what}: {str(exc).strip().splitlines()[0][:300]}") from None


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class SparkSource:
    """The summary stays a cached Spark DataFrame; the driver sees only the fit's groups."""

    def __init__(
        self,
        source: str,
        default_margin: float = 1.0,
        unit_days: float = 7.0,
        master: str = "local[*]",
        spark: Any = None,
        pattern: bool = False,
        now: datetime | None = None,
    ) -> None:
        """`pattern`: `source` is a glob (`--glob`); `now`: where the future starts."""
        self.source = source
        files = _local_files(source, pattern)  # before Spark starts: a wrong folder fails at once
        self.spark = spark or spark_session(master)
        try:
            raw = _read(self.spark, source, files, pattern)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"{source}: cannot read it ({str(exc).splitlines()[0]})") from None
        names = {c.strip().lower(): c for c in raw.columns}
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise SourceError(f"{source}: missing columns: {', '.join(missing)}")
        raw.createOrReplaceTempView("cvm_input")

        def number(name: str, alias: str) -> str:
            """The optional column's text (to check and show) and its value."""
            if name not in names:
                return f"CAST(NULL AS string) AS {alias}_text, CAST(NULL AS double) AS {alias}"
            quoted = _quoted(names[name])
            return (
                f"CAST({quoted} AS string) AS {alias}_text, try_cast({quoted} AS double) AS {alias}"
            )

        sql = self.spark.sql
        with _spark_errors(f"{source}: cannot read it"):
            sql(
                f"""CREATE OR REPLACE TEMP VIEW cvm_raw AS SELECT
                    trim(CAST({_quoted(names["customer_id"])} AS string)) AS customer_id,
                    CAST({_quoted(names["timestamp"])} AS string) AS ts_text,
                    try_cast({_quoted(names["timestamp"])} AS timestamp) AS ts,
                    CAST({_quoted(names["amount"])} AS string) AS amount_text,
                    try_cast({_quoted(names["amount"])} AS double) AS amount,
                    {number("gross_margin", "margin")}, {number("cost", "cost")}
                FROM cvm_input"""
            )
            rules = row_rules(SPARK, (now or datetime.now(UTC)).replace(tzinfo=None))
            broken = broken_rules(rules, tuple(sql(rules_query(rules, "cvm_raw")).collect()[0]))
        if broken:
            raise BadRows(source, broken)
        with _spark_errors(f"{source}: cannot summarise it"):
            sql(
                f"""CREATE OR REPLACE TEMP VIEW cvm_tx AS SELECT customer_id,
                    CAST(datediff(to_date(ts), DATE'1970-01-01') AS bigint) AS day, amount,
                    coalesce(margin, amount - cost, amount * {float(default_margin)!r}E0) AS profit,
                    margin IS NULL AND cost IS NULL AS assumed
                FROM cvm_raw"""
            )
            as_of, transactions, assumed, first = sql(
                "SELECT max(day), count(*), max(CAST(assumed AS int)), "
                "min(CASE WHEN amount > 0 THEN day END) FROM cvm_tx"
            ).collect()[0]
            if not transactions:
                raise SourceError(f"{source}: no transactions")
            self.as_of_day, self.transactions = int(as_of), int(transactions)
            self.profit_assumed = bool(assumed)
            self.unit_days = unit_days
            self.holdout_cut = holdout_cut(None if first is None else int(first), self.as_of_day)
            query = summary_sql(self.as_of_day, "cvm_tx", unit_days, self.holdout_cut)
            self.summary = sql(query).cache()
            self.summary.createOrReplaceTempView("cvm_summary")

    def __enter__(self) -> SparkSource:
        return self

    def __exit__(self, *exc: object) -> None:
        for frame in (self.summary, getattr(self, "ranked", None), getattr(self, "served", None)):
            if frame is not None:
                frame.unpersist()

    def _numpy(self, sql_text: str) -> dict[str, np.ndarray]:
        frame = self.spark.sql(sql_text).toPandas()
        return {c: frame[c].to_numpy() for c in frame.columns}

    def fit(self, backtest: bool = True) -> SourceModels:
        """As `DuckSource.fit`."""
        holdout = None
        if backtest and self.holdout_cut is not None:
            holdout = backtest_where(
                self._numpy, "cvm_summary", self.holdout_cut, self.as_of_day, self.unit_days
            )
        purchase = self._numpy(PURCHASE_GROUPS_SQL.format(summary="cvm_summary"))
        spend = self._numpy(SPEND_GROUPS_SQL.format(summary="cvm_summary"))
        revenue, occasions, _ = self.spark.sql(
            FALLBACK_SQL.format(summary="cvm_summary")
        ).collect()[0]
        fallback = float(revenue or 0.0) / float(occasions) if occasions else 0.0
        return fit_groups(
            (purchase["frequency"], purchase["recency"], purchase["t"], purchase["customers"]),
            (spend["frequency"], spend["monetary_value"], spend["customers"]),
            fallback,
            holdout,
        )

    def scored_frame(self, models: SourceModels, horizon_steps: int, discount_rate: float) -> Any:
        """The scores as a Spark DataFrame, computed by the executors."""

        def score(batches: Iterator[Any]) -> Iterator[Any]:
            for frame in batches:
                columns = score_batch(
                    models,
                    frame["customer_id"].tolist(),
                    frame["frequency"].to_numpy(dtype=np.float64),
                    frame["recency"].to_numpy(dtype=np.float64),
                    frame["t"].to_numpy(dtype=np.float64),
                    frame["monetary_value"].to_numpy(dtype=np.float64),
                    horizon_steps,
                    discount_rate,
                )
                out = frame[["customer_id"]].copy()
                for name in SCORE_COLUMNS:
                    out[name] = columns[name]
                yield out

        buyers = self.summary.where("purchases > 0").select(
            "customer_id", "frequency", "recency", "t", "monetary_value"
        )
        return buyers.mapInPandas(score, SCORE_SCHEMA)

    def write_scores(
        self, models: SourceModels, horizon_steps: int, discount_rate: float, out: Path
    ) -> int:
        """Parquet files in the folder `out` (or the table `table:NAME`), written by the
        executors; the count of customers scored."""
        frame = self.scored_frame(models, horizon_steps, discount_rate).cache()
        try:
            target = str(out)
            if target.startswith("table:"):
                frame.write.mode("overwrite").saveAsTable(target.removeprefix("table:"))
            else:
                frame.write.mode("overwrite").parquet(target)
            return int(frame.count())
        except Exception as exc:
            raise SourceError(f"cannot write the scores: {str(exc).splitlines()[0]}") from None
        finally:
            frame.unpersist()

    # --- the customers the bot serves (value_engine.sources.served) ---------------------
    def select_served(self, segment: RfmSegment | None, top: int | None) -> int:
        """Rank everyone and choose the served customers; how many were chosen."""
        sql = self.spark.sql
        with _spark_errors("cannot rank the customers"):
            self.ranked = sql(ranked_sql("cvm_summary", self.as_of_day)).cache()
            self.ranked.createOrReplaceTempView("cvm_ranked")
            self.served = sql(selection_sql("cvm_ranked", segment, top)).cache()
            self.served.createOrReplaceTempView("cvm_served")
            return int(self.served.count())

    def serve(self, serving: ServingPass) -> ServedScores:
        """One pass per partition on the executors; only each pass's served rows and sums
        come back to be merged here."""
        blank = serving.without_work()

        def run(batches: Iterator[Any]) -> Iterator[Any]:
            import pandas as pd

            part = blank.without_work()
            for frame in batches:
                part.add({name: frame[name].to_numpy() for name in frame.columns})
            yield pd.DataFrame({"part": [pickle.dumps(part)]})

        frame = self.spark.sql(
            "SELECT r.*, s.customer_id IS NOT NULL AS served "
            "FROM cvm_ranked r LEFT JOIN cvm_served s ON r.customer_id = s.customer_id"
        )
        with _spark_errors("cannot score the customers"):
            parts = frame.mapInPandas(run, "part binary").collect()
        for row in parts:
            serving.merge(pickle.loads(row["part"]))  # our own executors' output
        return serving.result()

    def served_history(self, quarters: int = 12) -> list[tuple[str, int, float, float]]:
        """As `DuckSource.served_history`."""
        query = history_sql(
            "cvm_tx", "cvm_served", last_quarters(self.as_of_day, quarters), self.as_of_day
        )
        with _spark_errors("cannot read the served customers' quarters"):
            rows = self.spark.sql(query).collect()
        return [(str(c), int(q), float(r), float(p)) for c, q, r, p in rows]
