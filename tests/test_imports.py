"""CSV imports through a real SQLite database, and the Alembic migrations up and down."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, inspect, select, text
from sqlmodel import Session

from bot.customers.csv_import import detect_kind, import_customers
from bot.customers.demo import generate
from bot.customers.store import TRANSACTION, CustomerStore
from bot.customers.transactions_import import import_transactions
from bot.storage.migrate import current_revision, downgrade, head_revision, upgrade
from bot.storage.repository import make_engine

CUSTOMERS = (
    "customer_id,name,segment,referred_by\n"
    "C-1,甲公司,retail,\nC-2,乙公司,retail,C-1\nC-3,丙,services,C-1\n"
)


@pytest.fixture()
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'cvm.db'}")
    report = import_customers(engine, CUSTOMERS.encode())
    assert report.committed and report.inserted == 3, report.as_json_dict()
    return engine


def _count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(TRANSACTION)).scalar_one())


GOOD = (
    "customer_id,timestamp,amount,gross_margin\n"
    "C-1,2025-01-05,100.50,30\n"
    "C-1,2025-02-05 10:30,80,\n"
    "C-2,2025/03/01,-20,-6\n"
    'C-3,2025-03-02T09:00:00+08:00,"1,250.00",400\n'
)


def test_good_file_imports_and_reimport_changes_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    store = CustomerStore(engine)
    before = store.revision()
    first = import_transactions(engine, GOOD.encode())
    assert first.committed and first.inserted == 4 and first.error_count == 0
    assert store.revision() == before + 1
    again = import_transactions(engine, GOOD.encode())
    assert again.committed and again.inserted == 0 and again.skipped_count == 4
    assert store.revision() == before + 1  # nothing changed, so no refit is triggered
    assert _count(engine) == 4
    with engine.connect() as conn:
        amounts = sorted(conn.execute(select(TRANSACTION.c.amount)).scalars())
        ts = conn.execute(
            select(TRANSACTION.c.ts).where(TRANSACTION.c.customer_id == "C-3")
        ).scalar()
    assert amounts == [-20.0, 80.0, 100.5, 1250.0]
    assert ts.hour == 1  # 09:00 at +08:00 is stored as 01:00 UTC


def test_a_bad_file_changes_nothing_and_every_bad_row_is_reported(engine) -> None:  # type: ignore[no-untyped-def]
    bad = (
        "customer_id,timestamp,amount\n"
        "C-1,2025-01-05,10\n"
        "C-404,2025-01-05,10\n"
        "C-1,yesterday,10\n"
        "C-1,2025-01-06,ten\n"
        "C-1,2025-01-07,0\n"
        "C-1,2100-01-01,5\n"
        ",2025-01-05,10\n"
        "C-1,2025-01-08\n"
    )
    report = import_transactions(engine, bad.encode())
    assert not report.committed
    assert [(i.line, i.code) for i in report.errors] == [
        (3, "unknown_customer"),
        (4, "bad_date"),
        (5, "bad_amount"),
        (6, "zero_amount"),
        (7, "future_date"),
        (8, "bad_customer_id"),
        (9, "missing_values"),
    ]
    assert _count(engine) == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_bom_and_gbk_files_are_read(engine, encoding: str) -> None:  # type: ignore[no-untyped-def]
    data = "客戶編號,日期,金額\nC-1,2025-01-05,12\nC-2,2025-01-06,13\n".encode(encoding)
    report = import_transactions(engine, data)
    assert report.committed and report.inserted == 2, report.as_json_dict()
    assert report.encoding == ("utf-8" if encoding == "utf-8-sig" else "gbk")


def test_duplicates_within_a_file(engine) -> None:  # type: ignore[no-untyped-def]
    same = (
        "transaction_id,customer_id,timestamp,amount\nT1,C-1,2025-01-05,10\nT1,C-1,2025-01-05,10\n"
    )
    report = import_transactions(engine, same.encode())
    assert report.committed and report.inserted == 1 and report.skipped[0].code == "duplicate_row"
    clash = (
        "transaction_id,customer_id,timestamp,amount\nT2,C-1,2025-01-05,10\nT2,C-2,2025-01-05,99\n"
    )
    report = import_transactions(engine, clash.encode())
    assert not report.committed and report.errors[0].code == "conflicting_duplicate"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"customer_id,amount\nC-1,5\n", "missing_columns"),
        (b'customer_id,timestamp,amount\nC-1,"2025-01-05,5\n', "unclosed_quote"),
        (b"\xff\xfe\x00garbage\x81\x30", "bad_encoding"),
    ],
)
def test_malformed_files_get_a_reason(engine, data: bytes, code: str) -> None:  # type: ignore[no-untyped-def]
    report = import_transactions(engine, data)
    assert not report.committed
    assert report.errors[0].code == code


def test_row_limit(engine) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"C-1,2025-01-{d:02d},5\n" for d in range(1, 11))
    report = import_transactions(
        engine, ("customer_id,timestamp,amount\n" + rows).encode(), max_rows=5
    )
    assert not report.committed and report.errors[-1].code == "too_many_rows"


def test_customer_import_checks_referrers_and_is_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    again = import_customers(engine, CUSTOMERS.encode())
    assert again.committed and again.inserted == 0 and again.updated == 0
    renamed = import_customers(engine, b"id,name\nC-2,New name\n")
    assert renamed.updated == 1
    bad = import_customers(engine, b"id,referred_by\nC-9,C-9\nC-8,C-404\n")
    assert not bad.committed
    assert [i.code for i in bad.errors] == ["self_referral", "unknown_referrer"]
    assert CustomerStore(engine).customer("C-9") is None
    assert CustomerStore(engine).customer("C-2").referred_by is None  # type: ignore[union-attr]


def test_kind_is_detected_from_the_header() -> None:
    assert detect_kind(GOOD.encode()).value == "transactions"  # type: ignore[union-attr]
    assert detect_kind(CUSTOMERS.encode()).value == "customers"  # type: ignore[union-attr]
    assert detect_kind(b"foo,bar\n1,2\n") is None


def test_demo_company_is_deterministic_and_valid(tmp_path: Path) -> None:
    one, two = generate(customers=300, seed=5), generate(customers=300, seed=5)
    assert one.transactions_csv == two.transactions_csv and one.customers_csv == two.customers_csv
    assert generate(customers=300, seed=6).transactions_csv != one.transactions_csv
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    assert import_customers(engine, one.customers_csv).inserted == 300
    report = import_transactions(engine, one.transactions_csv)
    assert report.error_count == 0 and report.inserted == one.transactions
    with engine.connect() as conn:
        returns = conn.execute(
            select(func.count()).select_from(TRANSACTION).where(TRANSACTION.c.amount < 0)
        ).scalar_one()
        referred = conn.execute(
            text("SELECT count(*) FROM customer WHERE referred_by IS NOT NULL")
        ).scalar_one()
    assert returns > 0 and referred > 0


def test_migrations_go_up_and_down(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {
        "exchange",
        "feedback",
        "customer",
        "customer_transaction",
        "customer_score",
        "value_fit",
    } <= tables
    columns = {c["name"] for c in inspect(engine).get_columns("quiz_session")}
    assert {"sending", "owner", "lease_until", "skip"} <= columns
    assert "allowed_chat" in tables
    assert {"survey_instrument", "survey_response", "customer_period"} <= tables
    downgrade(engine, "0006")
    tables = set(inspect(engine).get_table_names())
    assert "customer_period" not in tables and "survey_response" in tables
    downgrade(engine, "0005")
    tables = set(inspect(engine).get_table_names())
    assert "survey_response" not in tables and "survey_instrument" not in tables
    assert "allowed_chat" in tables
    downgrade(engine, "0004")
    assert "allowed_chat" not in set(inspect(engine).get_table_names())
    assert "owner" not in {c["name"] for c in inspect(engine).get_columns("quiz_session")}
    downgrade(engine, "0003")
    assert "sending" not in {c["name"] for c in inspect(engine).get_columns("quiz_session")}
    downgrade(engine, "0001")
    tables = set(inspect(engine).get_table_names())
    assert "customer" not in tables and "exchange" in tables
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert import_customers(engine, CUSTOMERS.encode()).inserted == 3


def test_a_database_from_before_migrations_is_adopted(tmp_path: Path) -> None:
    """The foundation release made its tables with create_all; they must survive."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    with old.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE exchange (id INTEGER PRIMARY KEY, chat_id INTEGER, user_id INTEGER, "
                "question VARCHAR, answer VARCHAR, lang VARCHAR, answered BOOLEAN, "
                "sources_json VARCHAR, created_at DATETIME)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO exchange VALUES "
                "(1, 5, 6, 'q', 'a', 'en', 1, '[]', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE feedback (id INTEGER PRIMARY KEY, exchange_id INTEGER, "
                "user_id INTEGER, helpful BOOLEAN, created_at DATETIME)"
            )
        )
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    with Session(engine) as session:
        assert session.execute(text("SELECT question FROM exchange")).scalar_one() == "q"


