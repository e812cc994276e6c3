"""A terminal chat that drives the real dispatcher, routers and handlers.

Without a Telegram token a newcomer can still try every feature: each typed
line becomes a Telegram update fed to the same dispatcher, and a local session
stands in for the Bot API, printing what the bot sends. Inline keyboards are
shown as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import uuid
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, cast

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Chat,
    InputFile,
    Message,
    MessageEntity,
    PollAnswer,
    Update,
    User,
)

from bot.factory import Services, build_dispatcher
from bot.render import plain

TERMINAL_TOKEN = "1000000:TERMINAL-local-session"
TERMINAL_USER_ID = 1
BOT_USER = {"id": 1000000, "is_bot": True, "first_name": "cvm-bot", "username": "cvm_bot"}
_TEXT_FIELDS = frozenset({"text", "caption", "description"})  # user text: never decoded


class TerminalSession(BaseSession):
    """Answers the bot's API calls locally and renders them for a person at a terminal."""

    def __init__(self, out: TextIO, files_dir: Path | None = None) -> None:
        super().__init__()
        self._out = out
        self._files_dir = files_dir
        self.files: list[tuple[str, bytes]] = []  # pictures and documents the bot sent
        self.documents: dict[str, bytes] = {}  # file_id -> content, for documents users "send"
        self.polls: dict[str, dict[str, Any]] = {}  # poll_id -> poll, for quiz polls sent
        self.open_poll: tuple[str, int] | None = None  # (poll_id, options) a letter answers
        self.poll_messages: dict[int, str] = {}  # message_id -> poll_id
        self._message_ids = itertools.count(1)
        self.buttons: list[tuple[int, str]] = []  # (message_id, callback_data) by choice number
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every API call, for inspection

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield self.documents.get(url.rsplit("/", 1)[-1], b"")

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = method.__api_method__
        params = self._params(bot, method)
        self.calls.append((name, params))
        result = self._handle(name, params)
        content = json.dumps({"ok": True, "result": result})
        response = self.check_response(bot=bot, method=method, status_code=200, content=content)
        return cast(TelegramType, response.result)

    def _params(self, bot: Bot, method: TelegramMethod[TelegramType]) -> dict[str, Any]:
        """Serialize exactly as the HTTP session does (bot defaults resolved), then decode."""
        params: dict[str, Any] = {}
        files: dict[str, InputFile] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if not prepared:
                continue
            if key in _TEXT_FIELDS or not isinstance(prepared, str):
                params[key] = prepared
            elif prepared[:1] in "[{":
                params[key] = json.loads(prepared)
            elif prepared in ("true", "false"):
                params[key] = prepared == "true"
            elif prepared.lstrip("-").isdigit():
                params[key] = int(prepared)
            else:
                params[key] = prepared
        for upload in files.values():
            data = upload.data if isinstance(upload, BufferedInputFile) else b""
            self.files.append((upload.filename or "file", data))
        return params

    def _handle(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in {"sendMessage", "editMessageText"}:
            message_id = params.get("message_id") or next(self._message_ids)
            self._print_message(params.get("text", ""), params.get("reply_markup"), message_id)
            return self._message(params, message_id)
        if name in {"sendPhoto", "sendDocument"}:
            message_id = next(self._message_ids)
            self._print_file(*self.files[-1])
            if params.get("caption"):
                self._print_message(params["caption"], params.get("reply_markup"), message_id)
            return {**self._message(params, message_id), "text": None}
        if name == "getFile":
            file_id = params["file_id"]
            size = len(self.documents.get(file_id, b""))
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": size,
                "file_path": file_id,
            }
        if name == "sendPoll":
            message_id = next(self._message_ids)
            poll = self._poll(params, message_id)
            self.open_poll = (poll["id"], len(poll["options"]))
            self._write("")
            self._write(f"  ❓ {params.get('question', '')}")
            for letter, option in zip("abcdefghij", poll["options"], strict=False):
                self._write(f"     {letter}) {option['text']}")
            self._write("  (type a letter to answer)")
            self._print_keyboard(params.get("reply_markup"), message_id)
            return {**self._message(params, message_id), "text": None, "poll": poll}
        if name == "stopPoll":
            poll_id = self.poll_messages.get(int(params["message_id"]), "")
            if self.open_poll is not None and self.open_poll[0] == poll_id:
                self.open_poll = None
            return self.polls.get(poll_id, {})
        if name == "editMessageReplyMarkup":
            self._print_keyboard(params.get("reply_markup"), params["message_id"])
            return self._message(params, params["message_id"])
        if name == "answerCallbackQuery":
            if params.get("text"):
                self._write(f"  ({params['text']})")
            return True
        return True  # setMyCommands, deleteWebhook...: nothing to show

    def _poll(self, params: dict[str, Any], message_id: int) -> dict[str, Any]:
        options = params.get("options", [])
        poll = {
            "id": f"poll-{uuid.uuid4().hex[:16]}",  # unique, as Telegram's are, across runs
            "question": params.get("question", ""),
            "options": [
                {
                    "persistent_id": str(n),
                    "text": o["text"] if isinstance(o, dict) else str(o),
                    "voter_count": 0,
                }
                for n, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
            "correct_option_id": params.get("correct_option_id"),
        }
        self.polls[poll["id"]] = poll
        self.poll_messages[message_id] = poll["id"]
        return poll

    def _message(self, params: dict[str, Any], message_id: int) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": params.get("chat_id", 1), "type": "private"},
            "from": BOT_USER,
            "text": plain(params.get("text", "")),
            **({"reply_markup": params["reply_markup"]} if params.get("reply_markup") else {}),
        }

    def _print_file(self, filename: str, data: bytes) -> None:
        where = ""
        if self._files_dir is not None:
            self._files_dir.mkdir(parents=True, exist_ok=True)
            path = self._files_dir / Path(filename).name
            path.write_bytes(data)
            where = f" -> {path}"
        self._write("")
        self._write(f"  [{filename}, {len(data) // 1024} KB{where}]")

    def _print_message(self, text: str, markup: dict[str, Any] | None, message_id: int) -> None:
        self._write("")
        for line in plain(text).split("\n"):
            self._write(f"  {line}")
        self._print_keyboard(markup, message_id)

    def _print_keyboard(self, markup: dict[str, Any] | None, message_id: int) -> None:
        self.buttons = []
        rows = (markup or {}).get("inline_keyboard", [])
        labels = []
        for row in rows:
            for button in row:
                self.buttons.append((message_id, button.get("callback_data", "")))
                labels.append(f"[{len(self.buttons)}] {button['text']}")
        if labels:
            self._write("  " + "   ".join(labels))

    def _write(self, line: str) -> None:
        print(line, file=self._out, flush=True)


