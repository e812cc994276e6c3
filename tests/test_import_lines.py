"""Issue 24, item 6: files in, lines out. A file mixing Chinese encodings, a quote that
never closes and a row with a field too many are refused with their own line, from the
CLI and from an upload alike; a good customers file takes the block path."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Chat, Document, Message, Update, User
from sqlalchemy import Engine, select

from bot.customers.csv_import import detect_kind, import_customers, import_file, sniff_header
from bot.customers.import_report import ImportKind
from bot.customers.store import CUSTOMER
from bot.factory import Services
from bot.render import plain
from bot.render.value import import_html
from bot.runners.terminal import TerminalSession
from bot.storage.repository import make_engine
from knowledge.models import Lang
from tests.conftest import MANAGER_ID

_ids = itertools.count(50_000)
MANAGER = User(id=MANAGER_ID, is_bot=False, first_name="Mia", language_code="zh-hant")

BIG5_LINES = ["C-1,台灣電子股份有限公司", "C-2,高雄鋼鐵工業", "C-3,新竹科學園區"]


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'cvm.db'}")


def _big5_with(gbk_line: str, at: int = 3) -> bytes:
    """A Big5 customers file with one GBK line as its file line `at`."""
    lines = [(line + "\n").encode("cp950") for line in ["customer_id,name", *BIG5_LINES]]
    lines.insert(at - 1, (gbk_line + "\n").encode("gbk"))
    return b"".join(lines)


@pytest.mark.parametrize(
    "gbk_line", ["C-9,华为技术有限公司", "C-9,北京钢铁", "C-9,上海电子有限公司"]
)
def test_a_gbk_line_in_a_big5_file_is_refused_with_its_line(
    engine: Engine, tmp_path: Path, gbk_line: str
) -> None:
    data = _big5_with(gbk_line)
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    for source in (data, path):  # an upload's bytes, the CLI's path
        report = import_file(engine, ImportKind.CUSTOMERS, source)
        assert not report.committed
        assert (report.errors[0].line, report.errors[0].code) == (3, "garbled_text")
    declared = import_customers(engine, data, encoding="big5")
    assert not declared.committed and declared.errors[0].line == 3


def test_big5_lines_in_a_gbk_file_are_refused_with_the_first(engine: Engine) -> None:
    gbk = ["customer_id,name", "C-1,华为技术有限公司", "C-2,上海电子有限公司", "C-3,北京钢铁"]
    data = b"".join((line + "\n").encode("gbk") for line in gbk)
    data += "C-4,台灣電子股份有限公司\n".encode("cp950") + "C-5,深圳科技\n".encode("gbk")
    report = import_customers(engine, data)
    assert not report.committed
    assert (report.errors[0].line, report.errors[0].code) == (5, "garbled_text")


def test_rare_but_real_names_still_import(engine: Engine) -> None:
    """Names with rarely written characters (鑫, 淼, 璟, 鈺) are not nonsense."""
    text = "customer_id,name\nC-1,鑫淼璟晟科技\nC-2,鈺創科技\nC-3,台灣電子股份有限公司\n"
    for encoding in ("cp950", "gbk"):
        report = import_customers(engine, text.encode(encoding))
        assert report.committed, report.as_json_dict()
        with engine.connect() as conn:
            names = dict(conn.execute(select(CUSTOMER.c.id, CUSTOMER.c.name)).all())
        assert names["C-1"] == "鑫淼璟晟科技"


def test_the_kind_of_a_mixed_file_is_still_told_by_its_header() -> None:
    mixed = b"customer_id,name\n" + "C-1,台灣電子\n".encode() + "C-2,北京钢铁\n".encode("gbk")
    assert detect_kind(mixed) is ImportKind.CUSTOMERS
    assert sniff_header(mixed) == ["customer_id", "name"]
    assert detect_kind(_big5_with("C-9,华为技术有限公司")) is ImportKind.CUSTOMERS


def _upload(name: str, user: User) -> Update:
    doc = Document(file_id=name, file_unique_id=name, file_name=name, file_size=100)
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=Chat(id=user.id, type="private"),
        from_user=user, document=doc,
    )  # fmt: skip
    return Update(update_id=next(_ids), message=message)


async def test_an_upload_names_the_bad_line_as_the_cli_does(
    dp: Dispatcher,
    recorded: tuple[Bot, TerminalSession],
    demo_services: Services,
    tmp_path: Path,
) -> None:
    """The UTF-8 + GBK mix got "I can't tell what this file is" in the bot."""
    bot, session = recorded
    utf8_gbk = "customer_id,name\nC-1,台灣電子\n".encode() + "C-2,北京钢铁\n".encode("gbk")
    files = {"utf8-gbk.csv": utf8_gbk, "big5-gbk.csv": _big5_with("C-9,华为技术有限公司")}
    session.documents.update(files)
    for name in files:
        await dp.feed_update(bot, _upload(name, MANAGER))
    replies = [p["text"] for n, p in session.calls if n == "sendMessage"]
    for (name, data), reply in zip(files.items(), replies, strict=True):
        cli = import_customers(make_engine(f"sqlite:///{tmp_path / (name + '.db')}"), data)
        assert cli.errors and not cli.committed
        assert reply == import_html(cli, name, Lang.ZH_HANT)
        assert plain(reply).count("第 3") == 1


CUSTOMERS_33 = "customer_id,name\n" + "".join(f"C-{i},甲{i}\n" for i in range(1, 33))
TRANSACTIONS_33 = "customer_id,timestamp,amount\n" + "".join(
    f"C-{i},2025-01-{i % 28 + 1:02d},{i}\n" for i in range(1, 33)
)


def _break_line(text: str, line: int, how: str) -> bytes:
    lines = text.splitlines()
    cells = lines[line - 1].split(",")
    if how == "quote":
        cells[1] = '"' + cells[1]
    else:
        cells.append("extra")
    lines[line - 1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("kind", [ImportKind.CUSTOMERS, ImportKind.TRANSACTIONS])
@pytest.mark.parametrize(("how", "code"), [("quote", "unclosed_quote"), ("extra", "extra_values")])
def test_a_broken_row_is_reported_on_its_own_line(
    engine: Engine, kind: ImportKind, how: str, code: str
) -> None:
    """An unclosed quote on line 6 of 33 lines was reported on line 33; a row with a field
    too many was imported silently."""
    import_customers(engine, CUSTOMERS_33.encode())
    text = CUSTOMERS_33 if kind is ImportKind.CUSTOMERS else TRANSACTIONS_33
    data = _break_line(text, 6, how)
    assert data.count(b"\n") == 33
    report = import_file(engine, kind, data)
    assert not report.committed
    assert [(i.line, i.code) for i in report.errors] == [(6, code)], report.as_json_dict()


def test_a_good_customers_file_takes_the_block_path(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20,000 ids took 9 s a statement at a time; a good file is checked and written as
    blocks, as transactions are, and stores what the row path stores."""
    from bot.customers import customers_import

    rows = "".join(
        f"C-{i},名{i},retail,north,online,{f'C-{i - 1}' if i % 3 == 0 else ''}\n"
        for i in range(1, 3001)
    )
    data = ("customer_id,name,segment,region,channel,referred_by\n" + rows).encode()
    stored = []
    for block in (True, False):
        engine = make_engine(f"sqlite:///{Path(str(engine.url.database)).parent / f'{block}.db'}")
        if block:
            monkeypatch.setattr(customers_import, "check_rows", _must_not_run)
        else:
            monkeypatch.undo()
            monkeypatch.setattr(customers_import, "checked_customers", _unchecked)
        report = import_customers(engine, data)
        assert report.committed and report.inserted == 3000, report.as_json_dict()
        again = import_customers(engine, data)
        assert again.committed and again.inserted == again.updated == 0
        assert again.skipped_count == 3000
        with engine.connect() as conn:
            stored.append(
                conn.execute(
                    select(
                        CUSTOMER.c.id, CUSTOMER.c.name, CUSTOMER.c.segment, CUSTOMER.c.region,
                        CUSTOMER.c.channel, CUSTOMER.c.referred_by,
                    ).order_by(CUSTOMER.c.id)
                ).all()
            )  # fmt: skip
    assert stored[0] == stored[1] and len(stored[0]) == 3000


def _must_not_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("a good file went the row path")


def _unchecked(*args: object, **kwargs: object) -> None:
    return None


def test_imports_and_transactions_do_not_import_each_other() -> None:
    """csv_import and transactions_import imported each other in a ring."""
    root = Path(__file__).resolve().parents[1] / "bot/customers"
    assert "csv_import" not in (root / "transactions_import.py").read_text()
    assert "csv_import" not in (root / "transactions_columns.py").read_text()
