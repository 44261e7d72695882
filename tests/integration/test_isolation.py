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
from tests.integration.identity_world import World, uniq, world

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
    sku_b: str = ""  # a SKU local to store B
    barcode_b: str = ""
    price_b: str = ""  # store B's own price of an HQ-wide SKU
    sku_hq: str = ""  # an HQ-wide SKU: visible to all, but B's rows on it are not
    move_b: str = ""  # a stock move of store B (its ledger rows and balance on sku_hq)


@pytest.fixture(scope="module")
def b_side(w: World) -> Ids:
    name = w.user("store_manager", "stores", [w.store_b])
    user = w.call("GET", "/system/users", w.admin_user, query={"q": name}).json()["items"][0]
    # Give store B some audit trail to hide: a store update.
    s = w.call("GET", f"/system/stores/{w.store_b}", w.admin_user).json()
    body = {k: s[k] for k in ("code", "name", "region_id", "address", "business_hours", "status", "timezone")}
    assert w.call("PUT", f"/system/stores/{w.store_b}", w.admin_user,
                  {**body, "address": "B 店新址", "version": s["version"]}).status_code == 200
    ids = Ids(w.store_b, user["id"], user["roles"][0]["binding_id"])
    _catalog_b_side(w, ids)
    _inventory_b_side(w, ids)
    return ids


def _catalog_b_side(w: World, ids: Ids) -> None:
    from ucm.catalog.barcodes import gtin_check_digit

    cat = w.call("POST", "/catalog/categories", w.admin_user, {"code": uniq("C"), "name": uniq("类目")}).json()
    base = {"name": "B 店自制豆浆", "category_id": cat["id"], "tax_rate": "9%", "status": "active",
            "standard_price": "4.00"}
    hq = w.call("POST", "/catalog/sku", w.admin_user, {**base, "code": uniq("HQ"), "name": "总部商品"})
    assert hq.status_code == 201, hq.text
    body12 = f"69{uuid.uuid4().int % 10**10:010d}"
    ids.barcode_b = body12 + gtin_check_digit(body12)
    local = w.call("POST", "/catalog/sku", w.admin_user, {**base, "code": uniq("B"), "store_id": ids.store_b,
                                                            "barcodes": [{"code": ids.barcode_b}]})
    assert local.status_code == 201, local.text
    price = w.call("POST", f"/catalog/sku/{hq.json()['id']}/prices", w.admin_user,
                   {"store_id": ids.store_b, "kind": "standard", "amount": "3.90"})
    assert price.status_code == 201, price.text
    guard = w.call("PUT", "/catalog/price-guards", w.admin_user,
                   {"store_id": ids.store_b, "max_down_pct": "10", "max_up_pct": "10"})
    assert guard.status_code == 200, guard.text
    ids.sku_hq, ids.sku_b, ids.price_b = hq.json()["id"], local.json()["id"], price.json()["id"]


def _inventory_b_side(w: World, ids: Ids) -> None:
    r = w.call("POST", "/inventory/move", w.admin_user, {
        "store_id": ids.store_b, "reason": "purchase_receipt", "idempotency_key": uuid.uuid4().hex,
        "lines": [{"sku_id": ids.sku_hq, "quantity": 5}, {"sku_id": ids.sku_b, "quantity": 3}]})
    assert r.status_code == 200, r.text
    ids.move_b = r.json()["move_id"]
    seen = w.call("GET", "/inventory/ledger", w.admin_user, query={"store_id": ids.store_b}).json()["items"]
    assert {x["move_id"] for x in seen} == {ids.move_b}  # the checks below would otherwise pass vacuously


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
    return all(v not in text for v in (ids.store_b, ids.user_b, ids.binding_b, ids.sku_b, ids.barcode_b,
                                       ids.price_b, ids.move_b) if v)


