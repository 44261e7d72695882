"""The search port: one behaviour suite over every backend available here.

PostgreSQL (pg_trgm + pinyin + code table) always runs, on the session's migrated test
database as the app role; OpenSearch runs only where OS__URL points at a cluster. Each test
indexes the products under its own ``kind``, so runs never see each other's documents.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any, Protocol

import pytest
from ucm import context
from ucm.adapters.search_doc import InvalidDocument
from ucm.adapters.search_pg import PgSearch
from ucm.db import Database
from ucm.ports import Search, SearchHit
from ucm.text import normalize_code, pinyin_full, pinyin_initials

OS_URL = os.environ.get("OS__URL")
NO_OPENSEARCH = "OS__URL not set: no OpenSearch cluster on this machine"


def ean13(first12: str) -> str:
    """A valid EAN-13: 12 digits plus their check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


COKE_PREFIX = "6954767"  # one manufacturer's GS1 company prefix: 可口可乐 and 雪碧


def product(pid: str, title: str, brand: str, code: str, store_id: str | None = None,
            **extra: Any) -> dict[str, Any]:
    return {"id": pid, "title": title, "brand": brand, "codes": [code], "store_id": store_id,
            "status": "on_sale", "tags": ["饮料"] if "ml" in title else [], **extra}


PRODUCTS = [
    product("p01", "可口可乐 330ml", "可口可乐", ean13(COKE_PREFIX + "41038")),
    product("p02", "可口可乐 零度 500ml", "可口可乐", ean13(COKE_PREFIX + "42051")),
    product("p03", "雪碧 330ml", "可口可乐", ean13(COKE_PREFIX + "43012")),
    product("p04", "百事可乐 330ml", "百事", ean13("69340240" + "1234")),
    product("p05", "农夫山泉 饮用天然水 550ml", "农夫山泉", ean13("692116800" + "123")),
    product("p06", "康师傅红烧牛肉面 五连包", "康师傅", ean13("692015200" + "501")),
    product("p07", "康师傅冰红茶 500ml", "康师傅", ean13("692015200" + "777")),
    product("p08", "蒙牛纯牛奶 250ml", "蒙牛", ean13("692364400" + "250")),
    product("p09", "伊利纯牛奶 250ml", "伊利", ean13("690799200" + "250")),
    product("p10", "伊利安慕希酸奶 205g", "伊利", ean13("690799200" + "205")),
    product("p11", "统一老坛酸菜牛肉面", "统一", ean13("692530300" + "111")),
    product("p12", "旺旺雪饼 84g", "旺旺", ean13("692090700" + "084")),
    product("p13", "乐事薯片 原味 70g", "乐事", ean13("692474300" + "070")),
    product("p14", "奥利奥夹心饼干 97g", "奥利奥", ean13("690166800" + "097")),
    product("p15", "汇源100%橙汁 1L", "汇源", ean13("690208300" + "100")),
    product("p16", "青岛啤酒 经典 500ml", "青岛啤酒", ean13("690103500" + "500"), status="off_sale"),
    product("p17", "金龙鱼 东北大米 5kg", "金龙鱼", ean13("694819500" + "005")),
    product("p18", "海天 生抽 500ml", "海天", ean13("690226500" + "500")),
    # Store-local items: an in-store PLU "2000001" is an exact code and a prefix of p20's code.
    product("p19", "现烤全麦面包", "本店", "2000001", store_id="S001"),
    product("p20", "鲜榨橙汁 350ml", "本店", "2000001000020", store_id="S002"),
    product("p21", "可乐味棒棒糖", "本店", ean13("200000200002"), store_id="S002"),
]
BY_ID = {p["id"]: p for p in PRODUCTS}


class Droppable(Search, Protocol):
    def drop(self, kind: str) -> None: ...


@pytest.fixture(autouse=True)
def platform_scope() -> Iterator[None]:
    """Documents are indexed by the platform (event consumers run in the global scope); the
    store filter and RLS for callers are exercised by the tests that pass store_ids."""
    with context.use(context.system("test-search")):
        yield


