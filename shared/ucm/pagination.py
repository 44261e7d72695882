"""Keyset pagination (API-CONVENTIONS.md): ``?limit=`` and an opaque ``?cursor=`` holding the
sort key of the last row of the previous page."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
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
        raise _bad_cursor()
    return key


def _bad_cursor() -> Exception:
    return bad_request("common.cursor", "翻页参数无效，请从第一页重新查询")


def decode_newest(cursor: str | None) -> tuple[datetime | None, str | None]:
    """The (timestamp, id) key of a newest-first list's last row; a tampered one is a 400."""
    after = decode(cursor, 2)
    if after is None:
        return None, None
    try:
        return datetime.fromisoformat(after[0]), str(after[1])
    except (TypeError, ValueError):
        raise _bad_cursor() from None


def decode_int(cursor: str | None) -> int | None:
    """The integer key (a ledger id) of the last row; a tampered one is a 400."""
    after = decode(cursor, 1)
    if after is None:
        return None
    if not isinstance(after[0], int) or isinstance(after[0], bool):
        raise _bad_cursor()
    return after[0]


def page(rows: list[dict[str, Any]], limit: int, key: Sequence[str]) -> dict[str, Any]:
    """``rows`` fetched with ``limit + 1``: the extra row only tells that a next page exists."""
    more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode([items[-1][k] for k in key]) if more and items else None
    return {"items": items, "next_cursor": next_cursor}
