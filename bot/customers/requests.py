"""Turn a manager's words into a structured customer request ("客戶 C-1042 的價值")."""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEYWORD = re.compile(r"客戶|客户|顧客|顾客|customer|client|account", re.IGNORECASE)
_ID = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z]{1,5}-?\d{1,12})(?![A-Za-z0-9-])")


@dataclass(frozen=True, slots=True)
class CustomerRequest:
    customer_id: str


def parse_customer_request(text: str) -> CustomerRequest | None:
    """A request names a customer (keyword) and carries an ID-shaped token; else None."""
    if len(text) > 300 or not _KEYWORD.search(text):
        return None
    match = _ID.search(text)
    return CustomerRequest(customer_id=match.group(1)) if match else None
