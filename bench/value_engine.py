"""Value engine benchmarks (figures go into the issue's closing note).

    python bench/value_engine.py engine   [--customers 1000000]  # fit + score, vs lifetimes
    python bench/value_engine.py import   [--rows 1000000]       # CLI import, SQLite and PG
    python bench/value_engine.py customer [--customers 100000]   # /customer reply build time
    python bench/value_engine.py cli      [--customers 1000000]  # whole processes, CSV to CSV
    python bench/value_engine.py                                  # all four

Each measured part runs in its own process, so peak memory (ru_maxrss) belongs to
that part alone.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TRUTH = {"r": 0.55, "alpha": 9.0, "a": 0.9, "b": 4.5}  # weekly rates, as the demo company
SPEND = {"p": 6.0, "q": 4.0, "v": 300.0}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulated_summary(customers: int, seed: int = 1) -> dict[str, np.ndarray]:
    """A summary recorded by the day (as real logs are), over up to three years, in weeks."""
    from value_engine.bgnbd import simulate
    from value_engine.gamma_gamma import simulate_spend
    from value_engine.models import BgNbdParams, GammaGammaParams

    rng = np.random.default_rng(seed)
    ages_days = rng.integers(1, 3 * 365, customers)
    x, t_x = simulate(BgNbdParams(**TRUTH), ages_days / 7.0, rng)
    t_x = np.floor(t_x * 7.0) / 7.0  # purchase days
    m = simulate_spend(GammaGammaParams(**SPEND), x, rng)
    return {"x": x, "t_x": t_x, "T": ages_days / 7.0, "m": np.round(m, 2)}


# --- part: engine ---------------------------------------------------------------------------
def run_ours(data: dict[str, np.ndarray]) -> dict[str, object]:
    from value_engine.bgnbd import fit_bgnbd
    from value_engine.clv import predict_all
    from value_engine.gamma_gamma import fit_gamma_gamma

    x, t_x, big_t, m = data["x"], data["t_x"], data["T"], data["m"]
    started = time.perf_counter()
    bg = fit_bgnbd(x, t_x, big_t)
    fit_bg = time.perf_counter() - started
    gg = fit_gamma_gamma(x, m)
    fit_total = time.perf_counter() - started
    predicted = predict_all(bg, gg, x, t_x, big_t, m, 52, 12, 0.01, step=4.345)
    purchases, alive, clv = predicted.expected_purchases, predicted.p_alive, predicted.clv
    total = time.perf_counter() - started
    # What the product runs: BG/NBD and its limits compared, the spend model chosen.
    from value_engine.model_choice import fit_purchase_model, fit_spend_model

    chosen_at = time.perf_counter()
    fit_purchase_model(x, t_x, big_t)
    fit_spend_model(x, m)
    choose = time.perf_counter() - chosen_at
    return {
        "choose_s": choose,
        "bgnbd": bg.as_json_dict(),
        "gamma_gamma": gg.as_json_dict(),
        "fit_bgnbd_s": fit_bg,
        "fit_s": fit_total,
        "score_s": total - fit_total,
        "total_s": total,
        "checksum": [float(purchases.sum()), float(alive.mean()), float(clv.sum())],
        "peak_mb": peak_mb(),
    }


def run_lifetimes(data: dict[str, np.ndarray]) -> dict[str, object]:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    frame = pd.DataFrame({"x": data["x"], "t_x": data["t_x"], "T": data["T"], "m": data["m"]})
    started = time.perf_counter()
    bgf = BetaGeoFitter()
    bgf.fit(frame["x"], frame["t_x"], frame["T"])
    fit_bg = time.perf_counter() - started
    repeat = frame[frame["x"] > 0]
    ggf = GammaGammaFitter()
    ggf.fit(repeat["x"], repeat["m"])
    fit_total = time.perf_counter() - started
    purchases = bgf.conditional_expected_number_of_purchases_up_to_time(
        52, frame["x"], frame["t_x"], frame["T"]
    )
    alive = bgf.conditional_probability_alive(frame["x"], frame["t_x"], frame["T"])
    clv = ggf.customer_lifetime_value(
        bgf, frame["x"], frame["t_x"], frame["T"], frame["m"], time=12, discount_rate=0.01, freq="W"
    )
    total = time.perf_counter() - started
    return {
        "bgnbd": {k: float(v) for k, v in bgf.params_.items()},
        "gamma_gamma": {k: float(v) for k, v in ggf.params_.items()},
        "fit_bgnbd_s": fit_bg,
        "fit_s": fit_total,
        "score_s": total - fit_total,
        "total_s": total,
        "checksum": [float(np.sum(purchases)), float(np.mean(alive)), float(np.sum(clv))],
        "peak_mb": peak_mb(),
    }


# --- part: cli --------------------------------------------------------------------------------
LIFETIMES_PROCESS = """
import sys
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
frame = pd.read_csv(sys.argv[1])
bgf = BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
repeat = frame[frame["frequency"] > 0]
ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
frame["expected_purchases"] = bgf.conditional_expected_number_of_purchases_up_to_time(
    52, frame["frequency"], frame["recency"], frame["T"])
