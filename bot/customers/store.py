"""Database reads and writes for customer value data (blocking; callers run them in threads)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

import numpy as np
from sqlalchemy import Connection, Engine, Insert, Table, delete, func, literal, select, update
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as sqlmodel_select

from bot.storage.bulk import insert_rows
from bot.storage.models import (
    BotUser,
    Customer,
    CustomerAccess,
    CustomerPeriodRow,
    CustomerScoreRow,
    CustomerTransaction,
    DataRevision,
    ValueFit,
)
from bot.storage.staging import drop_temp, replace_from, temp_copy
from value_engine.models import (
    CustomerScore,
    ModelError,
    PeriodValue,
    RfmSegment,
    Risk,
    Tier,
    Trend,
)
from value_engine.periods import EPOCH, last_quarters, quarter_index, quarter_label, quarter_start
from value_engine.summary import TransactionLog


@dataclass(frozen=True, slots=True)
class EngineInput:
    customer_ids: list[str]
    referred_by: np.ndarray
    log: TransactionLog
    as_of_day: int
    transactions: int


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


CUSTOMER = _table(Customer)
TRANSACTION = _table(CustomerTransaction)
SCORE = _table(CustomerScoreRow)
REVISION = _table(DataRevision)
PERIOD = _table(CustomerPeriodRow)


def bump_revision(connection: Connection) -> None:
    """Every write that changes what a breakdown shows bumps the one counter, in the
    write's own transaction: a cached fit elsewhere sees at once that it is stale."""
    now = datetime.now(UTC)
    done = connection.execute(
        update(REVISION)
        .where(REVISION.c.id == 1)
        .values(revision=REVISION.c.revision + 1, updated_at=now)
    )
    if done.rowcount == 0:
        connection.execute(REVISION.insert(), {"id": 1, "revision": 1, "updated_at": now})


