"""Tables: answered questions and feedback; customers, transactions, fits, roles, audit."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime
from sqlmodel import Field, SQLModel, UniqueConstraint


def _now() -> datetime:
    return datetime.now(UTC)


def _naive_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Exchange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(index=True, sa_type=BigInteger)
    user_id: int | None = Field(default=None, sa_type=BigInteger)
    question: str
    answer: str
    lang: str
    answered: bool
    sources_json: str = "[]"  # the cited sources, as `cvm ask --json` prints them
    created_at: datetime = Field(default_factory=_now, index=True)


class Feedback(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("exchange_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    user_id: int = Field(sa_type=BigInteger)
    helpful: bool
    created_at: datetime = Field(default_factory=_now)


class Customer(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = ""
    segment: str = ""  # the company's own segment label (industry, size, ...)
    region: str = ""
    channel: str = ""
    referred_by: str | None = Field(default=None, foreign_key="customer.id", index=True)
    updated_at: datetime = Field(default_factory=_now)


class CustomerTransaction(SQLModel, table=True):
    """One line of the transaction log; `ref` makes re-imports idempotent."""

    __tablename__ = "customer_transaction"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=128)  # the file's transaction id, or a content hash
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=64)
    ts: datetime = Field(sa_type=DateTime)  # naive UTC: a million tz conversions add up
    day: int = Field(index=True)  # days since 1970-01-01: fast loading for the engine
    amount: float
    gross_margin: float | None = None
    cost: float | None = None


class BotUser(SQLModel, table=True):
    """A Telegram user's role in the bot (admins also come from configuration)."""

    __tablename__ = "bot_user"

    telegram_id: int = Field(primary_key=True, sa_type=BigInteger)
    role: str
    granted_by: int | None = Field(default=None, sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=_now)


class DataRevision(SQLModel, table=True):
    """A counter every import bumps, so a cached fit knows at once whether it is stale."""

    __tablename__ = "data_revision"

    id: int = Field(default=1, primary_key=True)
    revision: int = 0
    updated_at: datetime = Field(default_factory=_now)


class ValueFit(SQLModel, table=True):
    __tablename__ = "value_fit"

    id: int | None = Field(default=None, primary_key=True)
    revision: int = Field(index=True)
    fingerprint: str
    params_json: str  # FittedModels.as_json_dict plus the scoring policy
    customers: int
    transactions: int
    seconds: float
    created_at: datetime = Field(default_factory=_now)


class CustomerScoreRow(SQLModel, table=True):
    """The scored table from the latest fit: a breakdown is one primary-key read."""

    __tablename__ = "customer_score"

    customer_id: str = Field(primary_key=True, max_length=64)
    fit_id: int = Field(index=True)
    frequency: int
    recency: float
    age: float
    monetary: float
    expected_purchases: float
    p_alive: float
    expected_spend: float
    clv: float
    realized_value: float = Field(index=True)
    potential_value: float
    influence_value: float
    revenue: float
    margin_rate: float
    r_score: int
    f_score: int
    m_score: int
    segment: str = Field(index=True)
    tier: str
    risk: str
    trend: str
    trend_change: float
    referrals: int


class CustomerPeriodRow(SQLModel, table=True):
    """A served customer's revenue and profit per quarter, published from the warehouse
    with their scores: the bot holds no transactions for them, and the card's history
    still shows their quarters."""

    __tablename__ = "customer_period"

    customer_id: str = Field(primary_key=True, max_length=64)
    quarter: int = Field(primary_key=True)  # year * 4 + quarter - 1 (value_engine.periods)
    fit_id: int = Field(index=True)
    revenue: float
    profit: float


class CustomerAccess(SQLModel, table=True):
    """Audit log: who looked at which customer's data, when, and how."""

    __tablename__ = "customer_access"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    customer_id: str | None = Field(default=None, max_length=64)
    action: str
    at: datetime = Field(default_factory=_now)


class AllowedChat(SQLModel, table=True):
    """A group an admin let the bot into; the bot stays silent in every other group."""

    __tablename__ = "allowed_chat"

    chat_id: int = Field(primary_key=True, sa_type=BigInteger)
    title: str | None = Field(default=None, max_length=255)
    allowed_by: int = Field(sa_type=BigInteger)
    allowed_at: datetime = Field(default_factory=_naive_now, sa_type=DateTime)