@pytest.fixture(
    scope="module",
    params=["postgres", pytest.param("opensearch", marks=[
        pytest.mark.opensearch, pytest.mark.skipif(not OS_URL, reason=NO_OPENSEARCH)])],
)
def backend(request: pytest.FixtureRequest) -> Iterator[Droppable]:
    s: Droppable
    if request.param == "postgres":
        db: Database = request.getfixturevalue("db")
        s = PgSearch(db)
    else:
        from ucm.adapters.search_opensearch import OpenSearchSearch

        assert OS_URL
        s = OpenSearchSearch(OS_URL, index_prefix="ucmtest")  # kinds are per test
    yield s
    s.close()


@pytest.fixture
def kind(backend: Droppable) -> Iterator[str]:
    k = f"t{uuid.uuid4().hex[:12]}"
    backend.upsert(k, PRODUCTS)
    yield k
    backend.drop(k)


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.id for h in hits]


def test_two_character_word_finds_both_colas(backend: Search, kind: str) -> None:
    found = ids(backend.query(kind, "可乐"))
    assert {"p01", "p02", "p04", "p21"} <= set(found)
    assert "p03" not in found  # 雪碧: same maker, no 可乐 in the title


def test_initials_find_coca_cola_first(backend: Search, kind: str) -> None:
    found = ids(backend.query(kind, "kkkl"))
    assert set(found[:2]) == {"p01", "p02"}
    assert ids(backend.query(kind, "KKKL 330")) [:1] == ["p01"]  # case, spaces, trailing digits


def test_full_pinyin(backend: Search, kind: str) -> None:
    assert ids(backend.query(kind, "kekou"))[0] in {"p01", "p02"}
    assert {"p01", "p02", "p04"} <= set(ids(backend.query(kind, "kele")))


def test_exact_barcode_first_also_full_width(backend: Search, kind: str) -> None:
    code = BY_ID["p01"]["codes"][0]
    hits = backend.query(kind, code)
    assert ids(hits) == ["p01"]
    full_width = " ".join(chr(ord(c) + 0xFEE0) for c in code)  # ６ ９ ５ … as some keyboards type it
    assert ids(backend.query(kind, full_width)) == ["p01"]


def test_barcode_prefix_finds_the_manufacturer(backend: Search, kind: str) -> None:
    assert set(ids(backend.query(kind, COKE_PREFIX))) == {"p01", "p02", "p03"}


def test_exact_code_outranks_prefix(backend: Search, kind: str) -> None:
    hits = backend.query(kind, "2000001")
    assert ids(hits)[:2] == ["p19", "p20"]
    assert hits[0].score > hits[1].score


def test_title_tiers(backend: Search, kind: str) -> None:
    milk = ids(backend.query(kind, "牛奶"))
    assert set(milk[:2]) == {"p08", "p09"}
    assert ids(backend.query(kind, "伊利 牛奶"))[0] == "p09"  # every word, not the phrase
    assert ids(backend.query(kind, "康师傅红烧牛肉面"))[0] == "p06"  # 3+ chars: the trigram index


def test_misspelt_name_finds_the_closest_title_first(backend: Search, kind: str) -> None:
    found = ids(backend.query(kind, "康师付红烧牛肉面"))  # 付 for 傅
    assert found[:1] == ["p06"]


def test_like_wildcards_are_literal(backend: Search, kind: str) -> None:
    assert ids(backend.query(kind, "100%")) == ["p15"]
    assert backend.query(kind, "_") == []


def test_store_filter(backend: Search, kind: str) -> None:
    assert "p21" in ids(backend.query(kind, "可乐"))  # None: no restriction
    assert "p21" in ids(backend.query(kind, "可乐", store_ids=["S002"]))
    s001 = ids(backend.query(kind, "可乐", store_ids=["S001"]))
    assert "p21" not in s001 and {"p01", "p04"} <= set(s001)  # HQ-wide docs stay visible
    assert ids(backend.query(kind, "面包", store_ids=[])) == []  # HQ-wide only
    assert ids(backend.query(kind, "面包", store_ids=["S001", "S003"])) == ["p19"]


