"""`cvm import`, `cvm demo-data`, `cvm value fit|score`, `cvm customer`, `cvm users`."""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from bot.cli import sources, survey
from bot.cli.json_out import print_json
from bot.cli.report_text import fit_text, holdout_lines, print_import_report, quality_lines
from bot.cli.services import database, value_service
from bot.config import Settings
from bot.csv_out import write_columns
from bot.progress import progress
from value_engine.blas import one_blas_thread
from value_engine.models import (
    RfmSegment,
)

if TYPE_CHECKING:  # at run time these import SciPy: not for `cvm import` (its start counts)
    pass


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    imp = sub.add_parser(
        "import", help="import customers, transactions or survey answers from a CSV file"
    )
    imp.add_argument("kind", choices=["customers", "transactions", "survey"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.add_argument("--no-fit", action="store_true", help="do not refit the value models")
    imp.add_argument(
        "--encoding",
        choices=["utf-8", "gbk", "gb18030", "big5"],
        help="the file's encoding (default: detected among these)",
    )
    survey.add_import_options(imp)

    demo = sub.add_parser("demo-data", help="generate and import a synthetic company")
    demo.add_argument("--customers", type=int, default=None)
    demo.add_argument("--years", type=float, default=3.0)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--out", type=Path, help="also write customers.csv and transactions.csv here")
    demo.add_argument("--no-import", action="store_true", help="only write the CSV files")

    value = sub.add_parser("value", help="fit and score the customer value models")
    vsub = value.add_subparsers(dest="value_command", required=True)
    fit = vsub.add_parser("fit", help="fit BG/NBD and Gamma-Gamma")
    fit.add_argument("--calibration-end", type=date.fromisoformat, help="ignore later data")
    given = fit.add_mutually_exclusive_group()
    given.add_argument("--summary", type=Path, help="fit on a summary CSV instead of the database")
    given.add_argument(
        "--source",
        type=Path,
        help="fit on transaction files (a .parquet or .csv file, or a folder of them)",
    )
    fit.add_argument(
        "--engine", choices=sources.ENGINES, default="duckdb", help="for --source (see README)"
    )
    sources.add_glob(fit)
    fit.add_argument("--json", action="store_true")
    score = vsub.add_parser(
        "score", help="score a summary CSV or transaction files (expected purchases, P(alive), CLV)"
    )
    scored = score.add_mutually_exclusive_group(required=True)
    scored.add_argument("--summary", type=Path)
    scored.add_argument("--source", type=Path, help="transaction files, as for value fit")
    score.add_argument(
        "--engine", choices=sources.ENGINES, default="duckdb", help="for --source (see README)"
    )
    sources.add_glob(score)
    score.add_argument(
        "--horizon", type=int, required=True, help="steps of the time unit (--source: weeks)"
    )
    score.add_argument("--discount-rate", type=float, required=True, help="per time unit")
    score.add_argument(
        "--out", type=Path, required=True, help=".csv or .parquet (Spark: a Parquet folder)"
    )

    publish = vsub.add_parser(
        "publish",
        help="score transaction files where they are and serve the chosen customers in the bot",
    )
    publish.add_argument("--source", type=Path, required=True, help="as for value fit")
    publish.add_argument("--engine", choices=sources.ENGINES, default="duckdb")
    sources.add_glob(publish)
    publish.add_argument(
        "--top", type=int, help="the N customers of highest realized value (of --segment)"
    )
    publish.add_argument(
        "--segment", choices=[s.value for s in RfmSegment], help="the customers of one segment"
    )
    publish.add_argument("--all", action="store_true", help="every customer in the source")
    publish.add_argument("--json", action="store_true")

    customer = sub.add_parser("customer", help="print a customer's value breakdown")
    customer.add_argument("customer_id")
    customer.add_argument("--json", action="store_true")
    customer.add_argument("--lang", default="en", help="en, zh-Hant or zh-Hans")

    users = sub.add_parser("users", help="list, grant or revoke bot roles")
    usub = users.add_subparsers(dest="users_command", required=True)
    usub.add_parser("list")
    grant = usub.add_parser("grant")
    grant.add_argument("telegram_id", type=int)
    # Admins come from ADMIN_IDS only, so no command can create one.
    grant.add_argument("role", choices=["manager", "trainer", "staff"])
    revoke = usub.add_parser("revoke")
    revoke.add_argument("telegram_id", type=int)
    audit = usub.add_parser("audit", help="who looked at which customer's data, newest first")
    audit.add_argument("--limit", type=int, default=100)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.customers.csv_import import import_file
    from bot.customers.import_report import ImportKind

    if args.kind == "survey":
        return survey.run_import(args, settings)
    if args.instrument or args.scale or args.competitor or args.wave:
        print(
            "cvm import: --instrument, --scale, --competitor and --wave are for surveys",
            file=sys.stderr,
        )
        return 2
    engine = database(settings)
    try:
        with args.file.open("rb") as file:
            file.read(1)  # a directory opens on Linux and fails here
    except OSError as exc:
        print(f"cvm import: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    with progress(f"import {args.kind}", "rows checked and written") as step:
        report = import_file(engine, ImportKind(args.kind), args.file, None, args.encoding, step)
    if args.json:
        print_json(report.as_json_dict())
    else:
        print_import_report(report, args.file.name)
    if report.error_count:
        return 1
    if not args.no_fit and (report.inserted or report.updated):
        from bot.customers.service import NoDataError

        service = value_service(settings, with_knowledge=False, engine=engine)
        try:
            with progress("value models", "steps") as step:
                info = service.ensure_fit(progress=step)
            if args.json:
                pass
            elif info.source is not None:
                print(
                    f"the scores published from {info.source} stay; `cvm value fit` serves "
                    "the bot's own data instead"
                )
            else:
                print(f"value models fitted on {info.customers} customers in {info.seconds:.1f} s")
        except NoDataError:
            pass
    return 0


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.customers.demo import generate
    from bot.surveys.demo import generate as generate_surveys

    company = generate(
        customers=args.customers or settings.demo_customers, years=args.years, seed=args.seed
    )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "customers.csv").write_bytes(company.customers_csv)
        (args.out / "transactions.csv").write_bytes(company.transactions_csv)
        surveys = generate_surveys(company)
        for instrument, data in surveys.files.items():
            (args.out / f"survey_{instrument.value}.csv").write_bytes(data)
        print(f"wrote customers.csv, transactions.csv and the demo surveys to {args.out}")
    if args.no_import:
        return 0
    loaded = load_demo(settings, company)
    print(loaded)
    return 0


def load_demo(settings: Settings, company=None) -> str:  # type: ignore[no-untyped-def]
    """Import the demo company and its surveys, and fit; used by `cvm demo-data` and by
    `cvm run` on an empty database."""
    from bot.customers.demo import generate
    from bot.customers.import_report import ImportKind
    from bot.surveys.demo import generate as generate_surveys
    from bot.surveys.service import SurveyService
    from bot.surveys.store import SurveyStore

    company = company or generate(customers=settings.demo_customers)
    service = value_service(settings, with_knowledge=False)
    customers = service.import_file(ImportKind.CUSTOMERS, company.customers_csv)
    with progress("demo transactions", "rows checked and written") as step:
        transactions = service.import_file(
            ImportKind.TRANSACTIONS, company.transactions_csv, progress=step
        )
    if customers.error_count or transactions.error_count:
        raise RuntimeError("demo data failed validation")
    with progress("value models", "steps") as step:
        info = service.ensure_fit(progress=step)
    surveys = SurveyService(SurveyStore(service.store.engine), service._lookup, service)
    answered = 0
    for data in generate_surveys(company).files.values():
        report = surveys.import_file(data)
        if report.error_count:
            raise RuntimeError("demo survey failed validation")
        answered += report.inserted
    return (
        f"demo company: {customers.inserted} new customers, {transactions.inserted} new "
        f"transactions, {answered} new survey respondents; models fitted on "
        f"{info.customers} customers in {info.seconds:.1f} s"
    )


def run_value(args: argparse.Namespace, settings: Settings) -> int:
    if args.value_command == "publish":
        return sources.run_publish(args, settings, value_service(settings, with_knowledge=False))
    if args.source is not None:
        return sources.run_source(args, settings)
    if args.value_command == "score":
        return _score_summary(args)
    if args.summary is not None:
        return _fit_summary(args)
    from bot.customers.service import NoDataError

    service = value_service(settings, with_knowledge=False)
    try:
        with progress("value models", "steps") as step:
            info = service.ensure_fit(force=True, as_of=args.calibration_end, progress=step)
    except NoDataError:
        print("cvm value fit: no transactions in the database (try cvm demo-data)", file=sys.stderr)
        return 1
    if args.json:
        print_json(info.as_json_dict())
    else:
        m = info.models
        print(fit_text(m.bgnbd, m.gamma_gamma, m.quality))
        print(
            f"{info.customers} customers, {info.transactions} transactions, as of "
            f"{info.models.as_of}, time unit {info.models.unit_days:g} days, {info.seconds:.1f} s"
        )
        for line in holdout_lines(info.holdout):
            print(line)
    return 0


class SummaryError(ValueError):
    pass


def read_summary(path: Path) -> dict[str, np.ndarray | list[str]]:
    """customer_id,frequency,recency,T[,monetary_value] with time in any one unit.

    Every row is checked before any work is done, and the first bad one is named by its
    line: a model fitted on NaN, a negative spend or a customer counted twice gives
    numbers no one should act on. The file is read column by column (pyarrow) and checked
    with array operations; only a file with a problem is read again row by row, to name
    the line.
    """
    fast = _read_summary_columns(path)
    return fast if fast is not None else _read_summary_rows(path)


SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")


def _read_summary_columns(path: Path) -> dict[str, np.ndarray | list[str]] | None:
    """The summary when every row is good, else None (the row reader names the problem)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pa_csv

    from bot.arrow_columns import all_distinct, floats

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = [name.strip() for name in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    wanted = {"customer_id", "frequency", "recency", "T"}
    if not wanted <= set(header) or len(set(header)) != len(header):
        return None
    types = {name: pa.float64() for name in SUMMARY_COLUMNS[1:] if name in header}
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1),
            convert_options=pa_csv.ConvertOptions(
                column_types={"customer_id": pa.string(), **types},
                include_columns=[n for n in SUMMARY_COLUMNS if n in header],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError):
        return None
    if table.num_rows == 0 or any(table.column(n).null_count for n in table.column_names):
        return None
    ids = pc.utf8_trim_whitespace(table.column("customer_id"))
    if pc.min(pc.utf8_length(ids)).as_py() == 0 or not all_distinct(ids):
        return None
    cols = {name: floats(table.column(name)) for name in types}
    x, t_x, big_t = cols["frequency"], cols["recency"], cols["T"]
    with_m = "monetary_value" in cols
    m = cols["monetary_value"] if with_m else np.zeros_like(x)
    good = (
        np.isfinite(x).all()
        and np.isfinite(t_x).all()
        and np.isfinite(big_t).all()
        and np.isfinite(m).all()
        and (x >= 0).all()
        and (t_x >= 0).all()
        and (m >= 0).all()
        and (x == np.floor(x)).all()
        and (big_t > 0).all()
        and (t_x <= big_t).all()
        and not ((x == 0) & (t_x != 0)).any()
        and not (with_m and ((x > 0) & (m <= 0)).any())
    )
    if not good:
        return None
    return {
        "frequency": x,
        "recency": t_x,
        "T": big_t,
        "monetary_value": m,
        "customer_id": ids,  # an Arrow array: indexable, no million Python strings
        "has_monetary": np.array([with_m]),
    }


def _read_summary_rows(path: Path) -> dict[str, np.ndarray | list[str]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SummaryError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        reader.fieldnames = [f.strip() for f in reader.fieldnames or []]
        fields = set(reader.fieldnames)
        missing = {"customer_id", "frequency", "recency", "T"} - fields
        if missing:
            raise SummaryError(f"missing columns: {', '.join(sorted(missing))}")
        ids: list[str] = []
        seen: dict[str, int] = {}
        cols: dict[str, list[float]] = {
            "frequency": [],
            "recency": [],
            "T": [],
            "monetary_value": [],
        }
        try:
            for row in reader:
                line = reader.line_num
                values = _summary_row(row, "monetary_value" in fields, line)
                cid = values[0]
                if cid in seen:
                    raise SummaryError(f"line {line}: customer {cid} already on line {seen[cid]}")
                seen[cid] = line
                ids.append(cid)
                for key, value in zip(cols, values[1:], strict=True):
                    cols[key].append(value)
        except csv.Error as exc:
            raise SummaryError(f"line {reader.line_num}: malformed CSV ({exc})") from exc
    if not ids:
        raise SummaryError("no customers in the file")
    data: dict[str, np.ndarray | list[str]] = {k: np.array(v) for k, v in cols.items()}
    data["customer_id"] = ids
    data["has_monetary"] = np.array(["monetary_value" in fields])
    return data


def _summary_row(
    row: dict[str, str | None], with_monetary: bool, line: int
) -> tuple[str, float, float, float, float]:
    cid = (row.get("customer_id") or "").strip()
    if not cid:
        raise SummaryError(f"line {line}: no customer_id")
    numbers = {}
    for key in ("frequency", "recency", "T", *(("monetary_value",) if with_monetary else ())):
        raw = (row.get(key) or "").strip()
        try:
            value = float(raw)
        except ValueError:
            raise SummaryError(f"line {line}: {key} is not a number: {raw!r}") from None
        if not math.isfinite(value) or value < 0:
            raise SummaryError(f"line {line}: {key} must be a finite number >= 0, not {raw}")
        numbers[key] = value
    x, t_x, big_t = numbers["frequency"], numbers["recency"], numbers["T"]
    if x != int(x):
        raise SummaryError(f"line {line}: frequency must be a whole number of repeat purchases")
    if big_t <= 0 or t_x > big_t:
        raise SummaryError(f"line {line}: need 0 <= recency <= T and T > 0")
    if x == 0 and t_x != 0:
        raise SummaryError(f"line {line}: recency must be 0 for a customer with no repeat purchase")
    m = numbers.get("monetary_value", 0.0)
    if with_monetary and x > 0 and m <= 0:
        raise SummaryError(f"line {line}: monetary_value must be > 0 for a repeat customer")
    return cid, x, t_x, big_t, m


def _fit_summary(args: argparse.Namespace) -> int:
    from value_engine.model_choice import assess, fit_purchase_model, fit_spend_model

    try:
        data = read_summary(args.summary)
        with one_blas_thread():
            bgnbd = fit_purchase_model(data["frequency"], data["recency"], data["T"])
            spend = (
                fit_spend_model(data["frequency"], data["monetary_value"])
                if bool(np.asarray(data["has_monetary"])[0])
                else None
            )
    except (SummaryError, ValueError, ArithmeticError, RuntimeError) as exc:
        print(f"cvm value fit: {exc}", file=sys.stderr)
        return 2
    quality = assess(bgnbd, spend)
    result: dict[str, object] = {"bgnbd": bgnbd.as_json_dict()}
    if spend is not None:
        result["gamma_gamma"] = spend.as_json_dict()
    result["quality"] = quality.as_json_dict()
    if args.json:
        print_json(result)
        return 0
    print(fit_text(bgnbd, spend, quality))
    return 0


def _score_summary(args: argparse.Namespace) -> int:
    from value_engine.scoring import check_horizon, fit_and_predict

    try:
        check_horizon(args.horizon, args.discount_rate)
        if not args.out.parent.is_dir():
            raise SummaryError(f"--out: the folder {args.out.parent} does not exist")
        data = read_summary(args.summary)
        if not bool(np.asarray(data["has_monetary"])[0]):
            raise SummaryError("scoring needs a monetary_value column")
        ids = cast(Sequence[str], data["customer_id"])  # a list, or an Arrow string array
        with one_blas_thread():
            scored = fit_and_predict(
                ids,
                data["frequency"],
                data["recency"],
                data["T"],
                data["monetary_value"],
                args.horizon,
                args.discount_rate,
            )
    except (SummaryError, ValueError, ArithmeticError, RuntimeError) as exc:
        print(f"cvm value score: {exc}", file=sys.stderr)
        return 2
    predicted = scored.predictions
    purchases, alive = predicted.expected_purchases, predicted.p_alive
    spend, clv = predicted.expected_spend, predicted.clv
    write_columns(
        args.out,
        {
            "customer_id": ids,
            "expected_purchases": purchases,
            "p_alive": alive,
            "expected_spend": spend,
            "clv": clv,
        },
    )
    print(f"scored {len(ids)} customers -> {args.out}")
    for line in quality_lines(scored.bgnbd, scored.spend, scored.quality):
        print(line)
    return 0


def run_customer(args: argparse.Namespace, settings: Settings) -> int:
    from bot.customers.service import NoDataError
    from bot.render import plain
    from bot.render.survey import customer_survey_line
    from bot.render.value import card_html, recommendations_html
    from bot.surveys.service import SurveyService
    from bot.surveys.store import SurveyStore
    from knowledge.script import lang_from_code

    service = value_service(settings)
    try:
        breakdown = service.breakdown(args.customer_id)
    except NoDataError:
        print("cvm customer: no transactions in the database (try cvm demo-data)", file=sys.stderr)
        return 1
    if breakdown is None:
        print(f"cvm customer: no customer {args.customer_id!r}", file=sys.stderr)
        return 1
    service.store.audit(0, breakdown.customer_id, "breakdown (cli)")
    surveys = SurveyService(SurveyStore(service.store.engine), service._lookup, service)
    perceived = surveys.customer_value(breakdown.customer_id)
    if args.json:
        data = breakdown.as_json_dict()
        from bot.surveys.contract import respondent_json

        data["delivered_value"] = None if perceived is None else respondent_json(perceived[0])
        print_json(data, default=str)
        return 0
    from knowledge.models import Lang

    lang = lang_from_code(args.lang) or Lang.EN
    print(plain(card_html(breakdown, lang, settings.value_default_margin)))
    if perceived is not None:
        print(plain(customer_survey_line(*perceived, lang)))
    print()
    print(plain(recommendations_html(breakdown, lang)))
    return 0


def run_users(args: argparse.Namespace, settings: Settings) -> int:
    from bot.customers.store import CustomerStore
    from bot.storage.repository import open_database

    store = CustomerStore(open_database(settings.resolved_database_url))
    if args.users_command == "grant":
        store.set_role(args.telegram_id, args.role)
        print(f"{args.telegram_id}: {args.role}")
    elif args.users_command == "revoke":
        store.set_role(args.telegram_id, None)
        print(f"{args.telegram_id}: no role")
    elif args.users_command == "audit":
        for row in store.audit_log(args.limit):
            customer = row.customer_id or "-"
            print(f"{row.at:%Y-%m-%d %H:%M:%S}\t{row.user_id}\t{customer}\t{row.action}")
    else:
        for admin in settings.admin_ids:
            print(f"{admin}\tadmin (configuration)")
        for user in store.users():
            print(f"{user.telegram_id}\t{user.role}")
    return 0
