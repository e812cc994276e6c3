"""All configuration, read once from the environment (and `.env`) into one typed object."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGE_CORPUS = Path(__file__).resolve().parent.parent / "knowledge" / "corpus"
BOT_TOKEN = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,}")
MIN_WEBHOOK_SECRET = 32
# What setWebhook accepts as secret_token (1-256 of these): anything else fails at start.
WEBHOOK_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_PATH = re.compile(r"/[A-Za-z0-9/_.~-]*")
OPS_PORT_OFFSET = 1000  # the default OPS_PORT is HTTP_PORT + this


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str | None = Field(
        default=None, description="Another Bot API server, e.g. a local one for tests."
    )
    data_dir: Path = Path("data")
    database_url: SecretStr | None = Field(
        default=None, description="Default: SQLite in data_dir. Secret: it holds a password."
    )
    index_dir: Path | None = Field(default=None, description="Default: data_dir/index.")
    corpus_dir: Path = PACKAGE_CORPUS
    embedder_threads: int = 2
    dense_retrieval: bool = Field(default=True, description="False: BM25 only, no model load.")

    # How answers choose their sentences and decide coverage: the hand-set rules, or the
    # ranker and gate learned by bench/train_ranker.py (knowledge/data/ranker.json). Rules
    # stay the default until the learned ones beat them on held-out sections.
    answer_model: Literal["rules", "learned"] = "rules"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout_seconds: float = 20.0

    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Telegram user IDs with every role: 1,2 or [1, 2].",
    )
    value_default_margin: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Profit share of revenue for transactions with neither margin nor cost.",
    )
    value_horizon_months: int = Field(default=12, ge=1, le=120)
    value_monthly_discount_rate: float = Field(default=0.01, ge=0.0, le=1.0)
    value_referral_share: float = Field(default=0.10, ge=0.0, le=1.0)
    value_duckdb_memory: str = Field(
        default="2GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="Memory DuckDB may use for `cvm value --source` before it spills to disk.",
    )
    upload_max_mb: int = 20  # Telegram's Bot API serves files up to 20 MB
    upload_max_rows: int = 500_000
    demo_customers: int = 3000

    follow_up_minutes: int = 30
    max_question_chars: int = 1000
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="json", description="json: one JSON object per line, for log collectors."
    )

    # Who gets in. "open": anyone may ask the knowledge base (as staff); "allowlist": only
    # users with a role. Groups always need an admin's /allowgroup (or allowed_group_ids).
    access_policy: Literal["open", "allowlist"] = "allowlist"
    allowed_group_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    throttle_messages: int = Field(default=20, ge=1, description="per user and window")
    throttle_window_seconds: float = Field(default=60.0, gt=0)

    # Run mode and the HTTP servers: the webhook (public, behind the TLS proxy) and the
    # operations endpoints /healthz, /readyz, /metrics (private: their own port).
    # terminal: the chat in this terminal on the local database (also: no token, no RUN_MODE).
    run_mode: Literal["polling", "webhook", "terminal"] = "polling"
    webhook_base_url: str | None = Field(
        default=None, description="Public HTTPS URL Telegram posts to, without the path."
    )
    webhook_path: str = Field(
        default="/telegram/webhook",
        description="Also the proxy's location (deploy/nginx.conf.template).",
    )
    webhook_secret: SecretStr | None = None
    webhook_register: bool = Field(
        default=True, description="Call setWebhook on start (one replica is enough)."
    )
    http_host: str = Field(
        default="127.0.0.1", description="The webhook server's address; 0.0.0.0 in a container."
    )
    http_port: int | None = Field(default=None, description="Webhook mode: default 8080.")
    ops_host: str = Field(
        default="127.0.0.1",
        description="/healthz, /readyz and /metrics: never on the public network.",
    )
    ops_port: int | None = Field(
        default=None,
        description="Webhook mode: default HTTP_PORT + 1000 (9080). Polling: served if set.",
    )
    shutdown_timeout_seconds: float = 30.0

    # Shared state for several processes.
    redis_url: SecretStr | None = Field(
        default=None, description="FSM, throttling counters and update de-duplication."
    )
    redis_timeout_seconds: float = Field(
        default=0.5,
        gt=0,
        le=30,
        description="Connect and read timeout: a Redis silent this long counts as down and "
        "the process serves from memory (a partition must not stall every update).",
    )
    chroma_url: str | None = Field(
        default=None, description="A Chroma server for passage vectors; default: embedded."
    )
    instance_name: str = Field(
        default_factory=socket.gethostname,
        description="Unique per process: who runs which quiz. Stable across restarts.",
    )
    quiz_lease_seconds: float = Field(default=15.0, gt=1)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'cvm.db'}"

    @field_validator("admin_ids", "allowed_group_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        """`ADMIN_IDS=1`, `1,2` and `[1, 2]` all mean what an operator would expect."""
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            text = value.strip().strip("[]")
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("webhook_path")
    @classmethod
    def _url_path(cls, value: str) -> str:
        """The path goes into a URL and into the proxy's config: plain path characters only."""
        if not WEBHOOK_PATH.fullmatch(value):
            raise ValueError("must start with / and hold only A-Z a-z 0-9 / _ . ~ -")
        return value

    @field_validator(
        "telegram_bot_token", "webhook_secret", "redis_url", "database_url", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`TELEGRAM_BOT_TOKEN=` in .env means no token (the terminal chat), not ''."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def refusals(self) -> list[str]:
        """Why `cvm run` must not start with these settings, one line each, naming the
        setting to fix. A bot in front of staff and customer data starts safe or not at all.
        """
        token = self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None
        if self.terminal_chat:
            problems = []
            if self.database_url is not None:
                problems.append(
                    "the terminal chat (no TELEGRAM_BOT_TOKEN) runs only on its own local "
                    "SQLite database: unset DATABASE_URL, or set TELEGRAM_BOT_TOKEN"
                )
            return problems
        if token is None:
            return [
                f"RUN_MODE={self.run_mode} needs TELEGRAM_BOT_TOKEN (from @BotFather); "
                "use RUN_MODE=terminal (cvm run --mode terminal) for the terminal chat"
            ]
        problems = []
        if not BOT_TOKEN.fullmatch(token):
            problems.append(
                "TELEGRAM_BOT_TOKEN is not a bot token (expected digits, a colon and 35 "
                "characters, as @BotFather gives it)"
            )
        if self.run_mode == "webhook":
            problems.extend(self._webhook_secret_problems())
            if self.resolved_ops_port == self.resolved_http_port:
                problems.append(
                    "OPS_PORT must differ from HTTP_PORT: /metrics and /readyz stay off the "
                    "public webhook port"
                )
        return problems

    def _webhook_secret_problems(self) -> list[str]:
        """Too short lets anyone post updates; characters Telegram refuses make
        setWebhook fail only once the process runs. Never echoes the secret."""
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        allowed = "characters (A-Z, a-z, 0-9, _ and -)"
        if len(secret) < MIN_WEBHOOK_SECRET:
            return [
                f"RUN_MODE=webhook needs WEBHOOK_SECRET of at least {MIN_WEBHOOK_SECRET} "
                f"{allowed}: without it anyone can post updates"
            ]
        if not WEBHOOK_SECRET_CHARS.fullmatch(secret):
            return [
                f"WEBHOOK_SECRET may hold only {allowed}, at most 256, as Telegram's "
                "setWebhook requires: generate one with `openssl rand -hex 32`"
            ]
        return []

    @property
    def terminal_chat(self) -> bool:
        """The terminal chat: asked for, or what `cvm run` does with no token and no mode."""
        if self.run_mode == "terminal":
            return True
        return self.telegram_bot_token is None and "run_mode" not in self.model_fields_set

    @property
    def terminal_log_file(self) -> Path:
        """Where the terminal chat keeps its logs, off the person's screen."""
        return self.data_dir / "logs" / "cvm.log"

    @property
    def resolved_http_port(self) -> int | None:
        """The webhook's port (polling mode has no webhook: nothing public listens)."""
        return self.http_port or (8080 if self.run_mode == "webhook" else None)

    @property
    def resolved_ops_port(self) -> int | None:
        """The operations endpoints' port: always in webhook mode (a load balancer needs
        /readyz), by default HTTP_PORT + 1000, so processes on one host that differ in
        HTTP_PORT differ here too; in polling mode only when asked for."""
        if self.ops_port is not None:
            return self.ops_port
        if self.run_mode != "webhook":
            return None
        return (self.resolved_http_port or 8080) + OPS_PORT_OFFSET

    @property
    def secrets(self) -> list[str]:
        """Every configured secret, so logs can mask them wherever they appear."""
        values = [self.telegram_bot_token, self.webhook_secret, self.redis_url, self.llm_api_key]
        found = [v.get_secret_value() for v in values if v is not None]
        url = self.resolved_database_url
        if "@" in url:
            found.append(url.split("://", 1)[-1].rsplit("@", 1)[0].partition(":")[2])
        return [s for s in found if len(s) >= 6 and s != "not-needed"]

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "index"
