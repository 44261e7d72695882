"""Time as the shops see it: stored as timestamptz, shown and accepted in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def json_value(v: Any) -> str:
    """``json.dumps(default=…)`` for cached rows: times as ISO 8601 (they are read back with
    ``datetime.fromisoformat``), decimals and the rest as text."""
    return v.isoformat() if isinstance(v, datetime) else str(v)


def aware(dt: datetime | None) -> datetime | None:
    """A time given without an offset means Shanghai time (API-CONVENTIONS.md)."""
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=SHANGHAI)
