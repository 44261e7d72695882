"""Login, refresh, logout, password and second factor. Failed attempts are counted and
audited in their own committed transaction (a refused login must still leave its trace)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ucm import context
from ucm.db import Database, UnitOfWork
from ucm.errors import Problem, bad_request
from ucm.identity import passwords, sql, tokens, totp
from ucm.identity.principal import Principal, cache_set, forget_grants, session_key, unauthenticated
from ucm.ports import Cache

MAX_FAILED = 5
LOCK_S = 15 * 60


@dataclass(frozen=True)
class Settings:
    secret: str
    require_totp_for_hq: bool = False


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    user: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "token_type": "Bearer", "expires_in": self.expires_in,
                "refresh_token": self.refresh_token, "user": self.user}


def _invalid() -> Problem:
    return unauthenticated("auth.invalid_credentials", "用户名或密码错误")


def _start_session(uow: UnitOfWork, cfg: Settings, user: dict[str, Any], source_ip: str | None,
                   user_agent: str | None) -> TokenPair:
    refresh = tokens.new_secret("r_")
    row = uow.one(sql.NEW_SESSION, (user["id"], tokens.digest(refresh), tokens.REFRESH_TTL_S, source_ip,
                                    (user_agent or "")[:300]))
    assert row is not None
    access, ttl = tokens.issue_access(cfg.secret, user["id"], row["id"])
    return TokenPair(access, ttl, refresh, {"id": user["id"], "username": user["username"],
                                            "display_name": user["display_name"]})


def login(db: Database, cfg: Settings, username: str, password: str, totp_code: str | None,
          user_agent: str | None = None) -> TokenPair:
    ctx = context.current()
    sysctx = replace(context.system("auth", ctx.trace_id, actor=f"login:{username[:64]}"), source_ip=ctx.source_ip)
    failure: Problem | None = None
    pair: TokenPair | None = None
    with context.use(sysctx), db.transaction(sysctx) as uow:
        user = uow.one(sql.USER_FOR_LOGIN, (username.strip(),))
        if user is None:
            passwords.verify(passwords.dummy_hash(), password)  # same answer time as a real user
            uow.audit("auth.login.failed", "app_user", username.strip()[:64], after={"reason": "unknown_user"})
            failure = _invalid()
        elif user["locked"]:
            uow.audit("auth.login.refused", "app_user", user["id"], after={"reason": "locked"})
            failure = Problem(423, "auth.locked", "账号已锁定，请稍后再试", "连续多次密码错误，账号锁定 15 分钟")
        elif user["status"] != "active":
            uow.audit("auth.login.refused", "app_user", user["id"], after={"reason": "disabled"})
            failure = unauthenticated("auth.user_disabled", "账号已停用，请联系管理员")
        elif not passwords.verify(user["password_hash"], password):
            failure = _failed(uow, user, "password")
        elif user["totp_enabled"] or (cfg.require_totp_for_hq and user["hq"]):
            if not user["totp_enabled"]:
                failure = Problem(403, "auth.totp_setup_required", "总部管理员须先启用动态验证码，请联系系统管理员")
            elif not totp_code:
                failure = unauthenticated("auth.totp_required", "请输入动态验证码")
            elif not totp.verify(user["totp_secret"], totp_code):
                failure = _failed(uow, user, "totp")
                if failure.code == "auth.invalid_credentials":
                    failure = unauthenticated("auth.totp_invalid", "动态验证码错误")
        if failure is None:
            assert user is not None
            rehashed = (passwords.hash_password(password) if passwords.needs_rehash(user["password_hash"])
                        else user["password_hash"])
            uow.execute(sql.LOGIN_OK, (rehashed, user["id"]))
            pair = _start_session(uow, cfg, user, ctx.source_ip, user_agent)
            uow.audit("auth.login", "app_user", user["id"])
    if failure is not None:
        raise failure
    assert pair is not None
    return pair


def _failed(uow: UnitOfWork, user: dict[str, Any], what: str) -> Problem:
    row = uow.one(sql.LOGIN_FAILED, {"id": user["id"], "max": MAX_FAILED, "lock": LOCK_S})
    locked = bool(row and row["locked"])
    uow.audit("auth.login.failed", "app_user", user["id"],
              after={"reason": what, "failed_logins": row["failed_logins"] if row else None, "locked": locked})
    if locked:
        return Problem(423, "auth.locked", "账号已锁定，请稍后再试", "连续多次密码错误，账号锁定 15 分钟")
    return _invalid()


def refresh(db: Database, cfg: Settings, refresh_token: str) -> TokenPair:
    ctx = context.system("auth", context.current().trace_id)
    with db.transaction(ctx) as uow:
        row = uow.one(sql.SESSION_BY_REFRESH, (tokens.digest(refresh_token),))
        if row is None or not row["live"] or row["status"] != "active":
            raise unauthenticated("auth.refresh_invalid", "登录已失效，请重新登录")
        new_refresh = tokens.new_secret("r_")
        uow.execute(sql.ROTATE_REFRESH, (tokens.digest(new_refresh), tokens.REFRESH_TTL_S, row["id"]))
        me = uow.one(sql.ME, (row["user_id"],))
        assert me is not None
    access, ttl = tokens.issue_access(cfg.secret, row["user_id"], row["id"])
    return TokenPair(access, ttl, new_refresh, {"id": me["id"], "username": me["username"],
                                                "display_name": me["display_name"]})


def logout(db: Database, cache: Cache, who: Principal) -> None:
    if who.session_id is None:
        return
    with db.transaction() as uow:
        uow.execute(sql.REVOKE_SESSION, (who.session_id,))
        uow.audit("auth.logout", "auth_session", who.session_id)
    cache_set(cache, session_key(who.session_id), b"0", 3600)


def revoke_user_sessions(uow: UnitOfWork, cache: Cache, user_id: str) -> None:
    for row in uow.all(sql.REVOKE_USER_SESSIONS, (user_id,)):
        cache_set(cache, session_key(row["id"]), b"0", 3600)
    forget_grants(cache, user_id)


def change_password(db: Database, who: Principal, old: str, new: str) -> None:
    with db.transaction() as uow:
        row = uow.one(sql.PASSWORD_ROW, (who.id,))
        if row is None or not passwords.verify(row["password_hash"], old):
            uow.audit("auth.password.failed", "app_user", who.id)
            failed = True
        else:
            failed = False
            errors = passwords.policy_errors(new, row["username"], "new_password")
            if errors:
                raise bad_request("auth.password_policy", "新密码不符合要求", errors=errors)
            uow.execute(sql.SET_PASSWORD, (passwords.hash_password(new), False, who.id))
            uow.audit("auth.password.change", "app_user", who.id)
    if failed:
        raise _invalid()


def totp_setup(db: Database, who: Principal, username: str) -> dict[str, str]:
    secret = totp.new_secret()
    with db.transaction() as uow:
        uow.execute(sql.SET_TOTP_SECRET, (secret, who.id))
        uow.audit("auth.totp.setup", "app_user", who.id)
    return {"secret": secret, "otpauth_uri": totp.uri(secret, username)}


def totp_enable(db: Database, who: Principal, code: str) -> None:
    with db.transaction() as uow:
        row = uow.one(sql.TOTP_ROW, (who.id,))
        if row is None or not row["totp_secret"] or not totp.verify(row["totp_secret"], code):
            raise bad_request("auth.totp_invalid", "动态验证码错误，请核对手机上的验证码")
        uow.execute(sql.ENABLE_TOTP, (who.id,))
        uow.audit("auth.totp.enable", "app_user", who.id)


def me(db: Database, who: Principal) -> dict[str, Any]:
    with db.transaction() as uow:
        user = uow.one(sql.ME, (who.id,))
        if user is None:
            raise unauthenticated()
        roles = uow.all(sql.BINDINGS_OF, ([who.id],))
        stores = uow.all(sql.LIST_STORES, {"region": None, "status": None, "q": None, "after": None,
                                           "limit": 10_000})
    return {
        **user,
        "permissions": sorted(who.permissions),
        "all_stores": who.all_stores,
        "stores": [{"id": s["id"], "code": s["code"], "name": s["name"], "region_id": s["region_id"]}
                   for s in stores],
        "roles": [{k: v for k, v in r.items() if k != "user_id"} for r in roles],
    }
