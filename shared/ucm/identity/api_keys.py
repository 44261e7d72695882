"""API keys for machines: shown once, stored hashed, scoped, revocable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ucm.db import Database
from ucm.errors import not_found
from ucm.identity import sql, tokens
from ucm.identity.grants import Refused, audited, check_grant
from ucm.identity.principal import API_KEY_PREFIX, Principal, api_key_key, cache_delete
from ucm.identity.roles import check_permissions
from ucm.ports import Cache

# --- API keys --------------------------------------------------------------------------------


def list_api_keys(db: Database) -> dict[str, Any]:
    with db.transaction() as uow:
        return {"items": uow.all(sql.LIST_API_KEYS), "next_cursor": None}


def create_api_key(db: Database, who: Principal, name: str, perms: Sequence[str], scope_type: str,
                   scope_ids: Sequence[str]) -> dict[str, Any]:
    codes = check_permissions(perms)
    prefix = API_KEY_PREFIX + tokens.new_secret()[:8].replace("-", "x").replace("_", "x")
    key = f"{prefix}.{tokens.new_secret()}"
    try:
        with db.transaction() as uow:
            check_grant(uow, who, codes, scope_type, scope_ids, f"api_key:{name}")
            row = uow.one(sql.INSERT_API_KEY, (name.strip(), prefix, tokens.digest(key), codes, scope_type,
                                               list(scope_ids), who.actor))
            assert row is not None
            uow.audit("system.apikey.create", "api_key", row["id"],
                      after={"name": row["name"], "prefix": prefix, "permissions": codes,
                             "scope_type": scope_type, "scope_ids": list(scope_ids)})
    except Refused as r:
        raise audited(db, r) from None
    return {**row, "key": key}


def revoke_api_key(db: Database, cache: Cache, who: Principal, key_id: str) -> None:
    with db.transaction() as uow:
        row = uow.one(sql.REVOKE_API_KEY, (key_id,))
        if row is None:
            if uow.one(sql.API_KEY_EXISTS, (key_id,)) is None:
                raise not_found("system.apikey.not_found", "找不到该 API 密钥")
            return  # already revoked: revoking again changes nothing
        uow.audit("system.apikey.revoke", "api_key", key_id)
    cache_delete(cache, api_key_key(row["prefix"]))
