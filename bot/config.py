"""All configuration, read once from the environment (and `.env`) into one typed object."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_CORPUS = Path(__file__).resolve().parent.parent / "knowledge" / "corpus"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str | None = Field(
        default=None, description="Another Bot API server, e.g. a local one for tests."
    )
    data_dir: Path = Path("data")
    database_url: str | None = Field(default=None, description="Default: SQLite in data_dir.")
    index_dir: Path | None = Field(default=None, description="Default: data_dir/index.")
    corpus_dir: Path = PACKAGE_CORPUS
    embedder_threads: int = 2
    dense_retrieval: bool = Field(default=True, description="False: BM25 only, no model load.")

    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout_seconds: float = 20.0

    admin_ids: list[int] = Field(
        default_factory=list, description="Telegram user IDs with every role (JSON list)."
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
    upload_max_mb: int = 20  # Telegram's Bot API serves files up to 20 MB
    upload_max_rows: int = 500_000
    demo_customers: int = 3000

    follow_up_minutes: int = 30
    max_question_chars: int = 1000
    log_level: str = "INFO"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cvm.db'}"

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "index"