def lists_without_b(path: str, query: dict[str, str] | None = None) -> Check:
    def check(w: World, ids: Ids, caller: str) -> None:
        r = send(w, caller, "GET", path, query=query)
        assert r.status_code in (200, 403), r.text
        assert no_b_in(r.text, ids), f"{path} leaked store B data"
    return check


def _fill(template: object, ids: Ids) -> object:
    if isinstance(template, str):
        return template.format(store=ids.store_b, user=ids.user_b, binding=ids.binding_b, sku=ids.sku_b,
                               barcode=ids.barcode_b, price=ids.price_b, sku_hq=ids.sku_hq)
    if isinstance(template, dict):
        return {k: _fill(v, ids) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, ids) for v in template]
    return template


# Refusals that name no object: the permission is missing, or the action is HQ's or the store's.
REFUSALS = ("auth.forbidden", "system.hq_only", "catalog.sku.hq_only", "catalog.sku.store_scope",
            "catalog.price.hq_only", "catalog.price.store_scope")


def assert_refused(r: HttpResult, ids: Ids) -> None:
    """Not found (or, without the permission altogether, a refusal), naming nothing of B."""
    assert r.status_code in (404, 403), r.text
    if r.status_code == 403:
        assert r.json()["code"] in REFUSALS, r.text
    assert no_b_in(r.text, ids)


def hidden(method: str, path: str, body: object = None, query: dict[str, str] | None = None) -> Check:
    """Reaching a B object: 404 (or 403 when the caller lacks the permission altogether)."""

    def check(w: World, ids: Ids, caller: str) -> None:
        q = _fill(query, ids) if query else None
        r = send(w, caller, method, str(_fill(path, ids)), body=_fill(body, ids), query=q)  # type: ignore[arg-type]
        assert_refused(r, ids)
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
    ("GET", "/system/views"): lists_without_b("/system/views", {"page": "catalog.sku"}),
    ("PUT", "/system/views"): not_store_data("PUT", "/system/views"),
    ("DELETE", "/system/views/{view_id}"): not_store_data("DELETE", "/system/views/{view_id}"),
    # catalog: HQ-wide master data is shared; B's local SKUs, B's prices and B's guard are not.
    ("GET", "/catalog/sku"): lists_without_b("/catalog/sku", {"limit": "500", "sort": "-updated_at"}),
    ("POST", "/catalog/sku"): hidden("POST", "/catalog/sku", {
        "code": "X1", "name": "x", "category_id": "x", "tax_rate": "13%", "store_id": "{store}"}),
    ("POST", "/catalog/sku/batch-status"): hidden("POST", "/catalog/sku/batch-status",
                                                  {"ids": ["{sku}"], "status": "discontinued"}),
    ("GET", "/catalog/sku/{sku_id}"): hidden("GET", "/catalog/sku/{sku}"),
    ("PUT", "/catalog/sku/{sku_id}"): hidden("PUT", "/catalog/sku/{sku}", {
        "code": "X1", "name": "x", "category_id": "x", "tax_rate": "13%", "store_id": "{store}", "version": 1}),
    ("GET", "/catalog/sku/{sku_id}/history"): hidden("GET", "/catalog/sku/{sku}/history"),
    ("GET", "/catalog/barcodes/{code}"): hidden("GET", "/catalog/barcodes/{barcode}"),
    ("GET", "/catalog/categories"): lists_without_b("/catalog/categories"),
    ("POST", "/catalog/categories"): not_store_data("POST", "/catalog/categories"),
    ("PUT", "/catalog/categories/{category_id}"): not_store_data("PUT", "/catalog/categories/{category_id}"),
    ("DELETE", "/catalog/categories/{category_id}"): not_store_data("DELETE", "/catalog/categories/{id}"),
    ("GET", "/catalog/brands"): lists_without_b("/catalog/brands", {"limit": "500"}),
    ("POST", "/catalog/brands"): not_store_data("POST", "/catalog/brands"),
    ("PUT", "/catalog/brands/{brand_id}"): not_store_data("PUT", "/catalog/brands/{brand_id}"),
    ("DELETE", "/catalog/brands/{brand_id}"): not_store_data("DELETE", "/catalog/brands/{brand_id}"),
    ("GET", "/catalog/price"): hidden("GET", "/catalog/price", query={"sku_id": "{sku_hq}", "store_id": "{store}"}),
    ("GET", "/catalog/sku/{sku_id}/prices"): hidden("GET", "/catalog/sku/{sku_hq}/prices",
                                                    query={"store_id": "{store}"}),
    ("POST", "/catalog/sku/{sku_id}/prices"): hidden("POST", "/catalog/sku/{sku_hq}/prices", {
        "store_id": "{store}", "kind": "standard", "amount": "1.00"}),
    ("POST", "/catalog/prices/{price_id}/cancel"): hidden("POST", "/catalog/prices/{price}/cancel"),
    ("GET", "/catalog/price-guards"): lists_without_b("/catalog/price-guards"),
    ("PUT", "/catalog/price-guards"): hidden("PUT", "/catalog/price-guards", {
        "store_id": "{store}", "max_down_pct": "90", "max_up_pct": "90"}),
    ("GET", "/catalog/member-tiers"): not_store_data("GET", "/catalog/member-tiers"),
}