def test_filters_on_document_fields(backend: Search, kind: str) -> None:
    assert ids(backend.query(kind, "可乐", filters={"brand": "百事"})) == ["p04"]
    assert set(ids(backend.query(kind, "", filters={"brand": "伊利"}))) == {"p09", "p10"}
    assert ids(backend.query(kind, "500ml", filters={"status": "off_sale"})) == ["p16"]


def test_filter_matches_a_value_in_a_list_field(backend: Search, kind: str) -> None:
    backend.upsert(kind, [{**BY_ID["p08"], "aisles": ["A1", "A2"]}, {**BY_ID["p09"], "aisles": ["A2"]}])
    assert ids(backend.query(kind, "牛奶", filters={"aisles": "A1"})) == ["p08"]
    assert set(ids(backend.query(kind, "", filters={"aisles": "A2"}))) == {"p08", "p09"}
    assert ids(backend.query(kind, "", filters={"aisles": "A2", "brand": "伊利"})) == ["p09"]
    assert backend.query(kind, "", filters={"aisles": "A3"}) == []


def test_filter_field_names_are_checked(backend: Search, kind: str) -> None:
    with pytest.raises(ValueError):
        backend.query(kind, "", filters={"brand=x": "y"})


def test_empty_text_lists_documents_and_limit(backend: Search, kind: str) -> None:
    assert len(backend.query(kind, "", limit=100)) == len(PRODUCTS)
    assert len(backend.query(kind, "", limit=3)) == 3
    with pytest.raises(ValueError):
        backend.query(kind, "", limit=0)


def test_hit_carries_the_document(backend: Search, kind: str) -> None:
    hit = backend.query(kind, "农夫山泉")[0]
    assert hit.id == "p05"
    assert hit.doc == BY_ID["p05"]


def test_delete(backend: Search, kind: str) -> None:
    backend.delete(kind, ["p04", "no-such-id"])
    assert ids(backend.query(kind, "百事")) == []
    assert "p04" not in ids(backend.query(kind, "可乐"))
    backend.delete(kind, [])


def test_upsert_replaces_title_and_codes(backend: Search, kind: str) -> None:
    old_code = BY_ID["p03"]["codes"][0]
    new_code = ean13(COKE_PREFIX + "43099")
    backend.upsert(kind, [{**BY_ID["p03"], "title": "雪碧 柠檬味 330ml", "codes": [new_code]}])
    assert backend.query(kind, old_code) == []
    assert ids(backend.query(kind, new_code)) == ["p03"]
    hit = backend.query(kind, "柠檬")[0]
    assert (hit.id, hit.doc["title"]) == ("p03", "雪碧 柠檬味 330ml")
    assert len(backend.query(kind, "", limit=100)) == len(PRODUCTS)


def test_invalid_document_writes_nothing(backend: Search, kind: str) -> None:
    with pytest.raises(InvalidDocument):
        backend.upsert(kind, [{**BY_ID["p01"], "title": "可口可乐 新包装"}, {"id": "x", "title": " "}])
    assert backend.query(kind, "新包装") == []


def test_reindex_replaces_the_kind(backend: Droppable, kind: str) -> None:
    backend.reindex(kind, [BY_ID["p05"], {**BY_ID["p08"], "title": "蒙牛特仑苏纯牛奶 250ml"}])
    assert ids(backend.query(kind, "", limit=100)) != [] and len(backend.query(kind, "", limit=100)) == 2
    assert ids(backend.query(kind, "特仑苏")) == ["p08"]
    assert backend.query(kind, "可乐") == []


def test_kinds_are_separate(backend: Droppable, kind: str) -> None:
    other = f"t{uuid.uuid4().hex[:12]}"
    try:
        backend.upsert(other, [{"id": "p01", "title": "另一种文档"}])
        assert ids(backend.query(kind, "可口可乐 330ml"))[0] == "p01"
        assert [h.doc["title"] for h in backend.query(other, "文档")] == ["另一种文档"]
    finally:
        backend.drop(other)


def test_ping(backend: Search) -> None:
    backend.ping()


# --------------------------------------------------------------------------- text helpers


