"""Logging set up once per process: text for people, JSON lines for log collectors.

Every record passes a mask that replaces configured secrets (the bot token above all,
which Telegram puts in every API URL) before any handler writes it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from bot.progress import PROGRESS_LOGGER

TOKEN_SHAPE = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{20,}")  # Telegram bot tokens
MASK = "***"


class SecretMask(logging.Filter):
    """Rewrites the message (arguments merged) and the traceback text of every record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return TOKEN_SHAPE.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.mask("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


class NoPayloads(logging.Filter):
    """Updates are user data: aiogram's "Detected unknown update type" warning carries the
    whole update; above DEBUG only the fact is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Detected unknown update type" in message and record.levelno > logging.DEBUG:
            record.msg = "received an update of a type this aiogram does not know (not logged)"
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            entry["exc"] = record.exc_text
        elif record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        for key in ("update_id", "handler", "user_id", "chat_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: str,
    fmt: str,
    secrets: Iterable[str],
    screen_level: str | None = None,
    log_file: Path | None = None,
) -> None:
    """Every line through the same filters: records, Python warnings and a crash at start-up
    alike are masked, and one JSON object each under LOG_FORMAT=json.

    `screen_level` raises the bar for stderr where a person reads it (the terminal chat,
    the CLI): a person sees warnings, not libraries' INFO lines. `log_file` keeps
    everything at `level` in a file instead (text, one line per record)."""
    text = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    screen = logging.StreamHandler(sys.stderr)
    screen.setFormatter(JsonFormatter() if fmt == "json" else text)
    if screen_level is not None:
        screen.addFilter(_ScreenLevel(logging.getLevelName(screen_level.upper())))
    handlers: list[logging.Handler] = [screen]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        kept = logging.FileHandler(log_file, encoding="utf-8")
        kept.setFormatter(JsonFormatter() if fmt == "json" else text)
        handlers.append(kept)
    for handler in handlers:
        handler.addFilter(NoPayloads())
        handler.addFilter(SecretMask(secrets))
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level.upper())
    # alembic says at INFO what each command already prints in one line.
    for noisy in ("chromadb", "httpx", "jieba", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Progress lines are for people too: shown whatever the level (see bot.progress).
    logging.getLogger(PROGRESS_LOGGER).setLevel(logging.INFO)
    logging.captureWarnings(True)
    sys.excepthook = _log_crash


class _ScreenLevel(logging.Filter):
    """A person's screen: records from `minimum` up, and progress lines always."""

    def __init__(self, minimum: int) -> None:
        super().__init__()
        self.minimum = minimum

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.minimum or record.name == PROGRESS_LOGGER


def _log_crash(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    logging.getLogger("cvm").critical("stopped by an error", exc_info=(kind, error, tb))
