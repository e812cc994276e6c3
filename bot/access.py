"""Who may see what: roles from the database, admins from configuration."""

from __future__ import annotations

import asyncio
from enum import StrEnum

from bot.customers.store import CustomerStore


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    TRAINER = "trainer"
    STAFF = "staff"


class AccessControl:
    def __init__(self, store: CustomerStore, admin_ids: frozenset[int]) -> None:
        self._store = store
        self._admins = admin_ids

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

    async def grant(self, user_id: int, role: Role | None, granted_by: int) -> None:
        """Set (or with None, remove) a stored role; configured admins are not stored."""
        await asyncio.to_thread(
            self._store.set_role, user_id, None if role is None else role.value, granted_by
        )

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
