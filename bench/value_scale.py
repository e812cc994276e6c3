"""The value engine where the data lives, at scale (issue 13; figures go into the closing
note with the core count).

    python bench/value_scale.py [--customers 10000000] [--spark-customers 1000000]
                                [--lifetimes-customers 1000000] [--keep DIR [--reuse]]
                                [--only duckdb|fit|publish|lifetimes|spark ...]

1. Writes a synthetic company as Parquet: customers drawn from BG/NBD (about ten
   transactions each, so 10,000,000 customers are about 100,000,000 rows), with same-day
   repeat lines and returns, in files of 1,000,000 customers.
2. End to end with DuckDB (`cvm value score --source DIR --out scores.parquet`): summary,
   fit, score, write; wall time and peak memory of the process.
3. The fit alone on the summary's groups (what the warehouse's GROUP BY returns).
4. `cvm value publish --top 100000` into the bot's SQLite: everyone ranked and scored,
   the served rows and quarters written; then what `/customer` costs afterwards.
5. 1,000,000 customers: our end to end against `lifetimes`, which needs the summary in
   pandas (taken from DuckDB, not timed against it) and then fits and predicts.
6. The same end to end with Spark local[*] (`--spark-customers`; 10,000,000 for the
   100,000,000 rows of step 1, kept with --keep and --reuse).

Targets: DuckDB end to end on 100M rows under 3 minutes and 4 GB; the fit alone on
10,000,000 customers under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PARTS = ("duckdb", "fit", "publish", "lifetimes", "spark")
TRUTH = {"r": 1.5, "alpha": 9.0, "a": 0.5, "b": 6.0}  # weekly; about 9.5 purchases each
CHUNK = 1_000_000  # customers per Parquet file
AS_OF = np.datetime64("2026-09-30", "D")


def write_company(folder: Path, customers: int, seed: int = 1) -> int:
    """Parquet files of transactions; returns the number of rows."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from value_engine.bgnbd import simulate
    from value_engine.models import BgNbdParams

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = 0
    as_of_us = AS_OF.astype("datetime64[us]").astype(np.int64)
    for start in range(0, customers, CHUNK):
        n = min(CHUNK, customers - start)
        age_days = rng.integers(1, 3 * 365, n)
        x, t_x = simulate(BgNbdParams(**TRUTH), age_days / 7.0, rng)
        x = x.astype(np.int64)
        first = -age_days  # days before the end
        # Each customer: the first purchase, x repeats in (0, t_x] with the last at t_x.
        count = x + 1
        cust = np.repeat(np.arange(n), count)
        offset = np.zeros(cust.size)
        ends = np.cumsum(count) - 1
        has_repeat = x > 0
        draws = rng.random(cust.size) * np.repeat(t_x * 7.0, count)
        offset[:] = draws
        offset[np.cumsum(count) - count] = 0.0  # the first purchase
        offset[ends[has_repeat]] = (t_x * 7.0)[has_repeat]  # the last one at recency
        day = first[cust] + np.floor(offset).astype(np.int64)
        nu = rng.gamma(4.0, 1 / 300.0, n)  # Gamma-Gamma: each customer's own spend level
        amount = np.maximum(np.round(rng.gamma(6.0, 1 / nu[cust]), 2), 1.0)
        # 5% second lines on the same day, 2% returns of part of a line.
        same = rng.random(cust.size) < 0.05
        back = rng.random(cust.size) < 0.02
        cust = np.concatenate([cust, cust[same], cust[back]])
        day = np.concatenate([day, day[same], np.minimum(day[back] + 3, -1)])
        amount = np.concatenate([amount, amount[same] / 2, -np.round(amount[back] * 0.5, 2)])
        seconds = rng.integers(8 * 3600, 20 * 3600, cust.size)
        moment = as_of_us + (day * 86_400 + seconds) * 1_000_000
        numbers = pc.cast(pa.array(start + cust), pa.string())
        ids = pc.binary_join_element_wise("C", pc.utf8_lpad(numbers, 9, "0"), "")
        table = pa.table(
            {
                "customer_id": ids,
                "timestamp": pa.array(moment, type=pa.timestamp("us", tz="UTC")),
                "amount": amount,
                "gross_margin": np.round(amount * 0.3, 2),
            }
        )
        pq.write_table(table, folder / f"part-{start // CHUNK:04d}.parquet")
        rows += table.num_rows
    return rows