# imports: store B's import job (its file, rows, errors) is out of reach; saved column mappings
# and the template are shared reference data.
_B_IMPORT: dict[str, str] = {}


def _import_job_b(w: World, ids: Ids) -> str:
    """A parsed import job of store B (created once, by HQ, through the OSS trigger)."""
    if "id" not in _B_IMPORT:
        from ucm.fc.testing import Client

        r = w.call("POST", "/imports", w.admin_user, {"kind": "sku", "filename": "b.csv", "content_type": "text/csv",
                                                      "store_id": ids.store_b})
        assert r.status_code == 201, r.text
        key = r.json()["upload"]["key"]
        objects = bootstrap.container().objects
        info = objects.put(key, "商品编码,商品名称,类目,税率\nB1,豆浆,不存在,13%\n".encode(), "text/csv")
        Client(load_functions()["imports"]).events.oss(objects.bucket, key, size=info.size, etag=info.etag)
        _B_IMPORT["id"] = r.json()["job"]["id"]
        # The checks would pass vacuously if the job were not there, parsed, with rows.
        seen = w.call("GET", f"/imports/{_B_IMPORT['id']}/rows", w.admin_user).json()["items"]
        assert [x["action"] for x in seen] == ["error"]
    return _B_IMPORT["id"]


def import_b(method: str, suffix: str = "", body: object = None, query: dict[str, str] | None = None) -> Check:
    """Store B's job through ``/imports/{id}{suffix}``: 404 (or 403 without the permission)."""

    def check(w: World, ids: Ids, caller: str) -> None:
        job = _import_job_b(w, ids)
        r = send(w, caller, method, f"/imports/{job}{suffix}", body=body, query=query)
        assert_refused(r, ids)
        assert job not in r.text
    return check


def imports_listed_without_b(w: World, ids: Ids, caller: str) -> None:
    job = _import_job_b(w, ids)
    r = send(w, caller, "GET", "/imports", query={"limit": "500"})
    assert r.status_code in (200, 403), r.text
    assert no_b_in(r.text, ids) and job not in r.text


MATRIX.update({
    ("GET", "/imports"): imports_listed_without_b,
    ("POST", "/imports"): hidden("POST", "/imports", {"kind": "sku", "filename": "a.csv", "content_type": "text/csv",
                                                      "store_id": "{store}"}),
    ("GET", "/imports/template"): lists_without_b("/imports/template", {"format": "csv"}),
    ("GET", "/imports/mappings"): not_store_data("GET", "/imports/mappings"),
    ("DELETE", "/imports/mappings/{mapping_id}"): not_store_data("DELETE", "/imports/mappings/{mapping_id}"),
    ("GET", "/imports/{job_id}"): import_b("GET"),
    ("PUT", "/imports/{job_id}/mapping"): import_b("PUT", "/mapping", {"mapping": {"商品编码": "code"}}),
    ("GET", "/imports/{job_id}/rows"): import_b("GET", "/rows"),
    ("GET", "/imports/{job_id}/errors"): import_b("GET", "/errors", query={"format": "csv"}),
    ("POST", "/imports/{job_id}/commit"): import_b("POST", "/commit", {"version": 1}),
    ("POST", "/imports/{job_id}/rollback"): import_b("POST", "/rollback"),
    ("POST", "/imports/{job_id}/cancel"): import_b("POST", "/cancel"),
})

