"""Data the classic models cannot estimate (issue 14, item 6): the theory's limiting
models take over with a flag, the fit says how far to trust it, and no number that
is not finite is ever returned or stored, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.customers.csv_import import import_customers
from bot.customers.service import ValueService
from bot.customers.store import CustomerStore
from bot.customers.transactions_import import import_transactions
from bot.render.value import card_html
from bot.storage.models import ValueFit
from bot.storage.repository import make_engine
from knowledge.models import Lang
from tests.postgres import postgres_server
from value_engine.bgnbd import (
    expected_purchases,
    fit_bgnbd,
    log_likelihood,
    probability_alive,
    simulate,
)
from value_engine.clv import discounted_clv
from value_engine.dropout_limits import fit_nbd
from value_engine.model_choice import fit_purchase_model, fit_spend_model
from value_engine.models import (
    BgNbdParams,
    FitNote,
    FitQuality,
    ModelError,
    PurchaseModel,
    SpendModel,
)
from value_engine.scoring import fit_and_predict

ROOT = Path(__file__).resolve().parents[1]


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


def _no_dropout_summary(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers who all keep buying about weekly for two years, recorded by the day."""
    rng = np.random.default_rng(seed)
    age = np.round((104 - rng.uniform(0, 4, n)) * 7) / 7
    rate = rng.gamma(20, 1 / 24, n)
    x = rng.poisson(rate * age).astype(float)
    recency = np.where(x > 0, age * rng.beta(np.maximum(x, 1), 1), 0.0)
    return x, np.minimum(np.round(recency * 7) / 7, age), age


def _no_dropout_csvs(customers: int, seed: int = 3) -> tuple[bytes, bytes, int]:
    """The issue's reproduction, smaller: every customer buys every ~9 days to the end."""
    rng = np.random.default_rng(seed)
    start, span = date(2024, 1, 1), 730
    people = io.StringIO()
    sales = io.StringIO()
    csv.writer(people).writerow(["customer_id", "name"])
    writer = csv.writer(sales)
    writer.writerow(["customer_id", "timestamp", "amount"])
    rows = 0
    for i in range(customers):
        csv.writer(people).writerow([f"C{i:04d}", f"Customer {i}"])
        rate = rng.gamma(20, 1 / (20 * 9.0))
        day = float(rng.integers(0, 30))
        while day <= span:
            stamp = (start + timedelta(days=int(day))).isoformat()
            writer.writerow([f"C{i:04d}", stamp, f"{rng.gamma(4, 25):.2f}"])
            rows += 1
            day += rng.exponential(1 / rate) + 1  # at most one purchase a day
    return people.getvalue().encode(), sales.getvalue().encode(), rows


# --- the engine ---------------------------------------------------------------------------


def test_no_visible_dropout_gives_the_nbd_model_instead_of_bound_artefacts() -> None:
    x, t_x, big_t = _no_dropout_summary(3000, seed=1)
    raw = fit_bgnbd(x, t_x, big_t)
    assert raw.at_bound  # what main served managers: a and b on the optimizer's edge
    chosen = fit_purchase_model(x, t_x, big_t)
    assert chosen.kind is PurchaseModel.NBD and not chosen.at_bound and chosen.converged
    assert np.all(probability_alive(chosen, x, t_x, big_t) == 1.0)
    purchases = expected_purchases(chosen, 52, x, t_x, big_t)
    assert np.all(np.isfinite(purchases)) and np.all(purchases > 0)
    # The true mean rate is 20/24 a week: the fitted population mean is close to it.
    assert chosen.r / chosen.alpha == pytest.approx(20 / 24, rel=0.05)


def test_customers_who_drop_out_keep_the_bgnbd_model() -> None:
    rng = np.random.default_rng(4)
    truth = BgNbdParams(r=0.5, alpha=8.0, a=0.8, b=2.5)
    ages = rng.uniform(30, 80, 3000)
    x, t_x = simulate(truth, ages, rng)
    chosen = fit_purchase_model(x, t_x, ages)
    assert chosen.kind is PurchaseModel.BGNBD and not chosen.at_bound


