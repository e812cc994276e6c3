"""What makes a transaction row unusable, wherever the row comes from.

`cvm import` checks rows one by one and column by column (bot.customers); `--source`
checks files where they are, in DuckDB's or Spark's SQL (value_engine.sources). Both take
their limits and error codes from here, so a row one refuses the other refuses too: a row
dated 2100 once moved a source's as-of date to 2100 and halved every P(alive) while the
import refused the same row. The codes are the import's (`err_<code>` in bot.texts.value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

MAX_ID_CHARS = 64  # the bot's customer table keeps ids this long at most
MAX_REF_CHARS = 128  # a transaction id
CONTROL_PATTERN = r"[\x00-\x1f\x7f]"  # never in an id or a name
FIRST_YEAR = 1970  # days are counted from 1970-01-01
LAST_YEAR = 2200


@dataclass(frozen=True, slots=True)
class Dialect:
    """The few SQL spellings DuckDB and Spark do not share."""

    not_finite: Callable[[str], str]  # NaN or an infinity
    has_control: Callable[[str], str]  # a control character in a text
    timestamp: Callable[[datetime], str]  # a UTC moment as a literal


DUCKDB = Dialect(
    not_finite=lambda x: f"NOT isfinite({x})",
    # DuckDB's string literals keep backslashes; RE2 reads the \x escapes.
    has_control=lambda x: f"regexp_matches({x}, '{CONTROL_PATTERN}')",
    timestamp=lambda t: f"TIMESTAMPTZ '{t:%Y-%m-%d %H:%M:%S.%f}+00:00'",
)
SPARK = Dialect(
    not_finite=lambda x: f"(isnan({x}) OR abs({x}) = double('inf'))",
    # Spark's string literals unescape backslashes once: double them for Java's regex.
    has_control=lambda x: f"({x} RLIKE '{CONTROL_PATTERN.replace(chr(92), chr(92) * 2)}')",
    timestamp=lambda t: f"TIMESTAMP '{t:%Y-%m-%d %H:%M:%S.%f}+00:00'",
)


@dataclass(frozen=True, slots=True)
class RowRule:
    code: str  # the import's error code
    shown: str  # the column whose text is shown as the example
    broken: str  # SQL, true for a row that breaks the rule


def row_rules(dialect: Dialect, latest: datetime) -> list[RowRule]:
    """The import's rules as SQL over a relation with the columns customer_id, ts_text, ts
    (a timestamp, NULL when the text is not one), amount_text, amount, margin_text,
    margin, cost_text and cost (numbers NULL when their text is not one). `latest`: now,
    naive UTC; a later row is in the future, as for the import."""
    first = datetime(FIRST_YEAR, 1, 1)
    after_last = datetime(LAST_YEAR + 1, 1, 1)
    given = "{0}_text IS NOT NULL AND trim({0}_text) <> ''"
    return [
        RowRule(
            "bad_customer_id",
            "customer_id",
            f"customer_id IS NULL OR customer_id = '' OR length(customer_id) > {MAX_ID_CHARS}"
            f" OR {dialect.has_control('customer_id')}",
        ),
        RowRule(
            "bad_date",
            "ts_text",
            f"ts IS NULL OR ts < {dialect.timestamp(first)}"
            f" OR ts >= {dialect.timestamp(after_last)}",
        ),
        RowRule("future_date", "ts_text", f"ts > {dialect.timestamp(latest)}"),
        RowRule("bad_amount", "amount_text", f"amount IS NULL OR {dialect.not_finite('amount')}"),
        RowRule("zero_amount", "amount_text", "amount = 0"),
        RowRule(
            "bad_margin",
            "margin_text",
            f"{given.format('margin')} AND (margin IS NULL OR {dialect.not_finite('margin')})",
        ),
        RowRule(
            "bad_cost",
            "cost_text",
            f"{given.format('cost')} AND "
            f"(cost IS NULL OR {dialect.not_finite('cost')} OR cost < 0)",
        ),
    ]


def rules_query(rules: list[RowRule], relation: str) -> str:
    """One pass over `relation`: per rule, the rows that break it and the least such text
    (an example that does not change from run to run)."""
    parts = []
    for rule in rules:
        parts.append(f"SUM(CASE WHEN {rule.broken} THEN 1 ELSE 0 END)")
        parts.append(f"MIN(CASE WHEN {rule.broken} THEN {rule.shown} END)")
    return f"SELECT {', '.join(parts)} FROM {relation}"


@dataclass(frozen=True, slots=True)
class BrokenRule:
    code: str
    rows: int
    example: str


def broken_rules(rules: list[RowRule], row: tuple[object, ...]) -> list[BrokenRule]:
    """The rules `rules_query`'s one row says some rows break, in the rules' order."""
    found = []
    for n, rule in enumerate(rules):
        count, example = row[2 * n], row[2 * n + 1]
        if count:
            found.append(
                BrokenRule(rule.code, int(str(count)), "" if example is None else str(example))
            )
    return found
