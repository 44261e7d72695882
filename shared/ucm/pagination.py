"""Keyset pagination (API-CONVENTIONS.md): ``?limit=`` and an opaque ``?cursor=`` holding the
sort key of the last row of the previous page."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from ucm.errors import bad_request

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request("common.limit", f"每页条数须在 1–{MAX_LIMIT} 之间")
    return limit


def encode(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), default=str).encode()).decode().rstrip("=")


def decode(cursor: str | None, arity: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        key = None
    if not isinstance(key, list) or len(key) != arity:
        raise bad_request("common.cursor", "翻页参数无效，请从第一页重新查询")
    return key


def page(rows: list[dict[str, Any]], limit: int, key: Sequence[str]) -> dict[str, Any]:
    """``rows`` fetched with ``limit + 1``: the extra row only tells that a next page exists."""
    more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode([items[-1][k] for k in key]) if more and items else None
    return {"items": items, "next_cursor": next_cursor}
