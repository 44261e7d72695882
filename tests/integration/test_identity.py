"""Identity and access through the system API's FC entry point, against real PostgreSQL:
login, lockout, second factor, refresh, logout, API keys, grants, roles, stores, audit."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

import psycopg
import pytest
from ucm import bootstrap, context
from ucm.db import Database
from ucm.fc.discovery import load_functions
from ucm.identity import tokens, totp

from tests.conftest import container_for
from tests.integration.identity_world import PASSWORD, World, uniq, world


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    container_for(db, tmp_path_factory.mktemp("identity"))
    yield world(db, load_functions()["system-api"])
    bootstrap.reset(None)


def audit_rows(db: Database, action: str, target: str | None = None) -> list[dict[str, object]]:
    with db.transaction(context.system("test")) as uow:
        return uow.all("select actor, action, target_id, after, source_ip from audit_log where action = %s"
                       " and (%s::text is null or target_id = %s) order by id", (action, target, target))


# --- login ---------------------------------------------------------------------------------------


def test_login_me_and_tokens(w: World) -> None:
    r = w.login(w.admin_user)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == tokens.ACCESS_TTL_S
    me = w.call("GET", "/auth/me", auth=f"Bearer {body['access_token']}").json()
    assert me["username"] == w.admin_user and me["all_stores"] is True
    assert "system.user.write" in me["permissions"]
    assert {w.store_a, w.store_b} <= {s["id"] for s in me["stores"]}
    assert audit_rows(w.db, "auth.login", me["id"])


@pytest.mark.parametrize(("username", "password"), [("nobody_here", PASSWORD), (None, "wrong-password-1")])
def test_wrong_credentials_are_one_clear_error_and_audited(w: World, username: str | None, password: str) -> None:
    name = username or w.user("bi_viewer", "global", [])
    r = w.login(name, password)
    assert r.status_code == 401 and r.json()["code"] == "auth.invalid_credentials"
    assert r.json()["title"] == "用户名或密码错误"
    assert any(a["after"] and a["after"]["reason"] in ("unknown_user", "password")  # type: ignore[index]
               for a in audit_rows(w.db, "auth.login.failed"))


def test_lockout_after_repeated_failures(w: World) -> None:
    name = w.user("bi_viewer", "global", [])
    codes = [w.login(name, "Wrong-pass-9").json()["code"] for _ in range(5)]
    assert codes == ["auth.invalid_credentials"] * 4 + ["auth.locked"]
    r = w.login(name)  # even the right password is refused while locked
    assert r.status_code == 423 and r.json()["code"] == "auth.locked"


def test_totp_second_factor(w: World) -> None:
    name = w.user("finance", "global", [])
    token = w.token(name)
    setup = w.call("POST", "/auth/totp/setup", auth=f"Bearer {token}").json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    bad = w.call("POST", "/auth/totp/enable", body={"code": "000000"}, auth=f"Bearer {token}")
    assert bad.status_code == 400 and bad.json()["code"] == "auth.totp_invalid"
    ok = w.call("POST", "/auth/totp/enable", body={"code": totp.code_at(setup["secret"], time.time())},
                auth=f"Bearer {token}")
    assert ok.status_code == 204
    assert w.login(name).json()["code"] == "auth.totp_required"
    assert w.login(name, totp_code="123456").json()["code"] == "auth.totp_invalid"
    assert w.login(name, totp_code=totp.code_at(setup["secret"], time.time())).status_code == 200


def test_totp_rfc6238_vector() -> None:
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.code_at(secret, 59) == "287082"  # RFC 6238 appendix B (SHA-1, 8 digits → last 6)


def test_refresh_rotates_and_logout_really_revokes(w: World) -> None:
    name = w.user("bi_viewer", "global", [])
    first = w.login(name).json()
    second = w.call("POST", "/auth/refresh", body={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    reused = w.call("POST", "/auth/refresh", body={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and reused.json()["code"] == "auth.refresh_invalid"
    access = second.json()["access_token"]
    assert w.call("GET", "/auth/me", auth=f"Bearer {access}").status_code == 200
    assert w.call("POST", "/auth/logout", auth=f"Bearer {access}").status_code == 204
    after = w.call("GET", "/auth/me", auth=f"Bearer {access}")
    assert after.status_code == 401 and after.json()["code"] == "auth.token_revoked"
    gone = w.call("POST", "/auth/refresh", body={"refresh_token": second.json()["refresh_token"]})
    assert gone.status_code == 401


@pytest.mark.parametrize(("auth", "code"), [
    (None, "auth.unauthenticated"),
    ("Bearer not-a-token", "auth.token_invalid"),
    ("Basic dXNlcjpwYXNz", "auth.scheme"),
    ("ApiKey ucm_nope.nope", "auth.api_key_invalid"),
])
def test_missing_or_bad_credentials(w: World, auth: str | None, code: str) -> None:
    r = w.call("GET", "/system/stores", auth=auth) if auth else w.call("GET", "/system/stores")
    assert r.status_code == 401 and r.json()["code"] == code and r.json()["title"]


def test_forged_and_expired_tokens(w: World) -> None:
    real = w.token(w.admin_user)
    claims = tokens.read_access(w_secret(), real)
    forged, _ = tokens.issue_access("some-other-secret", claims.user_id, claims.session_id)
    r = w.call("GET", "/auth/me", auth=f"Bearer {forged}")
    assert r.status_code == 401 and r.json()["code"] == "auth.token_invalid"
    expired, _ = tokens.issue_access(w_secret(), claims.user_id, claims.session_id, now=time.time() - 3600)
    r = w.call("GET", "/auth/me", auth=f"Bearer {expired}")
    assert r.status_code == 401 and r.json()["code"] == "auth.token_expired"


def w_secret() -> str:
    return bootstrap.container().settings.app.secret


def test_password_policy_and_change(w: World) -> None:
    name = w.user("bi_viewer", "global", [])
    weak = w.call("POST", "/auth/password", name, {"old_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 400 and weak.json()["code"] == "auth.password_policy"
    assert weak.json()["errors"][0]["field"] == "new_password"
    ok = w.call("POST", "/auth/password", name, {"old_password": PASSWORD, "new_password": "Better@2027x"})
    assert ok.status_code == 204
    assert w.login(name, "Better@2027x").status_code == 200


def test_passwords_never_reach_the_audit_log(w: World, db: Database) -> None:
    with db.transaction(context.system("test")) as uow:
        hits = uow.one("select count(*) as n from audit_log where before::text like %s or after::text like %s",
                       (f"%{PASSWORD}%", f"%{PASSWORD}%"))
    assert hits == {"n": 0}


# --- API keys ------------------------------------------------------------------------------------------


def test_api_key_lifecycle(w: World, db: Database) -> None:
    created = w.call("POST", "/system/api-keys", w.admin_user, {
        "name": "前台收银", "permissions": ["system.store.read"], "scope_type": "stores", "scope_ids": [w.store_a]})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("ucm_") and created.json()["prefix"] in key
    listed = w.call("GET", "/system/api-keys", w.admin_user).json()["items"]
    assert all("key" not in k and "key_hash" not in k for k in listed)  # shown once, stored hashed
    stores = w.call("GET", "/system/stores", auth=f"ApiKey {key}")
    assert stores.status_code == 200 and [s["id"] for s in stores.json()["items"]] == [w.store_a]
    with db.transaction(context.system("test")) as uow:
        used = uow.one("select last_used_at is not null as used from api_key where prefix = %s",
                       (created.json()["prefix"],))
    assert used == {"used": True}
    assert w.call("GET", "/system/users", auth=f"ApiKey {key}").status_code == 403
    assert w.call("DELETE", f"/system/api-keys/{created.json()['id']}", w.admin_user).status_code == 204
    r = w.call("GET", "/system/stores", auth=f"ApiKey {key}")
    assert r.status_code == 401 and r.json()["code"] == "auth.api_key_revoked"


# --- grants and scope ---------------------------------------------------------------------------------------


def test_area_manager_grants_within_region_only(w: World) -> None:
    area = w.user("area_manager", "regions", [w.region_a])
    mgr = w.user("store_manager", "stores", [w.store_a2], as_=area)  # inside the region: allowed
    assert mgr
    for scope_type, ids in (("global", []), ("stores", [w.store_b]), ("regions", [w.region_b])):
        r = w.call("POST", "/system/users", area, {
            "username": uniq("x"), "display_name": "越权", "password": PASSWORD,
            "bindings": [{"role_code": "store_manager", "scope_type": scope_type, "scope_ids": ids}]})
        assert r.status_code == 403 and r.json()["code"] == "system.grant.outside_scope", r.text
    escalate = w.call("POST", "/system/users", area, {
        "username": uniq("y"), "display_name": "提权", "password": PASSWORD,
        "bindings": [{"role_code": "hq_admin", "scope_type": "regions", "scope_ids": [w.region_a]}]})
    assert escalate.status_code == 403
    refused = audit_rows(w.db, "system.grant.refused")
    assert len(refused) >= 4
    users = {u["username"] for u in w.call("GET", "/system/users", area, query={"limit": "500"}).json()["items"]}
    assert mgr in users and w.admin_user not in users


def test_store_manager_sees_only_their_store(w: World) -> None:
    mgr = w.user("store_manager", "stores", [w.store_a])
    assert [s["id"] for s in w.call("GET", "/system/stores", mgr).json()["items"]] == [w.store_a]
    assert w.call("GET", f"/system/stores/{w.store_b}", mgr).status_code == 404
    me = w.call("GET", "/auth/me", mgr).json()
    assert [s["id"] for s in me["stores"]] == [w.store_a] and me["all_stores"] is False
    assert w.call("GET", "/system/users", mgr).status_code == 403


def test_store_update_conflicts_and_validation(w: World) -> None:
    s = w.call("GET", f"/system/stores/{w.store_a}", w.admin_user).json()
    body = {k: s[k] for k in ("code", "name", "region_id", "address", "business_hours", "status", "timezone")}
    ok = w.call("PUT", f"/system/stores/{w.store_a}", w.admin_user,
                {**body, "address": "新地址", "version": s["version"]})
    assert ok.status_code == 200 and ok.json()["version"] == s["version"] + 1
    stale = w.call("PUT", f"/system/stores/{w.store_a}", w.admin_user, {**body, "version": s["version"]})
    assert stale.status_code == 409 and stale.json()["code"] == "common.version_conflict"
    bad = w.call("PUT", f"/system/stores/{w.store_a}", w.admin_user,
                 {**body, "business_hours": "always", "timezone": "Mars/Base", "version": s["version"] + 1})
    assert bad.status_code == 400 and {e["field"] for e in bad.json()["errors"]} == {"business_hours", "timezone"}


def test_custom_roles(w: World) -> None:
    code = uniq("night").lower()
    r = w.call("POST", "/system/roles", w.admin_user, {"code": code, "name": "夜班", "permissions": ["orders.read"]})
    assert r.status_code == 201
    again = w.call("POST", "/system/roles", w.admin_user, {"code": code, "name": "x", "permissions": []})
    assert again.status_code == 409
    bad = w.call("POST", "/system/roles", w.admin_user,
                 {"code": uniq("r").lower(), "name": "x", "permissions": ["nope"]})
    assert bad.status_code == 400 and bad.json()["code"] == "system.role.permissions"
    builtin = w.call("PUT", "/system/roles/hq_admin", w.admin_user, {"name": "x", "permissions": [], "version": 1})
    assert builtin.status_code == 422 and builtin.json()["code"] == "system.role.builtin"
    upd = w.call("PUT", f"/system/roles/{code}", w.admin_user,
                 {"name": "夜班", "permissions": ["orders.read", "members.read"], "version": 1})
    assert upd.status_code == 200 and upd.json()["permissions"] == ["members.read", "orders.read"]


def test_disabling_a_user_ends_their_sessions(w: World) -> None:
    name = w.user("bi_viewer", "global", [])
    token = w.token(name)
    user = next(u for u in w.call("GET", "/system/users", w.admin_user, query={"q": name}).json()["items"])
    r = w.call("PUT", f"/system/users/{user['id']}", w.admin_user,
               {"display_name": user["display_name"], "status": "disabled", "version": user["version"]})
    assert r.status_code == 200
    assert w.call("GET", "/auth/me", auth=f"Bearer {token}").status_code == 401
    assert w.login(name).json()["code"] == "auth.user_disabled"


# --- audit ---------------------------------------------------------------------------------------------------


def test_audit_query_and_csv_export(w: World) -> None:
    name = w.user("bi_viewer", "global", [])
    page = w.call("GET", "/system/audit", w.admin_user, query={"action": "system.user.create", "limit": "500"})
    assert page.status_code == 200
    entry = next(a for a in page.json()["items"] if a["after"]["username"] == name)
    assert entry["actor"].startswith("user:") and entry["request_id"] and isinstance(entry["id"], str)
    assert entry["at"].endswith("+08:00")
    first = w.call("GET", "/system/audit", w.admin_user, query={"limit": "2"}).json()
    second = w.call("GET", "/system/audit", w.admin_user, query={"limit": "2", "cursor": first["next_cursor"]}).json()
    assert {a["id"] for a in first["items"]}.isdisjoint({a["id"] for a in second["items"]})
    export = w.call("GET", "/system/audit", w.admin_user, query={"action": "system.user.create", "format": "csv"})
    assert export.status_code == 200 and export.body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "操作人", "操作"] and any(name in ",".join(r) for r in rows[1:])


def test_audit_cannot_be_changed_by_the_app(db: Database) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction(context.system("test")) as uow:
        uow.execute("delete from audit_log")


def test_runner_demo_admin_password_follows_policy() -> None:
    from ucm import demo
    from ucm.identity import passwords

    assert passwords.policy_errors(demo.ADMIN_PASSWORD, demo.ADMIN_USER) == []




def test_regions_delete_only_when_empty(w: World) -> None:
    used = w.call("DELETE", f"/system/regions/{w.region_a}", w.admin_user)
    assert used.status_code == 422 and used.json()["code"] == "system.region.in_use"
    empty = w.call("POST", "/system/regions", w.admin_user, {"code": uniq("E"), "name": "空区域"}).json()
    assert w.call("DELETE", f"/system/regions/{empty['id']}", w.admin_user).status_code == 204
    assert w.call("DELETE", f"/system/regions/{empty['id']}", w.admin_user).status_code == 404
    mgr = w.user("area_manager", "regions", [w.region_b])
    assert w.call("DELETE", f"/system/regions/{w.region_b}", mgr).status_code == 403


def test_requests_still_work_when_the_cache_is_down(w: World) -> None:
    """Redis down costs speed, not logins: tokens are checked against the database."""
    from ucm.adapters.cache import RedisCache
    from ucm.identity.principal import authenticate

    token = w.token(w.admin_user)
    dead = RedisCache("redis://127.0.0.1:1/0", timeout_s=0.2)
    try:
        who = authenticate(w.db, dead, w_secret(), f"Bearer {token}")
        assert who.all_stores and who.can("system.user.write")
    finally:
        dead.close()
