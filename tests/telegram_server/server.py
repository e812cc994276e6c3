"""A small local Bot API server for end-to-end tests.

The bot under test talks to it over real HTTP exactly as it talks to Telegram
(`cvm run --api-url http://127.0.0.1:PORT`); the tests play the users through
the "user side" methods below and read what the bot sent. It enforces the
Telegram rules our bot can break: 4096-character messages, 64-byte callback
data, HTML that must parse ("can't parse entities"), "message is not modified",
and it can answer 429 with retry_after, 5xx or any other error, or drop the
connection, on demand.

Updates reach the bot by long polling (getUpdates) or, once the bot called
setWebhook, by POSTs to its webhook with the secret token header, retried like
Telegram retries them when the bot does not answer 200. `webhook_targets` spreads
deliveries over several processes, as a load balancer would; `duplicate_next`
delivers the next update twice (a retry after a lost reply).

Methods: getMe, getUpdates (long polling), sendMessage, editMessageText,
editMessageReplyMarkup, answerCallbackQuery, setMyCommands, deleteWebhook,
getMyCommands, sendPhoto and sendDocument (multipart uploads), getFile and the
file URL (for documents users send), sendPoll and stopPoll (quiz polls with
open_period; users vote with `answer_poll`, which yields poll_answer updates and,
like Telegram, refuses votes on closed polls and second votes).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limits for bots
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span", "tg-emoji",
}  # fmt: skip
_TEXT_FIELDS = frozenset({"text", "caption"})  # what users read is never JSON-decoded
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class SentMessage:
    message_id: int
    chat_id: int
    text: str  # as sent, HTML
    plain: str  # what the user sees
    reply_markup: dict[str, Any] | None
    reply_to: int | None
    edits: int = 0
    photo: bytes | None = None  # sendPhoto / sendDocument content
    filename: str | None = None

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b for row in rows for b in row]


@dataclass
class SentPoll:
    poll_id: str
    message_id: int
    chat_id: int
    question: str
    options: list[str]
    correct_option: int | None
    is_anonymous: bool
    closes_at: float | None  # monotonic time, from open_period
    explanation: str = ""
    closed: bool = False
    votes: dict[int, int] = field(default_factory=dict)  # user_id -> option
    reply_markup: dict[str, Any] | None = None

    def is_open(self) -> bool:
        return not self.closed and (self.closes_at is None or time.monotonic() < self.closes_at)

    def as_poll(self) -> dict[str, Any]:
        counts = [sum(1 for v in self.votes.values() if v == n) for n in range(len(self.options))]
        poll: dict[str, Any] = {
            "id": self.poll_id,
            "question": self.question,
            "options": [
                {"persistent_id": str(n), "text": text, "voter_count": counts[n]}
                for n, text in enumerate(self.options)
            ],
            "total_voter_count": len(self.votes),
            "is_closed": not self.is_open(),
            "is_anonymous": self.is_anonymous,
            "type": "quiz",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        if self.correct_option is not None:
            poll["correct_option_id"] = self.correct_option
        return poll


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class _HtmlChecker(HTMLParser):
    """Telegram's HTML rules, strictly: known tags, properly nested, valid entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: unsupported start tag "{tag}"'
            )
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: unexpected end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> str:
    for amp in re.finditer("&", text):
        if not _ENTITY.match(text, amp.start()):
            raise ApiError(400, "Bad Request: can't parse entities: unsupported entity")
    if re.search(r"<(?![a-zA-Z/])", text):
        raise ApiError(400, "Bad Request: can't parse entities: unexpected character '<'")
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        raise ApiError(
            400, f'Bad Request: can\'t parse entities: unclosed tag "{checker.stack[-1]}"'
        )
    return "".join(checker.text)


