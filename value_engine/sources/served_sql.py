"""SQL for the customers the bot serves: everyone's population ranks, the selection, and
the selected customers' quarterly history.

RFM quintiles and Pareto tiers rank a customer among all customers, so they are computed
where all customers are (window functions), with the exact arithmetic of
`measures.quintile_scores` (SciPy's average ranks) and `measures.pareto_tiers` (stable
order: ties by customer id, as the bot's own customer list is ordered); the tests check
both against NumPy. The segment grid is generated from `measures.SEGMENT_GRID`, so the
SQL and Python never disagree on who is a champion. Numbers and enum values only are
formatted into the SQL: no injection. DuckDB and Spark SQL run it.
"""

from __future__ import annotations

from value_engine import measures
from value_engine.models import RfmSegment

RANKED_SQL = """
WITH base AS (
    SELECT s.*,
           CASE WHEN purchases > 0 THEN CAST({as_of} - last_day AS DOUBLE) ELSE 1E12 END
               AS idle_days,
           CAST(purchases AS DOUBLE) AS occasions,
           CASE WHEN profit > 0 THEN profit ELSE 0E0 END AS positive
    FROM {summary} s
),
ranked AS (
    SELECT base.*,
           {r_rank} AS r_rank, {f_rank} AS f_rank, {m_rank} AS m_rank,
           SUM(positive) OVER (ORDER BY positive DESC, customer_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - positive
               AS profit_before,
           COUNT(*) OVER () AS population,
           SUM(positive) OVER () AS total_positive
    FROM base
),
scored AS (
    SELECT ranked.*, {r_score} AS r_score, {f_score} AS f_score, {m_score} AS m_score,
           CASE WHEN positive <= 0 THEN 'C'
                WHEN profit_before / total_positive < {tier_a} THEN 'A'
                WHEN profit_before / total_positive < {tier_b} THEN 'B'
                ELSE 'C' END AS tier
    FROM ranked
)
SELECT customer_id, purchases, first_day, last_day, frequency, recency, t, monetary_value,
       revenue, profit, profit_last, profit_previous, r_score, f_score, m_score, tier,
       {segment} AS segment
FROM scored
"""


def _average_rank(column: str, direction: str) -> str:
    """SciPy's rankdata(method="average"): 0.5 * (rows <= v + rows < v + 1), in the
    order that makes a better value rank higher."""
    below = f"(RANK() OVER (ORDER BY {column} {direction}) - 1)"
    ties = f"COUNT(*) OVER (PARTITION BY {column})"
    return f"0.5 * (CAST({below} + {ties} AS DOUBLE) + CAST({below} AS DOUBLE) + 1)"


def _quintile(rank: str) -> str:
    return f"LEAST(GREATEST(CAST(FLOOR((({rank} - 0.5) / population) * 5) AS BIGINT) + 1, 1), 5)"


def _segment_case() -> str:
    fm = "CAST(FLOOR((f_score + m_score + 1) / 2E0) AS BIGINT)"  # round((f + m) / 2), .5 up
    cases = [f"WHEN purchases = 0 THEN '{RfmSegment.NEW.value}'"]
    for r, row in measures.SEGMENT_GRID.items():
        for k, segment in enumerate(row, start=1):
            cases.append(f"WHEN r_score = {r} AND {fm} = {k} THEN '{segment.value}'")
    return "CASE " + " ".join(cases) + " END"


def ranked_sql(summary: str, as_of_day: int) -> str:
    """Every customer of `summary` (the `summary_sql` columns) with r/f/m scores, tier and
    segment, ranked among all of them; recency is days since the last purchase, fewer
    better (never bought: last), frequency purchase occasions, monetary revenue."""
    return RANKED_SQL.format(
        summary=summary,
        as_of=int(as_of_day),
        r_rank=_average_rank("idle_days", "DESC"),
        f_rank=_average_rank("occasions", "ASC"),
        m_rank=_average_rank("revenue", "ASC"),
        r_score=_quintile("r_rank"),
        f_score=_quintile("f_rank"),
        m_score=_quintile("m_rank"),
        tier_a=repr(float(measures.PARETO_A)),
        tier_b=repr(float(measures.PARETO_B)),
        segment=_segment_case(),
    )


def selection_sql(ranked: str, segment: RfmSegment | None, top: int | None) -> str:
    """The served customers' ids: a segment, the `top` by realized value (ties by id), or
    both (the most valuable of a segment), or all."""
    where = "" if segment is None else f" WHERE segment = '{RfmSegment(segment).value}'"
    limit = "" if top is None else f" LIMIT {int(top)}"
    return f"SELECT customer_id FROM {ranked}{where} ORDER BY profit DESC, customer_id{limit}"


HISTORY_SQL = """
SELECT customer_id, quarter, SUM(amount) AS revenue, SUM(profit) AS profit FROM (
    SELECT t.customer_id AS customer_id, {bucket} AS quarter, t.amount AS amount,
           t.profit AS profit
    FROM {tx} t JOIN {served} s ON t.customer_id = s.customer_id
    WHERE t.day >= {start} AND t.day <= {as_of}
) q GROUP BY customer_id, quarter
"""


def history_sql(tx: str, served: str, quarter_starts: list[tuple[int, int]], as_of_day: int) -> str:
    """Revenue and profit per (served customer, quarter); `quarter_starts` are (quarter
    index, first day number) in order, the last quarter running to `as_of_day`."""
    cases = " ".join(
        f"WHEN t.day >= {int(day)} THEN {int(index)}" for index, day in reversed(quarter_starts)
    )
    return HISTORY_SQL.format(
        tx=tx,
        served=served,
        bucket=f"CASE {cases} END",
        start=int(quarter_starts[0][1]),
        as_of=int(as_of_day),
    )
