"""The one place the CLI writes JSON, so that every `--json` output is JSON.

Python's json module writes a float that is not finite as a bare NaN or Infinity, which
no JSON parser has to accept (jq, JavaScript's JSON.parse, Go, PostgreSQL's json refuse
the whole line): `cvm value fit --json` printed `"loglik": NaN` for the average-spend
model, which has no likelihood. Here such a number becomes null, and the top-level object
says which ones, under NOTE_KEY, with what they were ("NaN", "Infinity", "-Infinity"),
so a reader can tell a number that was not finite from a value that is absent.
`allow_nan=False` then makes sure nothing else gets through.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any

NOTE_KEY = "non_finite"  # {"path.to[0].number": "NaN"}: the numbers written as null

_SCALARS = (str, int, bool, type(None))
_WORDS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}  # what json.dumps wrote


def to_json(
    data: Any,
    *,
    ensure_ascii: bool = False,
    indent: int | None = None,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """`data` as strict JSON; `default` turns other objects into JSON values, as for
    json.dumps. Numbers that are not finite are null and listed under NOTE_KEY when the
    top level is an object."""
    found: dict[str, str] = {}
    clean = _finite(data, "", found, default)
    if found and isinstance(clean, dict):
        clean = {**clean, NOTE_KEY: found}
    return json.dumps(clean, ensure_ascii=ensure_ascii, indent=indent, allow_nan=False)


def print_json(data: Any, **options: Any) -> None:
    """One JSON document (or JSON Lines record) on stdout, flushed: a reader sees each
    line as it is written."""
    print(to_json(data, **options), flush=True)


def _finite(
    value: Any, path: str, found: dict[str, str], default: Callable[[Any], Any] | None
) -> Any:
    """A copy of `value` with JSON's own types only, non-finite numbers as None."""
    numpy = sys.modules.get("numpy")  # not imported here: `cvm --version` stays quick
    if numpy is not None and isinstance(value, numpy.generic):  # their Python value
        value = value.item()
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        found[path or "."] = _WORDS[repr(value)]
        return None
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        return {
            key: _finite(item, f"{path}.{key}" if path else str(key), found, default)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_finite(item, f"{path}[{i}]", found, default) for i, item in enumerate(value)]
    if default is not None:
        return _finite(default(value), path, found, default)
    return value  # json.dumps says what it cannot write
