"""Time as the shops see it: stored as timestamptz, shown and accepted in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def aware(dt: datetime | None) -> datetime | None:
    """A time given without an offset means Shanghai time (API-CONVENTIONS.md)."""
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=SHANGHAI)
