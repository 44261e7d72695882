"""SKU search (issue 4) on every search backend available here: the documents built from the
catalog tables, ranking on Chinese product data, filters, store scoping, the ``catalog-index``
consumer end to end and the ``ucm reindex sku`` command.

PostgreSQL always runs; OpenSearch only where OS__URL points at a cluster (skipped otherwise).
The catalog lives in a database of its own (module scope), so its ``sku`` documents are the
only ones in the index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ucm import bootstrap, context, provision, topics
from ucm.adapters.cache import MemoryCache
from ucm.adapters.search_pg import PgSearch
from ucm.catalog import search_index
from ucm.catalog.search_index import search_sku_ids
from ucm.db import Database
from ucm.fc.discovery import load_functions
from ucm.fc.testing import Client
from ucm.ports import Event, Search

from tests.conftest import PG_SUPERUSER, ROOT, container_for
from tests.integration.test_search import NO_OPENSEARCH, OS_URL, ean13

COKE = "6954767"  # one maker's GS1 company prefix: 可口可乐 and 雪碧
PEPSI = "6934024"


@dataclass
class Catalog:
    db: Database
    owner: str
    app_conninfo: str
    store_a: str = ""
    store_b: str = ""
    cat: dict[str, str] = field(default_factory=dict)  # name → id
    brand: dict[str, str] = field(default_factory=dict)
    sku: dict[str, str] = field(default_factory=dict)  # key → id
    barcode: dict[str, str] = field(default_factory=dict)  # key → its first barcode


SKUS: list[dict[str, Any]] = [
    # key, name, short name, brand, category, status, store ("A"/"B"/None), barcodes
    {"key": "coke", "name": "可口可乐 330ml", "short": "可乐", "brand": "可口可乐", "cat": "碳酸饮料",
     "barcodes": [ean13(COKE + "41038")]},
    {"key": "coke_zero", "name": "可口可乐 零度 500ml", "short": "", "brand": "可口可乐", "cat": "碳酸饮料",
     "barcodes": [ean13(COKE + "42051")]},
    {"key": "sprite", "name": "雪碧 330ml", "short": "雪碧", "brand": "可口可乐", "cat": "碳酸饮料",
     "barcodes": [ean13(COKE + "43012")]},
    {"key": "pepsi", "name": "百事可乐 330ml", "short": "", "brand": "百事", "cat": "碳酸饮料",
     "barcodes": [ean13(PEPSI + "01234")]},
    {"key": "pepsi_2l", "name": "百事可乐 无糖 2.5L", "short": "", "brand": "百事", "cat": "碳酸饮料",
     "status": "discontinued", "barcodes": [ean13(PEPSI + "01299")]},
    {"key": "water", "name": "农夫山泉 饮用天然水 550ml", "short": "矿泉水", "brand": "农夫山泉", "cat": "饮用水",
     "barcodes": [ean13("6921168" + "50912")]},
    {"key": "milk_yili", "name": "伊利纯牛奶 250ml", "short": "", "brand": "伊利", "cat": "乳制品",
     "barcodes": [ean13("6907992" + "10250")]},
    {"key": "milk_mengniu", "name": "蒙牛纯牛奶 250ml", "short": "", "brand": "蒙牛", "cat": "乳制品",
     "status": "draft", "barcodes": [ean13("6923644" + "26250")]},
    {"key": "noodles", "name": "康师傅红烧牛肉面 五连包", "short": "", "brand": "康师傅", "cat": "方便面",
     "barcodes": [ean13("6920152" + "40501")]},
    # Store-local: store A's deli and store B's juice bar.
    {"key": "wings_a", "name": "可乐鸡翅 熟食", "short": "", "brand": None, "cat": "熟食", "store": "A",
     "barcodes": ["2100001"]},
    {"key": "juice_b", "name": "鲜榨橙汁 350ml", "short": "", "brand": None, "cat": "饮用水", "store": "B",
     "barcodes": ["2100002"]},
]
CATEGORIES = [("饮料", None), ("碳酸饮料", "饮料"), ("饮用水", "饮料"), ("乳制品", "饮料"), ("食品", None),
              ("方便面", "食品"), ("熟食", "食品")]
BRANDS = ["可口可乐", "百事", "农夫山泉", "伊利", "蒙牛", "康师傅"]

_INSERT_CATEGORY = """
with new as (select gen_random_uuid()::text as id)
insert into category (id, code, name, parent_id, path, depth)
select new.id, %(code)s, %(name)s, p.id, coalesce(p.path, '/') || new.id || '/', coalesce(p.depth + 1, 1)
  from new left join category p on p.id = %(parent)s