class QuizSession(SQLModel, table=True):
    """A quiz run in one chat; its state survives restarts (the runner resumes from here)."""

    __tablename__ = "quiz_session"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    chat_type: str
    trainer_id: int = Field(sa_type=BigInteger)
    lang: str
    topic: str | None = None
    difficulty: int | None = None
    seconds: int
    show_board: bool = True  # leaderboard after every question, not only at the end
    question_ids_json: str  # the drawn questions, in order
    state: str = Field(index=True)  # running, paused, finished, stopped
    current: int = 0  # index of the question being asked (or next to ask)
    # The position whose poll is being sent and not yet recorded: if the bot dies in that
    # moment, the restart knows a poll may be out there that no round points to.
    sending: int | None = None
    # With several bot processes, one runs the session: `owner` until `lease_until`.
    owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=DateTime)
    skip: int | None = None  # position a trainer skipped or stopped, seen by the owner
    created_at: datetime = Field(default_factory=_naive_now, sa_type=DateTime)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime)


class QuizRound(SQLModel, table=True):
    __tablename__ = "quiz_round"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="quiz_session.id", index=True)
    position: int
    question_id: str
    poll_id: str = Field(unique=True, max_length=64)
    message_id: int
    correct_option: int
    topic: str
    sent_at: datetime = Field(sa_type=DateTime)  # naive UTC, like every quiz time
    closes_at: datetime = Field(sa_type=DateTime)
    closed: bool = False


class QuizAnswer(SQLModel, table=True):
    """One user's answer to one poll: unique per (round, user), so retries count once."""

    __tablename__ = "quiz_answer"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="quiz_round.id", index=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    user_name: str = ""
    option: int
    correct: bool
    seconds: float
    points: int
    answered_at: datetime = Field(default_factory=_naive_now, sa_type=DateTime)


class SurveyInstrumentRow(SQLModel, table=True):
    """One imported survey instrument: its items in a fixed order and its rating scale.

    Items are only ever appended, so each response can store its answers as a list
    aligned with them: one row per respondent keeps a 100,000-respondent survey a few
    seconds to import and to read back whole, which is how the analyses use it.
    """

    __tablename__ = "survey_instrument"

    instrument: str = Field(primary_key=True, max_length=32)
    scale_high: int
    items_json: str  # Kano features, delivered-value components or "group:driver" names
    competitor: str | None = Field(default=None, max_length=200)
    revision: int = 0  # bumped by every import that changes an answer (caches key on it)
    updated_at: datetime = Field(default_factory=_naive_now, sa_type=DateTime)


class SurveyWave(SQLModel, table=True):
    """One round of a survey (issue 25): the items that round asked, in order.

    A respondent answers each wave at most once; the same respondent in two waves is two
    answers, which is what a trend between waves compares. Wide instruments (delivered
    value, equity) keep one set of items per wave, so no wave's answers are dropped for
    lacking an item another wave asked.
    """

    __tablename__ = "survey_wave"

    instrument: str = Field(primary_key=True, max_length=32)
    wave: str = Field(primary_key=True, max_length=64)
    items_json: str  # a subset of the instrument's items, in the order this wave asked
    created_at: datetime = Field(default_factory=_naive_now, sa_type=DateTime)


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"

    instrument: str = Field(primary_key=True, max_length=32)
    wave: str = Field(primary_key=True, max_length=64)
    respondent_id: str = Field(primary_key=True, max_length=64)
    customer_id: str | None = Field(default=None, max_length=64, index=True)
    segment: str | None = Field(default=None, max_length=200)
    outcome: float | None = None  # equity: the outcome rating (e.g. repurchase intention)
    # {"r": ratings, "w": importance weights, "c": competitor ratings}, aligned with the
    # instrument's items, null where not answered; Kano answers as functional*10+dysfunctional.
    answers_json: str
    imported_at: datetime = Field(default_factory=_naive_now, sa_type=DateTime)
