"""Store isolation, enforced by the database and checked end to end.

1. RLS itself: as a store manager of A, a query with no WHERE sees no row of store B, and an
   INSERT of a store-B row is refused — on both PostgreSQL servers.
2. Every table with a ``store_id`` has RLS (and the migrator refuses to finish otherwise).
3. The isolation matrix: for every HTTP route of every function (a route missing here fails
   the test, so each new module must add its own) and every scoped role, a caller scoped to
   store A never sees, counts, exports or changes data of store B; single objects outside the
   scope are 404, not 403, so ids do not leak.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from ucm import bootstrap, context, migrate, rls
from ucm.db import Database
from ucm.fc.discovery import load_functions
from ucm.fc.testing import HttpResult

from tests.conftest import container_for
from tests.integration.identity_world import World, world

# --- 1. RLS on both servers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def scoped_table(any_pg: tuple[str, str]) -> str:
    name = f"rls_probe_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(any_pg[0], autocommit=True) as conn:
        conn.execute(f"create table {name} (id serial primary key, store_id text not null, qty int)")
        conn.execute(f"select ucm_protect_store_rows('{name}')")  # the one step a module adds
        conn.execute(f"grant select, insert, update, delete on {name} to ucm_app")
        conn.execute(f"grant usage on sequence {name}_id_seq to ucm_app")
        conn.execute(f"insert into {name} (store_id, qty) values ('A', 1), ('A', 2), ('B', 30)")
    return name


def as_store(store: str) -> context.Context:
    return context.Context(trace_id="t", actor="user:mgr-a", scope=context.Scope.stores(store))


def test_query_without_where_sees_only_own_store(any_db: Database, scoped_table: str) -> None:
    with any_db.transaction(as_store("A")) as uow:
        rows = uow.all(f"select store_id, qty from {scoped_table} order by qty")  # type: ignore[arg-type]
        total = uow.one(f"select count(*) as n, sum(qty) as s from {scoped_table}")  # type: ignore[arg-type]
    assert rows == [{"store_id": "A", "qty": 1}, {"store_id": "A", "qty": 2}]
    assert total == {"n": 2, "s": 3}  # counts and sums leak nothing of B either


def test_insert_and_update_of_other_store_are_refused(any_db: Database, scoped_table: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege), any_db.transaction(as_store("A")) as uow:
        uow.execute(f"insert into {scoped_table} (store_id, qty) values ('B', 99)")  # type: ignore[arg-type]
    with any_db.transaction(as_store("A")) as uow:
        moved = uow.execute(f"update {scoped_table} set qty = 0 where store_id = 'B'")  # type: ignore[arg-type]
        assert moved.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            uow.execute(f"update {scoped_table} set store_id = 'B' where store_id = 'A'")  # type: ignore[arg-type]
    with any_db.transaction(context.system("test")) as uow:
        b = uow.all(f"select qty from {scoped_table} where store_id = 'B'")  # type: ignore[arg-type]
    assert b == [{"qty": 30}]


def test_no_scope_sees_nothing(any_db: Database, scoped_table: str) -> None:
    with any_db.transaction(context.Context(trace_id="t")) as uow:
        assert uow.all(f"select * from {scoped_table}") == []  # type: ignore[arg-type]


# --- 2. every store_id table has RLS ---------------------------------------------------------------


def test_every_store_scoped_table_has_rls(any_pg: tuple[str, str]) -> None:
    with psycopg.connect(any_pg[0]) as conn:
        assert rls.unprotected(conn) == []


def test_migrator_refuses_a_table_without_rls(any_pg: tuple[str, str], tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "postgres").mkdir()
    for f in migrate.load("postgres"):
        (root / "postgres" / f"{f.version}_{f.name}.sql").write_text(f.sql)
    (root / "postgres" / "9999_forgot.sql").write_text("create table forgot_rls (store_id text);")
    with pytest.raises(migrate.MigrationError, match="forgot_rls"):
        migrate.migrate_postgres(any_pg[0], "ucm_app", root=root)
    with psycopg.connect(any_pg[0], autocommit=True) as conn:
        conn.execute("drop table if exists forgot_rls")
        conn.execute("delete from schema_migrations where version = '9999'")


# --- 3. the isolation matrix --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    container_for(db, tmp_path_factory.mktemp("isolation"))
    yield world(db, load_functions()["system-api"])
    bootstrap.reset(None)


@dataclass
class Ids:
    """Objects of store B (and of its region) that a caller scoped to A must not reach."""

    store_b: str
    user_b: str
    binding_b: str


@pytest.fixture(scope="module")
def b_side(w: World) -> Ids:
    name = w.user("store_manager", "stores", [w.store_b])
    user = w.call("GET", "/system/users", w.admin_user, query={"q": name}).json()["items"][0]
    # Give store B some audit trail to hide: a store update.
    s = w.call("GET", f"/system/stores/{w.store_b}", w.admin_user).json()
    body = {k: s[k] for k in ("code", "name", "region_id", "address", "business_hours", "status", "timezone")}
    assert w.call("PUT", f"/system/stores/{w.store_b}", w.admin_user,
                  {**body, "address": "B 店新址", "version": s["version"]}).status_code == 200
    return Ids(w.store_b, user["id"], user["roles"][0]["binding_id"])


# Callers scoped to store A (or to region A, which holds A and A2 but not B).
SCOPED_ROLES = {
    "store_manager": ("stores", "store_a"),
    "area_manager": ("regions", "region_a"),
    "finance": ("stores", "store_a"),
    "bi_viewer": ("stores", "store_a"),
}


@pytest.fixture(scope="module")
def callers(w: World) -> dict[str, str]:
    out = {role: w.user(role, scope, [getattr(w, attr)]) for role, (scope, attr) in SCOPED_ROLES.items()}
    key = w.call("POST", "/system/api-keys", w.admin_user, {
        "name": "收银机 A", "permissions": ["system.store.read", "system.audit.read", "system.user.read"],
        "scope_type": "stores", "scope_ids": [w.store_a]}).json()["key"]
    out["api_key"] = key
    return out


def send(w: World, caller: str, method: str, path: str, body: object = None,
         query: dict[str, str] | None = None) -> HttpResult:
    if caller.startswith("ucm_"):
        return w.call(method, path, body=body, query=query, auth=f"ApiKey {caller}")
    return w.call(method, path, caller, body=body, query=query)


Check = Callable[[World, Ids, str], None]


def no_b_in(text: str, ids: Ids) -> bool:
    return ids.store_b not in text and ids.user_b not in text and ids.binding_b not in text


def lists_without_b(path: str, query: dict[str, str] | None = None) -> Check:
    def check(w: World, ids: Ids, caller: str) -> None:
        r = send(w, caller, "GET", path, query=query)
        assert r.status_code in (200, 403), r.text
        assert no_b_in(r.text, ids), f"{path} leaked store B data"
    return check


def hidden(method: str, path: str, body: object = None) -> Check:
    """Reaching a B object: 404 (or 403 when the caller lacks the permission altogether)."""

    def check(w: World, ids: Ids, caller: str) -> None:
        r = send(w, caller, method, path.format(store=ids.store_b, user=ids.user_b, binding=ids.binding_b),
                 body=body)
        assert r.status_code in (404, 403), r.text
        if r.status_code == 403:
            assert r.json()["code"] in ("auth.forbidden", "system.hq_only"), r.text
        assert no_b_in(r.text, ids)
    return check


def not_store_data(method: str, path: str) -> Check:
    """Global reference data (permissions, roles, regions) or the caller's own account."""

    def check(w: World, ids: Ids, caller: str) -> None:
        if method == "GET":
            r = send(w, caller, method, path)
            assert r.status_code in (200, 403), r.text
            assert no_b_in(r.text, ids)
    return check