class TerminalChat:
    """Turns typed lines into updates for the dispatcher, as Telegram would send them."""

    def __init__(self, dp: Dispatcher, bot: Bot, session: TerminalSession, language_code: str):
        self._dp = dp
        self._bot = bot
        self._session = session
        self._user = User(
            id=TERMINAL_USER_ID, is_bot=False, first_name="You", language_code=language_code
        )
        self._chat = Chat(id=1, type="private")
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1_000_000)

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        choice = line.lstrip("#")
        if choice.isdigit() and 1 <= int(choice) <= len(self._session.buttons):
            await self._press(int(choice))
            return
        open_poll = self._session.open_poll
        if (
            open_poll is not None
            and len(line) == 1
            and "a" <= line.lower() < chr(97 + open_poll[1])
        ):
            await self.answer_poll(open_poll[0], ord(line.lower()) - 97)
            return
        message = Message(
            message_id=next(self._message_ids),
            date=datetime.now(UTC),
            chat=self._chat,
            from_user=self._user,
            text=line,
            entities=_command_entity(line),
        )
        await self._dp.feed_update(
            self._bot, Update(update_id=next(self._update_ids), message=message)
        )

    async def answer_poll(self, poll_id: str, option: int) -> None:
        answer = PollAnswer(
            poll_id=poll_id,
            user=self._user,
            option_ids=[option],
            option_persistent_ids=[str(option)],
        )
        await self._dp.feed_update(
            self._bot, Update(update_id=next(self._update_ids), poll_answer=answer)
        )

    async def _press(self, choice: int) -> None:
        message_id, data = self._session.buttons[choice - 1]
        origin = Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=self._chat,
            from_user=User(**BOT_USER),  # type: ignore[arg-type]
            text="",
        )
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=self._user,
            chat_instance="terminal",
            message=origin,
            data=data,
        )
        await self._dp.feed_update(
            self._bot, Update(update_id=next(self._update_ids), callback_query=query)
        )


def _command_entity(line: str) -> list[MessageEntity] | None:
    if not line.startswith("/"):
        return None
    length = len(line.split()[0])
    return [MessageEntity(type="bot_command", offset=0, length=length)]


async def run_terminal(
    services: Services,
    language_code: str,
    read_line: Callable[[], str | None] | None = None,
    out: TextIO = sys.stdout,
) -> None:
    session = TerminalSession(out, services.settings.data_dir / "terminal")
    bot = Bot(
        TERMINAL_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    dp = build_dispatcher(services)
    chat = TerminalChat(dp, bot, session, language_code)
    reader = read_line or _stdin_line
    print(
        "cvm-bot terminal chat (on this computer, not Telegram). Type a question, /help, "
        "or a number to press a button. Ctrl-D quits.",
        file=out,
        flush=True,
    )
    await dp.emit_startup(bot=bot, **dp.workflow_data)
    try:
        while True:
            line = await asyncio.to_thread(reader)
            if line is None:
                break
            await chat.handle_line(line)
    finally:
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)


def _stdin_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None
