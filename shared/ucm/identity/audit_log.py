"""The audit log: filtered, paged queries and CSV export (UTF-8 with BOM for Excel)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ucm import pagination, tabular
from ucm.db import Database
from ucm.identity import sql

# --- audit -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    store_id: str | None = None
    from_: datetime | None = None
    to: datetime | None = None


def _audit_params(f: AuditFilter) -> dict[str, Any]:
    action = f.action.replace("*", "%") if f.action else None
    return {"actor": f.actor, "action": action, "target_type": f.target_type, "target_id": f.target_id,
            "store": f.store_id, "from": f.from_, "to": f.to, "after_at": None, "after_id": None}


def list_audit(db: Database, f: AuditFilter, limit: int | None, cursor: str | None) -> dict[str, Any]:
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 2)
    params = {**_audit_params(f), "limit": n + 1}
    if after:
        params["after_at"], params["after_id"] = after
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_AUDIT, params)
    return pagination.page(rows, n, ["at", "id"])


EXPORT_MAX_ROWS = 100_000
_AUDIT_COLUMNS = ("at", "actor", "action", "target_type", "target_id", "store_id", "before", "after",
                  "request_id", "source_ip")
_AUDIT_HEADERS = ("时间", "操作人", "操作", "对象类型", "对象编号", "门店", "修改前", "修改后", "请求编号", "来源 IP")


def export_audit_csv(db: Database, f: AuditFilter) -> bytes:
    """UTF-8 with BOM, so Excel opens the Chinese headers correctly."""
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_AUDIT, {**_audit_params(f), "limit": EXPORT_MAX_ROWS})
    return tabular.to_csv(_AUDIT_HEADERS, (
        [r["at"].isoformat() if r["at"] else "", *(
            json.dumps(r[c], ensure_ascii=False) if c in ("before", "after") and r[c] is not None else (r[c] or "")
            for c in _AUDIT_COLUMNS[1:])] for r in rows))