class BotApiServer:
    def __init__(self, bot_username: str = "cvm_test_bot") -> None:
        self.bot_user = {
            "id": 777000,
            "is_bot": True,
            "first_name": "cvm-bot",
            "username": bot_username,
        }
        self.calls: list[Call] = []
        self.messages: dict[int, SentMessage] = {}
        self._by_chat: dict[int, list[SentMessage]] = defaultdict(list)  # same, per chat
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # documents users sent, by file_id
        self.polls: dict[str, SentPoll] = {}  # quiz polls the bot sent, by poll id
        self._updates: list[dict[str, Any]] = []
        self._confirmed = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._user_message_ids = itertools.count(100_000)
        self._changed = asyncio.Condition()
        self._faults: dict[str, list[ApiError | None]] = defaultdict(list)  # None: drop
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.webhook: dict[str, Any] | None = None  # what setWebhook set
        self.webhook_targets: list[str] | None = None  # overrides the URL, round robin
        self.deliveries: list[tuple[int, str, int]] = []  # update_id, target, HTTP status
        self._duplicate_next = 0
        self._round_robin = itertools.count()
        self._delivering: set[asyncio.Task[None]] = set()
        self._client: Any = None
        self.deleted: set[int] = set()  # user messages deleted after sending

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        app.router.add_get("/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        for task in list(self._delivering):
            task.cancel()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- fault injection -------------------------------------------------------------------
    def fail_next(
        self, method: str, code: int = 429, retry_after: int = 1, description: str | None = None
    ) -> None:
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if code == 429
                else "Internal Server Error"
            )
        self._faults[method].append(
            ApiError(code, description, retry_after if code == 429 else None)
        )

    def drop_next(self, method: str) -> None:
        """Close the connection instead of answering the next call (a network error)."""
        self._faults[method].append(None)

    def duplicate_next(self, times: int = 1) -> None:
        """Deliver the next `times` updates twice, as Telegram does after a lost reply."""
        self._duplicate_next += times

    # -- the user side -----------------------------------------------------------------------
    async def send_text(
        self,
        text: str,
        *,
        chat_id: int,
        user_id: int,
        chat_type: str = "private",
        language_code: str | None = None,
        reply_to: int | None = None,
        deleted: bool = False,
    ) -> int:
        """A user writes; with `deleted`, they delete the message right after sending it."""
        message_id = next(self._user_message_ids)
        if deleted:
            self.deleted.add(message_id)
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Team"
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        if language_code:
            user["language_code"] = language_code
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        entities = _entities(text, self.bot_user["username"])
        if entities:
            message["entities"] = entities
        if reply_to is not None and reply_to in self.messages:
            message["reply_to_message"] = self._as_message(self.messages[reply_to])
        await self._push({"message": message})
        return message_id

    async def edit_text(self, message_id: int, text: str, *, chat_id: int, user_id: int) -> None:
        """A user edits a message they sent (Telegram sends an edited_message update)."""
        now = int(time.time())
        await self._push(
            {
                "edited_message": {
                    "message_id": message_id, "date": now, "edit_date": now,
                    "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
                    "text": text,
                }
            }
        )  # fmt: skip

    async def send_document(
        self,
        filename: str,
        content: bytes,
        *,
        chat_id: int,
        user_id: int,
        language_code: str | None = None,
    ) -> int:
        """A user sends a file; the bot fetches it with getFile and the file URL."""
        file_id = f"doc{next(self._update_ids)}"
        self.files[file_id] = content
        message_id = next(self._user_message_ids)
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        if language_code:
            user["language_code"] = language_code
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "mime_type": "text/csv",
            "file_size": len(content),
        }
        await self._push(
            {
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "from": user,
                    "document": document,
                }
            }
        )
        return message_id

    async def answer_poll(self, poll: SentPoll, *, user_id: int, option: int) -> None:
        """A user votes; like Telegram, a closed poll or a second vote is refused."""
        if not poll.is_open():
            raise ApiError(400, "Bad Request: poll is closed")
        if user_id in poll.votes:
            raise ApiError(400, "Bad Request: already voted")
        poll.votes[user_id] = option
        await self._push(
            {
                "poll_answer": {
                    "poll_id": poll.poll_id,
                    "user": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
                    "option_ids": [option],
                    "option_persistent_ids": [str(option)],
                }
            }
        )

    def polls_in(self, chat_id: int) -> list[SentPoll]:
        return sorted(
            (p for p in self.polls.values() if p.chat_id == chat_id), key=lambda p: p.message_id
        )

    async def press(
        self,
        message: SentMessage,
        button_text: str,
        *,
        user_id: int,
        language_code: str | None = None,
    ) -> str:
        button = next(b for b in message.buttons() if b["text"] == button_text)
        query_id = f"cq{next(self._update_ids)}"
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        if language_code:
            user["language_code"] = language_code
        await self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": self._as_message(message),
                    "chat_instance": str(message.chat_id),
                    "data": button["callback_data"],
                }
            }
        )
        return query_id

    async def wait_for(self, predicate: Any, timeout: float = 30.0) -> Any:
        """Wait until predicate(self) returns something truthy, and return it."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                result = predicate(self)
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the bot did not do what the test waited for")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    def bot_messages(self, chat_id: int) -> list[SentMessage]:
        """What the bot sent to one chat, oldest first. Kept per chat, so that hundreds of
        simulated users waiting on their own chats (bench/soak_prod.py) cost the server
        little: a scan of every message per waiter and per call grows with the square."""
        return list(self._by_chat.get(chat_id, ()))

    @property
    def last_message_id(self) -> int:
        """The newest message the bot sent anywhere (0 before the first)."""
        return next(reversed(self.messages), 0)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # -- the bot side ------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        async with self._changed:  # a call, even a failed one, is something to wait for
            self._changed.notify_all()
        try:
            if self._faults[method]:
                fault = self._faults[method].pop(0)
                if fault is None:
                    assert request.transport is not None
                    request.transport.close()
                    return web.Response(status=500)
                raise fault
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except ApiError as error:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.code,
                "description": error.description,
            }
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.code)
        async with self._changed:
            self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def _push(self, update: dict[str, Any]) -> None:
        full = {"update_id": next(self._update_ids), **update}
        copies = 1
        if self._duplicate_next:
            self._duplicate_next -= 1
            copies = 2
        async with self._changed:
            for _ in range(copies):
                if self.webhook is not None:
                    task = asyncio.create_task(self._deliver(full))
                    self._delivering.add(task)
                    task.add_done_callback(self._delivering.discard)
                else:
                    self._updates.append(full)
            self._changed.notify_all()

    async def _deliver(self, update: dict[str, Any]) -> None:
        """POST one update to the webhook until it answers 200, like Telegram."""
        import aiohttp

        if self._client is None:
            self._client = aiohttp.ClientSession()
        assert self.webhook is not None
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
        for _attempt in range(60):
            targets = self.webhook_targets or [str(self.webhook["url"])]
            target = targets[next(self._round_robin) % len(targets)]
            try:
                async with self._client.post(
                    target, data=json.dumps(update), headers=headers,
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as response:  # fmt: skip
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            self.deliveries.append((update["update_id"], target, status))
            async with self._changed:
                self._changed.notify_all()
            if status == 200:
                return
            await asyncio.sleep(0.5)

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        pending, self._updates = [u for u in self._updates if u["update_id"] > self._confirmed], []
        for update in pending:
            task = asyncio.create_task(self._deliver(update))
            self._delivering.add(task)
            task.add_done_callback(self._delivering.discard)
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._delivering)}  # fmt: skip

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands[params.get("language_code") or ""] = params["commands"]
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        return self.commands.get(params.get("language_code") or "", [])

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        if offset:
            self._confirmed = max(self._confirmed, offset - 1)
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                pending = [u for u in self._updates if u["update_id"] > self._confirmed]
                if pending or time.monotonic() >= deadline:
                    return pending[: int(params.get("limit", 100) or 100)]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        text = str(params.get("text", ""))
        plain = self._check_text(text, params)
        markup = self._check_markup(params.get("reply_markup"))
        reply_parameters = params.get("reply_parameters") or {}
        reply_to = params.get("reply_to_message_id") or reply_parameters.get("message_id")
        if reply_to and int(reply_to) in self.deleted:
            if not _flag(reply_parameters.get("allow_sending_without_reply"), default=False):
                raise ApiError(400, "Bad Request: message to be replied not found")
            reply_to = None
        message = SentMessage(
            message_id=next(self._message_ids), chat_id=int(params["chat_id"]), text=text,
            plain=plain, reply_markup=markup, reply_to=int(reply_to) if reply_to else None,
        )  # fmt: skip
        self._remember(message)
        return self._as_message(message)

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        text = str(params.get("text", ""))
        plain = self._check_text(text, params)
        markup = self._check_markup(params.get("reply_markup"))
        if text == message.text and markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.text, message.plain, message.reply_markup = text, plain, markup
        message.edits += 1
        return self._as_message(message)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.reply_markup = markup
        message.edits += 1
        return self._as_message(message)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        self.callback_answers[str(params["callback_query_id"])] = params
        return True

    # -- rules -------------------------------------------------------------------------------
    def _check_text(self, text: str, params: dict[str, Any]) -> str:
        plain = parse_html(text) if params.get("parse_mode") == "HTML" else text
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return plain

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and len(data.encode()) > MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return dict(markup)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._store_file(params, "photo", MAX_PHOTO_BYTES)

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return self._store_file(params, "document", MAX_UPLOAD_BYTES)

    def _store_file(self, params: dict[str, Any], field_name: str, limit: int) -> Any:
        upload = params.get(field_name)
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params.get(upload.removeprefix("attach://"))
        if not isinstance(upload, web.FileField):
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        content = upload.file.read()
        if not content:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(content) > limit:
            raise ApiError(400, "Bad Request: file is too big")
        if field_name == "photo" and not content.startswith(b"\x89PNG"):
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        caption = str(params.get("caption", ""))
        plain = self._check_text(caption, params) if caption else ""
        message = SentMessage(
            message_id=next(self._message_ids), chat_id=int(params["chat_id"]), text=caption,
            plain=plain, reply_markup=self._check_markup(params.get("reply_markup")),
            reply_to=None, photo=content, filename=upload.filename,
        )  # fmt: skip
        self._remember(message)
        out = self._as_message(message)
        out.pop("text")
        out[field_name] = (
            [{"file_id": f"p{message.message_id}", "file_unique_id": f"p{message.message_id}",
              "width": 800, "height": 360}]
            if field_name == "photo"
            else {"file_id": f"d{message.message_id}", "file_unique_id": f"d{message.message_id}"}
        )  # fmt: skip
        return out

    async def _m_sendPoll(self, params: dict[str, Any]) -> Any:
        question = str(params.get("question", ""))
        options = [o["text"] if isinstance(o, dict) else str(o) for o in params.get("options", [])]
        if not 1 <= len(question) <= 300:
            raise ApiError(400, "Bad Request: poll question length must not exceed 300")
        if not 2 <= len(options) <= 10 or any(not 1 <= len(o) <= 100 for o in options):
            raise ApiError(400, "Bad Request: poll options must be 2-10 texts of 1-100 characters")
        explanation = str(params.get("explanation", ""))
        if len(explanation) > 200:
            raise ApiError(400, "Bad Request: explanation is too long")
        correct = params.get("correct_option_id")
        if params.get("type") == "quiz" and (
            correct is None or not 0 <= int(correct) < len(options)
        ):
            raise ApiError(400, "Bad Request: wrong correct option ID specified")
        period = params.get("open_period")
        if period is not None and not 5 <= int(period) <= 600:
            raise ApiError(400, "Bad Request: wrong open period specified")
        message_id = next(self._message_ids)
        poll = SentPoll(
            poll_id=f"p{message_id}x{next(self._update_ids)}",
            message_id=message_id,
            chat_id=int(params["chat_id"]),
            question=question,
            options=options,
            correct_option=int(correct) if correct is not None else None,
            is_anonymous=_flag(params.get("is_anonymous"), default=True),
            closes_at=time.monotonic() + int(period) if period is not None else None,
            explanation=explanation,
            reply_markup=self._check_markup(params.get("reply_markup")),
        )
        self.polls[poll.poll_id] = poll
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": poll.chat_id, "type": "private" if poll.chat_id > 0 else "supergroup"},
            "from": self.bot_user,
            "poll": poll.as_poll(),
        }
        if poll.reply_markup:
            message["reply_markup"] = poll.reply_markup
        return message

    async def _m_stopPoll(self, params: dict[str, Any]) -> Any:
        poll = next(
            (
                p
                for p in self.polls.values()
                if p.message_id == int(params.get("message_id", 0))
                and p.chat_id == int(params.get("chat_id", 0))
            ),
            None,
        )
        if poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if not poll.is_open():
            raise ApiError(400, "Bad Request: poll has already been closed")
        poll.closed = True
        return poll.as_poll()

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(self.files[file_id]) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}.csv",
        }

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.removeprefix("documents/").removesuffix(".csv")
        self.calls.append(Call("download", {"path": path}))
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="text/csv")

    def _remember(self, message: SentMessage) -> None:
        self.messages[message.message_id] = message
        self._by_chat[message.chat_id].append(message)

    def _find(self, params: dict[str, Any]) -> SentMessage:
        message = self.messages.get(int(params.get("message_id", 0)))
        if message is None or message.chat_id != int(params.get("chat_id", 0)):
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _as_message(self, message: SentMessage) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {
                "id": message.chat_id,
                "type": "private" if message.chat_id > 0 else "supergroup",
            },
            "from": self.bot_user,
            "text": message.plain,
        }
        if message.reply_markup:
            out["reply_markup"] = message.reply_markup
        return out


async def _params(request: web.Request) -> dict[str, Any]:
    """aiogram posts multipart forms whose complex values are JSON strings."""
    if request.content_type == "application/json":
        raw: dict[str, Any] = await request.json()
    else:
        raw = dict(await request.post())
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _TEXT_FIELDS and isinstance(value, str) and value[:1] in "[{":
            try:
                params[key] = json.loads(value)
                continue
            except json.JSONDecodeError:
                pass
        params[key] = value
    return params


def _flag(value: Any, default: bool) -> bool:
    """Booleans arrive as JSON values or, in forms, as the strings "true"/"false"."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _entities(text: str, bot_username: str) -> list[dict[str, Any]]:
    """Commands and @mentions, with offsets in UTF-16 code units as Telegram counts them."""
    entities: list[dict[str, Any]] = []
    for m in re.finditer(r"(?<!\S)/[A-Za-z_]+(?:@\w+)?|@\w+", text):
        kind = "bot_command" if m.group().startswith("/") else "mention"
        if kind == "bot_command" and m.start() != 0:
            continue
        offset = len(text[: m.start()].encode("utf-16-le")) // 2
        length = len(m.group().encode("utf-16-le")) // 2
        entities.append({"type": kind, "offset": offset, "length": length})
    return entities