frame["p_alive"] = bgf.conditional_probability_alive(
    frame["frequency"], frame["recency"], frame["T"])
frame["expected_spend"] = ggf.conditional_expected_average_profit(
    frame["frequency"], frame["monetary_value"])
frame["clv"] = ggf.customer_lifetime_value(
    bgf, frame["frequency"], frame["recency"], frame["T"], frame["monetary_value"],
    time=12, discount_rate=0.01, freq="W").values
frame[["customer_id", "expected_purchases", "p_alive", "expected_spend", "clv"]].to_csv(
    sys.argv[2], index=False)
"""


def part_cli(customers: int) -> None:
    """`cvm value score --summary` against lifetimes' whole process on the same CSV:
    interpreter start, imports, reading, fitting, predicting, writing."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        data = simulated_summary(customers)
        source = folder / "summary.csv"
        with source.open("w") as out:
            out.write("customer_id,frequency,recency,T,monetary_value\n")
            for i, row in enumerate(zip(data["x"], data["t_x"], data["T"], data["m"], strict=True)):
                out.write(
                    f"C{i:07d},{row[0]:.0f},{float(row[1])!r},{float(row[2])!r},{float(row[3])!r}\n"
                )
        ours_cmd = [
            sys.executable, "-m", "bot.cli", "value", "score", "--summary", str(source),
            "--horizon", "52", "--discount-rate", "0.002", "--out", str(folder / "ours.csv"),
        ]  # fmt: skip
        theirs_cmd = [sys.executable, "-c", LIFETIMES_PROCESS, str(source), str(folder / "l.csv")]
        results = {}
        for name, cmd in (("ours", ours_cmd), ("lifetimes", theirs_cmd)):
            runs = []
            for _ in range(3 if name == "ours" else 1):
                started = time.perf_counter()
                done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
                runs.append(time.perf_counter() - started)
                if done.returncode:
                    raise SystemExit(f"{name} failed: {done.stderr[-2000:]}")
            results[name] = runs
        ours, theirs = statistics.median(results["ours"]), results["lifetimes"][0]
        print(f"cli, {customers} customers, CSV in and out, whole processes: ours "
              f"{ours:.2f} s (runs {', '.join(f'{r:.2f}' for r in results['ours'])}), "
              f"lifetimes {theirs:.2f} s: {theirs / ours:.1f}x")  # fmt: skip


def part_engine(args: argparse.Namespace) -> dict[str, object]:
    data = simulated_summary(args.customers)
    runner = {"ours": run_ours, "lifetimes": run_lifetimes}[args.which]
    return runner(data)


