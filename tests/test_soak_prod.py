"""bench/soak_prod.py counts what it says: a duplicate is the same reply sent twice for one
update, never two different customer cards (issue 24, section 8)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.telegram_server.server import SentMessage

ROOT = Path(__file__).resolve().parents[1]
CHAT = 7001


def _soak_prod() -> ModuleType:
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("soak_prod", ROOT / "bench" / "soak_prod.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak_prod"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


class _Api:
    """The part of the local Bot API server the counting reads: what the bot sent."""

    def __init__(self, messages: list[SentMessage]) -> None:
        self.messages = messages

    def bot_messages(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.messages if m.chat_id == chat_id]


def _card(message_id: int, customer: str) -> list[SentMessage]:
    """A breakdown as the bot sends it: the chart (no caption), then the card."""
    chart = SentMessage(
        message_id, CHAT, "", "", None, None,
        photo=b"\x89PNG chart of " + customer.encode(), filename=f"{customer}.png",
    )  # fmt: skip
    text = f"<b>Customer {customer}</b>"
    card = SentMessage(message_id + 1, CHAT, text, text, None, None)
    return [chart, card]


@pytest.fixture(scope="module")
def soak() -> ModuleType:
    return _soak_prod()


def test_two_different_cards_after_one_request_are_not_a_duplicate(soak: ModuleType) -> None:
    """The third request was sent before the second card's chart arrived (the request
    before it had taken the first card's late text as its reply), so the second and
    third cards both follow it: different charts, different customers, no duplicate."""
    messages = _card(1, "C-1001") + _card(3, "C-2002") + _card(5, "C-3003")
    outcomes = [soak.Outcome(CHAT, 0.0, 0), soak.Outcome(CHAT, 1.0, 1), soak.Outcome(CHAT, 2.0, 2)]
    assert soak._duplicate_replies(_Api(messages), outcomes) == 0


def test_the_same_card_sent_twice_for_one_request_is_a_duplicate(soak: ModuleType) -> None:
    """One update handled by both processes: its chart and its card arrive twice."""
    messages = _card(1, "C-1001") + _card(3, "C-1001")
    assert soak._duplicate_replies(_Api(messages), [soak.Outcome(CHAT, 0.0, 0)]) == 2