# images: store B's local SKU and its images are out of reach (404; 403 without the permission).
_B_IMAGE: dict[str, str] = {}


def _image_b(w: World, ids: Ids) -> str:
    """An image of store B's local SKU (attached once, by HQ, after a real upload)."""
    if "id" not in _B_IMAGE:
        import io

        from PIL import Image

        r = w.call("POST", f"/catalog/sku/{ids.sku_b}/images/uploads", w.admin_user,
                   {"filename": "b.png", "content_type": "image/png", "size": 100})
        assert r.status_code == 201, r.text
        out = io.BytesIO()
        Image.new("RGB", (64, 64), (0, 128, 255)).save(out, "PNG")
        bootstrap.container().objects.put(r.json()["key"], out.getvalue(), "image/png")
        img = w.call("POST", f"/catalog/sku/{ids.sku_b}/images", w.admin_user, {"key": r.json()["key"]})
        assert img.status_code == 201, img.text
        _B_IMAGE["id"] = img.json()["id"]
        # The checks would pass vacuously if B's SKU had no image.
        assert [i["id"] for i in w.call("GET", f"/catalog/sku/{ids.sku_b}/images", w.admin_user).json()["items"]] \
            == [_B_IMAGE["id"]]
    return _B_IMAGE["id"]


def image_b(method: str, suffix: str = "", body: object = None) -> Check:
    """Store B's SKU through ``/catalog/sku/{id}/images{suffix}``; ``{image}`` is B's image id."""

    def check(w: World, ids: Ids, caller: str) -> None:
        image = _image_b(w, ids)
        fill = {"image": image}
        b = {k: [x.format(**fill) for x in v] if isinstance(v, list) else v for k, v in (body or {}).items()} \
            if isinstance(body, dict) else body
        r = send(w, caller, method, f"/catalog/sku/{ids.sku_b}/images{suffix.format(**fill)}", body=b)
        assert_refused(r, ids)
        assert image not in r.text
    return check


MATRIX.update({
    ("GET", "/catalog/sku/{sku_id}/images"): image_b("GET"),
    ("POST", "/catalog/sku/{sku_id}/images/uploads"): image_b("POST", "/uploads", {
        "filename": "a.png", "content_type": "image/png", "size": 100}),
    ("POST", "/catalog/sku/{sku_id}/images"): image_b("POST", "", {"key": "catalog/images/x/" + "0" * 32 + ".png"}),
    ("PUT", "/catalog/sku/{sku_id}/images/order"): image_b("PUT", "/order", {"ids": ["{image}"]}),
    ("POST", "/catalog/sku/{sku_id}/images/{image_id}/main"): image_b("POST", "/{image}/main"),
    ("DELETE", "/catalog/sku/{sku_id}/images/{image_id}"): image_b("DELETE", "/{image}"),
})


def test_store_b_image_still_there(w: World, b_side: Ids, callers: dict[str, str]) -> None:
    """After every scoped caller tried to change it, B's image is unchanged (HQ sees it)."""
    image = _image_b(w, b_side)
    for caller in callers.values():
        send(w, caller, "DELETE", f"/catalog/sku/{b_side.sku_b}/images/{image}")
    items = w.call("GET", f"/catalog/sku/{b_side.sku_b}/images", w.admin_user).json()["items"]
    assert [(i["id"], i["is_main"]) for i in items] == [(image, True)]


