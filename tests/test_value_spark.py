"""The value engine on Spark (issue 13): `local[2]` with the machine's Java 17. The same
summary as NumPy, the same fit as DuckDB, and the executors' scores equal to local scoring
to 1e-9."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.test_value_sources import MARGIN, _assert_same, company_csv, database  # noqa: F401
from value_engine.sources.files import DuckSource, SourceError
from value_engine.sources.pipeline import SCORE_COLUMNS, score_batch
from value_engine.sources.spark import SparkSource, spark_session
from value_engine.sources.summary_sql import to_summary
from value_engine.summary import CustomerSummary

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def source_file(tmp_path_factory: pytest.TempPathFactory, company_csv: bytes) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp("spark") / "tx.csv"
    path.write_bytes(company_csv)
    return path


def test_spark_summary_equals_the_numpy_summary(
    spark: Any,
    source_file: Path,
    database: tuple[Any, list[str], CustomerSummary, int],  # noqa: F811
) -> None:
    _, ids, reference, as_of = database
    with SparkSource(str(source_file), MARGIN, spark=spark) as source:
        assert source.as_of_day == as_of
        frame = source.summary.toPandas()
    columns = {c: frame[c].to_numpy() for c in frame.columns if c != "customer_id"}
    got = to_summary(columns, as_of, True)
    _assert_same(frame["customer_id"].tolist(), got, ids, reference)


def test_spark_fits_as_duckdb_and_its_executors_score_as_local(
    spark: Any, source_file: Path, tmp_path: Path
) -> None:
    with DuckSource(source_file, MARGIN) as duck:
        local_models = duck.fit()
    with SparkSource(str(source_file), MARGIN, spark=spark) as source:
        models = source.fit()
        for name in ("r", "alpha", "a", "b"):
            assert getattr(models.bgnbd, name) == pytest.approx(
                getattr(local_models.bgnbd, name), rel=1e-6
            )
        assert models.spend.q == pytest.approx(local_models.spend.q, rel=1e-6)
        assert models.holdout is not None and local_models.holdout is not None
        assert models.holdout.actual == local_models.holdout.actual > 0
        assert models.holdout.predicted == pytest.approx(local_models.holdout.predicted, rel=1e-6)
        buyers = source.summary.where("purchases > 0").toPandas().set_index("customer_id")
        out = tmp_path / "scores"
        written = source.write_scores(models, 52, 0.002, out)
    assert written == len(buyers)
    scored = spark.read.parquet(str(out)).toPandas().set_index("customer_id").loc[buyers.index]
    local = score_batch(
        models,
        buyers.index.tolist(),
        buyers["frequency"].to_numpy(dtype=float),
        buyers["recency"].to_numpy(dtype=float),
        buyers["t"].to_numpy(dtype=float),
        buyers["monetary_value"].to_numpy(dtype=float),
        52,
        0.002,
    )
    for name in SCORE_COLUMNS:
        assert np.allclose(scored[name].to_numpy(), local[name], rtol=1e-9, atol=1e-12), name


def test_spark_refuses_bad_sources_in_one_line(spark: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,timestamp,amount\nC1,2026-01-01,oops\n")
    with pytest.raises(SourceError, match="1 bad amount"):  # the import's rule (row_rules)
        SparkSource(str(bad), spark=spark)
    missing = tmp_path / "missing.csv"
    missing.write_text("customer_id,amount\nC1,3\n")
    with pytest.raises(SourceError, match="missing columns: timestamp"):
        SparkSource(str(missing), spark=spark)
    with pytest.raises(SourceError, match="no such file or folder"):  # before Spark reads
        SparkSource(str(tmp_path / "nowhere.parquet"), spark=spark)
    with pytest.raises(SourceError, match="cannot read it"):
        SparkSource("table:no_such_table", spark=spark)


def test_cvm_value_fit_on_spark_prints_the_same_contract(source_file: Path, tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING", SPARK_MASTER="local[2]")

    def fit(*extra: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "value", "fit", "--source", str(source_file),
             "--json", *extra],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    on_spark, on_duckdb = fit("--engine", "spark"), fit()
    assert set(on_spark) == set(on_duckdb) == {"bgnbd", "gamma_gamma", "quality"}
    assert on_spark["bgnbd"]["r"] == pytest.approx(on_duckdb["bgnbd"]["r"], rel=1e-6)
    env["SPARK_MASTER"] = "nowhere://cluster"
    refused = subprocess.run(
        [sys.executable, "-m", "bot.cli", "value", "fit", "--source", str(source_file),
         "--engine", "spark"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert refused.returncode == 2 and "cannot start Spark at nowhere://cluster" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_spark_serves_the_bot_what_duckdb_serves(
    spark: Any,
    source_file: Path,
    database: tuple[Any, list[str], CustomerSummary, int],  # noqa: F811
) -> None:
    """`cvm value publish --engine spark`: ranks, selection, the executors' passes merged,
    and the quarterly history equal DuckDB's, referrals included."""
    from datetime import timedelta

    from value_engine.models import FittedModels, RfmSegment
    from value_engine.periods import EPOCH
    from value_engine.scoring import ScoringPolicy
    from value_engine.sources.served import ServingPass

    _, ids, _, _ = database
    referrer_of = {ids[i]: ids[i - 1] for i in range(1, len(ids), 3)}
    results = []
    for source in (
        DuckSource(source_file, MARGIN),
        SparkSource(str(source_file), MARGIN, spark=spark),
    ):
        with source:
            fitted = source.fit()
            chosen = source.select_served(RfmSegment.LOYAL, 40)
            models = FittedModels(
                fitted.bgnbd, fitted.spend, 7.0, EPOCH + timedelta(days=source.as_of_day),
                fitted.quality,
            )  # fmt: skip
            pass_ = ServingPass(
                models, ScoringPolicy(), source.as_of_day, source.profit_assumed, referrer_of
            )
            results.append((chosen, source.serve(pass_), sorted(source.served_history())))
    (duck_chosen, duck, duck_history), (spark_chosen, sparked, spark_history) = results
    assert duck_chosen == spark_chosen == len(duck.rows) > 10
    assert sparked.customers == duck.customers == len(ids)
    assert [r.customer_id for r in sparked.rows] == [r.customer_id for r in duck.rows]
    assert any(r.referrals for r in duck.rows)
    for ours, theirs in zip(sparked.rows, duck.rows, strict=True):
        assert ours.segment is theirs.segment is RfmSegment.LOYAL
        for name in ("clv", "p_alive", "potential_value", "influence_value", "realized_value"):
            assert getattr(ours, name) == pytest.approx(getattr(theirs, name), rel=1e-6)
        assert (ours.tier, ours.r_score, ours.referrals) == (
            theirs.tier,
            theirs.r_score,
            theirs.referrals,
        )
    assert [s.segment for s in sparked.segments] == [s.segment for s in duck.segments]
    for a, b in zip(sparked.segments, duck.segments, strict=True):
        assert a.customers == b.customers and a.avg_clv == pytest.approx(b.avg_clv, rel=1e-6)
    assert [(c, q) for c, q, _, _ in spark_history] == [(c, q) for c, q, _, _ in duck_history]
    assert np.allclose([p for *_, p in spark_history], [p for *_, p in duck_history], rtol=1e-9)


def test_the_driver_gets_memory_for_the_groups_on_one_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Spark's own 1g driver ran out of heap on ten million customers' groups and then
    hung; one machine gets 4g unless SPARK_DRIVER_MEMORY says otherwise."""
    from value_engine.sources.spark import driver_memory

    monkeypatch.delenv("SPARK_DRIVER_MEMORY", raising=False)
    assert driver_memory("local[*]") == "4g" and driver_memory("local[2]") == "4g"
    assert driver_memory("spark://master:7077") is None  # the cluster's own defaults
    monkeypatch.setenv("SPARK_DRIVER_MEMORY", "12g")
    assert driver_memory("yarn") == "12g" and driver_memory("local[*]") == "12g"