def test_nbd_is_the_limit_of_bgnbd_as_dropout_vanishes() -> None:
    """The closed forms must agree with BG/NBD's own formulas near a → 0, b → ∞."""
    x = np.array([0.0, 1.0, 5.0, 40.0])
    t_x = np.array([0.0, 10.0, 30.0, 50.0])
    big_t = np.array([20.0, 40.0, 52.0, 52.0])
    nbd = BgNbdParams(r=2.0, alpha=3.0, a=0.0, b=0.0, kind=PurchaseModel.NBD)
    near = BgNbdParams(r=2.0, alpha=3.0, a=1e-7, b=1e5)
    assert expected_purchases(nbd, 26, x, t_x, big_t) == pytest.approx(
        expected_purchases(near, 26, x, t_x, big_t), rel=1e-3
    )
    spend = np.array([10.0, 20.0, 30.0, 40.0])
    assert discounted_clv(nbd, spend, x, t_x, big_t, 12, 0.01, step=4.0) == pytest.approx(
        discounted_clv(near, spend, x, t_x, big_t, 12, 0.01, step=4.0), rel=1e-3
    )
    # And the NBD likelihood is BG/NBD's with the dropout branch gone, constants included.
    fitted = fit_nbd(x, big_t)
    limit = BgNbdParams(r=fitted.r, alpha=fitted.alpha, a=1e-9, b=1e6)
    assert fitted.loglik == pytest.approx(float(log_likelihood(limit, x, t_x, big_t).sum()))


def test_one_dropout_probability_for_all_is_the_limit_of_bgnbd() -> None:
    """Spread-free dropout (a, b → ∞, a/(a+b) = p) overflowed BG/NBD's formulas into -inf
    on a 60-customer summary (the CSV-injection test's); its closed forms match BG/NBD
    just before the limit."""
    x = np.array([0.0, 1.0, 5.0, 40.0])
    t_x = np.array([0.0, 10.0, 30.0, 50.0])
    big_t = np.array([20.0, 40.0, 52.0, 52.0])
    common = BgNbdParams(r=2.0, alpha=3.0, a=0.0, b=0.0, kind=PurchaseModel.COMMON_DROPOUT, p=0.3)
    spend = np.array([10.0, 20.0, 30.0, 40.0])

    def gaps(scale: float) -> list[float]:
        """Worst relative gap to BG/NBD with a + b = scale (BG/NBD's own formulas
        break down beyond about 1e4, which is why the limit has closed forms)."""
        near = BgNbdParams(r=2.0, alpha=3.0, a=0.3 * scale, b=0.7 * scale)
        pairs = [
            (probability_alive(common, x, t_x, big_t), probability_alive(near, x, t_x, big_t)),
            (
                expected_purchases(common, 26, x, t_x, big_t),
                expected_purchases(near, 26, x, t_x, big_t),
            ),
            (
                discounted_clv(common, spend, x, t_x, big_t, 12, 0.01, step=4.0),
                discounted_clv(near, spend, x, t_x, big_t, 12, 0.01, step=4.0),
            ),
        ]
        return [float(np.abs(ours / theirs - 1).max()) for ours, theirs in pairs]

    coarse, fine = gaps(1e2), gaps(1e3)
    for before, after in zip(coarse, fine, strict=True):
        assert after < 0.1 and after < before / 5  # converging at the rate 1/(a+b)
    i = np.arange(60)
    x, t_x, big_t = (i % 5).astype(float), (i % 5) * 4.0, np.full(60, 40.0)
    ridge = fit_bgnbd(x, t_x, big_t)  # stops at the box's edge or short of it: flat there
    assert set(ridge.at_bound) & {"a", "b"} or ridge.a + ridge.b > 1e4
    scored = fit_and_predict([str(n) for n in i], x, t_x, big_t, 20.0 + i, 52, 0.002)
    assert scored.bgnbd.kind is PurchaseModel.COMMON_DROPOUT
    assert FitNote.DROPOUT_ALIKE in scored.quality.notes and scored.quality.reliable
    assert 0.3 < scored.bgnbd.p < 0.5
    assert np.all(np.isfinite(scored.predictions.clv)) and np.all(scored.predictions.clv > 0)