@pytest.mark.parametrize(("text", "full", "initials"), [
    ("可口可乐 330ml", "kekoukele330ml", "kkkl330ml"),
    ("康师傅红烧牛肉面", "kangshifuhongshaoniuroumian", "ksfhsnrm"),
    ("重庆小面", "chongqingxiaomian", "cqxm"),
    ("Coca-Cola 可口可乐", "cocacolakekoukele", "cocacolakkkl"),
    ("ＡＢＣ奶茶", "abcnaicha", "abcnc"),
])
def test_pinyin_keys(text: str, full: str, initials: str) -> None:
    assert (pinyin_full(text), pinyin_initials(text)) == (full, initials)


def test_normalize_code() -> None:
    assert normalize_code("６９０ １２３４\u3000５６７８９ ") == "690123456789"
    assert normalize_code("ＳＫＵ－００１") == "SKU-001"


def test_database_ctype_keeps_chinese_trigrams(db: Database) -> None:
    with db.connection() as conn:
        row = conn.execute(
            "select datctype, show_trgm('可口可乐') as trgm from pg_database where datname = current_database()"
        ).fetchone()
    assert row is not None
    # Under ctype C, pg_trgm drops non-ASCII characters: Chinese titles would match nothing.
    ctype = row["datctype"]
    assert row["trgm"], f"pg_trgm yields no Chinese trigrams under ctype {ctype!r}; create the DB with C.UTF-8"


def test_pg_rls_hidden_candidates_do_not_crowd_out_visible_ones(db: Database) -> None:
    """PostgreSQL ranks candidates before RLS hides other stores' documents: when the best
    ones are all hidden, the adapter must still return the visible ones behind them."""
    search = PgSearch(db)
    k = f"t{uuid.uuid4().hex[:12]}"
    crowd = [{"id": f"s9-{i}", "title": f"面包 {i}", "store_id": "S009"} for i in range(150)]
    search.upsert(k, [*crowd, {"id": "hq", "title": "全麦切片面包 大包装 500g", "store_id": None},
                      {"id": "s1", "title": "现烤全麦面包 本店", "store_id": "S001"}])
    try:
        assert len(search.query(k, "面包", limit=200)) == 152  # the platform sees them all
        manager = context.Context(trace_id="t", actor="user:m", scope=context.Scope.stores("S001"))
        with context.use(manager):
            assert [h.id for h in search.query(k, "面包", limit=5)] == ["s1", "hq"]
            assert [h.id for h in search.query(k, "面包", store_ids=["S001"], limit=5)] == ["s1", "hq"]
    finally:
        search.drop(k)


@pytest.mark.parametrize("title", ["可口可乐 330ml", "重庆小面 微辣", "Coca-Cola 可口可乐\u3000零度", "ＡＢＣ奶茶 2L",
                                   "银行 行走"])
def test_indexed_pinyin_keys_equal_the_whole_title_keys(title: str) -> None:
    from ucm.adapters.search_doc import IndexedDoc

    d = IndexedDoc.of({"id": "x", "title": title})
    assert (d.pinyin, d.initials) == (pinyin_full(title), pinyin_initials(title))


def test_opensearch_request_shapes_without_a_cluster() -> None:
    """What the OpenSearch adapter sends, checked here where no cluster runs: list fields are
    filterable keywords, filters and the store scope are filters, titles sort by length."""
    from ucm.adapters.search_doc import IndexedDoc
    from ucm.adapters.search_opensearch import query_body, source_of, template_body

    doc = IndexedDoc.of({"id": "s1", "title": "可口可乐 330ml", "category_ids": ["c1", "c2"], "status": "active",
                         "store_id": None, "n": 3})
    src = source_of(doc)
    assert src["f"] == {"category_ids": ["c1", "c2"], "status": "active"} and src["title_len"] == 10
    props = template_body("ucm")["template"]["mappings"]["properties"]
    assert props["title"]["analyzer"] == "cjk" and props["title_len"]["type"] == "integer"
    body = query_body("可乐", ["S1"], {"category_ids": "c1"}, 20)
    assert {"term": {"f.category_ids": "c1"}} in body["query"]["bool"]["filter"]
    assert body["sort"][1]["title_len"]["order"] == "asc"
    with pytest.raises(ValueError):
        query_body("可乐", None, {"Bad Key": "x"}, 20)