returning id
"""
_INSERT_SKU = """
insert into sku (code, store_id, name, short_name, brand_id, category_id, tax_rate, status)
values (%(code)s, %(store)s, %(name)s, %(short)s, %(brand)s, %(cat)s, 0.13, %(status)s) returning id
"""
_INSERT_BARCODE = "insert into barcode (code, sku_id, store_id, kind) values (%s, %s, %s, %s)"


def add_sku(cat: Catalog, uow: Any, spec: dict[str, Any], code: str) -> str:
    store = {"A": cat.store_a, "B": cat.store_b, None: None}[spec.get("store")]
    row = uow.one(_INSERT_SKU, {"code": code, "store": store, "name": spec["name"], "short": spec["short"],
                                "brand": cat.brand.get(spec["brand"] or ""), "cat": cat.cat[spec["cat"]],
                                "status": spec.get("status", "active")})
    for bc in spec["barcodes"]:
        uow.execute(_INSERT_BARCODE, (bc, row["id"], store, "ean13" if len(bc) == 13 else "internal"))
    return str(row["id"])


@pytest.fixture(scope="module")
def catalog() -> Iterator[Catalog]:
    with provision.scratch_database(PG_SUPERUSER, "ucm_skusearch") as (owner, app):
        db = Database(app, min_size=1, max_size=6)
        cat = Catalog(db, owner, app)
        with db.transaction(context.system("test")) as uow:
            for name in ("A", "B"):
                cat.__dict__[f"store_{name.lower()}"] = uow.one(
                    "insert into store (code, name) values (%s, %s) returning id",
                    (f"S{name}{uuid.uuid4().hex[:6]}", f"测试{name}店"))["id"]  # type: ignore[index]
            for i, (name, parent) in enumerate(CATEGORIES):
                cat.cat[name] = uow.one(_INSERT_CATEGORY, {"code": f"C{i:02d}", "name": name,
                                                           "parent": cat.cat.get(parent or "")})["id"]  # type: ignore[index]
            for i, name in enumerate(BRANDS):
                cat.brand[name] = uow.one("insert into brand (code, name) values (%s, %s) returning id",
                                          (f"B{i:02d}", name))["id"]  # type: ignore[index]
            for i, spec in enumerate(SKUS):
                cat.sku[spec["key"]] = add_sku(cat, uow, spec, f"{690001 + i}")
                cat.barcode[spec["key"]] = spec["barcodes"][0]
        yield cat
        bootstrap.reset(None)
        db.close()


@pytest.fixture(scope="module", params=["postgres", pytest.param("opensearch", marks=[
    pytest.mark.opensearch, pytest.mark.skipif(not OS_URL, reason=NO_OPENSEARCH)])])
def backend(request: pytest.FixtureRequest, catalog: Catalog) -> Iterator[Search]:
    s: Any
    if request.param == "postgres":
        s = PgSearch(catalog.db)
    else:
        from ucm.adapters.search_opensearch import OpenSearchSearch

        assert OS_URL
        s = OpenSearchSearch(OS_URL, index_prefix=f"ucmsku{uuid.uuid4().hex[:8]}")
    with context.use(context.system("test")):
        assert search_index.reindex_all(catalog.db, s, batch=4) == len(SKUS)  # several batches
    yield s
    if request.param == "opensearch":
        s.drop(search_index.KIND)
    s.close()


def find(search: Search, text: str, **kw: Any) -> list[str]:
    kw.setdefault("store_ids", None)
    with context.use(context.system("test")):
        return search_sku_ids(search, text, limit=kw.pop("limit", 50), **kw)


def keys(cat: Catalog, ids: list[str]) -> list[str]:
    by_id = {v: k for k, v in cat.sku.items()}
    return [by_id.get(i, i) for i in ids]


# --- documents ------------------------------------------------------------------------------------


def test_document_of_a_sku(catalog: Catalog) -> None:
    with catalog.db.transaction(context.system("test")) as uow:
        [doc] = search_index.sku_documents(uow, [catalog.sku["water"]])
        assert search_index.sku_documents(uow, ["no-such-sku"]) == []
    assert doc["title"] == "农夫山泉 饮用天然水 550ml 矿泉水"  # the short name adds a word
    assert doc["codes"] == [catalog.barcode["water"], "690006"]
    assert doc["category_ids"] == [catalog.cat["饮料"], catalog.cat["饮用水"]]
    assert (doc["brand_id"], doc["status"], doc["store_id"]) == (catalog.brand["农夫山泉"], "active", None)


# --- ranking ----------------------------------------------------------------------------------------


def test_two_character_word_finds_both_colas_best_first(catalog: Catalog, backend: Search) -> None:
    found = keys(catalog, find(backend, "可乐", store_ids=[]))
    assert set(found) == {"coke", "coke_zero", "pepsi", "pepsi_2l"}  # not 雪碧 (same maker, no 可乐)
    # The plain products before their variants (shorter titles first inside the tier).
    assert set(found[:2]) == {"coke", "pepsi"} and found[2:] == ["pepsi_2l", "coke_zero"]
    assert set(keys(catalog, find(backend, "百事可乐"))[:2]) == {"pepsi", "pepsi_2l"}
    # A title that starts with the word comes first (store A's deli 可乐鸡翅).
    assert keys(catalog, find(backend, "可乐", store_ids=[catalog.store_a]))[0] == "wings_a"
    assert keys(catalog, find(backend, "零度"))[0] == "coke_zero"


def test_short_name_is_searchable(catalog: Catalog, backend: Search) -> None:
    assert keys(catalog, find(backend, "矿泉水")) == ["water"]


def test_pinyin_initials_and_full_pinyin(catalog: Catalog, backend: Search) -> None:
    assert set(keys(catalog, find(backend, "kkkl"))[:2]) == {"coke", "coke_zero"}
    assert keys(catalog, find(backend, "kekou"))[0] in {"coke", "coke_zero"}
    assert keys(catalog, find(backend, "nfsq")) == ["water"]
    assert keys(catalog, find(backend, "KSF"))[0] == "noodles"


def test_exact_barcode_first_then_prefix(catalog: Catalog, backend: Search) -> None:
    code = catalog.barcode["coke"]
    assert keys(catalog, find(backend, code)) == ["coke"]
    assert set(keys(catalog, find(backend, COKE))) == {"coke", "coke_zero", "sprite"}
    assert set(keys(catalog, find(backend, code[:10]))) == {"coke"}
    # An in-store code that is also a prefix: the exact one first.
    assert keys(catalog, find(backend, "210000"))[:2] in (["wings_a", "juice_b"], ["juice_b", "wings_a"])
    assert keys(catalog, find(backend, "2100001")) [0] == "wings_a"


def test_sku_code(catalog: Catalog, backend: Search) -> None:
    assert keys(catalog, find(backend, "690004")) == ["pepsi"]


# --- filters ----------------------------------------------------------------------------------------


def test_brand_filter(catalog: Catalog, backend: Search) -> None:
    assert keys(catalog, find(backend, "可乐", brand_id=catalog.brand["百事"])) in (
        ["pepsi", "pepsi_2l"], ["pepsi_2l", "pepsi"])
    assert set(keys(catalog, find(backend, "", brand_id=catalog.brand["可口可乐"]))) == {
        "coke", "coke_zero", "sprite"}


def test_category_filter_takes_the_subtree(catalog: Catalog, backend: Search) -> None:
    drinks = set(keys(catalog, find(backend, "", category_id=catalog.cat["饮料"], store_ids=[])))
    assert drinks == {"coke", "coke_zero", "sprite", "pepsi", "pepsi_2l", "water", "milk_yili", "milk_mengniu"}
    assert set(keys(catalog, find(backend, "牛", category_id=catalog.cat["乳制品"]))) == {"milk_yili", "milk_mengniu"}
    assert keys(catalog, find(backend, "牛", category_id=catalog.cat["食品"])) == ["noodles"]
    assert find(backend, "可乐", category_id=catalog.cat["方便面"]) == []


def test_status_filter(catalog: Catalog, backend: Search) -> None:
    assert keys(catalog, find(backend, "可乐", status="discontinued")) == ["pepsi_2l"]
    assert keys(catalog, find(backend, "牛奶", status="draft")) == ["milk_mengniu"]
    active = set(keys(catalog, find(backend, "可乐", status="active", brand_id=catalog.brand["百事"])))
    assert active == {"pepsi"}


# --- store scope ------------------------------------------------------------------------------------


def test_store_scoping(catalog: Catalog, backend: Search) -> None:
    assert "wings_a" in keys(catalog, find(backend, "可乐", store_ids=[catalog.store_a]))
    assert "wings_a" not in keys(catalog, find(backend, "可乐", store_ids=[catalog.store_b]))
    assert "coke" in keys(catalog, find(backend, "可乐", store_ids=[catalog.store_b]))  # HQ-wide: everyone
    assert find(backend, "橙汁", store_ids=[catalog.store_a]) == []
    assert keys(catalog, find(backend, "橙汁", store_ids=[catalog.store_b])) == ["juice_b"]
    assert find(backend, "鸡翅", store_ids=[]) == []


def test_scoped_caller_never_sees_another_store(catalog: Catalog, backend: Search) -> None:
    """Whatever store_ids a store manager passes, the caller's own scope bounds the result."""
    manager_a = context.Context(trace_id="t", actor="user:mgr-a", scope=context.Scope.stores(catalog.store_a))
    with context.use(manager_a):
        assert search_sku_ids(backend, "橙汁", store_ids=None) == []
        assert search_sku_ids(backend, "橙汁", store_ids=[catalog.store_b]) == []
        mine = keys(catalog, search_sku_ids(backend, "可乐", store_ids=None))
    assert "wings_a" in mine and "coke" in mine


