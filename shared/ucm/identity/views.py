"""Saved views: a user's named filters and column settings for a list page of the admin UI."""

from __future__ import annotations

import json
from typing import Any

from ucm.db import Database
from ucm.errors import Problem, bad_request, not_found
from ucm.identity import sql
from ucm.identity.principal import Principal

MAX_STATE_BYTES = 16_000


def _user_id(who: Principal) -> str:
    if who.kind != "user":
        raise Problem(403, "system.view.users_only", "只有登录用户可以保存视图")
    return who.id


def list_views(db: Database, who: Principal, page: str) -> list[dict[str, Any]]:
    with db.transaction() as uow:
        return uow.all(sql.LIST_VIEWS, (_user_id(who), page))


def save_view(db: Database, who: Principal, page: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(state, ensure_ascii=False)
    if not name.strip() or len(name) > 40 or not page.strip() or len(raw) > MAX_STATE_BYTES:
        raise bad_request("system.view.invalid", "视图名称须为 1–40 字，内容不能过大")
    with db.transaction() as uow:
        row = uow.one(sql.UPSERT_VIEW, (_user_id(who), page.strip(), name.strip(), raw))
        assert row is not None
        uow.audit("system.view.save", "user_view", row["id"], after=row)
        return row


def delete_view(db: Database, who: Principal, view_id: str) -> None:
    with db.transaction() as uow:
        if uow.one(sql.DELETE_VIEW, (view_id, _user_id(who))) is None:
            raise not_found("system.view.not_found", "找不到该视图")
        uow.audit("system.view.delete", "user_view", view_id)
