"""The one SQL definition of the per-customer summary, for every engine that holds data.

It reads a relation `tx(customer_id, day, amount, profit)` (day = days since 1970-01-01
in UTC; profit already resolved from margin or cost) and mirrors `value_engine.summary`:
purchase occasions are days with positive spend, returns lower revenue and profit but are
never occasions, monetary value is the mean of the repeat occasions, and the trend inputs
are the profit of the last quarter and of the one before. Plain SQL (window functions,
CASE, GROUP BY) that DuckDB, SQLite, PostgreSQL and Spark all run; `tests/` check the
engines give the same numbers as the NumPy summary.
"""

from __future__ import annotations

import numpy as np

from value_engine.summary import CustomerSummary

QUARTER_DAYS = 91  # as value_engine.summary

SUMMARY_SQL = """
WITH kept AS (
    SELECT customer_id, day, amount, profit FROM {tx} WHERE day <= {as_of}
),
occasions AS (
    SELECT customer_id, day, SUM(amount) AS value
    FROM kept WHERE amount > 0 GROUP BY customer_id, day
),
numbered AS (
    SELECT customer_id, day, value,
           ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY day) AS n
    FROM occasions
),
buying AS (
    SELECT customer_id, COUNT(*) AS purchases, MIN(day) AS first_day, MAX(day) AS last_day,
           SUM(CASE WHEN n > 1 THEN value ELSE 0 END) AS repeat_value,
           SUM(CASE WHEN day <= {cut} THEN 1 ELSE 0 END) AS cal_purchases,
           MAX(CASE WHEN day <= {cut} THEN day END) AS cal_last_day,
           SUM(CASE WHEN day > {cut} THEN 1 ELSE 0 END) AS later_purchases
    FROM numbered GROUP BY customer_id
),
money AS (
    SELECT customer_id, SUM(amount) AS revenue, SUM(profit) AS profit,
           SUM(CASE WHEN day > {last_start} THEN profit ELSE 0 END) AS profit_last,
           SUM(CASE WHEN day > {prev_start} AND day <= {last_start} THEN profit ELSE 0 END)
               AS profit_previous
    FROM kept GROUP BY customer_id
)
SELECT money.customer_id AS customer_id,
       COALESCE(buying.purchases, 0) AS purchases,
       COALESCE(buying.first_day, -1) AS first_day,
       COALESCE(buying.last_day, -1) AS last_day,
       CASE WHEN buying.purchases > 0 THEN buying.purchases - 1 ELSE 0 END AS frequency,
       CASE WHEN buying.purchases > 0
            THEN (buying.last_day - buying.first_day) / {unit} ELSE 0 END AS recency,
       CASE WHEN buying.purchases > 0
            THEN ({as_of} - buying.first_day) / {unit} ELSE 0 END AS t,
       CASE WHEN buying.purchases > 1
            THEN buying.repeat_value / (buying.purchases - 1) ELSE 0 END AS monetary_value,
       money.revenue AS revenue, money.profit AS profit,
       money.profit_last AS profit_last, money.profit_previous AS profit_previous,
       COALESCE(buying.cal_purchases, 0) AS cal_purchases,
       COALESCE(buying.cal_last_day, -1) AS cal_last_day,
       COALESCE(buying.later_purchases, 0) AS later_purchases
FROM money LEFT JOIN buying ON money.customer_id = buying.customer_id
"""

# The fits' sufficient statistics (value_engine.sufficient), computed where the summary is.
PURCHASE_GROUPS_SQL = """
SELECT frequency, recency, t, COUNT(*) AS customers FROM {summary}
WHERE purchases > 0 GROUP BY frequency, recency, t
"""
SPEND_GROUPS_SQL = """
SELECT frequency, monetary_value, COUNT(*) AS customers FROM {summary}
WHERE frequency > 0 AND monetary_value > 0 GROUP BY frequency, monetary_value
"""
FALLBACK_SQL = """
SELECT SUM(revenue), SUM(purchases), COUNT(*) FROM {summary} WHERE purchases > 0
"""


# The fit's own holdout test where the data are (`holdout.backtest`), from the summary's
# calibration columns: customers grouped by their summary as of the cut-off and their
# purchase occasions after it. The summary computed them in its one pass over the rows.
HOLDOUT_GROUPS_SQL = """
SELECT cal_purchases - 1 AS frequency, (cal_last_day - first_day) / {unit} AS recency,
       ({cut} - first_day) / {unit} AS t, later_purchases AS actual, COUNT(*) AS customers
FROM {summary} WHERE cal_purchases > 0
GROUP BY cal_purchases, cal_last_day, first_day, later_purchases
"""


def holdout_groups_sql(summary: str, cut_day: int, unit_days: float = 7.0) -> str:
    """Over a summary made with `calibration_end=cut_day`."""
    return HOLDOUT_GROUPS_SQL.format(summary=summary, cut=int(cut_day), unit=_unit(unit_days))


def _unit(unit_days: float) -> str:
    return f"{float(unit_days)!r}E0"  # a double in every engine (Spark: 7.0 is a decimal)


def summary_sql(
    as_of_day: int, tx: str = "tx", unit_days: float = 7.0, calibration_end: int | None = None
) -> str:
    """The summary query as of the end of `as_of_day` (numbers only: no injection); `tx`
    names the transactions relation, or is a subquery that makes one. Times come out in
    `unit_days` (weeks by default, like the models). With `calibration_end`, the cal_*
    columns are each customer's purchases up to that day and later_purchases the ones
    after it, for the holdout test (`holdout_groups_sql`)."""
    day = int(as_of_day)
    return SUMMARY_SQL.format(
        tx=tx,
        as_of=day,
        last_start=day - QUARTER_DAYS,
        prev_start=day - 2 * QUARTER_DAYS,
        unit=_unit(unit_days),
        cut=day if calibration_end is None else int(calibration_end),
    )


def database_tx(default_margin: float) -> str:
    """The bot's own `customer_transaction` table as the `tx` relation (SQLite, PostgreSQL):
    profit is the line's margin, else amount minus cost, else amount × the default margin."""
    return (
        "(SELECT customer_id, day, amount, "
        f"COALESCE(gross_margin, amount - cost, amount * {float(default_margin)!r}) AS profit "
        "FROM customer_transaction) AS tx"
    )


def to_summary(
    columns: dict[str, np.ndarray], as_of_day: int, profit_assumed: bool
) -> CustomerSummary:
    """The SQL result's columns (one row per customer) as the engine's summary."""
    purchases = columns["purchases"].astype(np.int64)
    last_day = columns["last_day"].astype(np.int64)
    has_purchase = purchases > 0

    def floats(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=np.float64)

    return CustomerSummary(
        frequency=floats("frequency"),
        recency=floats("recency"),
        age=floats("t"),
        monetary=floats("monetary_value"),
        purchases=purchases,
        days_since_last=np.where(has_purchase, as_of_day - last_day, np.inf).astype(np.float64),
        revenue=floats("revenue"),
        profit=floats("profit"),
        profit_last_period=floats("profit_last"),
        profit_previous_period=floats("profit_previous"),
        first_day=columns["first_day"].astype(np.int64),
        has_purchase=has_purchase,
        profit_assumed=profit_assumed,
    )
