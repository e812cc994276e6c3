"""/grant, /revoke, /users and the group allow-list: admins manage access in the bot.

Roles work as `cvm users` does.

Admins themselves come from configuration (ADMIN_IDS), so no chat command can create or
remove one; commands work in private chats only, where a mistyped ID is not broadcast.
"""

from __future__ import annotations

import asyncio
import html
import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.exc import OperationalError

from bot.access import AccessControl, Role
from bot.texts import t
from knowledge.models import Lang

log = logging.getLogger(__name__)
GRANTABLE = (Role.MANAGER, Role.TRAINER, Role.STAFF)


def telegram_id(word: str) -> int | None:
    """A user or chat ID as typed (chats are negative); anything else is not one."""
    if word.lstrip("-").isdigit() and len(word) <= 20:
        return int(word)
    return None


def parse_target(message: Message, words: list[str]) -> tuple[int | None, list[str]]:
    """The user a command is about: the replied-to message's author, or a leading numeric ID."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and not replied.from_user.is_bot:
        return replied.from_user.id, words
    if words and (found := telegram_id(words[0])) is not None:
        return found, words[1:]
    return None, words


async def _allowed(message: Message, access: AccessControl, lang: Lang) -> bool:
    user = message.from_user
    if user is None or not access.is_admin(user.id):
        await message.answer(t("admin_only", lang))
        return False
    if message.chat.type != ChatType.PRIVATE:
        await message.answer(t("admin_private_only", lang))
        return False
    return True


async def grant(
    message: Message, command: CommandObject, access: AccessControl, lang: Lang
) -> None:
    if not await _allowed(message, access, lang):
        return
    target, rest = parse_target(message, (command.args or "").split())
    role = next((r for r in GRANTABLE if rest and rest[0].lower() == r.value), None)
    if target is None or role is None or len(rest) != 1:
        await message.answer(t("grant_usage", lang))
        return
    if access.is_admin(target):
        await message.answer(t("role_of_admin", lang, user=target))
        return
    assert message.from_user is not None
    try:
        await access.grant(target, role, message.from_user.id)
    except OperationalError:
        await message.answer(t("roles_unavailable", lang))
        return
    log.info("role %s granted to %s by %s", role.value, target, message.from_user.id)
    await message.answer(t("granted", lang, user=target, role=role.value))


async def revoke(
    message: Message, command: CommandObject, access: AccessControl, lang: Lang
) -> None:
    if not await _allowed(message, access, lang):
        return
    target, rest = parse_target(message, (command.args or "").split())
    if target is None or rest:
        await message.answer(t("revoke_usage", lang))
        return
    if access.is_admin(target):
        await message.answer(t("role_of_admin", lang, user=target))
        return
    assert message.from_user is not None
    try:
        had = await asyncio.to_thread(access.role, target)
        await access.grant(target, None, message.from_user.id)
    except OperationalError:
        await message.answer(t("roles_unavailable", lang))
        return
    log.info("role of %s revoked by %s", target, message.from_user.id)
    await message.answer(t("revoked" if had else "revoke_none", lang, user=target))


async def users(message: Message, access: AccessControl, lang: Lang) -> None:
    if not await _allowed(message, access, lang):
        return
    try:
        stored = await access.stored_roles()
    except OperationalError:
        await message.answer(t("roles_unavailable", lang))
        return
    lines = [t("users_title", lang)]
    lines += [f"<code>{user_id}</code> · {role}" for user_id, role in stored]
    if not stored:
        lines.append(t("users_empty", lang))
    admins = ", ".join(f"<code>{a}</code>" for a in sorted(access.admins)) or "—"
    lines.append(t("users_admins", lang, ids=admins))
    await message.answer("\n".join(lines))


async def allow_group(
    message: Message, command: CommandObject, access: AccessControl, lang: Lang
) -> None:
    await _set_group(message, command, access, lang, allow=True)


async def deny_group(
    message: Message, command: CommandObject, access: AccessControl, lang: Lang
) -> None:
    await _set_group(message, command, access, lang, allow=False)


async def _set_group(
    message: Message, command: CommandObject, access: AccessControl, lang: Lang, *, allow: bool
) -> None:
    """In the group itself, or from a private chat with the group's ID."""
    user = message.from_user
    if user is None or not access.is_admin(user.id):
        await message.answer(t("groups_admin_only", lang))
        return
    words = (command.args or "").split()
    if message.chat.type == ChatType.PRIVATE:
        given = telegram_id(words[0]) if len(words) == 1 else None
        if given is None:
            await message.answer(t("group_usage", lang))
            return
        chat_id, title = given, None
    else:
        chat_id, title = message.chat.id, message.chat.title
    if not allow and access.group_configured(chat_id):
        await message.answer(t("group_configured", lang))
        return
    try:
        if allow:
            changed = await access.allow_group(chat_id, title, user.id)
        else:
            changed = await access.deny_group(chat_id)
    except OperationalError:
        await message.answer(t("roles_unavailable", lang))
        return
    log.info("group %s %s by %s", chat_id, "allowed" if allow else "denied", user.id)
    if allow:
        await message.answer(t("group_allowed" if changed else "group_already", lang))
    else:
        await message.answer(t("group_denied" if changed else "group_not_listed", lang))


async def groups(message: Message, access: AccessControl, lang: Lang) -> None:
    if not await _allowed(message, access, lang):
        return
    try:
        listed = await access.groups()
    except OperationalError:
        await message.answer(t("roles_unavailable", lang))
        return
    lines = [t("groups_title", lang)]
    lines += [f"<code>{chat_id}</code> · {html.escape(title)}" for chat_id, title in listed]
    if not listed:
        lines.append(t("groups_empty", lang))
    await message.answer("\n".join(lines))


def make_router() -> Router:
    router = Router(name="admin")
    router.message.register(grant, Command("grant"), F.text)
    router.message.register(revoke, Command("revoke"), F.text)
    router.message.register(users, Command("users"), F.text)
    router.message.register(allow_group, Command("allowgroup"), F.text)
    router.message.register(deny_group, Command("denygroup"), F.text)
    router.message.register(groups, Command("groups"), F.text)
    return router
