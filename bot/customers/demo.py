"""A synthetic but realistic company, so every manager feature works out of the box.

Customers join over three years; each buys as a Poisson process with a
Gamma-distributed rate and may drop out after any purchase with a
Beta-distributed probability (the BG/NBD story), spends Gamma-Gamma amounts, has
a margin of their own, sometimes returns goods, and sometimes was referred by an
earlier customer. Everything is drawn from one seeded generator: the same seed
gives the same company, byte for byte.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from bot.csv_out import csv_writer

DEFAULT_AS_OF = date(2026, 9, 30)
SEGMENTS = ("retail", "manufacturing", "services", "wholesale", "technology")
REGIONS = ("north", "central", "south", "east")
CHANNELS = ("direct", "online", "distributor")
_NAME_HEADS = "華順達豐泰隆興盛昌和信安恒嘉德鴻益宏通金美新永"
_NAME_TAILS = ("貿易", "科技", "實業", "商行", "電子", "食品", "物流", "製造", "百貨", "顧問")


@dataclass(frozen=True, slots=True)
class DemoCompany:
    customers_csv: bytes
    transactions_csv: bytes
    customers: int
    transactions: int
    as_of: date
    # The truths the company was drawn from, for the demo surveys and for tests.
    ids: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    dropout: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per-purchase chance
    churned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # dropped out


def generate(
    customers: int = 3000, years: float = 3.0, seed: int = 7, as_of: date = DEFAULT_AS_OF
) -> DemoCompany:
    rng = np.random.default_rng(seed)
    days = round(years * 365.25)
    start = as_of - timedelta(days=days)
    ids = [f"C-{1000 + i}" for i in range(customers)]
    joined = np.sort(rng.integers(0, days, customers))  # day of first purchase, in id order

    # BG/NBD in weeks: mean rate r/alpha ≈ 0.06 purchases a week, dropout mean a/(a+b) ≈ 0.17.
    lam = rng.gamma(0.55, 1.0 / 9.0, customers) / 7.0  # per day
    drop = rng.beta(0.9, 4.5, customers)
    # Gamma-Gamma spend: nu ~ Gamma(q, 1/v), each purchase ~ Gamma(p, 1/nu).
    nu = rng.gamma(4.0, 1.0 / 300.0, customers)
    margin_rate = np.clip(rng.beta(5.0, 12.0, customers), 0.02, 0.8)

    cust_idx: list[np.ndarray] = [np.arange(customers)]
    day_idx: list[np.ndarray] = [joined.copy()]
    clock = joined.astype(np.float64)
    active = np.ones(customers, dtype=bool)
    churned = np.zeros(customers, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        bought = idx[clock[idx] < days]
        cust_idx.append(bought)
        day_idx.append(np.floor(clock[bought]).astype(np.int64))
        survives = rng.random(bought.size) >= drop[bought]
        churned[bought[~survives]] = True
        active[:] = False
        active[bought[survives]] = True
    cust = np.concatenate(cust_idx)
    day = np.concatenate(day_idx)
    order = np.lexsort((day, cust))
    cust, day = cust[order], day[order]
    amount = np.round(rng.gamma(6.0, 1.0 / nu[cust]), 2)
    amount = np.maximum(amount, 1.0)
    margin = np.round(amount * margin_rate[cust] * rng.uniform(0.8, 1.2, cust.size), 2)

    # About 2% of purchases come back in part within a month.
    returned = rng.random(cust.size) < 0.02
    ret_cust = cust[returned]
    ret_day = np.minimum(day[returned] + rng.integers(1, 30, returned.sum()), days - 1)
    ret_share = rng.uniform(0.2, 1.0, returned.sum())
    ret_amount = -np.round(amount[returned] * ret_share, 2)
    ret_margin = -np.round(margin[returned] * ret_share, 2)

    # About 15% were referred by someone who joined earlier, more often by frequent buyers.
    referred = rng.random(customers) < 0.15
    # Referrer drawn among earlier customers in proportion to their purchase rate.
    referred[0] = False
    cumulative = np.cumsum(lam)
    newcomers = np.flatnonzero(referred)
    targets = rng.random(newcomers.size) * cumulative[newcomers - 1]
    referrer = np.full(customers, -1)
    referrer[newcomers] = np.minimum(
        np.searchsorted(cumulative, targets, side="right"), newcomers - 1
    )

    names = [
        _NAME_HEADS[rng.integers(len(_NAME_HEADS))]
        + _NAME_HEADS[rng.integers(len(_NAME_HEADS))]
        + _NAME_TAILS[rng.integers(len(_NAME_TAILS))]
        for _ in range(customers)
    ]
    segment = rng.integers(len(SEGMENTS), size=customers)
    region = rng.integers(len(REGIONS), size=customers)
    channel = rng.integers(len(CHANNELS), size=customers)

    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(["customer_id", "name", "segment", "region", "channel", "referred_by"])
    for i in range(customers):
        writer.writerow(
            [
                ids[i],
                names[i],
                SEGMENTS[segment[i]],
                REGIONS[region[i]],
                CHANNELS[channel[i]],
                ids[referrer[i]] if referrer[i] >= 0 else "",
            ]
        )
    customers_csv = out.getvalue().encode("utf-8")

    all_cust = np.concatenate([cust, ret_cust])
    all_day = np.concatenate([day, ret_day])
    all_amount = np.concatenate([amount, ret_amount])
    all_margin = np.concatenate([margin, ret_margin])
    order = np.lexsort((all_day, all_cust))
    seconds = rng.integers(9 * 3600, 18 * 3600, all_cust.size)
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(["transaction_id", "customer_id", "timestamp", "amount", "gross_margin"])
    base = datetime(start.year, start.month, start.day)
    for n, k in enumerate(order):
        moment = base + timedelta(days=int(all_day[k]), seconds=int(seconds[k]))
        writer.writerow(
            [
                f"T-{n + 1:08d}",
                ids[all_cust[k]],
                moment.isoformat(sep=" "),
                f"{all_amount[k]:.2f}",
                f"{all_margin[k]:.2f}",
            ]
        )
    return DemoCompany(
        customers_csv=customers_csv,
        transactions_csv=out.getvalue().encode("utf-8"),
        customers=customers,
        transactions=int(all_cust.size),
        as_of=as_of,
        ids=tuple(ids),
        segments=tuple(SEGMENTS[s] for s in segment),
        dropout=drop,
        churned=churned,
    )
