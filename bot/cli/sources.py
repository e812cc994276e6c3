"""`cvm value fit|score --source PATH`: the engine on transaction files where they live.

The engine that holds the rows summarises them in SQL (value_engine.sources): an embedded
DuckDB for Parquet or CSV files, or Spark (`--engine spark`, `SPARK_MASTER`) for data on a
cluster. Only the fit's groups reach Python; the scores are computed batch by batch where
the summary is and written to `--out` (Parquet, or CSV under the project's CSV rule).
Nothing is written unless every step before it worked.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bot.cli.json_out import print_json
from bot.config import Settings
from bot.progress import progress

if TYPE_CHECKING:  # imports SciPy: only the commands that fit
    from value_engine.sources.pipeline import SourceModels

ENGINES = ("duckdb", "spark")


def add_glob(parser: argparse.ArgumentParser) -> None:
    """`--glob`: a source path is read literally (a folder `sales*` is that folder, not
    `sales_other_team/` too) unless the caller asks for a pattern."""
    parser.add_argument(
        "--glob", action="store_true", help="--source is a pattern (*, ?, [...]), not a path"
    )


def _open(args: argparse.Namespace, settings: Settings) -> Any:
    """A DuckSource or a SparkSource: fit(), scores(), write_scores(), as_of_day, ..."""
    pattern = bool(getattr(args, "glob", False))
    if args.engine == "spark":
        from value_engine.sources.spark import SparkSource

        master = os.environ.get("SPARK_MASTER", "local[*]")
        return SparkSource(
            str(args.source), settings.value_default_margin, master=master, pattern=pattern
        )
    from value_engine.sources.files import DuckSource

    return DuckSource(
        Path(args.source),
        settings.value_default_margin,
        memory_limit=settings.value_duckdb_memory,
        pattern=pattern,
    )


def _said(exc: Exception) -> str:
    """The error in one line; rows the import refuses in the import's own words."""
    from value_engine.sources.errors import BadRows

    if not isinstance(exc, BadRows):
        return str(exc)
    from bot.texts import t
    from knowledge.models import Lang

    told = "; ".join(
        f"{b.rows} {'row' if b.rows == 1 else 'rows'}: "
        + t("err_" + b.code, Lang.EN, value=b.example)
        for b in exc.broken
    )
    return f"{exc.where}: rows that cvm import refuses too ({told})"


def run_source(args: argparse.Namespace, settings: Settings) -> int:
    """`cvm value fit --source` and `cvm value score --source`."""
    from bot.cli.report_text import fit_text, holdout_lines, quality_lines
    from value_engine.blas import one_blas_thread
    from value_engine.models import ModelError
    from value_engine.scoring import check_horizon
    from value_engine.sources.files import SourceError

    command = f"cvm value {args.value_command}"
    scoring = args.value_command == "score"
    out: Path | None = getattr(args, "out", None)
    written = 0
    try:
        if getattr(args, "calibration_end", None) is not None:
            raise SourceError("--calibration-end works on the bot's database, not with --source")
        if scoring:
            check_horizon(args.horizon, args.discount_rate)
            assert out is not None
            if not out.parent.is_dir():
                raise SourceError(f"--out: the folder {out.parent} does not exist")
        with progress("value from the source", "steps") as step, _open(args, settings) as source:
            step(1, 3)
            with one_blas_thread():
                models = source.fit()
            step(2, 3)
            if scoring and out is not None:
                if args.engine == "spark":  # the executors write, where the data is
                    written = source.write_scores(models, args.horizon, args.discount_rate, out)
                else:
                    written = _write_scores(source, models, args, out)
            step(3, 3)
    except (SourceError, ValueError, ArithmeticError, ModelError) as exc:
        print(f"{command}: {_said(exc)}", file=sys.stderr)
        return 2
    if scoring:
        print(f"scored {written} customers -> {out}")
        for line in quality_lines(models.bgnbd, models.spend, models.quality):
            print(line)
        return 0
    if args.json:
        result: dict[str, Any] = {
            "bgnbd": models.bgnbd.as_json_dict(),
            "gamma_gamma": models.spend.as_json_dict(),
            "quality": models.quality.as_json_dict(),
        }
        print_json(result)
        return 0
    print(fit_text(models.bgnbd, models.spend, models.quality))
    print(
        f"{models.customers} customers with a purchase, {source.transactions} transactions, "
        f"as of {np.datetime64(source.as_of_day, 'D')}, time unit 7 days"
    )
    for line in holdout_lines(models.holdout):
        print(line)
    return 0