# --- the consumer end to end ------------------------------------------------------------------------


@pytest.fixture
def index_fn(catalog: Catalog, backend: Search, tmp_path: Path) -> Iterator[tuple[Client, MemoryCache]]:
    cache = MemoryCache()
    container_for(catalog.db, tmp_path, search=backend, cache=cache)
    yield Client(load_functions()["catalog-index"]), cache
    bootstrap.reset(None)


def test_consumer_makes_a_new_sku_searchable_once(catalog: Catalog, backend: Search,
                                                   index_fn: tuple[Client, MemoryCache]) -> None:
    client, cache = index_fn
    spec = {"name": "芬达 橙味 汽水 330ml", "short": "", "brand": "可口可乐", "cat": "碳酸饮料",
            "barcodes": [ean13(COKE + "44018")]}
    code = f"7{uuid.uuid4().int % 10**7:07d}"
    with catalog.db.transaction(context.system("test")) as uow:
        sku_id = add_sku(catalog, uow, spec, code)
        uow.emit(topics.SKU_UPDATED, sku_id, {"sku_id": sku_id, "changed_fields": ["created"]})
    events: list[Event] = uow.events
    assert find(backend, "芬达") == []  # not indexed until the event is consumed
    cache.set(f"sku:{sku_id}", b"{}", 60)

    out = client.events.kafka(events)
    assert (out["status"], out["applied"], out["duplicates"]) == (200, 1, 0)
    assert find(backend, "芬达") == [sku_id]
    assert find(backend, spec["barcodes"][0]) == [sku_id]
    assert sku_id in find(backend, "", category_id=catalog.cat["饮料"], limit=100)
    assert cache.get(f"sku:{sku_id}") is None  # the cached SKU is forgotten

    before = find(backend, "", limit=100)
    again = client.events.kafka(events)  # Kafka redelivers: nothing changes
    assert (again["applied"], again["duplicates"]) == (0, 1)
    assert find(backend, "", limit=100) == before

    # A rename and a discontinuation in one batch; then the SKU is deleted.
    with catalog.db.transaction(context.system("test")) as uow:
        uow.execute("update sku set name = %s where id = %s", ("芬达 葡萄味 330ml", sku_id))
        uow.emit(topics.SKU_UPDATED, sku_id, {"sku_id": sku_id, "changed_fields": ["name"]})
        uow.execute("update sku set status = 'discontinued' where id = %s", (sku_id,))
        uow.emit(topics.SKU_UPDATED, sku_id, {"sku_id": sku_id, "changed_fields": ["status"]})
    assert client.events.kafka(uow.events)["applied"] == 2
    assert find(backend, "橙味") == []
    assert find(backend, "葡萄", status="discontinued") == [sku_id]
    with catalog.db.transaction(context.system("test")) as uow:
        uow.execute("delete from sku where id = %s", (sku_id,))
        uow.emit(topics.SKU_UPDATED, sku_id, {"sku_id": sku_id, "changed_fields": ["deleted"]})
    assert client.events.kafka(uow.events)["applied"] == 1
    assert find(backend, "芬达") == [] and find(backend, spec["barcodes"][0]) == []


