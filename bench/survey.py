"""Survey benchmarks (issue 12; figures go into the closing note).

    python bench/survey.py [--respondents 100000] [--features 20] [--drivers 12]

Targets on this machine: the Kano analysis of 100,000 respondents x 20 features and the
key-driver analysis of 100,000 respondents x 12 drivers under 5 s each, and the import of
100,000 survey rows under 10 s. Since issue 25 every analysis includes its bootstrap 95%
intervals (1,000 resamples); the bootstrap of the drivers is also timed on its own. Each
analysis is timed twice: the engine alone on arrays, and end to end as /survey and
`cvm survey report` run it (read from SQLite, analyse, advise).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.storage.repository import make_engine  # noqa: E402
from bot.surveys.service import SurveyService  # noqa: E402
from bot.surveys.store import SurveyStore  # noqa: E402
from value_engine.survey import bootstrap, drivers, kano  # noqa: E402
from value_engine.survey.models import Instrument, Scale  # noqa: E402

KANO_TARGET = EQUITY_TARGET = 5.0
IMPORT_TARGET = 10.0


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def kano_csv(respondents: int, features: int, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    f = rng.integers(1, 6, (respondents, features))
    d = rng.integers(1, 6, (respondents, features))
    lines = ["respondent_id,feature,functional,dysfunctional"]
    names = [f"feature {j + 1}" for j in range(features)]
    for i in range(respondents):
        rid = f"R{i:07d}"
        lines += [f"{rid},{names[j]},{f[i, j]},{d[i, j]}" for j in range(features)]
    return ("\n".join(lines) + "\n").encode()


def equity_csv(respondents: int, drivers_: int, seed: int = 2) -> bytes:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(respondents, 1))
    x = np.clip(np.rint(3 + common + rng.normal(size=(respondents, drivers_))), 1, 5).astype(int)
    beta = np.linspace(1.0, 0.0, drivers_)
    y = np.clip(np.rint(1 + x @ beta / beta.sum() + rng.normal(0, 0.5, respondents)), 1, 5)
    groups = ("value", "brand", "retention")
    header = ["respondent_id", "outcome"] + [
        f"{groups[j % 3]}:driver {j + 1}" for j in range(drivers_)
    ]
    lines = [",".join(header)]
    for i in range(respondents):
        lines.append(f"R{i:07d},{int(y[i])}," + ",".join(map(str, x[i])))
    return ("\n".join(lines) + "\n").encode()


def timed(label: str, work, target: float | None = None):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    verdict = "" if target is None else (" ok" if seconds < target else f" OVER {target:g} s")
    print(f"{label:<58} {seconds:7.2f} s{verdict}", flush=True)
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--drivers", type=int, default=12)
    args = parser.parse_args()
    n, k, p = args.respondents, args.features, args.drivers
    print(f"cores: {len(__import__('os').sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        service = SurveyService(SurveyStore(engine), _NoCitations())

        # Imports: 100,000 rows of each layout.
        rows_kano = kano_csv(n // k, k, seed=5)
        report, _ = timed(
            f"import {n:,} Kano rows ({n // k:,} respondents x {k})",
            lambda: service.import_file(rows_kano, Instrument.KANO),
            IMPORT_TARGET,
        )
        assert report.committed and report.rows == n, report.errors[:3]
        rows_equity = equity_csv(n, p)
        report, _ = timed(
            f"import {n:,} equity rows ({p} drivers each)",
            lambda: service.import_file(rows_equity),
            IMPORT_TARGET,
        )
        assert report.committed and report.inserted == n, report.errors[:3]

        # Kano at full size: n respondents x k features (n*k answer pairs), replacing the
        # small Kano survey imported above.
        big_kano = kano_csv(n, k)
        engine_kano = make_engine(f"sqlite:///{Path(tmp) / 'kano.db'}")
        kano_service = SurveyService(SurveyStore(engine_kano), _NoCitations())
        report, _ = timed(
            f"import {n * k:,} Kano rows ({n:,} respondents x {k}, informative)",
            lambda: kano_service.import_file(big_kano, Instrument.KANO),
        )
        assert report.committed, report.errors[:3]
        rng = np.random.default_rng(3)
        f = rng.integers(1, 6, n * k)
        d = rng.integers(1, 6, n * k)
        index = np.tile(np.arange(k), n)
        names = [f"feature {j + 1}" for j in range(k)]
        timed(
            f"Kano engine, {n:,} x {k} (arrays)",
            lambda: kano.analyse(names, index, f, d, respondents=n),
            KANO_TARGET,
        )
        result, _ = timed(
            f"Kano end to end from SQLite, {n:,} x {k}",
            lambda: kano_service.result(Instrument.KANO),
            KANO_TARGET,
        )
        assert result.kano is not None and result.kano.respondents == n

        rng = np.random.default_rng(4)
        x = np.clip(np.rint(3 + rng.normal(size=(n, 1)) + rng.normal(size=(n, p))), 1, 5)
        y = x @ np.linspace(1, 0, p) + rng.normal(size=n)
        groups = [("value", f"d{j}") for j in range(p)]
        timed(
            f"drivers engine, exact Shapley, {n:,} x {p} (arrays)",
            lambda: drivers.analyse(groups, x, y, Scale(5), "clv", method="shapley"),
            EQUITY_TARGET,
        )
        timed(
            f"drivers engine, relative weights, {n:,} x {p} (arrays)",
            lambda: drivers.analyse(groups, x, y, Scale(5), "clv", method="relative_weights"),
            EQUITY_TARGET,
        )
        resamples = bootstrap.RESAMPLES
        timed(
            f"drivers bootstrap alone, {resamples:,} resamples of {n:,} x {p}",
            lambda: drivers.resampled_weights(x, y, "relative_weights", resamples),
            EQUITY_TARGET,
        )
        small = min(p, 9)
        timed(
            f"drivers bootstrap, exact Shapley, {resamples:,} resamples of {n:,} x {small}",
            lambda: drivers.resampled_weights(x[:, :small], y, "shapley", resamples),
            EQUITY_TARGET,
        )
        result, _ = timed(
            f"drivers end to end from SQLite, {n:,} x {p}",
            lambda: service.result(Instrument.EQUITY),
            EQUITY_TARGET,
        )
        assert result.equity is not None and result.equity.n == n
        print(f"peak memory: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
