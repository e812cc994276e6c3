"""The README's pictures: a manager's breakdown card and chart for one demo customer, and
the demo company's Kano survey chart, made from the code as it is, so the pictures never
drift from the product.

    .venv/bin/python docs/make_pictures.py
    # writes docs/breakdown-en.png, docs/card-en.txt and docs/survey-kano-en.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CUSTOMER = "C-1042"


def main() -> None:
    from bot import charts
    from bot.charts import survey as survey_charts
    from bot.config import Settings
    from bot.customers.demo import generate
    from bot.customers.import_report import ImportKind
    from bot.factory import build_services
    from bot.render import plain
    from bot.render.survey import survey_chart_labels
    from bot.render.value import breakdown_chart_labels, card_html
    from bot.surveys.demo import generate as generate_surveys
    from knowledge.models import Lang
    from value_engine.survey.models import Instrument

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        services = build_services(settings)
        company = generate(customers=settings.demo_customers)
        services.value.import_file(ImportKind.CUSTOMERS, company.customers_csv)
        services.value.import_file(ImportKind.TRANSACTIONS, company.transactions_csv)
        breakdown = services.value.breakdown(CUSTOMER)
        assert breakdown is not None
        png = charts.breakdown_chart(breakdown, breakdown_chart_labels(Lang.EN))
        card = plain(card_html(breakdown, Lang.EN, settings.value_default_margin))
        surveys = generate_surveys(company)
        services.surveys.import_file(surveys.files[Instrument.KANO])
        kano = services.surveys.result(Instrument.KANO).kano
        assert kano is not None
        kano_png = survey_charts.kano_chart(kano, survey_chart_labels(Lang.EN))
    (ROOT / "docs" / "breakdown-en.png").write_bytes(png)
    (ROOT / "docs" / "card-en.txt").write_text(card + "\n", encoding="utf-8")
    (ROOT / "docs" / "survey-kano-en.png").write_bytes(kano_png)
    print("wrote docs/breakdown-en.png, docs/card-en.txt and docs/survey-kano-en.png")


if __name__ == "__main__":
    main()
