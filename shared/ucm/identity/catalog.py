"""Keeps the permission table and the built-in roles in line with the code's catalog; run
after every migration (new modules add permissions in code)."""

from __future__ import annotations

from typing import Any

from ucm.identity import permissions, sql


def sync(conn: Any) -> None:
    """On the migrator's (owner) connection, in one transaction."""
    with conn.transaction():
        for p in permissions.CATALOG:
            conn.execute(sql.UPSERT_PERMISSION, (p.code, p.name, p.module))
        for r in permissions.BUILTIN_ROLES:
            conn.execute(sql.UPSERT_BUILTIN_ROLE, (r.code, r.name, sorted(r.permissions)))