# --- part: import -------------------------------------------------------------------------
def part_import(rows: int) -> None:
    """`cvm import transactions` of a generated file as whole processes (start, read, check,
    write, indexes, commit), into SQLite and into PostgreSQL when the machine has it (the
    test suite's throwaway server); then the same file again, which adds nothing."""
    from contextlib import ExitStack

    rng = np.random.default_rng(2)
    customers = max(rows // 10, 1)
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as servers:
        folder = Path(scratch)
        ids = [f"C-{i}" for i in range(customers)]
        customers_csv = folder / "customers.csv"
        customers_csv.write_text("customer_id,name\n" + "".join(f"{c},n{c}\n" for c in ids))
        who = rng.integers(0, customers, rows)
        days = rng.integers(0, 3 * 365, rows)
        secs = rng.integers(0, 86400, rows)
        amount = np.round(rng.gamma(2.0, 50.0, rows), 2)
        base = np.datetime64("2023-01-01T00:00:00")
        stamps = (base + days.astype("timedelta64[D]") + secs.astype("timedelta64[s]")).astype(str)
        tx_csv = folder / "transactions.csv"
        with tx_csv.open("w") as out:
            out.write("transaction_id,customer_id,timestamp,amount,gross_margin\n")
            for n in range(rows):
                out.write(f"T{n},{ids[who[n]]},{stamps[n]},{amount[n]},{amount[n] * 0.3:.2f}\n")
        megabytes = tx_csv.stat().st_size / 1e6
        targets = {"SQLite": {"DATA_DIR": str(folder / "sqlite")}}
        try:
            from tests.postgres import postgres_server

            url = servers.enter_context(postgres_server(folder / "pg"))
            targets["PostgreSQL"] = {"DATA_DIR": str(folder / "pg-data"), "DATABASE_URL": url}
        except BaseException as exc:  # pytest's skip when the machine has no PostgreSQL
            print(f"import into PostgreSQL: not measured ({exc})")
        for name, env in targets.items():
            _cli(env, "import", "customers", str(customers_csv), "--no-fit")
            first, wall, peak = _cli(env, "import", "transactions", str(tx_csv), "--no-fit")
            again, _, _ = _cli(env, "import", "transactions", str(tx_csv), "--no-fit")
            assert first["committed"] and first["inserted"] == rows, first
            assert again["inserted"] == 0, again
            seconds = float(first["seconds"])  # type: ignore[arg-type]
            print(f"import into {name}: {rows} rows ({megabytes:.0f} MB) in "
                  f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s), "
                  f"whole process {wall:.1f} s, peak {peak:.0f} MB; the same file again "
                  f"{again['seconds']:.1f} s, {again['inserted']} new")  # fmt: skip


