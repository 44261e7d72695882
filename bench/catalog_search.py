"""SKU search at catalog scale (issue 4): 100,000 SKUs, search P95 under 50 ms.

Seeds a scratch database on the PostgreSQL service with a chain's catalog (HQ-wide SKUs plus
store-local ones, a three-level category tree, brands with their GS1 prefixes), indexes it
with ``ucm.catalog.search_index.reindex_all`` into the PostgreSQL search adapter (the
embedded default), then times ``search_sku_ids`` for a mix of what shop staff type: two-
character Chinese words, full pinyin, initials, barcode prefixes and exact barcodes, with and
without brand / category / status filters, as HQ and as a store manager (RLS + store filter).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from ucm import context
from ucm.adapters.search_pg import PgSearch
from ucm.catalog import search_index
from ucm.db import Database

from bench._peers import bench_database, percentile

TARGET_P95_MS = 50.0

# (brand, GS1 company prefix, the product words it sells)
BRANDS = [
    ("可口可乐", "6954767", ["可乐", "雪碧", "芬达", "零度可乐", "美汁源果粒橙"]),
    ("百事", "6934024", ["百事可乐", "七喜", "美年达", "纯果乐橙汁"]),
    ("农夫山泉", "6921168", ["饮用天然水", "东方树叶", "茶π", "维他命水", "NFC橙汁"]),
    ("康师傅", "6920152", ["红烧牛肉面", "老坛酸菜牛肉面", "冰红茶", "绿茶", "茉莉清茶", "酸辣牛肉面"]),
    ("统一", "6925303", ["老坛酸菜牛肉面", "冰红茶", "阿萨姆奶茶", "鲜橙多", "汤达人"]),
    ("伊利", "6907992", ["纯牛奶", "安慕希酸奶", "金典有机奶", "优酸乳", "QQ星儿童奶"]),
    ("蒙牛", "6923644", ["纯牛奶", "特仑苏", "纯甄酸奶", "真果粒", "冠益乳"]),
    ("旺旺", "6920907", ["雪饼", "仙贝", "旺仔牛奶", "旺仔小馒头", "QQ糖"]),
    ("乐事", "6924743", ["薯片 原味", "薯片 黄瓜味", "薯片 番茄味", "大波浪薯片"]),
    ("奥利奥", "6901668", ["夹心饼干", "薄脆饼干", "威化饼干"]),
    ("青岛啤酒", "6901035", ["经典啤酒", "纯生啤酒", "白啤", "黑啤"]),
    ("雪花", "6920584", ["勇闯天涯啤酒", "纯生啤酒", "清爽啤酒"]),
    ("金龙鱼", "6948195", ["东北大米", "花生油", "调和油", "面粉"]),
    ("福临门", "6948182", ["五常大米", "菜籽油", "玉米油"]),
    ("海天", "6902265", ["生抽", "老抽", "蚝油", "黄豆酱", "料酒"]),
    ("李锦记", "0078895", ["蒸鱼豉油", "蚝油", "薄盐生抽"]),
    ("清风", "6922266", ["抽纸", "卷纸", "湿巾"]),
    ("维达", "6901236", ["抽纸", "卷纸", "手帕纸"]),
    ("海飞丝", "6903148", ["洗发水", "护发素"]),
    ("舒肤佳", "6903149", ["香皂", "沐浴露", "洗手液"]),
    ("蓝月亮", "6902022", ["洗衣液", "洗手液", "消毒液"]),
    ("三只松鼠", "6970150", ["每日坚果", "夏威夷果", "碧根果", "猪肉脯"]),
    ("良品铺子", "6970242", ["猪肉脯", "鸭脖", "芒果干"]),
    ("徐福记", "6911988", ["沙琪玛", "酥心糖", "凤梨酥"]),
    ("双汇", "6902890", ["火腿肠", "王中王", "午餐肉"]),
    ("思念", "6921665", ["水饺 猪肉白菜", "汤圆 黑芝麻", "粽子"]),
    ("三全", "6922130", ["水饺 猪肉玉米", "汤圆 花生", "馄饨"]),
    ("娃哈哈", "6902083", ["AD钙奶", "营养快线", "纯净水", "八宝粥"]),
    ("元气森林", "6970399", ["苏打气泡水", "乳茶", "燃茶"]),
    ("东鹏", "6934502", ["特饮", "由柑柠檬茶"]),
]
SIZES = ["330ml", "500ml", "550ml", "1L", "1.25L", "2L", "250ml", "200g", "70g", "5kg", "100g", "400g", "12袋",
         "6连包", "24瓶", "家庭装", "分享装", "组合装", "整箱", "促销装"]
FLAVOURS = ["", "", "", "原味", "无糖", "低糖", "经典", "新包装", "限定款", "加量装"]
# Three levels: department → group → leaf (SKUs hang on leaves).
DEPARTMENTS = {
    "饮料": ["碳酸饮料", "饮用水", "果汁", "茶饮料", "功能饮料"],
    "乳品": ["纯牛奶", "酸奶", "儿童奶"],
    "休闲食品": ["膨化食品", "饼干", "坚果炒货", "糖果", "肉干肉脯"],
    "粮油调味": ["大米", "食用油", "酱油", "调味酱"],
    "酒水": ["啤酒", "白酒"],
    "速食冻品": ["方便面", "速冻水饺", "汤圆", "火腿肠"],
    "日化": ["纸品", "洗护", "清洁"],
}
# Regional and private-label brands make up most of a real catalog: brand names from common
# brand syllables, each selling a few products of a broad vocabulary, so that a product word
# is in about as many titles as in a real catalog (hundreds to a few thousand of 100,000).
_SYLLABLES_1 = ["金", "华", "康", "乐", "美", "佳", "鑫", "盛", "恒", "福", "旺", "顺", "宏", "德", "源", "泰", "天",
                "好"]
_SYLLABLES_2 = ["源", "达", "利", "丰", "兴", "隆", "宝", "星", "厨", "家", "味", "记"]
REGIONAL_SHARE = 0.75
PRODUCT_WORDS = [
    "纯牛奶", "酸奶", "豆奶", "核桃奶", "椰汁", "橙汁", "苹果汁", "葡萄汁", "芒果汁", "柠檬茶", "乌龙茶", "红茶",
    "绿茶", "茉莉花茶", "菊花茶", "凉茶", "矿泉水", "纯净水", "苏打水", "可乐", "汽水", "啤酒", "黄酒", "米酒",
    "白酒", "葡萄酒", "饼干", "曲奇", "威化", "蛋卷", "面包", "蛋糕", "月饼", "沙琪玛", "薯片", "虾条", "锅巴",
    "瓜子", "花生", "开心果", "杏仁", "腰果", "核桃", "红枣", "葡萄干", "牛肉干", "猪肉脯", "鱼干", "鸭脖",
    "辣条", "海苔", "果冻", "软糖", "奶糖", "巧克力", "口香糖", "大米", "小米", "糯米", "燕麦片", "面粉",
    "挂面", "方便面", "米粉", "粉丝", "花生油", "菜籽油", "玉米油", "橄榄油", "生抽", "老抽", "香醋", "陈醋",
    "料酒", "蚝油", "豆瓣酱", "辣椒酱", "芝麻酱", "鸡精", "味精", "食盐", "白糖", "冰糖", "红糖", "火锅底料",
    "水饺", "汤圆", "馄饨", "包子", "馒头", "春卷", "鱼丸", "牛肉丸", "火腿肠", "午餐肉", "腊肠", "咸鸭蛋",
    "皮蛋", "抽纸", "卷纸", "湿巾", "洗衣液", "洗衣粉", "洗洁精", "洗发水", "沐浴露", "牙膏", "牙刷", "香皂",
    "洗手液", "垃圾袋", "保鲜膜", "电池", "猫粮", "狗粮",
]
N_STORES = 20
LOCAL_SHARE = 0.08  # store-local SKUs: fresh produce, deli, bakery
LOCAL_WORDS = ["现烤面包", "鲜榨橙汁", "可乐鸡翅", "卤牛肉", "凉拌黄瓜", "手工水饺", "蛋挞", "红烧肉", "酸奶杯",
               "切块西瓜"]


def ean13(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def sku_rows(n: int, seed: int = 4) -> Iterator[dict[str, Any]]:
    """``n`` SKUs: name, short name, brand index, leaf category, status, store index (or None),
    barcode. Deterministic for a seed."""
    rnd = random.Random(seed)
    leaves = [leaf for group in DEPARTMENTS.values() for leaf in group]
    counters: dict[str, int] = {}
    for i in range(n):
        if rnd.random() < LOCAL_SHARE:
            word = rnd.choice(LOCAL_WORDS)
            store = rnd.randrange(N_STORES)
            yield {"code": f"L{i:07d}", "name": f"{word} {rnd.choice(SIZES)}", "short_name": "", "brand": None,
                   "leaf": rnd.randrange(len(leaves)), "status": "active", "store": store,
                   "barcode": f"2{store:02d}{i:07d}"}
            continue
        if rnd.random() < REGIONAL_SHARE:
            r = rnd.randrange(len(_SYLLABLES_1) * len(_SYLLABLES_2))
            b = len(BRANDS) + r
            brand = _SYLLABLES_1[r // len(_SYLLABLES_2)] + _SYLLABLES_2[r % len(_SYLLABLES_2)]
            prefix = f"69{88000 + r:05d}"
            # A regional brand sells a handful of products (picked by its number, not at random).
            word = PRODUCT_WORDS[(r * 7 + rnd.randrange(6) * 31) % len(PRODUCT_WORDS)]
        else:
            b = rnd.randrange(len(BRANDS))
            brand, prefix, words = BRANDS[b]
            word = rnd.choice(words)
        item = counters[prefix] = counters.get(prefix, 0) + 1
        flavour = rnd.choice(FLAVOURS)
        name = " ".join(p for p in (f"{brand}{word}", flavour, rnd.choice(SIZES)) if p)
        status = rnd.choices(["active", "draft", "discontinued"], [85, 5, 10])[0]
        yield {"code": f"{690000 + i}", "name": name, "short_name": word if rnd.random() < 0.3 else "",
               "brand": b, "leaf": rnd.randrange(len(leaves)), "status": status, "store": None,
               "barcode": ean13(f"{prefix}{item:05d}")}


def seed(owner: str, n: int) -> dict[str, Any]:
    """COPY the catalog in as the owner (bulk load, no RLS); returns the ids the queries use."""
    with psycopg.connect(owner, autocommit=True) as conn:
        stores = [conn.execute("insert into store (code, name) values (%s, %s) returning id",
                               (f"B{i:03d}", f"压测{i}号店")).fetchone()[0] for i in range(N_STORES)]  # type: ignore[index]
        names = [name for name, _, _ in BRANDS] + [a + b for a in _SYLLABLES_1 for b in _SYLLABLES_2]
        # A regional name may repeat a national one (brand names are unique): suffix it.
        names = [n if n not in names[:i] else f"{n}{i}" for i, n in enumerate(names)]
        brand_ids = [conn.execute("insert into brand (code, name) values (%s, %s) returning id",
                                  (f"BR{i:03d}", name)).fetchone()[0] for i, name in enumerate(names)]  # type: ignore[index]
        departments: dict[str, str] = {}
        leaves: list[str] = []
        for d, (dept, groups) in enumerate(DEPARTMENTS.items()):
            departments[dept] = _category(conn, f"D{d:02d}", dept, None)
            for g, group in enumerate(groups):
                leaves.append(_category(conn, f"D{d:02d}G{g:02d}", group, departments[dept]))
        rows = list(sku_rows(n))
        with conn.cursor().copy("copy sku (id, code, store_id, name, short_name, brand_id, category_id, tax_rate, "
                                "status) from stdin") as copy:
            for i, r in enumerate(rows):
                copy.write_row((f"sku{i:07d}", r["code"], None if r["store"] is None else stores[r["store"]],
                                r["name"], r["short_name"], None if r["brand"] is None else brand_ids[r["brand"]],
                                leaves[r["leaf"]], "0.13", r["status"]))
        with conn.cursor().copy("copy barcode (code, sku_id, store_id, kind) from stdin") as copy:
            for i, r in enumerate(rows):
                copy.write_row((r["barcode"], f"sku{i:07d}", None if r["store"] is None else stores[r["store"]],
                                "ean13" if r["store"] is None else "internal"))
        conn.execute("analyze")
    return {"stores": stores, "brands": brand_ids, "departments": departments, "leaves": leaves,
            "barcodes": [r["barcode"] for r in rows[:2000] if r["store"] is None]}


def _category(conn: psycopg.Connection[Any], code: str, name: str, parent: str | None) -> str:
    row = conn.execute(
        """with new as (select gen_random_uuid()::text as id)
           insert into category (id, code, name, parent_id, path, depth)
           select new.id, %s, %s, p.id, coalesce(p.path, '/') || new.id || '/', coalesce(p.depth + 1, 1)
             from new left join category p on p.id = %s returning id""", (code, name, parent)).fetchone()
    assert row is not None
    return str(row[0])


def queries(ids: dict[str, Any], rnd: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, text, filters) in the proportions staff type them."""
    words = ["可乐", "牛奶", "饼干", "薯片", "酸奶", "啤酒", "大米", "橙汁", "抽纸", "水饺", "奶茶", "生抽", "坚果",
             "牛肉", "绿茶", "洗发", "汤圆", "纯生", "火腿", "蚝油"]
    pinyin = ["kele", "niunai", "binggan", "shupian", "pijiu", "dami", "chengzhi", "niurou", "kekou", "shuijiao"]
    initials = ["kkkl", "nfsq", "ksf", "ylcnn", "qdpj", "jly", "hyhs", "szmm", "bsky", "wwxb"]
    out: list[tuple[str, str, dict[str, Any]]] = []
    for _ in range(50):
        out.append(("2-char word", rnd.choice(words), {}))
        out.append(("pinyin", rnd.choice(pinyin), {}))
        out.append(("initials", rnd.choice(initials), {}))
        out.append(("barcode prefix", rnd.choice(BRANDS)[1] + str(rnd.randrange(10)), {}))
        out.append(("exact barcode", rnd.choice(ids["barcodes"]), {}))
        out.append(("word + brand", rnd.choice(words), {"brand_id": rnd.choice(ids["brands"])}))
        out.append(("word + category subtree", rnd.choice(words),
                    {"category_id": rnd.choice(list(ids["departments"].values()))}))
        out.append(("word + status", rnd.choice(words), {"status": "active"}))
        out.append(("category only", "", {"category_id": rnd.choice(ids["leaves"])}))
    rnd.shuffle(out)
    return out