def test_too_few_repeat_buyers_get_the_average_spend_with_a_flag() -> None:
    x = np.array([0.0] * 50 + [1.0, 2.0, 3.0] * 5)
    m = np.array([0.0] * 50 + [10.0, 20.0, 30.0] * 5)
    spend = fit_spend_model(x, m)
    assert spend.kind is SpendModel.AVERAGE
    # The average spend per repeat purchase, weighted by purchases: (10 + 40 + 90) / 6.
    assert spend.mean_spend == pytest.approx(140 / 6)
    nobody_again = fit_spend_model(np.zeros(5), np.zeros(5), fallback_mean=12.5)
    assert nobody_again.kind is SpendModel.AVERAGE and nobody_again.mean_spend == 12.5


_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1e-300, 1e-9, 1.0, 1e9, 1e300, -1.0]),
)


@st.composite
def _summaries(draw: st.DrawFn) -> tuple[list[float], list[float], list[float], list[float]]:
    n = draw(st.integers(1, 40))
    degenerate = draw(st.sampled_from(["none", "no_repeat", "all_same", "weird"]))
    rows: list[tuple[float, float, float, float]] = []
    for _ in range(n):
        if degenerate == "weird":
            rows.append((draw(_number), draw(_number), draw(_number), draw(_number)))
            continue
        big_t = draw(st.floats(1e-6, 1e6))
        x = 0.0 if degenerate == "no_repeat" else float(draw(st.integers(0, 10_000)))
        t_x = 0.0 if x == 0 else draw(st.floats(0.0, 1.0)) * big_t
        m = 0.0 if x == 0 else draw(st.floats(1e-6, 1e9))
        rows.append((x, t_x, big_t, m))
    if degenerate == "all_same":
        rows = [rows[0]] * n
    return tuple(list(c) for c in zip(*rows, strict=True))  # type: ignore[return-value]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_summaries(), st.integers(0, 120), st.floats(0.0, 0.5))
def test_random_summaries_give_finite_scores_or_a_clear_error(
    summary: tuple[list[float], list[float], list[float], list[float]],
    horizon: int,
    rate: float,
) -> None:
    x, t_x, big_t, m = summary
    ids = [f"c{i}" for i in range(len(x))]
    try:
        scored = fit_and_predict(ids, x, t_x, big_t, m, horizon, rate)
    except (ValueError, ModelError) as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    p = scored.predictions
    for column in (p.expected_purchases, p.p_alive, p.expected_spend, p.clv):
        assert np.all(np.isfinite(column))
    assert np.all((p.p_alive >= 0) & (p.p_alive <= 1))
    assert np.all(p.clv >= 0) and np.all(p.expected_purchases >= 0)
    for value in scored.bgnbd.as_json_dict().values():
        assert not isinstance(value, float) or math.isfinite(value)


# --- through the database, the CLI and the card -------------------------------------------