# Exports go through the same gate: each CSV as a scoped caller downloads it.
# inventory: store B's balances, ledger, ATS and past stock are out of reach (404 when named,
# absent from lists); moving stock in B or setting its policy is refused without naming it.
MATRIX.update({
    ("POST", "/inventory/move"): hidden("POST", "/inventory/move", {
        "store_id": "{store}", "reason": "purchase_receipt", "idempotency_key": "iso-b",
        "lines": [{"sku_id": "{sku_hq}", "quantity": 1}]}),
    ("GET", "/inventory/stock"): lists_without_b("/inventory/stock", {"limit": "500"}),
    ("GET", "/inventory/ats"): hidden("GET", "/inventory/ats", query={"store_id": "{store}", "sku_id": "{sku_hq}"}),
    ("GET", "/inventory/ledger"): hidden("GET", "/inventory/ledger", query={"store_id": "{store}"}),
    ("GET", "/inventory/stock-as-of"): hidden("GET", "/inventory/stock-as-of",
                                              query={"store_id": "{store}", "at": "2100-01-01T00:00:00"}),
    ("PUT", "/inventory/policy"): hidden("PUT", "/inventory/policy", {"store_id": "{store}",
                                                                      "negative_stock": "allow"}),
})


def test_inventory_of_b_is_hidden_by_store_filter(w: World, b_side: Ids, callers: dict[str, str]) -> None:
    """Naming store B in the stock list is a 404, like any object outside the scope."""
    for role in ("store_manager", "area_manager", "finance", "bi_viewer"):
        r = send(w, callers[role], "GET", "/inventory/stock", query={"store_id": b_side.store_b})
        assert r.status_code == 404 and no_b_in(r.text, b_side), r.text
    assert b_side.store_b in w.call("GET", "/inventory/stock", w.admin_user, query={"store_id": b_side.store_b}).text


# inventory reservations, thresholds and alerts: store B's rows are 404 when named (by store or
# by id) and absent from lists; reserving in B or setting its thresholds is refused.
_B_RESERVATION: dict[str, str] = {}


def _reservation_b(w: World, ids: Ids) -> str:
    """An active reservation of store B (created once, by HQ)."""
    if "id" not in _B_RESERVATION:
        r = w.call("POST", "/inventory/reservations", w.admin_user, {
            "store_id": ids.store_b, "idempotency_key": uuid.uuid4().hex,
            "lines": [{"sku_id": ids.sku_hq, "quantity": 1}], "ttl_s": 7 * 24 * 3600})
        assert r.status_code == 201, r.text
        _B_RESERVATION["id"] = r.json()["items"][0]["id"]
    return _B_RESERVATION["id"]


def reservation_b(action: str) -> Check:
    def check(w: World, ids: Ids, caller: str) -> None:
        rid = _reservation_b(w, ids)
        r = send(w, caller, "POST", f"/inventory/reservations/{rid}/{action}")
        assert_refused(r, ids)
        listed = w.call("GET", "/inventory/reservations", w.admin_user, query={"store_id": ids.store_b}).json()
        assert {i["id"]: i["status"] for i in listed["items"]}[rid] == "active"  # untouched
    return check


_B_ALERT: dict[str, str] = {}


def _alert_b(w: World, ids: Ids) -> str:
    """An open negative-stock alert of store B (a sale beyond its stock, posted once by HQ)."""
    if "id" not in _B_ALERT:
        r = w.call("POST", "/inventory/move", w.admin_user, {
            "store_id": ids.store_b, "reason": "sale", "idempotency_key": uuid.uuid4().hex,
            "lines": [{"sku_id": ids.sku_b, "quantity": 100}]})
        assert r.status_code == 200, r.text
        got = w.call("GET", "/inventory/alerts", w.admin_user, query={"store_id": ids.store_b, "kind": "negative"})
        _B_ALERT["id"] = next(a["id"] for a in got.json()["items"] if a["sku_id"] == ids.sku_b)
    return _B_ALERT["id"]