def _measure(search: PgSearch, ctx: context.Context, qs: list[tuple[str, str, dict[str, Any]]],
             store_ids: list[str] | None) -> dict[str, Any]:
    samples: dict[str, list[float]] = {}
    with context.use(ctx):
        for _, text, filters in qs[:20]:  # warm the pool and the caches
            search_index.search_sku_ids(search, text, store_ids=store_ids, limit=50, **filters)
        for kind, text, filters in qs:
            t = time.perf_counter()
            search_index.search_sku_ids(search, text, store_ids=store_ids, limit=50, **filters)
            samples.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    every = [x for v in samples.values() for x in v]
    return {
        "all": {"n": len(every), "p50_ms": round(percentile(every, 50), 2), "p95_ms": round(percentile(every, 95), 2),
                "p99_ms": round(percentile(every, 99), 2)},
        **{k: {"p50_ms": round(percentile(v, 50), 2), "p95_ms": round(percentile(v, 95), 2)}
           for k, v in sorted(samples.items())},
    }


def run(n: int = 100_000) -> dict[str, Any]:
    with bench_database() as (owner, app):
        started = time.perf_counter()
        ids = seed(owner, n)
        seeded_s = time.perf_counter() - started
        db = Database(app, min_size=2, max_size=4)
        try:
            search = PgSearch(db)
            started = time.perf_counter()
            indexed = search_index.reindex_all(db, search)
            index_s = time.perf_counter() - started
            with psycopg.connect(owner, autocommit=True) as conn:
                # What autovacuum does after a bulk load; the plans depend on it.
                conn.execute("analyze search_document, search_match, search_code")
            qs = queries(ids, random.Random(7))
            hq = _measure(search, context.system("bench"), qs, None)
            manager = context.Context("t", actor="user:bench", scope=context.Scope.stores(ids["stores"][3]))
            store = _measure(search, manager, qs, None)
            return {
                "skus": n, "indexed": indexed, "seed_s": round(seeded_s, 1), "reindex_s": round(index_s, 1),
                "backend": search.adapter_name, "hq": hq, "store_manager": store,
                "met": {"search_p95_under_50ms": max(hq["all"]["p95_ms"], store["all"]["p95_ms"]) < TARGET_P95_MS},
            }
        finally:
            db.close()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
