"""Who gets an answer at all: allowed groups, then known users (or everyone, by policy).

Refusals are polite and rare: in private chats the user learns how to get access; in
groups only commands get a reply, so an unknown group is not flooded with refusals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User

from bot.access import AccessControl, RolesUnavailable
from bot.metrics import Metrics
from bot.texts import t
from knowledge.models import Lang

GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
ALWAYS_ALLOWED = ("/allowgroup", "/denygroup", "/start", "/help")  # for an admin in any group


async def _command(event: TelegramObject, data: dict[str, Any]) -> str | None:
    """The command a message gives this bot; None for text, or `/cmd@another_bot`."""
    if not (isinstance(event, Message) and event.text and event.text.startswith("/")):
        return None
    command, _, target = event.text.split(maxsplit=1)[0].lower().partition("@")
    if target:
        me = await data["bot"].me()
        if target != (me.username or "").lower():
            return None
    return command


class AccessGate(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        access: AccessControl = data["access"]
        metrics: Metrics = data["metrics"]
        lang: Lang = data.get("lang", Lang.EN)
        if user is None or user.is_bot:
            return None  # channel posts, anonymous group admins: nobody to answer
        command = await _command(event, data)
        if (
            chat is not None
            and chat.type in GROUP_TYPES
            and not await access.group_allowed(chat.id)
        ):
            if access.is_admin(user.id) and command in ALWAYS_ALLOWED:
                return await handler(event, data)
            metrics.refused.labels("group_not_allowed").inc()
            if command is not None and isinstance(event, Message):
                await event.answer(t("group_not_allowed", lang))
            elif isinstance(event, CallbackQuery):
                await event.answer(t("group_not_allowed", lang), show_alert=True)
            return None
        try:
            role = await access.resolve(user.id)
        except RolesUnavailable:
            metrics.refused.labels("roles_unavailable").inc()
            if isinstance(event, Message):
                await event.answer(t("temporarily_limited", lang))
            elif isinstance(event, CallbackQuery):
                await event.answer(t("temporarily_limited", lang), show_alert=True)
            return None
        if role is None:
            metrics.refused.labels("unknown_user").inc()
            private = chat is not None and chat.type == ChatType.PRIVATE
            if isinstance(event, Message) and (private or command is not None):
                await event.answer(t("ask_admin", lang, user=user.id))
            elif isinstance(event, CallbackQuery):
                await event.answer(t("ask_admin_short", lang), show_alert=True)
            return None
        data["role"] = role
        return await handler(event, data)