STORE_FIELDS = {"code": "X", "name": "X", "region_id": None, "address": "", "business_hours": "07:00-23:00",
                "status": "active", "timezone": "Asia/Shanghai", "version": 1}

MATRIX: dict[tuple[str, str], Check] = {
    ("GET", "/health"): not_store_data("GET", "/health"),
    ("POST", "/system/uploads"): not_store_data("POST", "/system/uploads"),
    ("POST", "/auth/login"): not_store_data("POST", "/auth/login"),
    ("POST", "/auth/refresh"): not_store_data("POST", "/auth/refresh"),
    ("POST", "/auth/logout"): not_store_data("POST", "/auth/logout"),
    ("GET", "/auth/me"): lists_without_b("/auth/me"),
    ("POST", "/auth/password"): not_store_data("POST", "/auth/password"),
    ("POST", "/auth/totp/setup"): not_store_data("POST", "/auth/totp/setup"),
    ("POST", "/auth/totp/enable"): not_store_data("POST", "/auth/totp/enable"),
    ("GET", "/system/users"): lists_without_b("/system/users", {"limit": "500"}),
    ("POST", "/system/users"): not_store_data("POST", "/system/users"),  # grants: test_identity
    ("GET", "/system/users/{user_id}"): hidden("GET", "/system/users/{user}"),
    ("PUT", "/system/users/{user_id}"): hidden("PUT", "/system/users/{user}",
                                                {"display_name": "x", "status": "disabled", "version": 1}),
    ("POST", "/system/users/{user_id}/bindings"): hidden("POST", "/system/users/{user}/bindings",
                                                         {"role_code": "bi_viewer", "scope_type": "global"}),
    ("DELETE", "/system/users/{user_id}/bindings/{binding_id}"): hidden(
        "DELETE", "/system/users/{user}/bindings/{binding}"),
    ("POST", "/system/users/{user_id}/password"): hidden("POST", "/system/users/{user}/password",
                                                         {"password": "Hacked@2026x"}),
    ("GET", "/system/permissions"): not_store_data("GET", "/system/permissions"),
    ("GET", "/system/roles"): not_store_data("GET", "/system/roles"),
    ("POST", "/system/roles"): not_store_data("POST", "/system/roles"),
    ("PUT", "/system/roles/{code}"): not_store_data("PUT", "/system/roles/{code}"),
    ("GET", "/system/regions"): not_store_data("GET", "/system/regions"),
    ("POST", "/system/regions"): not_store_data("POST", "/system/regions"),
    ("PUT", "/system/regions/{region_id}"): not_store_data("PUT", "/system/regions/{region_id}"),
    ("DELETE", "/system/regions/{region_id}"): not_store_data("DELETE", "/system/regions/{region_id}"),
    ("GET", "/system/stores"): lists_without_b("/system/stores", {"limit": "500"}),
    ("POST", "/system/stores"): not_store_data("POST", "/system/stores"),
    ("GET", "/system/stores/{store_id}"): hidden("GET", "/system/stores/{store}"),
    ("PUT", "/system/stores/{store_id}"): hidden("PUT", "/system/stores/{store}", STORE_FIELDS),
    ("GET", "/system/api-keys"): lists_without_b("/system/api-keys"),
    ("POST", "/system/api-keys"): not_store_data("POST", "/system/api-keys"),
    ("DELETE", "/system/api-keys/{key_id}"): not_store_data("DELETE", "/system/api-keys/{key_id}"),
    ("GET", "/system/audit"): lists_without_b("/system/audit", {"limit": "500"}),
}
# Exports go through the same gate: the CSV of the audit log, as a scoped caller downloads it.
EXPORTS = [("/system/audit", {"format": "csv"})]


