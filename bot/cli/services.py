"""The database and the value service as the CLI's commands open them.

Its own module because `cvm value`, `cvm survey` and `--source` all need them: kept in
one of those, the commands would import each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:  # at run time these import SciPy: not for `cvm import` (its start counts)
    from sqlalchemy import Engine

    from value_engine.recommendations import PassageLookup


def database(settings: Settings) -> Engine:
    from bot.storage.repository import open_database

    return open_database(settings.resolved_database_url)


def value_service(  # type: ignore[no-untyped-def]
    settings: Settings, with_knowledge: bool = True, engine: Engine | None = None
):
    """`engine`: the database already open (by default, opened here)."""
    from bot.customers.service import ValueService
    from bot.customers.store import CustomerStore
    from value_engine.scoring import ScoringPolicy

    store = CustomerStore(
        engine if engine is not None else database(settings),
        default_margin=settings.value_default_margin,
    )
    lookup: PassageLookup = _NoLookup()
    if with_knowledge:  # citations need the passages only, not the vector index
        from knowledge.chunking import current_chunks
        from knowledge.citations import CorpusLookup

        lookup = CorpusLookup(current_chunks(settings.corpus_dir))
    policy = ScoringPolicy(
        horizon_months=settings.value_horizon_months,
        monthly_discount_rate=settings.value_monthly_discount_rate,
        referral_share=settings.value_referral_share,
    )
    return ValueService(store, lookup, policy)


class _NoLookup:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None