def run_publish(args: argparse.Namespace, settings: Settings, service: Any) -> int:
    """`cvm value publish`: fit where the data is, score everyone there, and serve the
    chosen customers' full rows (and their quarters) from the bot's own tables."""
    import time
    from datetime import timedelta

    from bot.customers.csv_import import MAX_ID_CHARS
    from bot.customers.service import UNIT_DAYS
    from value_engine.blas import one_blas_thread
    from value_engine.models import FittedModels, ModelError, RfmSegment
    from value_engine.periods import EPOCH
    from value_engine.sources.files import SourceError
    from value_engine.sources.served import ServingPass

    command = "cvm value publish"
    if not (args.all or args.top is not None or args.segment is not None):
        print(f"{command}: say which customers the bot serves: --top N, --segment S or --all",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.all and (args.top is not None or args.segment is not None):
        print(f"{command}: --all serves everyone; leave out --top and --segment", file=sys.stderr)
        return 2
    if args.top is not None and args.top < 1:
        print(f"{command}: --top must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    segment = None if args.segment is None else RfmSegment(args.segment)
    label = f"{args.engine}:{args.source}"
    try:
        with progress("value from the source", "steps") as step, _open(args, settings) as source:
            with one_blas_thread():
                fitted = source.fit()
            step(1, 4)
            chosen = source.select_served(segment, args.top)
            step(2, 4)
            models = FittedModels(
                bgnbd=fitted.bgnbd,
                gamma_gamma=fitted.spend,
                unit_days=UNIT_DAYS,
                as_of=EPOCH + timedelta(days=source.as_of_day),
                quality=fitted.quality,
            )
            serving = ServingPass(
                models,
                service.policy,
                source.as_of_day,
                source.profit_assumed,
                service.store.referrers(),
            )
            with one_blas_thread():
                served = source.serve(serving)
            too_long = (r.customer_id for r in served.rows if len(r.customer_id) > MAX_ID_CHARS)
            long_id = next(too_long, None)
            if long_id is not None:  # the bot's customer table keeps ids this long at most
                raise SourceError(
                    f"a customer id longer than {MAX_ID_CHARS} characters: {long_id[:80]!r}"
                )
            periods = source.served_history()
            step(3, 4)
            info = service.publish(
                served, models, periods, label, source.transactions, source.profit_assumed,
                time.perf_counter() - started, fitted.holdout,
            )  # fmt: skip
            step(4, 4)
    except (SourceError, ValueError, ArithmeticError, ModelError) as exc:
        print(f"{command}: {_said(exc)}", file=sys.stderr)
        return 2
    if args.json:
        print_json({**info.as_json_dict(), "served": chosen})
        return 0
    print(
        f"serving {chosen} of {served.customers} customers from {args.source} "
        f"(as of {models.as_of}); /customer now shows these scores"
    )
    return 0


def _write_scores(source: Any, models: SourceModels, args: argparse.Namespace, out: Path) -> int:
    """Batches of scores into `out`; the file appears whole or not at all."""
    from value_engine.sources.pipeline import SCORE_COLUMNS

    partial = out.with_name(out.name + ".partial")
    written = 0
    try:
        with _writer(partial, out.suffix.lower() in (".parquet", ".pq")) as write:
            for ids, scores in source.scores(models, args.horizon, args.discount_rate):
                write({"customer_id": ids, **{name: scores[name] for name in SCORE_COLUMNS}})
                written += len(ids)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return written


class _Writer(Protocol):
    def __call__(self, columns: dict[str, Any]) -> None: ...


class _writer(AbstractContextManager[_Writer]):
    """Parquet batch by batch, or CSV through the project's one CSV writer."""

    def __init__(self, path: Path, parquet: bool) -> None:
        self._path, self._parquet = path, parquet
        self._parquet_writer: Any = None
        self._csv: Any = None

    def __enter__(self) -> _Writer:
        if not self._parquet:
            from bot.csv_out import ColumnWriter

            self._csv = ColumnWriter(self._path)
            return self._csv.write  # type: ignore[no-any-return]
        return self._write_parquet

    def _write_parquet(self, columns: dict[str, Any]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(columns)
        if self._parquet_writer is None:
            self._parquet_writer = pq.ParquetWriter(str(self._path), table.schema)
        self._parquet_writer.write_table(table)

    def __exit__(self, *exc: object) -> None:
        if self._parquet_writer is not None:
            self._parquet_writer.close()
        if self._csv is not None:
            self._csv.close()
