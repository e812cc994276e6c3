"""`cvm value fit|score --source PATH`: the engine on transaction files where they live.

The files are summarised in SQL by an embedded DuckDB (value_engine.sources.files); only
one row per customer reaches Python, where the models are fitted on the summary's
distinct groups and every customer is scored. Nothing is written unless every step worked.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.progress import progress

ENGINES = ("local", "duckdb")


def _refused(args: argparse.Namespace) -> str | None:
    if args.engine == "local":
        return "files are read by the embedded DuckDB: use --engine duckdb (the default)"
    return None


def run_source(args: argparse.Namespace, settings: Settings) -> int:
    """`cvm value fit --source` and `cvm value score --source`."""
    from bot.cli.value import fit_text, quality_lines
    from bot.csv_out import write_columns
    from value_engine.blas import one_blas_thread
    from value_engine.model_choice import assess, fit_purchase_model, fit_spend_model
    from value_engine.models import ModelError
    from value_engine.scoring import check_horizon, fit_and_predict
    from value_engine.sources.files import SourceError, summarize_source

    command = f"cvm value {args.value_command}"
    problem = _refused(args)
    scoring = args.value_command == "score"
    out: Path | None = getattr(args, "out", None)
    try:
        if problem:
            raise SourceError(problem)
        if scoring:
            check_horizon(args.horizon, args.discount_rate)
            if out is None or not out.parent.is_dir():
                raise SourceError(f"--out: the folder {out.parent if out else ''} does not exist")
        with progress("value from files", "steps") as step:
            step(0, 3)
            source = summarize_source(args.source, settings.value_default_margin)
            step(1, 3)
            s = source.summary
            buyers = s.has_purchase
            x, t_x, big_t, m = (
                s.frequency[buyers],
                s.recency[buyers],
                s.age[buyers],
                s.monetary[buyers],
            )
            ids = [cid for cid, b in zip(source.customer_ids, buyers, strict=True) if b]
            occasions = float(s.purchases[buyers].sum())
            fallback = float(s.revenue[buyers].sum()) / occasions if occasions else 0.0
            with one_blas_thread():
                if scoring:
                    scored = fit_and_predict(
                        ids, x, t_x, big_t, m, args.horizon, args.discount_rate
                    )
                    bgnbd, spend, quality = scored.bgnbd, scored.spend, scored.quality
                else:
                    bgnbd = fit_purchase_model(x, t_x, big_t)
                    spend = fit_spend_model(x, m, fallback_mean=fallback)
                    quality = assess(bgnbd, spend)
            step(2, 3)
            if scoring and out is not None:
                p = scored.predictions
                columns = {
                    "customer_id": ids,
                    "expected_purchases": p.expected_purchases,
                    "p_alive": p.p_alive,
                    "expected_spend": p.expected_spend,
                    "clv": p.clv,
                }
                _write(out, columns, write_columns)
            step(3, 3)
    except (SourceError, ValueError, ArithmeticError, ModelError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    if scoring:
        skipped = len(source.customer_ids) - len(ids)
        print(
            f"scored {len(ids)} customers -> {out}"
            + (f" ({skipped} with returns only, no purchase, not scored)" if skipped else "")
        )
        for line in quality_lines(bgnbd, spend, quality):
            print(line)
        return 0
    if args.json:
        result: dict[str, object] = {
            "bgnbd": bgnbd.as_json_dict(),
            "gamma_gamma": spend.as_json_dict(),
            "quality": quality.as_json_dict(),
        }
        print(json.dumps(result))
        return 0
    print(fit_text(bgnbd, spend, quality))
    print(
        f"{len(ids)} customers, {source.transactions} transactions, as of day "
        f"{np.datetime64(source.as_of_day, 'D')}, time unit 7 days"
    )
    return 0


def _write(out: Path, columns: dict[str, object], write_columns) -> None:  # type: ignore[no-untyped-def]
    """Parquet for a .parquet name (what a warehouse loads back), else CSV."""
    if out.suffix.lower() in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(columns), out)
        return
    write_columns(out, columns)
