"""Who is calling, what they may do and which stores they see: resolved from a bearer token
or an API key on every request, from the cache (invalidated on change) so that the check and
the scope set-up stay well under a millisecond."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from ucm import context
from ucm.db import Database
from ucm.errors import Problem
from ucm.identity import sql, tokens
from ucm.ports import Cache

log = logging.getLogger(__name__)

GRANTS_TTL_S = 30.0  # region → store expansion follows store moves within this time
SESSION_TTL_S = 60.0
API_KEY_TOUCH_S = 60.0  # last_used_at is written at most once a minute per key


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "api_key"
    id: str
    name: str
    permissions: frozenset[str]
    all_stores: bool
    store_ids: frozenset[str]
    session_id: str | None = None
    region_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        return f"{'user' if self.kind == 'user' else 'apikey'}:{self.id}"

    @property
    def scope(self) -> context.Scope:
        return context.Scope.global_() if self.all_stores else context.Scope(store_ids=self.store_ids)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def context(self, trace_id: str, source_ip: str | None, function: str | None = None) -> context.Context:
        return context.Context(trace_id=trace_id, actor=self.actor, source_ip=source_ip, scope=self.scope,
                               function=function, permissions=self.permissions)


def unauthenticated(code: str = "auth.unauthenticated", title: str = "请先登录", detail: str | None = None) -> Problem:
    return Problem(401, code, title, detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(permission: str) -> Problem:
    return Problem(403, "auth.forbidden", "您没有执行此操作的权限", f"需要权限 {permission}")


@dataclass(frozen=True)
class Grants:
    username: str
    display_name: str
    active: bool
    permissions: frozenset[str]
    all_stores: bool
    store_ids: frozenset[str]
    region_ids: frozenset[str]

    def to_json(self) -> bytes:
        return json.dumps({"u": self.username, "d": self.display_name, "a": self.active,
                           "p": sorted(self.permissions), "g": self.all_stores, "s": sorted(self.store_ids),
                           "r": sorted(self.region_ids)}, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Grants:
        d: dict[str, Any] = json.loads(raw)
        return cls(d["u"], d["d"], d["a"], frozenset(d["p"]), d["g"], frozenset(d["s"]), frozenset(d["r"]))


def cache_get(cache: Cache, key: str) -> bytes | None:
    """A cache that is down only costs speed: the database answers instead."""
    try:
        return cache.get(key)
    except ConnectionError:
        log.warning("cache unavailable; reading from the database", extra={"fields": {"key": key.split(":")[0]}})
        return None


def cache_set(cache: Cache, key: str, value: bytes, ttl_s: float) -> None:
    with contextlib.suppress(ConnectionError):
        cache.set(key, value, ttl_s)


def grants_key(user_id: str) -> str:
    return f"grants:{user_id}"


def load_grants(db: Database, user_id: str) -> Grants | None:
    with db.transaction(context.system("identity")) as uow:
        rows = uow.all(sql.USER_GRANTS, (user_id,))
    if not rows:
        return None
    perms: set[str] = set()
    stores: set[str] = set()
    regions: set[str] = set()
    all_stores = False
    for r in rows:
        if r["role_code"] is None:
            continue
        perms.update(r["permissions"] or [])
        if r["scope_type"] == "global":
            all_stores = True
        elif r["scope_type"] == "regions":
            regions.update(r["scope_ids"] or [])
        stores.update(r["store_ids"] or [])
    first = rows[0]
    return Grants(first["username"], first["display_name"], first["status"] == "active", frozenset(perms),
                  all_stores, frozenset(stores), frozenset(regions))


def cached_grants(db: Database, cache: Cache, user_id: str) -> Grants | None:
    raw = cache_get(cache, grants_key(user_id))
    if raw is not None:
        return Grants.from_json(raw)
    grants = load_grants(db, user_id)
    if grants is not None:
        cache_set(cache, grants_key(user_id), grants.to_json(), GRANTS_TTL_S)
    return grants


def cache_delete(cache: Cache, *keys: str) -> None:
    """Invalidation after a committed change; with the cache down, entries expire by TTL."""
    if keys:
        with contextlib.suppress(ConnectionError):
            cache.delete(*keys)


def forget_grants(cache: Cache, *user_ids: str) -> None:
    cache_delete(cache, *(grants_key(u) for u in user_ids))


def session_key(session_id: str) -> str:
    return f"session:{session_id}"


def session_live(db: Database, cache: Cache, session_id: str) -> bool:
    raw = cache_get(cache, session_key(session_id))
    if raw is not None:
        return raw == b"1"
    with db.transaction(context.system("identity")) as uow:
        row = uow.one(sql.SESSION_STATE, (session_id,))
    live = bool(row and row["live"])
    cache_set(cache, session_key(session_id), b"1" if live else b"0", SESSION_TTL_S)
    return live


def from_bearer(db: Database, cache: Cache, secret: str, token: str) -> Principal:
    try:
        claims = tokens.read_access(secret, token)
    except tokens.TokenError as exc:
        if exc.reason == "expired":
            raise unauthenticated("auth.token_expired", "登录已过期，请重新登录") from None
        raise unauthenticated("auth.token_invalid", "登录凭证无效，请重新登录") from None
    if not session_live(db, cache, claims.session_id):
        raise unauthenticated("auth.token_revoked", "您已退出登录，请重新登录")
    grants = cached_grants(db, cache, claims.user_id)
    if grants is None or not grants.active:
        raise unauthenticated("auth.user_disabled", "账号已停用")
    return Principal("user", claims.user_id, grants.display_name, grants.permissions, grants.all_stores,
                     grants.store_ids, claims.session_id, grants.region_ids)


API_KEY_PREFIX = "ucm_"


def api_key_key(prefix: str) -> str:
    return f"apikey:{prefix}"


def from_api_key(db: Database, cache: Cache, key: str) -> Principal:
    if not key.startswith(API_KEY_PREFIX) or "." not in key:
        raise unauthenticated("auth.api_key_invalid", "API 密钥无效")
    prefix = key.split(".", 1)[0]
    raw = cache_get(cache, api_key_key(prefix))
    if raw is None:
        with db.transaction(context.system("identity")) as uow:
            row = uow.one(sql.API_KEY_BY_PREFIX, (prefix,))
        if row is None:
            raise unauthenticated("auth.api_key_invalid", "API 密钥无效")
        data = {"id": row["id"], "name": row["name"], "hash": row["key_hash"], "p": row["permissions"],
                "g": row["scope_type"] == "global", "s": row["store_ids"], "revoked": row["revoked_at"] is not None}
        raw = json.dumps(data, ensure_ascii=False).encode()
        cache_set(cache, api_key_key(prefix), raw, GRANTS_TTL_S)
    data = json.loads(raw)
    if not hmac.compare_digest(data["hash"], tokens.digest(key)):
        raise unauthenticated("auth.api_key_invalid", "API 密钥无效")
    if data["revoked"]:
        raise unauthenticated("auth.api_key_revoked", "API 密钥已被吊销")
    touched = f"apikey:touched:{data['id']}"
    if cache_get(cache, touched) is None:
        cache_set(cache, touched, b"1", API_KEY_TOUCH_S)
        with db.transaction(context.system("identity")) as uow:
            uow.execute(sql.TOUCH_API_KEY, (data["id"],))
    return Principal("api_key", data["id"], data["name"], frozenset(data["p"]), data["g"], frozenset(data["s"]))


def authenticate(db: Database, cache: Cache, secret: str, authorization: str | None) -> Principal:
    if not authorization:
        raise unauthenticated()
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and credential:
        return from_bearer(db, cache, secret, credential.strip())
    if scheme.lower() == "apikey" and credential:
        return from_api_key(db, cache, credential.strip())
    raise unauthenticated("auth.scheme", "不支持的认证方式", "使用 Authorization: Bearer <token> 或 ApiKey <key>")