def alert_b_ack(w: World, ids: Ids, caller: str) -> None:
    alert = _alert_b(w, ids)
    r = send(w, caller, "POST", f"/inventory/alerts/{alert}/ack")
    assert_refused(r, ids)
    assert alert not in r.text
    got = w.call("GET", "/inventory/alerts", w.admin_user, query={"store_id": ids.store_b}).json()["items"]
    assert {a["id"]: a["status"] for a in got}[alert] == "open"  # untouched


@pytest.mark.parametrize("role", [*SCOPED_ROLES, "api_key"])
def test_stock_export_holds_no_store_b_rows(w: World, b_side: Ids, callers: dict[str, str], role: str) -> None:
    """The export names stores and SKUs by code, not id: B's store code and B's own SKU's code
    must be absent (HQ's export has them, so the check is not vacuous)."""
    b_code = w.call("GET", f"/system/stores/{b_side.store_b}", w.admin_user).json()["code"]
    sku_code = w.call("GET", f"/catalog/sku/{b_side.sku_b}", w.admin_user).json()["code"]
    hq = w.call("GET", "/inventory/stock", w.admin_user, query={"format": "csv", "store_id": b_side.store_b})
    assert b_code in hq.text and sku_code in hq.text
    r = send(w, callers[role], "GET", "/inventory/stock", query={"format": "csv"})
    assert r.status_code in (200, 403), r.text
    assert b_code not in r.text and sku_code not in r.text and no_b_in(r.text, b_side)


MATRIX.update({
    ("PUT", "/inventory/thresholds"): hidden("PUT", "/inventory/thresholds", {"store_id": "{store}", "sku_id": None,
                                                                              "low_stock": 1}),
    ("GET", "/inventory/thresholds"): hidden("GET", "/inventory/thresholds", query={"store_id": "{store}"}),
    ("GET", "/inventory/alerts"): hidden("GET", "/inventory/alerts", query={"store_id": "{store}"}),
    ("POST", "/inventory/alerts/{alert_id}/ack"): alert_b_ack,
    ("POST", "/inventory/reservations"): hidden("POST", "/inventory/reservations", {
        "store_id": "{store}", "idempotency_key": "iso-b", "lines": [{"sku_id": "{sku_hq}", "quantity": 1}]}),
    ("GET", "/inventory/reservations"): hidden("GET", "/inventory/reservations", query={"store_id": "{store}"}),
    ("POST", "/inventory/reservations/{reservation_id}/release"): reservation_b("release"),
    ("POST", "/inventory/reservations/{reservation_id}/consume"): reservation_b("consume"),
})

# inventory transfers: a transfer between store B and another store of region B (a second one,
# created here: A's area manager covers A and A2) is seen by neither list nor id, and no action
# reaches it; creating a transfer out of B is refused.
_B_TRANSFER: dict[str, str] = {}


def _transfer_b(w: World, ids: Ids) -> dict[str, str]:
    """A shipped transfer from store B to store B2 (created once, by HQ)."""
    if not _B_TRANSFER:
        fields = {k: v for k, v in STORE_FIELDS.items() if k != "version"}
        b2 = w.call("POST", "/system/stores", w.admin_user, {**fields, "code": uniq("S"), "name": "天河二店",
                                                             "region_id": w.region_b})
        assert b2.status_code == 201, b2.text
        t = w.call("POST", "/inventory/transfers", w.admin_user, {
            "from_store_id": ids.store_b, "to_store_id": b2.json()["id"], "lines": [{"sku_id": ids.sku_hq,
                                                                                    "quantity": 1}]})
        assert t.status_code == 201, t.text
        shipped = w.call("POST", f"/inventory/transfers/{t.json()['id']}/ship", w.admin_user, {"version": 1})
        assert shipped.status_code == 200, shipped.text
        _B_TRANSFER.update(id=t.json()["id"], code=t.json()["code"], store=b2.json()["id"])
    return _B_TRANSFER