def all_routes() -> set[tuple[str, str]]:
    return {(m, r.path) for app in load_functions().values() for r in app.routes for m in r.methods}


def test_every_route_is_in_the_matrix() -> None:
    assert all_routes() == set(MATRIX), "add the new routes to MATRIX (and their isolation check)"


@pytest.mark.parametrize("role", [*SCOPED_ROLES, "api_key"])
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_matrix(w: World, b_side: Ids, callers: dict[str, str], role: str, route: tuple[str, str]) -> None:
    MATRIX[route](w, b_side, callers[role])


@pytest.mark.parametrize("role", [*SCOPED_ROLES, "api_key"])
def test_exports_hold_no_store_b_rows(w: World, b_side: Ids, callers: dict[str, str], role: str) -> None:
    for path, query in EXPORTS:
        r = send(w, callers[role], "GET", path, query=query)
        assert r.status_code in (200, 403)
        assert no_b_in(r.text, b_side)


def test_hq_sees_store_b(w: World, b_side: Ids) -> None:
    """The matrix would pass vacuously if B's data were not there at all."""
    stores = w.call("GET", "/system/stores", w.admin_user, query={"limit": "500"}).text
    audit = w.call("GET", "/system/audit", w.admin_user, query={"store_id": b_side.store_b}).json()["items"]
    assert b_side.store_b in stores and audit
    assert w.call("GET", f"/system/users/{b_side.user_b}", w.admin_user).status_code == 200
    assert json.loads(w.call("GET", f"/system/stores/{b_side.store_b}", w.admin_user).text)["id"] == b_side.store_b