class CustomerStore:
    def __init__(self, engine: Engine, default_margin: float = 1.0) -> None:
        self.engine = engine
        self.default_margin = default_margin

    # --- data for the engine -------------------------------------------------------------
    def revision(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(REVISION.c.revision).where(REVISION.c.id == 1)).scalar()
        return int(value or 0)

    def customer_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(CUSTOMER)).scalar_one())

    def load(self) -> EngineInput:
        """Every customer and transaction as arrays; profit falls back to the default margin."""
        with self.engine.connect() as conn:
            customers = conn.execute(
                select(CUSTOMER.c.id, CUSTOMER.c.referred_by).order_by(CUSTOMER.c.id)
            ).all()
            rows = conn.exec_driver_sql(
                "SELECT customer_id, day, amount, gross_margin, cost FROM customer_transaction"
            ).all()
        ids = [c[0] for c in customers]
        position = {cid: i for i, cid in enumerate(ids)}
        referred_by = np.array(
            [position.get(c[1], -1) if c[1] else -1 for c in customers], dtype=np.int64
        )
        n = len(rows)
        cust = np.fromiter((position[r[0]] for r in rows), dtype=np.int64, count=n)
        day = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
        amount = np.fromiter((r[2] for r in rows), dtype=np.float64, count=n)
        margin = np.fromiter(
            (np.nan if r[3] is None else r[3] for r in rows), dtype=np.float64, count=n
        )
        cost = np.fromiter(
            (np.nan if r[4] is None else r[4] for r in rows), dtype=np.float64, count=n
        )
        profit = np.where(~np.isnan(margin), margin, amount - cost)
        assumed = np.isnan(profit)
        profit = np.where(assumed, amount * self.default_margin, profit)
        as_of_day = int(day.max()) if n else (datetime.now(UTC).date() - EPOCH).days
        return EngineInput(
            customer_ids=ids,
            referred_by=referred_by,
            log=TransactionLog(
                customer=cust, day=day, amount=amount, profit=profit, profit_assumed=assumed
            ),
            as_of_day=as_of_day,
            transactions=n,
        )

    # --- cached fits and scores -----------------------------------------------------------
    def latest_fit(self) -> ValueFit | None:
        with Session(self.engine) as session:
            return session.exec(
                sqlmodel_select(ValueFit).order_by(col(ValueFit.id).desc()).limit(1)
            ).first()

    def save_fit(self, fit: ValueFit, scores: list[dict[str, object]]) -> ValueFit:
        """Replace the scored table and record the fit, atomically.

        A number that is not finite is refused before anything is written: PostgreSQL
        would store NaN and SQLite would turn it into NULL, and either way managers
        would be served it until the next fit.
        """
        _refuse_non_finite(scores)
        with Session(self.engine) as session:
            session.add(fit)
            session.flush()
            assert fit.id is not None
            _replace_rows(session.connection(), SCORE, fit.id, scores)
            session.commit()
            session.refresh(fit)
            return fit

    def publish(
        self, fit: ValueFit, scores: list[dict[str, object]], periods: list[dict[str, object]]
    ) -> ValueFit:
        """Serve a warehouse's scores: the fit, the served customers' rows and quarterly
        history replace the previous ones, customers the bot did not know are added (their
        id is their name until `cvm import customers` names them), and the data revision
        moves on so every process's cached fit sees the change; one transaction."""
        _refuse_non_finite(scores)
        if self.engine.dialect.name == "sqlite":
            return self._publish_staged(fit, scores, periods)
        with Session(self.engine) as session:
            conn = session.connection()
            bump_revision(conn)
            fit.revision = int(conn.execute(select(REVISION.c.revision)).scalar_one())
            session.add(fit)
            session.flush()
            assert fit.id is not None
            ids = [str(row["customer_id"]) for row in scores]
            known: set[str] = set()
            for start in range(0, len(ids), 5_000):
                chunk = ids[start : start + 5_000]
                known.update(
                    conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.id.in_(chunk))).scalars()
                )
            now = datetime.now(UTC)
            new = [{"id": cid, "name": "", "updated_at": now} for cid in ids if cid not in known]
            for start in range(0, len(new), 20_000):
                conn.execute(CUSTOMER.insert(), new[start : start + 20_000])
            _replace_rows(conn, SCORE, fit.id, scores)
            _replace_rows(conn, PERIOD, fit.id, periods)
            session.commit()
            session.refresh(fit)
            return fit

    def _publish_staged(
        self, fit: ValueFit, scores: list[dict[str, object]], periods: list[dict[str, object]]
    ) -> ValueFit:
        """SQLite, one writer at a time: the rows go into TEMP tables first, which takes no
        lock on the database, so the bot's own short writes (audit rows, quiz leases)
        carry on meanwhile; then one short transaction swaps them in (bot/storage/staging.py).
        Readers see the previous publish or this one, never a mix. PostgreSQL's readers
        and writers do not wait on a long transaction there, so it writes directly."""
        with self.engine.connect() as conn:
            staged = [
                temp_copy(conn, SCORE, "publish_score"),
                temp_copy(conn, PERIOD, "publish_period"),
            ]
            try:
                for table, rows in zip(staged, (scores, periods), strict=True):
                    for row in rows:
                        row["fit_id"] = 0  # set to the fit's id in the swap
                    insert_rows(conn, table, rows)
                conn.commit()  # ends any read of the main database before the write below
                with Session(bind=conn) as session:
                    main = session.connection()
                    bump_revision(main)  # a write first: the write lock, then the reads
                    fit.revision = int(main.execute(select(REVISION.c.revision)).scalar_one())
                    session.add(fit)
                    session.flush()
                    assert fit.id is not None
                    main.execute(_unknown_customers(staged[0]))
                    replace_from(main, SCORE, staged[0], {"fit_id": fit.id})
                    replace_from(main, PERIOD, staged[1], {"fit_id": fit.id})
                    session.commit()
                    session.refresh(fit)
            finally:
                for table in staged:
                    drop_temp(conn, table)
                conn.commit()
        return fit

    def published_history(
        self, customer_id: str, as_of_day: int, quarters: int = 12
    ) -> list[PeriodValue]:
        """The quarters published with a warehouse's scores (`publish`), as `history`."""
        span = last_quarters(as_of_day, quarters)
        with self.engine.connect() as conn:
            found = dict(
                (int(q), (float(r), float(p)))
                for q, r, p in conn.execute(
                    select(PERIOD.c.quarter, PERIOD.c.revenue, PERIOD.c.profit).where(
                        PERIOD.c.customer_id == customer_id,
                        PERIOD.c.quarter >= span[0][0],
                        PERIOD.c.quarter <= span[-1][0],
                    )
                )
            )
        nothing = (0.0, 0.0)
        return [
            PeriodValue(quarter_label(q), found.get(q, nothing)[0], found.get(q, nothing)[1])
            for q, _ in span
        ]

    def referrers(self) -> dict[str, str]:
        """customer id -> the id of the customer who referred them, as imported."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(CUSTOMER.c.id, CUSTOMER.c.referred_by).where(
                    CUSTOMER.c.referred_by.is_not(None)
                )
            ).all()
        return {str(cid): str(referrer) for cid, referrer in rows}

    def score(self, customer_id: str) -> CustomerScore | None:
        with Session(self.engine) as session:
            row = session.get(CustomerScoreRow, customer_id)
        return None if row is None else to_score(row)

    def top(self, limit: int) -> list[tuple[CustomerScore, str]]:
        with Session(self.engine) as session:
            rows = session.exec(
                sqlmodel_select(CustomerScoreRow, Customer)
                .where(col(Customer.id) == col(CustomerScoreRow.customer_id))
                .order_by(col(CustomerScoreRow.realized_value).desc())
                .limit(limit)
            ).all()
        return [(to_score(score), customer.name) for score, customer in rows]

    def total_positive_profit(self) -> float:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(func.sum(SCORE.c.realized_value)).where(SCORE.c.realized_value > 0)
            ).scalar()
        return float(value or 0.0)

    # --- one customer ---------------------------------------------------------------------
    def customer(self, customer_id: str) -> Customer | None:
        with Session(self.engine) as session:
            return session.get(Customer, customer_id)

    def find_customer_id(self, text: str) -> str | None:
        """Exact id first, then case-insensitive (managers type c-1042 as often as C-1042)."""
        with self.engine.connect() as conn:
            exact = conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.id == text)).scalar()
            if exact is not None:
                return str(exact)
            folded = conn.execute(
                select(CUSTOMER.c.id).where(func.lower(CUSTOMER.c.id) == text.lower()).limit(1)
            ).scalar()
        return None if folded is None else str(folded)

    def history(self, customer_id: str, as_of_day: int, quarters: int = 12) -> list[PeriodValue]:
        """Revenue and profit per calendar quarter for the last `quarters` quarters."""
        as_of = EPOCH + timedelta(days=as_of_day)
        first_q = quarter_index(as_of) - quarters + 1
        start = quarter_start(first_q)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    TRANSACTION.c.day,
                    TRANSACTION.c.amount,
                    TRANSACTION.c.gross_margin,
                    TRANSACTION.c.cost,
                ).where(
                    TRANSACTION.c.customer_id == customer_id,
                    TRANSACTION.c.day >= (start - EPOCH).days,
                    TRANSACTION.c.day <= as_of_day,
                )
            ).all()
        revenue = [0.0] * quarters
        profit = [0.0] * quarters
        for day, amount, margin, cost in rows:
            q = quarter_index(EPOCH + timedelta(days=day)) - first_q
            revenue[q] += amount
            profit[q] += self._profit(amount, margin, cost)
        return [
            PeriodValue(period=quarter_label(first_q + i), revenue=revenue[i], profit=profit[i])
            for i in range(quarters)
        ]

    def recent_transactions(self, customer_id: str, limit: int = 10) -> list[tuple[str, float]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(TRANSACTION.c.ts, TRANSACTION.c.amount)
                .where(TRANSACTION.c.customer_id == customer_id)
                .order_by(TRANSACTION.c.ts.desc())
                .limit(limit)
            ).all()
        return [(ts.strftime("%Y-%m-%d"), float(amount)) for ts, amount in rows]

    def transaction_count(self, customer_id: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(TRANSACTION.c.customer_id == customer_id)
                ).scalar_one()
            )

    def _profit(self, amount: float, margin: float | None, cost: float | None) -> float:
        if margin is not None:
            return margin
        if cost is not None:
            return amount - cost
        return amount * self.default_margin

    # --- roles and audit --------------------------------------------------------------------
    def role(self, telegram_id: int) -> str | None:
        with Session(self.engine) as session:
            user = session.get(BotUser, telegram_id)
        return None if user is None else user.role

    def set_role(self, telegram_id: int, role: str | None, granted_by: int | None = None) -> None:
        with Session(self.engine) as session:
            user = session.get(BotUser, telegram_id)
            if role is None:
                if user is not None:
                    session.delete(user)
            elif user is None:
                session.add(BotUser(telegram_id=telegram_id, role=role, granted_by=granted_by))
            else:
                user.role = role
                user.granted_by = granted_by
                user.updated_at = datetime.now(UTC)
                session.add(user)
            session.commit()

    def users(self) -> list[BotUser]:
        with Session(self.engine) as session:
            return list(session.exec(sqlmodel_select(BotUser).order_by(col(BotUser.telegram_id))))

    def audit(self, user_id: int, customer_id: str | None, action: str) -> None:
        with Session(self.engine) as session:
            session.add(CustomerAccess(user_id=user_id, customer_id=customer_id, action=action))
            session.commit()

    def audit_log(self, limit: int = 100) -> list[CustomerAccess]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    sqlmodel_select(CustomerAccess)
                    .order_by(col(CustomerAccess.id).desc())
                    .limit(limit)
                )
            )


def _unknown_customers(scores: Table) -> Insert:
    """Adds the customers of `scores` the bot does not know, their id as their name."""
    ids = scores.c.customer_id
    unknown = select(ids, literal(""), literal(datetime.now(UTC), CUSTOMER.c.updated_at.type))
    return CUSTOMER.insert().from_select(
        ["id", "name", "updated_at"], unknown.where(ids.not_in(select(CUSTOMER.c.id)))
    )


def _replace_rows(
    connection: Connection, table: Table, fit_id: int, rows: list[dict[str, object]]
) -> None:
    """`table` holds exactly `rows` afterwards, each marked with the fit that made it."""
    for row in rows:
        row["fit_id"] = fit_id
    connection.execute(delete(table))
    insert_rows(connection, table, rows)


def _refuse_non_finite(scores: list[dict[str, object]]) -> None:
    for row in scores:
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ModelError(f"{key} is not finite for customer {row.get('customer_id')}")


def to_score(row: CustomerScoreRow) -> CustomerScore:
    return CustomerScore(
        customer_id=row.customer_id,
        frequency=row.frequency,
        recency=row.recency,
        age=row.age,
        monetary=row.monetary,
        expected_purchases=row.expected_purchases,
        p_alive=row.p_alive,
        expected_spend=row.expected_spend,
        clv=row.clv,
        realized_value=row.realized_value,
        potential_value=row.potential_value,
        influence_value=row.influence_value,
        revenue=row.revenue,
        margin_rate=row.margin_rate,
        r_score=row.r_score,
        f_score=row.f_score,
        m_score=row.m_score,
        segment=RfmSegment(row.segment),
        tier=Tier(row.tier),
        risk=Risk(row.risk),
        trend=Trend(row.trend),
        trend_change=row.trend_change,
        referrals=row.referrals,
    )


def fit_params(fit: ValueFit) -> dict[str, object]:
    data: dict[str, object] = json.loads(fit.params_json)
    return data