def transfer_b(method: str, suffix: str = "", body: object = None) -> Check:
    """Store B's transfer through ``/inventory/transfers/{id}{suffix}``: 404 (403 without the
    permission), and the transfer unchanged."""

    def check(w: World, ids: Ids, caller: str) -> None:
        t = _transfer_b(w, ids)
        r = send(w, caller, method, f"/inventory/transfers/{t['id']}{suffix}", body=_fill(body, ids))
        assert_refused(r, ids)
        assert t["code"] not in r.text and t["store"] not in r.text
        seen = w.call("GET", f"/inventory/transfers/{t['id']}", w.admin_user).json()
        assert (seen["status"], seen["version"]) == ("shipped", 2)  # untouched
    return check


def transfers_listed_without_b(w: World, ids: Ids, caller: str) -> None:
    t = _transfer_b(w, ids)
    for query in ({"limit": "500"}, {"direction": "in", "limit": "500"}, {"store_id": ids.store_b}):
        r = send(w, caller, "GET", "/inventory/transfers", query=query)
        assert r.status_code in (200, 403, 404), r.text
        assert no_b_in(r.text, ids) and t["id"] not in r.text and t["store"] not in r.text
        assert "天河二店" not in r.text and "天河测试店" not in r.text  # nor the stores' names
    assert t["id"] in w.call("GET", "/inventory/transfers", w.admin_user, query={"store_id": ids.store_b}).text


MATRIX.update({
    ("POST", "/inventory/transfers"): hidden("POST", "/inventory/transfers", {
        "from_store_id": "{store}", "to_store_id": "{store}", "lines": [{"sku_id": "{sku_hq}", "quantity": 1}]}),
    ("GET", "/inventory/transfers"): transfers_listed_without_b,
    ("GET", "/inventory/transfer-destinations"): hidden("GET", "/inventory/transfer-destinations",
                                                        query={"from_store_id": "{store}"}),
    ("GET", "/inventory/transfers/{transfer_id}"): transfer_b("GET"),
    ("POST", "/inventory/transfers/{transfer_id}/ship"): transfer_b("POST", "/ship", {"version": 2}),
    ("POST", "/inventory/transfers/{transfer_id}/receive"): transfer_b("POST", "/receive", {
        "idempotency_key": "iso-b", "lines": [{"sku_id": "{sku_hq}", "quantity": 1}]}),
    ("POST", "/inventory/transfers/{transfer_id}/close"): transfer_b("POST", "/close", {
        "version": 2, "discrepancy_reason": "short"}),
    ("POST", "/inventory/transfers/{transfer_id}/cancel"): transfer_b("POST", "/cancel", {"version": 2}),
})


# inventory stocktakes: store B's stocktake (in review, with a counted line) is seen by neither
# list nor id, and no action reaches it; creating one for B is refused without naming it.
_B_STOCKTAKE: dict[str, str] = {}


def _stocktake_b(w: World, ids: Ids) -> dict[str, str]:
    """A stocktake of store B in review (created, counted and submitted once, by HQ)."""
    if not _B_STOCKTAKE:
        st = w.call("POST", "/inventory/stocktakes", w.admin_user, {"store_id": ids.store_b, "category_ids": []})
        assert st.status_code == 201, st.text
        path = f"/inventory/stocktakes/{st.json()['id']}"
        counted = w.call("PUT", f"{path}/counts", w.admin_user, {"counts": [{"sku_id": ids.sku_b, "quantity": 2}]})
        assert counted.status_code == 200, counted.text
        sub = w.call("POST", f"{path}/submit", w.admin_user, {"version": 1, "uncounted_as_zero": True})
        assert sub.status_code == 200, sub.text
        _B_STOCKTAKE.update(id=st.json()["id"], code=st.json()["code"], version=str(sub.json()["version"]))
    return _B_STOCKTAKE