def _fit_and_check(engine: Engine) -> None:
    people, sales, rows = _no_dropout_csvs(400)
    assert import_customers(engine, people).inserted == 400
    assert import_transactions(engine, sales).inserted == rows
    service = ValueService(CustomerStore(engine), _NoCitations())
    info = service.ensure_fit(force=True)
    assert info.models.bgnbd.kind is PurchaseModel.NBD
    assert FitNote.NO_DROPOUT in info.models.quality.notes and info.models.quality.reliable
    assert info.models.quality.holdout_error is not None
    assert abs(info.models.quality.holdout_error) < 0.1
    breakdown = service.breakdown("C0001")
    assert breakdown is not None
    assert breakdown.score.p_alive == 1.0 and math.isfinite(breakdown.score.clv)
    assert breakdown.score.clv > 0
    card = card_html(breakdown, Lang.EN, 1.0)
    assert "No customer has visibly stopped buying" in card
    assert "inf" not in card.replace("Influence", "") and "nan" not in card.lower()
    assert "目前還沒有客戶明顯停止購買" in card_html(breakdown, Lang.ZH_HANT, 1.0)
    assert breakdown.models is not None
    doubtful = replace(
        breakdown.models,
        bgnbd=replace(breakdown.models.bgnbd, at_bound=("r",)),
        quality=FitQuality(
            notes=(FitNote.AT_BOUND, FitNote.HOLDOUT_OFF),
            holdout_days=91,
            holdout_predicted=500.0,
            holdout_actual=300,
        ),
    )
    warned = card_html(replace(breakdown, models=doubtful), Lang.EN, 1.0)
    assert "⚠️ The value model is not reliable on this data" in warned
    assert "edge of what can be estimated (r)" in warned
    assert "predicted 500 repeat purchases; 300 happened (+66.7%)" in warned

    # A fit whose scores cannot be stored leaves the previous fit and scores serving.
    before = service.store.latest_fit()
    assert before is not None
    table = [{"customer_id": "C0001", "clv": float("nan")}]
    with pytest.raises(ModelError):
        service.store.save_fit(ValueFit(**before.model_dump(exclude={"id"})), table)
    after = service.store.latest_fit()
    assert after is not None and after.id == before.id
    assert service.store.score("C0001") == breakdown.score


def test_no_dropout_data_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cvm.db'}")
    _fit_and_check(engine)
    engine.dispose()


@pytest.mark.postgres
def test_no_dropout_data_on_postgres(tmp_path_factory: pytest.TempPathFactory) -> None:
    with postgres_server(tmp_path_factory.mktemp("pg")) as url:
        engine = make_engine(url)
        _fit_and_check(engine)
        engine.dispose()


@pytest.fixture()
def degenerate_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    people, sales, _ = _no_dropout_csvs(300, seed=5)
    (tmp_path / "customers.csv").write_bytes(people)
    (tmp_path / "transactions.csv").write_bytes(sales)
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    yield env


def test_cvm_value_fit_says_in_plain_words_what_the_model_assumed(
    degenerate_env: dict[str, str], tmp_path: Path
) -> None:
    def cvm(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            env=degenerate_env, cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    cvm("import", "customers", str(tmp_path / "customers.csv"), "--no-fit")
    cvm("import", "transactions", str(tmp_path / "transactions.csv"), "--no-fit")
    out = cvm("value", "fit")
    assert out.startswith("NBD (no dropout seen)")
    assert "No customer has visibly stopped buying" in out
    assert "Holdout check: for the last" in out
    assert "The model is reliable on this data." in out
    card = cvm("customer", "C0002")
    assert "CLV, next 12 months" in card and "-inf" not in card and "nan" not in card.lower()


def test_a_refused_fit_is_one_line_on_every_command_and_never_fails_an_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main
    from bot.customers.import_report import ImportKind

    def refuse(self: ValueService, *args: object, **kwargs: object) -> None:
        raise ModelError("CLV is not finite for customer C0001")

    root = logging.getLogger()  # main() configures logging: put it back afterwards
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(ValueService, "ensure_fit", refuse)
    people, sales, _ = _no_dropout_csvs(5)
    (tmp_path / "t.csv").write_bytes(sales)
    (tmp_path / "c.csv").write_bytes(people)
    assert main(["import", "customers", str(tmp_path / "c.csv"), "--no-fit"]) == 0
    for argv in (["customer", "C0001"], ["import", "transactions", str(tmp_path / "t.csv")]):
        capsys.readouterr()
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert (
            err.strip() == f"cvm {argv[0]}: no scores stored: CLV is not finite for customer C0001"
        )

    # A manager's upload in the bot: the import stands, the refused fit is only logged.
    service = ValueService(
        CustomerStore(make_engine(f"sqlite:///{tmp_path / 'upload.db'}")), _NoCitations()
    )
    service.import_file(ImportKind.CUSTOMERS, people)
    report = asyncio.run(service.aimport(ImportKind.TRANSACTIONS, sales, None))
    assert report.committed and report.inserted > 0
