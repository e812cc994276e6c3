"""Who may see what: roles from the database, admins from configuration.

The gate in front of every message (`resolve`, `group_allowed`) reads through a short
cache and, when the database does not answer, falls back to what it knew last: staff
keep getting knowledge answers while the database is down. Customer data is checked
against the database itself (`is_manager`), never against the cache.
"""

from __future__ import annotations

import asyncio
import logging
import time
from enum import StrEnum

from bot.customers.store import CustomerStore
from bot.storage.chats import ChatStore

log = logging.getLogger(__name__)
MISS_RECHECK = 2.0


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    TRAINER = "trainer"
    STAFF = "staff"


class RolesUnavailable(Exception):
    """The database does not answer and this process has not seen the user yet."""


class AccessControl:
    def __init__(
        self,
        store: CustomerStore,
        admin_ids: frozenset[int],
        chats: ChatStore | None = None,
        *,
        policy: str = "open",
        allowed_groups: frozenset[int] = frozenset(),
        cache_seconds: float = 30.0,
    ) -> None:
        self._store = store
        self._admins = admin_ids
        self._chats = chats or ChatStore(store.engine)
        self.policy = policy
        self._configured_groups = allowed_groups
        self._cache_seconds = cache_seconds
        self._roles: dict[int, tuple[Role | None, float]] = {}
        self._groups: set[int] = set()
        self._groups_read = 0.0

    def role(self, user_id: int) -> Role | None:
        if user_id in self._admins:
            return Role.ADMIN
        stored = self._store.role(user_id)
        return Role(stored) if stored in set(Role) else None

    @property
    def admins(self) -> frozenset[int]:
        return self._admins

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self._admins

    # --- the gate (cached, survives a database outage) --------------------------------------
    async def resolve(self, user_id: int) -> Role | None:
        """The user's role for the gate; with the open policy, unknown users are staff."""
        if user_id in self._admins:
            return Role.ADMIN
        now = time.monotonic()
        cached = self._roles.get(user_id)
        if cached is None or now - cached[1] > self._cache_seconds:
            try:
                role = await asyncio.to_thread(self.role, user_id)
            except Exception as error:
                if cached is not None:
                    role = cached[0]
                elif self.policy == "open":
                    return Role.STAFF
                else:
                    # Not "not invited": we cannot tell while the database is away.
                    raise RolesUnavailable(user_id) from error
            else:
                if len(self._roles) > 100_000:
                    self._roles.clear()
                self._roles[user_id] = (role, now)
        else:
            role = cached[0]
        if role is None and self.policy == "open":
            return Role.STAFF
        return role

    async def group_allowed(self, chat_id: int) -> bool:
        if chat_id in self._configured_groups:
            return True
        now = time.monotonic()
        age = now - self._groups_read
        # A miss may be a group another process just allowed: look again, at most every 2 s.
        if age > self._cache_seconds or (chat_id not in self._groups and age > MISS_RECHECK):
            try:
                self._groups = await asyncio.to_thread(self._chats.allowed_ids)
                self._groups_read = now
            except Exception:
                log.warning("allowed groups unavailable; using the last known list")
        return chat_id in self._groups

    async def allow_group(self, chat_id: int, title: str | None, by: int) -> bool:
        added = await asyncio.to_thread(self._chats.allow, chat_id, title, by)
        self._groups.add(chat_id)
        return added

    async def deny_group(self, chat_id: int) -> bool:
        removed = await asyncio.to_thread(self._chats.deny, chat_id)
        self._groups.discard(chat_id)
        return removed

    def group_configured(self, chat_id: int) -> bool:
        """Allowed by ALLOWED_GROUP_IDS: no chat command can take that back."""
        return chat_id in self._configured_groups

    async def groups(self) -> list[tuple[int, str]]:
        rows = await asyncio.to_thread(self._chats.listing)
        listed = [(row.chat_id, row.title or "") for row in rows]
        known = {chat_id for chat_id, _ in listed}
        return listed + [
            (c, "(ALLOWED_GROUP_IDS)") for c in sorted(self._configured_groups - known)
        ]

    # --- roles ------------------------------------------------------------------------------
    async def grant(self, user_id: int, role: Role | None, granted_by: int) -> None:
        """Set (or with None, remove) a stored role; configured admins are not stored."""
        await asyncio.to_thread(
            self._store.set_role, user_id, None if role is None else role.value, granted_by
        )
        self._roles.pop(user_id, None)

    async def stored_roles(self) -> list[tuple[int, str]]:
        users = await asyncio.to_thread(self._store.users)
        return [(u.telegram_id, u.role) for u in users]

    async def is_manager(self, user_id: int | None) -> bool:
        if user_id is None:
            return False
        role = await asyncio.to_thread(self.role, user_id)
        return role in (Role.ADMIN, Role.MANAGER)

    async def audit(self, user_id: int, customer_id: str | None, action: str) -> None:
        await asyncio.to_thread(self._store.audit, user_id, customer_id, action)