def stocktake_b(method: str, suffix: str = "", body: object = None) -> Check:
    """Store B's stocktake through ``/inventory/stocktakes/{id}{suffix}``: 404 (403 without the
    permission), and the stocktake unchanged."""

    def check(w: World, ids: Ids, caller: str) -> None:
        st = _stocktake_b(w, ids)
        r = send(w, caller, method, f"/inventory/stocktakes/{st['id']}{suffix}", body=_fill(body, ids))
        assert_refused(r, ids)
        assert st["code"] not in r.text
        seen = w.call("GET", f"/inventory/stocktakes/{st['id']}", w.admin_user).json()
        assert (seen["status"], str(seen["version"])) == ("review", st["version"])  # untouched
    return check


def stocktakes_listed_without_b(w: World, ids: Ids, caller: str) -> None:
    st = _stocktake_b(w, ids)
    for query in ({"limit": "500"}, {"status": "review", "limit": "500"}, {"store_id": ids.store_b}):
        r = send(w, caller, "GET", "/inventory/stocktakes", query=query)
        assert r.status_code in (200, 403, 404), r.text
        assert no_b_in(r.text, ids) and st["id"] not in r.text
    assert st["id"] in w.call("GET", "/inventory/stocktakes", w.admin_user, query={"store_id": ids.store_b}).text


MATRIX.update({
    ("GET", "/inventory/stocktake-settings"): not_store_data("GET", "/inventory/stocktake-settings"),
    ("PUT", "/inventory/stocktake-settings"): not_store_data("PUT", "/inventory/stocktake-settings"),
    ("POST", "/inventory/stocktakes"): hidden("POST", "/inventory/stocktakes", {"store_id": "{store}"}),
    ("GET", "/inventory/stocktakes"): stocktakes_listed_without_b,
    ("GET", "/inventory/stocktakes/{stocktake_id}"): stocktake_b("GET"),
    ("GET", "/inventory/stocktakes/{stocktake_id}/lines"): stocktake_b("GET", "/lines"),
    ("PUT", "/inventory/stocktakes/{stocktake_id}/counts"): stocktake_b("PUT", "/counts", {
        "counts": [{"sku_id": "{sku}", "quantity": 9}]}),
    ("POST", "/inventory/stocktakes/{stocktake_id}/submit"): stocktake_b("POST", "/submit", {"version": 2}),
    ("PUT", "/inventory/stocktakes/{stocktake_id}/lines/reasons"): stocktake_b("PUT", "/lines/reasons", {
        "lines": [{"sku_id": "{sku}", "reason": "theft"}]}),
    ("POST", "/inventory/stocktakes/{stocktake_id}/recount"): stocktake_b("POST", "/recount", {"sku_ids": ["{sku}"]}),
    ("POST", "/inventory/stocktakes/{stocktake_id}/approve"): stocktake_b("POST", "/approve", {"version": 2}),
    ("POST", "/inventory/stocktakes/{stocktake_id}/cancel"): stocktake_b("POST", "/cancel", {"version": 2}),
})


EXPORTS = [("/system/audit", {"format": "csv"}), ("/catalog/sku", {"format": "csv", "limit": "500"})]


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
    assert w.call("GET", f"/catalog/sku/{b_side.sku_b}", w.admin_user).status_code == 200
    assert b_side.price_b in w.call("GET", f"/catalog/sku/{b_side.sku_hq}/prices", w.admin_user,
                                    query={"store_id": b_side.store_b}).text
    assert b_side.store_b in w.call("GET", "/catalog/price-guards", w.admin_user).text
    stores = w.call("GET", "/system/stores", w.admin_user, query={"limit": "500"}).text
    audit = w.call("GET", "/system/audit", w.admin_user, query={"store_id": b_side.store_b}).json()["items"]
    assert b_side.store_b in stores and audit
    assert w.call("GET", f"/system/users/{b_side.user_b}", w.admin_user).status_code == 200
    assert json.loads(w.call("GET", f"/system/stores/{b_side.store_b}", w.admin_user).text)["id"] == b_side.store_b


