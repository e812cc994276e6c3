"""Groups an admin let the bot into."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.storage.models import AllowedChat


class ChatStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def allowed_ids(self) -> set[int]:
        with Session(self.engine) as session:
            return set(session.exec(select(AllowedChat.chat_id)))

    def allow(self, chat_id: int, title: str | None, allowed_by: int) -> bool:
        """False when the chat was allowed already."""
        with Session(self.engine) as session:
            if session.get(AllowedChat, chat_id) is not None:
                return False
            session.add(
                AllowedChat(chat_id=chat_id, title=(title or "")[:255], allowed_by=allowed_by)
            )
            session.commit()
            return True

    def deny(self, chat_id: int) -> bool:
        with Session(self.engine) as session:
            row = session.get(AllowedChat, chat_id)
            if row is None:
                return False
            session.delete(row)
            session.commit()
            return True

    def listing(self) -> list[AllowedChat]:
        with Session(self.engine) as session:
            return list(session.exec(select(AllowedChat).order_by(col(AllowedChat.allowed_at))))