_cells = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12
) | st.sampled_from(["C-1", "C-2", "2025-01-05", "2025-13-40", "-5", "1e309", "NaN", "", '"'])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(
        st.sampled_from(
            ["customer_id", "timestamp", "amount", "cost", "gross_margin", "x", "金額"]
        ),
        min_size=1,
        max_size=5,
    ),
    rows=st.lists(st.lists(_cells, min_size=0, max_size=6), max_size=8),
    raw=st.binary(max_size=64),
)
def test_no_file_crashes_the_import_or_half_writes(engine, header, rows, raw) -> None:  # type: ignore[no-untyped-def]
    import csv as csv_module
    import io as io_module

    out = io_module.StringIO()
    writer = csv_module.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    for data in (out.getvalue().encode(), raw, out.getvalue().encode("utf-8") + raw):
        before = _count(engine)
        report = import_transactions(engine, data)
        after = _count(engine)
        assert report.committed == (report.error_count == 0)
        assert after - before == (report.inserted if report.committed else 0)
        for issue in report.errors:
            assert issue.code and len(issue.value) <= 80


BIG5_NAMES = "customer_id,name\nC-90,台灣電子股份有限公司\nC-91,高雄鋼鐵工業\n"


def test_big5_file_keeps_its_names(engine) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, item 8: a Big5 file was read as GBK and 台灣電子股份有限公司 became 芖筿Τそ."""
    from sqlalchemy import select

    from bot.customers.store import CUSTOMER

    report = import_customers(engine, BIG5_NAMES.encode("cp950"))
    assert report.committed and report.encoding == "big5", report.as_json_dict()
    with engine.connect() as conn:
        names = dict(conn.execute(select(CUSTOMER.c.id, CUSTOMER.c.name)).all())
    assert names["C-90"] == "台灣電子股份有限公司" and names["C-91"] == "高雄鋼鐵工業"


def test_gbk_file_is_still_gbk(engine) -> None:  # type: ignore[no-untyped-def]
    data = "customer_id,name\nC-92,上海电子有限公司\nC-93,北京钢铁\n".encode("gbk")
    report = import_customers(engine, data)
    assert report.committed and report.encoding == "gbk"


def test_mixed_encodings_are_refused_at_the_first_bad_line(engine) -> None:  # type: ignore[no-untyped-def]
    data = "customer_id,name\nC-94,台灣電子\n".encode() + "C-95,北京钢铁\n".encode("gbk")
    report = import_customers(engine, data)
    assert not report.committed
    assert (report.errors[0].code, report.errors[0].line) == ("mixed_encoding", 3)


def test_declared_encoding_is_used(engine) -> None:  # type: ignore[no-untyped-def]
    report = import_customers(engine, BIG5_NAMES.encode("cp950"), encoding="big5")
    assert report.committed and report.encoding == "big5"
    wrong = import_customers(engine, BIG5_NAMES.encode("cp950"), encoding="utf-8")
    assert not wrong.committed and wrong.errors[0].code == "bad_encoding"


def test_malformed_csv_names_its_own_line(engine) -> None:  # type: ignore[no-untyped-def]
    """The error named the line before the bad one."""
    data = b'customer_id,timestamp,amount\nC-1,2025-01-05,5\nC-1,"2025-01-06,5\n'
    report = import_transactions(engine, data)
    assert (report.errors[0].code, report.errors[0].line) == ("unclosed_quote", 3)


def test_the_column_check_and_the_row_check_store_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: a good file goes the columnar fast path; what it stores must be what the
    row path stores, to the byte (content-hash refs, timestamps, days, numbers)."""
    from sqlalchemy import text

    from bot.customers import transactions_import
    from bot.customers.demo import generate

    company = generate(customers=300, seed=4)
    lines = company.transactions_csv.decode().splitlines()
    no_ids = "\n".join(line.split(",", 1)[1] for line in lines) + "\n"  # hashes as refs
    stored = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(transactions_import, "_checkable", lambda *a, **k: None)
        for name, data in (("ids", company.transactions_csv), ("hashes", no_ids.encode())):
            engine = make_engine(f"sqlite:///{tmp_path / f'{fast}-{name}.db'}")
            import_customers(engine, company.customers_csv)
            report = import_transactions(engine, data)
            assert report.committed and report.inserted == company.transactions
            with engine.connect() as conn:
                stored.append(
                    conn.execute(
                        text(
                            "SELECT ref, customer_id, ts, day, amount, gross_margin, cost "
                            "FROM customer_transaction ORDER BY ref"
                        )
                    ).all()
                )
    assert stored[0] == stored[2] and stored[1] == stored[3]
    assert stored[1][0][0].startswith("h:")
