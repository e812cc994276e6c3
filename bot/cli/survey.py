"""`cvm import survey` and `cvm survey report`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.json_out import print_json
from bot.config import Settings
from bot.progress import progress
from value_engine.survey.models import Instrument

INSTRUMENTS = [i.value for i in Instrument]


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    survey = sub.add_parser("survey", help="customer survey results")
    ssub = survey.add_subparsers(dest="survey_command", required=True)
    report = ssub.add_parser("report", help="print the analyses of the imported surveys")
    report.add_argument("--instrument", choices=INSTRUMENTS, help="default: every one imported")
    report.add_argument("--segment", help="only the respondents of this segment")
    report.add_argument(
        "--outcome",
        choices=["intention", "clv"],
        default="intention",
        help="equity: explain the outcome column, or each customer's CLV",
    )
    report.add_argument("--wave", help="the wave to report (default: the latest of each)")
    report.add_argument("--json", action="store_true", help="print the stable JSON contract")
    report.add_argument(
        "--csv", type=Path, metavar="DIR", help="also write the tables as CSV files into DIR"
    )
    report.add_argument("--lang", default="en", help="en, zh-Hant or zh-Hans")


def add_import_options(imp: argparse.ArgumentParser) -> None:
    imp.add_argument("--instrument", choices=INSTRUMENTS, help="survey: default from the header")
    imp.add_argument("--scale", type=int, help="survey: ratings are 1..SCALE (default: the file)")
    imp.add_argument("--competitor", help="survey: the competitor the ratings compare with")
    imp.add_argument(
        "--wave",
        help="survey: the round these answers belong to, e.g. 2026-Q2 (default: the wave the "
        "file repeats, else today's date)",
    )


def _service(settings: Settings, with_knowledge: bool = True):  # type: ignore[no-untyped-def]
    from bot.cli.services import value_service
    from bot.surveys.service import SurveyService
    from bot.surveys.store import SurveyStore

    value = value_service(settings, with_knowledge)
    return SurveyService(SurveyStore(value.store.engine), value._lookup, value)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.report_text import print_import_report

    if args.scale is not None and not 2 <= args.scale <= 100:
        print("cvm import survey: --scale must be 2 to 100", file=sys.stderr)
        return 2
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"cvm import: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    service = _service(settings, with_knowledge=False)
    instrument = Instrument(args.instrument) if args.instrument else None
    with progress("import survey", "rows checked and written") as step:
        report = service.import_file(
            data, instrument, args.scale, args.competitor, None, args.encoding, step, args.wave
        )
    if args.json:
        print_json(report.as_json_dict())
    else:
        print_import_report(report, args.file.name)
    return 1 if report.error_count else 0


def run_survey(args: argparse.Namespace, settings: Settings) -> int:
    from bot.render import plain
    from bot.render.survey import survey_advice_html, survey_error_text, survey_html
    from bot.surveys.contract import as_json
    from bot.surveys.service import NoSurveyError
    from bot.texts import t
    from knowledge.models import Lang
    from knowledge.script import lang_from_code
    from value_engine.survey.models import SurveyError

    lang = lang_from_code(args.lang) or Lang.EN
    service = _service(settings)
    available = service.available()
    wanted = [Instrument(args.instrument)] if args.instrument else list(available)
    if not wanted:
        print(plain(t("survey_none", lang)), file=sys.stderr)
        return 1
    combined: dict[str, Any] = {}
    results = []
    for instrument in wanted:
        try:
            result = service.result(instrument, args.segment, args.outcome, args.wave)
        except NoSurveyError:
            name = t(f"inst_{instrument.value}", lang)
            print(plain(t("survey_not_imported", lang, instrument=name)), file=sys.stderr)
            return 1
        except SurveyError as problem:
            print(f"cvm survey report: {plain(survey_error_text(problem, lang))}", file=sys.stderr)
            return 1
        results.append(result)
        if args.json:
            combined.update(as_json(result))
        else:
            print(plain(survey_html(result, lang)))
            print()
            print(plain(survey_advice_html(result, lang)))
            print()
    if args.csv is not None:
        from bot.surveys.export import export

        try:
            written = export(results, args.csv)
        except OSError as exc:
            print(f"cvm survey report: cannot write {args.csv}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"wrote {', '.join(p.name for p in written)} to {args.csv}", file=sys.stderr)
    if args.json:
        print_json(combined, indent=1)
    return 0