def timed_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(seconds, peak MB of the process and its children together, stdout): a Spark run's
    JVM counts, as DuckDB's memory inside the Python process does."""
    import psutil

    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        watched = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                tree = [watched, *watched.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{err.read()[-3000:]}")
        return seconds, peak / 2**20, out.read()


def cvm(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def fit_alone(folder: Path) -> tuple[float, int, int]:
    """The fit on the groups the engine's GROUP BY returns (the same queries `cvm value`
    runs): (seconds, customers, groups)."""
    from value_engine.blas import one_blas_thread
    from value_engine.sources.files import DuckSource
    from value_engine.sources.pipeline import fit_groups
    from value_engine.sources.summary_sql import PURCHASE_GROUPS_SQL, SPEND_GROUPS_SQL

    with DuckSource(folder, 1.0) as source:
        purchase = source.con.execute(PURCHASE_GROUPS_SQL.format(summary="summary")).fetchnumpy()
        spend = source.con.execute(SPEND_GROUPS_SQL.format(summary="summary")).fetchnumpy()
    with one_blas_thread():
        started = time.perf_counter()
        models = fit_groups(
            (purchase["frequency"], purchase["recency"], purchase["t"], purchase["customers"]),
            (spend["frequency"], spend["monetary_value"], spend["customers"]),
            0.0,
        )
        seconds = time.perf_counter() - started
    return seconds, models.customers, int(purchase["customers"].size + spend["customers"].size)


def publish(source: Path, data_dir: Path, top: int) -> dict[str, float]:
    """`cvm value publish --top N` into a fresh bot database, then the reads of one card."""
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = {"DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING", "DATABASE_URL": ""}
    seconds, peak, out = timed_child(
        cvm("value", "publish", "--source", str(source), "--top", str(top)), env=env
    )
    print(f"publish the top {top:,}: {seconds:.1f} s, peak {peak:.0f} MB\n  {out.strip()}",
          flush=True)  # fmt: skip
    from bot.customers.service import ValueService
    from bot.customers.store import CustomerStore
    from bot.storage.repository import make_engine

    class _NoLookup:
        def find(self, doc_prefix: str, quote: str) -> None:
            return None

    service = ValueService(
        CustomerStore(make_engine(f"sqlite:///{data_dir / 'cvm.db'}")), _NoLookup()
    )
    ids = [score.customer_id for score, _, _ in service.top(200)]
    service.breakdown(ids[0])  # the fit's cache warmed, as in a running bot
    started = time.perf_counter()
    for customer_id in ids:
        assert service.breakdown(customer_id) is not None
    card_ms = (time.perf_counter() - started) / len(ids) * 1000
    print(
        f"  then a served customer's breakdown: {card_ms:.1f} ms (mean of {len(ids)})", flush=True
    )
    return {"seconds": seconds, "peak_mb": peak, "card_ms": card_ms}


LIFETIMES = """
import sys, time, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
frame = pd.read_parquet(sys.argv[1])
started = time.perf_counter()
bgf = BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["t"])
repeat = frame[frame["frequency"] > 0]
ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
frame["expected_purchases"] = bgf.conditional_expected_number_of_purchases_up_to_time(
    52, frame["frequency"], frame["recency"], frame["t"])
frame["p_alive"] = bgf.conditional_probability_alive(
    frame["frequency"], frame["recency"], frame["t"])
frame["clv"] = ggf.customer_lifetime_value(
    bgf, frame["frequency"], frame["recency"], frame["t"], frame["monetary_value"],
    time=12, discount_rate=0.01, freq="W").values
frame[["customer_id", "expected_purchases", "p_alive", "clv"]].to_parquet(sys.argv[2])
print(time.perf_counter() - started)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--spark-customers", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-customers", type=int, default=1_000_000)
    parser.add_argument("--publish-top", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the generated data here")
    parser.add_argument("--reuse", action="store_true", help="use the data kept by --keep")
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only these parts (repeatable)"
    )
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    wanted = set(args.only or PARTS) - ({"spark"} if args.skip_spark else set())
    print(f"cores: {len(os.sched_getaffinity(0))}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        results: dict[str, object] = {}

        big = base / f"tx-{args.customers}"
        started = time.perf_counter()
        rows = _company(big, args.customers, 1, args.reuse)
        print(f"wrote {rows:,} rows for {args.customers:,} customers in "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        if "duckdb" in wanted:
            seconds, peak, out = timed_child(
                cvm("value", "score", "--source", str(big), "--horizon", "52",
                    "--discount-rate", "0.002", "--out", str(base / "scores.parquet"))
            )  # fmt: skip
            first_line = out.strip().splitlines()[0]
            print(f"DuckDB end to end, {rows:,} rows: {seconds:.1f} s, peak {peak:.0f} MB "
                  f"(targets 180 s, 4096 MB)\n  {first_line}", flush=True)  # fmt: skip
            results["duckdb"] = {"rows": rows, "seconds": seconds, "peak_mb": peak}
        if "fit" in wanted:
            fit_s, customers, groups = fit_alone(big)
            print(f"fit alone on {customers:,} customers ({groups:,} groups): {fit_s:.2f} s "
                  "(target 1 s)", flush=True)  # fmt: skip
            results["fit_alone"] = {"customers": customers, "groups": groups, "seconds": fit_s}
        if "publish" in wanted:
            results["publish"] = publish(big, base / "bot", args.publish_top)
        if "lifetimes" in wanted:
            results["lifetimes"] = against_lifetimes(base, args.lifetimes_customers, args.reuse)
        if "spark" in wanted:
            results["spark"] = spark_end_to_end(base, args.spark_customers)
        print(json.dumps(results))


def _company(folder: Path, customers: int, seed: int, reuse: bool) -> int:
    """The company's rows, written now or (with --reuse) counted from a kept copy."""
    if reuse and folder.exists():
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(f).metadata.num_rows for f in folder.glob("*.parquet"))
    return write_company(folder, customers, seed=seed)


def against_lifetimes(base: Path, customers: int, reuse: bool) -> dict[str, float]:
    """Ours from raw rows to written scores, against lifetimes on a ready summary."""
    from value_engine.sources.files import DuckSource

    small = base / f"tx-{customers}"
    small_rows = _company(small, customers, 2, reuse)
    ours, _, _ = timed_child(
        cvm("value", "score", "--source", str(small), "--horizon", "52",
            "--discount-rate", "0.002", "--out", str(base / "small.parquet"))
    )  # fmt: skip
    summary = base / "summary.parquet"
    with DuckSource(small, 1.0) as source:
        source.con.execute(
            f"COPY (SELECT * FROM summary WHERE purchases > 0) TO '{summary}' (FORMAT parquet)"
        )
    theirs, _, out = timed_child(
        [sys.executable, "-c", LIFETIMES, str(summary), str(base / "lifetimes.parquet")]
    )
    model_s = float(out.strip())
    print(f"{customers:,} customers ({small_rows:,} rows): ours end to end "
          f"{ours:.1f} s; lifetimes fit and predict on a ready summary {theirs:.1f} s "
          f"(its model time {model_s:.1f} s): {theirs / ours:.1f}x", flush=True)  # fmt: skip
    return {"ours_s": ours, "theirs_s": theirs}


def spark_end_to_end(base: Path, customers: int) -> dict[str, float]:
    """`cvm value score --source --engine spark` on local[*], JVM included in the memory."""
    data = base / f"tx-{customers}"
    rows = _company(data, customers, 3, reuse=True)
    seconds, peak, _ = timed_child(
        cvm("value", "score", "--source", str(data), "--engine", "spark",
            "--horizon", "52", "--discount-rate", "0.002", "--out", str(base / "spark-scores")),
        env={"SPARK_MASTER": "local[*]"},
    )  # fmt: skip
    print(f"Spark local end to end, {customers:,} customers ({rows:,} rows): {seconds:.1f} s, "
          f"largest process tree {peak:.0f} MB", flush=True)  # fmt: skip
    return {"customers": customers, "rows": rows, "seconds": seconds, "peak_mb": peak}


if __name__ == "__main__":
    main()