# --- the reindex command ------------------------------------------------------------------------------


def test_reindex_command_rebuilds_the_index(catalog: Catalog, tmp_path: Path) -> None:
    """``ucm reindex sku`` as an operator runs it (PostgreSQL search: no OS__URL in its env)."""
    search = PgSearch(catalog.db)
    with context.use(context.system("test")):
        search.reindex(search_index.KIND, [{"id": "stale", "title": "早已删除的商品"}])
    assert find(search, "早已删除") == ["stale"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS__", "DB__"))}
    env.update({"DB__CONN": catalog.app_conninfo, "DB__ADMIN_CONN": catalog.owner, "APP__DATA_DIR": str(tmp_path),
                "PYTHONPATH": f"{ROOT}/shared:{ROOT}"})
    out = subprocess.run([sys.executable, "-m", "ucm.cli", "reindex", "sku", "--batch", "3"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"reindexed {len(SKUS)} sku documents into postgres")
    assert find(search, "早已删除") == []
    assert set(keys(catalog, find(search, "可乐", store_ids=[]))) == {"coke", "coke_zero", "pepsi", "pepsi_2l"}


# --- the local runner ---------------------------------------------------------------------------------


def test_runner_sku_created_through_the_api_is_found(tmp_path: Path) -> None:
    """``python -m local`` as a person runs it: the SKU API commits, the after-commit relay hands
    ``sku.updated`` to catalog-index in process, and the list's ``q`` finds the new SKU."""
    import time

    import httpx

    from tests.conftest import Runner

    runner = Runner(tmp_path / "data")
    try:
        runner.wait_ready()
        auth = runner.login()
        cat = httpx.post(f"{runner.url}/catalog/categories", json={"code": "RT01", "name": "测试饮料"}, headers=auth)
        assert cat.status_code == 201, cat.text
        sku = httpx.post(f"{runner.url}/catalog/sku", headers=auth, json={
            "code": "RT0001", "name": "芬达 葡萄味 330ml", "category_id": cat.json()["id"], "tax_rate": "13%",
            "status": "active"})
        assert sku.status_code == 201, sku.text
        found: list[str] = []
        deadline = time.monotonic() + 15
        while not found and time.monotonic() < deadline:
            r = httpx.get(f"{runner.url}/catalog/sku", params={"q": "fdpt"}, headers=auth)  # 芬达葡萄
            assert r.status_code == 200, r.text
            found = [i["id"] for i in r.json()["items"]]
            time.sleep(0.1)
        assert found == [sku.json()["id"]]
        r = httpx.get(f"{runner.url}/catalog/sku", params={"q": "葡萄", "category_id": cat.json()["id"]}, headers=auth)
        assert [i["name"] for i in r.json()["items"]] == ["芬达 葡萄味 330ml"]
    finally:
        runner.stop()
