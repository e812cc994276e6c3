"""`cvm doctor`: will this configuration work? One check per line, a fix for each failure.

The checks use the settings as `cvm run` would in the chosen mode, and touch only what
is configured: the database (and its schema), Redis and a Chroma server when their URLs
are set, the knowledge index, the chart font and the quiz bank. Nothing is written.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bot.config import Settings


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        fix = f"\n      fix: {self.fix}" if self.fix and not self.ok else ""
        return f"{mark} {self.name}: {self.detail}{fix}"


def _mode(settings: Settings) -> Finding:
    mode = "terminal" if settings.terminal_chat else settings.run_mode
    refusals = settings.refusals()
    if refusals:
        return Finding("settings", False, f"{mode} mode: {refusals[0]}", " / ".join(refusals))
    detail = f"{mode} mode, access {settings.access_policy}, {len(settings.admin_ids)} admin(s)"
    if mode == "webhook":
        url = settings.webhook_base_url or ""
        if not url.startswith("https://"):
            return Finding(
                "settings",
                False,
                f"webhook mode: WEBHOOK_BASE_URL is {url or 'not set'}",
                "set WEBHOOK_BASE_URL to the public https:// address Telegram posts to",
            )
        detail += f", webhook {url}{settings.webhook_path}"
    return Finding("settings", True, detail)


def _database(settings: Settings) -> Finding:
    from sqlalchemy import text

    from bot.storage.migrate import check_schema, is_empty
    from bot.storage.repository import make_engine
    from bot.storage.schema_mismatch import SchemaMismatch

    engine = make_engine(settings.resolved_database_url, migrate=False)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if is_empty(engine):
            return Finding("database", True, f"{engine.dialect.name}, empty (schema on first use)")
        check_schema(engine)
        return Finding("database", True, f"{engine.dialect.name}, schema up to date")
    except SchemaMismatch as exc:
        return Finding("database", False, str(exc).split(":")[0], "cvm db upgrade (after a backup)")
    except Exception as exc:
        return Finding(
            "database",
            False,
            f"cannot connect ({type(exc).__name__})",
            "check DATABASE_URL, and that the server runs and accepts this user",
        )
    finally:
        engine.dispose()


def _redis(settings: Settings) -> Finding | None:
    if settings.redis_url is None:
        return None
    from redis import Redis

    try:
        client = Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        return Finding(
            "redis",
            False,
            f"cannot ping ({type(exc).__name__})",
            "check REDIS_URL (password included), or unset it for one process",
        )
    return Finding("redis", True, "answers")


def _chroma(settings: Settings) -> Finding | None:
    if not settings.chroma_url:
        return None
    url = settings.chroma_url.rstrip("/") + "/api/v2/heartbeat"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            response.read()
    except Exception as exc:
        return Finding(
            "chroma",
            False,
            f"no heartbeat at {url} ({type(exc).__name__})",
            "check CHROMA_URL, or unset it to use the embedded index",
        )
    return Finding("chroma", True, "heartbeat")


def _index(settings: Settings) -> Finding:
    from knowledge.chunking import current_chunks
    from knowledge.embedding import E5Embedder
    from knowledge.index import LEXICAL_ONLY, MANIFEST, fingerprint

    manifest_path = settings.resolved_index_dir / MANIFEST
    if not manifest_path.exists():
        return Finding(
            "knowledge index",
            False,
            f"not built in {settings.resolved_index_dir}",
            "cvm index (about 20 s; the bot also builds it on first start)",
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    chunks = current_chunks(settings.corpus_dir)
    embedder = E5Embedder.name if settings.dense_retrieval else LEXICAL_ONLY
    if manifest.get("fingerprint") != fingerprint(chunks, embedder):
        return Finding(
            "knowledge index",
            False,
            "built from other articles or another embedder than configured",
            "cvm index",
        )
    return Finding("knowledge index", True, f"{len(chunks)} passages, {manifest['embedder']}")


def _font() -> Finding:
    from matplotlib.font_manager import get_font

    from bot.charts import cjk_font

    try:
        font = get_font(str(cjk_font().get_file()))
        missing = [ch for ch in "客戶價值客户价值" if font.get_char_index(ord(ch)) == 0]
    except Exception as exc:
        return Finding("chart font", False, type(exc).__name__, "reinstall: make install")
    if missing:
        return Finding(
            "chart font", False, f"no glyph for {''.join(missing)}", "reinstall: make install"
        )
    return Finding("chart font", True, "CJK glyphs present (Traditional and Simplified)")


def _quiz_bank(settings: Settings) -> Finding:
    from knowledge.chunking import current_chunks
    from knowledge.quiz.bank import load_entries
    from knowledge.quiz.validate import check_all, valid_questions

    try:
        entries = load_entries(current_chunks(settings.corpus_dir))
    except Exception as exc:
        return Finding("quiz bank", False, f"cannot load ({type(exc).__name__})", "cvm quiz check")
    problems = check_all(entries)
    usable = len(valid_questions(entries))
    if not usable:
        return Finding("quiz bank", False, "no usable question", "cvm quiz check")
    note = f", {len(problems)} rejected (cvm quiz check)" if problems else ""
    return Finding("quiz bank", True, f"{usable} usable questions{note}")


def diagnose(settings: Settings) -> list[Finding]:
    checks: list[Callable[[], Finding | None]] = [
        lambda: _mode(settings),
        lambda: _database(settings),
        lambda: _redis(settings),
        lambda: _chroma(settings),
        lambda: _index(settings),
        _font,
        lambda: _quiz_bank(settings),
    ]
    return [found for check in checks if (found := check()) is not None]


def as_json_dict(findings: list[Finding]) -> dict[str, Any]:
    """`cvm doctor --json` (written by bot.cli.json_out)."""
    return {"ok": all(f.ok for f in findings), "checks": [asdict(f) for f in findings]}