def _cli(env: dict[str, str], *command: str) -> tuple[dict[str, object], float, float]:
    """(the command's JSON report, wall seconds, the process's peak MB)."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *command, "--json"],
            stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT,
            env={**os.environ, "LOG_LEVEL": "WARNING", **env},
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if process.returncode:
        raise SystemExit(f"cvm {' '.join(command)} failed: {text[-2000:]}")
    return json.loads(text.strip().splitlines()[-1]), wall, usage.ru_maxrss / 1024


# --- part: customer -----------------------------------------------------------------------
def part_customer(args: argparse.Namespace) -> dict[str, object]:
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.enums import ParseMode
    from aiogram.types import Chat, Message, MessageEntity, Update, User

    from bot.config import Settings
    from bot.customers.demo import generate
    from bot.customers.import_report import ImportKind
    from bot.factory import build_dispatcher, build_services
    from bot.runners.terminal import TERMINAL_TOKEN, TerminalSession

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(  # type: ignore[call-arg]
            data_dir=Path(tmp),
            index_dir=ROOT / "data" / "index",
            admin_ids=[42],
            throttle_messages=1000,  # one manager asks 51 times in a row: not a flood here
            _env_file=None,
        )
        services = build_services(settings)
        started = time.perf_counter()
        company = generate(customers=args.customers, seed=3)
        generated = time.perf_counter() - started
        value = services.value
        imported = [
            value.import_file(ImportKind.CUSTOMERS, company.customers_csv),
            value.import_file(ImportKind.TRANSACTIONS, company.transactions_csv),
        ]
        started = time.perf_counter()
        info = value.ensure_fit()
        fit_s = time.perf_counter() - started

        session = TerminalSession(io.StringIO())
        bot = Bot(
            TERMINAL_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
        )
        dp = build_dispatcher(services)
        user = User(id=42, is_bot=False, first_name="M", language_code="zh-hant")
        chat = Chat(id=42, type="private")
        rng = np.random.default_rng(4)
        picks = [f"C-{1000 + int(i)}" for i in rng.integers(0, args.customers, args.samples)]

        async def one(n: int, customer_id: str) -> float:
            text = f"/customer {customer_id}"
            message = Message(
                message_id=n, date=0, chat=chat, from_user=user, text=text,
                entities=[MessageEntity(type="bot_command", offset=0, length=9)],
            )  # fmt: skip
            before = len(session.calls)
            t0 = time.perf_counter()
            await dp.feed_update(bot, Update(update_id=n, message=message))
            elapsed = time.perf_counter() - t0
            sent = [name for name, _ in session.calls[before:]]
            assert sent == ["sendPhoto", "sendMessage"], (sent, session.calls[-1])
            return elapsed

        async def all_of_them() -> list[float]:
            await one(0, picks[0])  # warm-up: font and matplotlib caches
            return [await one(i + 1, cid) for i, cid in enumerate(picks)]

        times = asyncio.run(all_of_them())
    ms = sorted(t * 1000 for t in times)
    return {
        "customers": args.customers,
        "transactions": company.transactions,
        "generate_s": generated,
        "import_s": sum(r.seconds for r in imported),
        "fit_and_score_s": fit_s,
        "fit_customers": info.customers,
        "reply_ms_p50": statistics.median(ms),
        "reply_ms_p95": ms[int(0.95 * (len(ms) - 1))],
        "reply_ms_max": ms[-1],
        "samples": len(ms),
        "peak_mb": peak_mb(),
    }


def _child(part: str, *extra: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", part, *extra],
        capture_output=True, text=True, check=True, env={**os.environ, "LOG_LEVEL": "WARNING"},
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "part", nargs="?", choices=["engine", "import", "customer", "cli", "all"], default="all"
    )
    parser.add_argument("--customers", type=int)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--which", default="ours")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args()

    if args.child:
        if args.part == "engine":
            args.customers = args.customers or 1_000_000
            result = part_engine(args)
        else:
            args.customers = args.customers or 100_000
            result = part_customer(args)
        print(json.dumps(result))
        return

    parts = ["engine", "import", "customer", "cli"] if args.part == "all" else [args.part]
    if "engine" in parts:
        n = str(args.customers or 1_000_000)
        ours = _child("engine", "--customers", n, "--which", "ours")
        print(f"engine, {n} customers")
        print(f"  ours:      fit {ours['fit_s']:.2f} s (BG/NBD {ours['fit_bgnbd_s']:.2f} s), "
              f"score {ours['score_s']:.2f} s, total {ours['total_s']:.2f} s, "
              f"peak {ours['peak_mb']:.0f} MB")  # fmt: skip
        print(f"           model choice (BG/NBD vs its limits, spend model): "
              f"{ours['choose_s']:.2f} s")  # fmt: skip
        print(f"           BG/NBD {ours['bgnbd']}\n           Gamma-Gamma {ours['gamma_gamma']}")
        if not args.skip_lifetimes:
            theirs = _child("engine", "--customers", n, "--which", "lifetimes")
            print(f"  lifetimes: fit {theirs['fit_s']:.2f} s "
                  f"(BG/NBD {theirs['fit_bgnbd_s']:.2f} s), score {theirs['score_s']:.2f} s, "
                  f"total {theirs['total_s']:.2f} s, "
                  f"peak {theirs['peak_mb']:.0f} MB")  # fmt: skip
            print(f"           BG/NBD {theirs['bgnbd']}")
            print(f"           Gamma-Gamma {theirs['gamma_gamma']}")
            worst = max(
                abs(ours[m][k] / theirs[m][k] - 1)  # type: ignore[index]
                for m in ("bgnbd", "gamma_gamma")
                for k in theirs[m]  # type: ignore[attr-defined]
                if k in ours[m]  # type: ignore[operator]
            )
            print(f"  same parameters: worst relative difference {worst:.1e}")
            total_ratio = float(theirs["total_s"]) / float(ours["total_s"])  # type: ignore[arg-type]
            fit_ratio = float(theirs["fit_s"]) / float(ours["fit_s"])  # type: ignore[arg-type]
            print(f"  speed-up: total {total_ratio:.1f}x, fit {fit_ratio:.1f}x")
            print(f"  checksums ours {ours['checksum']} vs lifetimes {theirs['checksum']}")
    if "import" in parts:
        part_import(args.rows)
    if "customer" in parts:
        n = str(args.customers or 100_000)
        r = _child("customer", "--customers", n, "--samples", str(args.samples))
        print(f"/customer with {r['customers']} customers ({r['transactions']} transactions): "
              f"p50 {r['reply_ms_p50']:.0f} ms, p95 {r['reply_ms_p95']:.0f} ms, "
              f"max {r['reply_ms_max']:.0f} ms over {r['samples']} replies (excluding Telegram); "
              f"import {r['import_s']:.1f} s, fit+score {r['fit_and_score_s']:.1f} s, "
              f"peak {r['peak_mb']:.0f} MB")  # fmt: skip

    if "cli" in parts:
        part_cli(args.customers or 1_000_000)


if __name__ == "__main__":
    main()
