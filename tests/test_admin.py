"""Admins manage roles in the bot: /grant, /revoke, /users through the real dispatcher."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Chat, Message, MessageEntity, Update, User

from bot.access import AccessControl, Role
from bot.factory import Services, build_dispatcher
from bot.runners.terminal import TerminalSession

_ids = itertools.count(80_000)
ADMIN = User(id=8100, is_bot=False, first_name="Ada", language_code="en")
ADMIN_ZH = User(id=8100, is_bot=False, first_name="Ada", language_code="zh-hant")
NEWCOMER = User(id=8200, is_bot=False, first_name="Ned", language_code="en")
GROUP = Chat(id=-1008, type="supergroup", title="Ops")


@pytest.fixture()
def admin_services(services: Services) -> Services:
    access = AccessControl(
        services.value.store, frozenset({ADMIN.id}), allowed_groups=frozenset({GROUP.id})
    )
    return dataclasses.replace(services, access=access)


@pytest.fixture()
def dp(admin_services: Services) -> Dispatcher:
    return build_dispatcher(admin_services)


def _command(
    text: str, user: User, chat: Chat | None = None, reply_to: Message | None = None
) -> Update:
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC),
        chat=chat or Chat(id=user.id, type="private"), from_user=user, text=text,
        entities=[MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))],
        reply_to_message=reply_to,
    )  # fmt: skip
    return Update(update_id=next(_ids), message=message)


def _last(session: TerminalSession) -> str:
    return str([p["text"] for name, p in session.calls if name == "sendMessage"][-1])


async def test_admin_grants_and_revokes_a_role_that_takes_effect(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], admin_services: Services
) -> None:
    bot, session = recorded
    access = admin_services.access
    assert not await access.is_manager(NEWCOMER.id)
    await dp.feed_update(bot, _command(f"/grant {NEWCOMER.id} manager", ADMIN))
    assert _last(session) == f"User {NEWCOMER.id} is now manager."
    assert access.role(NEWCOMER.id) == Role.MANAGER and await access.is_manager(NEWCOMER.id)
    assert admin_services.value.store.users()[-1].granted_by == ADMIN.id

    await dp.feed_update(bot, _command("/users", ADMIN))
    assert f"<code>{NEWCOMER.id}</code> · manager" in _last(session)
    assert f"<code>{ADMIN.id}</code>" in _last(session)

    await dp.feed_update(bot, _command(f"/revoke {NEWCOMER.id}", ADMIN_ZH))
    assert _last(session) == f"已移除使用者 {NEWCOMER.id} 的角色。"
    assert access.role(NEWCOMER.id) is None and not await access.is_manager(NEWCOMER.id)
    await dp.feed_update(bot, _command(f"/revoke {NEWCOMER.id}", ADMIN))
    assert _last(session) == f"User {NEWCOMER.id} had no role."


async def test_reply_to_a_message_names_the_user(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], admin_services: Services
) -> None:
    bot, session = recorded
    theirs = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=Chat(id=ADMIN.id, type="private"),
        from_user=NEWCOMER, text="hello",
    )  # fmt: skip
    await dp.feed_update(bot, _command("/grant trainer", ADMIN, reply_to=theirs))
    assert admin_services.access.role(NEWCOMER.id) == Role.TRAINER
    assert "trainer" in _last(session)


@pytest.mark.parametrize(
    ("text", "user", "chat", "expected"),
    [
        ("/grant 8200 manager", NEWCOMER, None, "Only admins can change roles."),
        ("/grant 8200 manager", ADMIN, GROUP, "Please manage roles in a private chat with me."),
        ("/grant 8200 admin", ADMIN, None, "Usage: <code>/grant USER_ID ROLE</code>"),
        ("/grant manager", ADMIN, None, "Usage: <code>/grant USER_ID ROLE</code>"),
        ("/grant 8200 manager extra", ADMIN, None, "Usage: <code>/grant USER_ID ROLE</code>"),
        ("/revoke", ADMIN, None, "Usage: <code>/revoke USER_ID</code>"),
        ("/revoke 8100", ADMIN, None, "is an admin by configuration"),
        ("/grant 8100 staff", ADMIN, None, "is an admin by configuration"),
    ],
)
async def test_bad_or_unauthorized_role_commands_change_nothing(
    dp: Dispatcher,
    recorded: tuple[Bot, TerminalSession],
    admin_services: Services,
    text: str,
    user: User,
    chat: Chat | None,
    expected: str,
) -> None:
    bot, session = recorded
    before = [(u.telegram_id, u.role) for u in admin_services.value.store.users()]
    await dp.feed_update(bot, _command(text, user, chat))
    assert expected in _last(session)
    assert [(u.telegram_id, u.role) for u in admin_services.value.store.users()] == before
