"""Demo data for a first run on a laptop: enough that every screen has something to show.
Idempotent: running it again adds nothing. The demo admin is printed in the README."""

from __future__ import annotations

import logging
from decimal import ROUND_DOWN, Decimal

from ucm import context
from ucm.bootstrap import Container
from ucm.identity import org, permissions, users
from ucm.identity.principal import Principal

log = logging.getLogger(__name__)

WELCOME_KEY = "uploads/demo/欢迎使用.txt"
WELCOME = "欢迎使用 UCM-Color 连锁超市后台。\n此文件由演示数据生成，用于展示“上传 → 登记 → 事件 → 报表”的链路。\n"
ADMIN_USER, ADMIN_PASSWORD = "admin", "Retail@2026"
REGIONS = (("EAST", "华东"), ("SOUTH", "华南"))
STORES = (
    ("S001", "上海徐汇店", "EAST", "上海市徐汇区漕溪北路 88 号"),
    ("S002", "上海浦东店", "EAST", "上海市浦东新区世纪大道 100 号"),
    ("S003", "杭州西湖店", "EAST", "杭州市西湖区文三路 200 号"),
    ("S004", "广州天河店", "SOUTH", "广州市天河区天河路 300 号"),
)
_SYSTEM = Principal("user", "demo", "演示数据", permissions.CODES, True, frozenset())


# (code, name, parent code) — a small supermarket's category tree.
CATEGORIES = (
    ("DRINK", "饮料", None), ("SODA", "碳酸饮料", "DRINK"), ("WATER", "饮用水", "DRINK"), ("JUICE", "果汁", "DRINK"),
    ("SNACK", "休闲食品", None), ("BISCUIT", "饼干", "SNACK"), ("CHIPS", "薯片膨化", "SNACK"),
    ("FRESH", "生鲜", None), ("FRUIT", "水果", "FRESH"), ("VEG", "蔬菜", "FRESH"),
    ("DAILY", "日用品", None), ("PAPER", "纸品", "DAILY"),
)
BRANDS = (("COKE", "可口可乐"), ("PEPSI", "百事"), ("NONGFU", "农夫山泉"), ("MASTERKONG", "康师傅"),
          ("LAYS", "乐事"), ("OREO", "奥利奥"), ("VINDA", "维达"), ("HUIYUAN", "汇源"))
# (code, name, short name, brand, category, unit, barcode body (12 digits) or PLU, price, member price, case of)
SKUS = (
    ("100001", "可口可乐 330ml 罐装", "可乐", "COKE", "SODA", "罐", "690102000001", "3.00", "2.80", 24),
    ("100002", "可口可乐 零度 500ml", "零度可乐", "COKE", "SODA", "瓶", "690102000002", "3.50", "3.20", 24),
    ("100003", "雪碧 500ml", "雪碧", "COKE", "SODA", "瓶", "690102000003", "3.50", None, 24),
    ("100004", "百事可乐 330ml 罐装", "百事", "PEPSI", "SODA", "罐", "694800000004", "2.90", "2.70", 24),
    ("100005", "农夫山泉 饮用天然水 550ml", "农夫山泉", "NONGFU", "WATER", "瓶", "692160000005", "2.00", None, 24),
    ("100006", "农夫山泉 饮用天然水 1.5L", "大瓶水", "NONGFU", "WATER", "瓶", "692160000006", "4.00", "3.50", 12),
    ("100007", "康师傅 冰红茶 500ml", "冰红茶", "MASTERKONG", "JUICE", "瓶", "690286000007", "3.00", None, 15),
    ("100008", "汇源 100%橙汁 1L", "橙汁", "HUIYUAN", "JUICE", "盒", "690398000008", "12.80", "11.50", 12),
    ("100009", "乐事 原味薯片 70g", "乐事原味", "LAYS", "CHIPS", "袋", "690924000009", "7.50", "6.90", 22),
    ("100010", "乐事 黄瓜味薯片 70g", "乐事黄瓜", "LAYS", "CHIPS", "袋", "690924000010", "7.50", None, 22),
    ("100011", "奥利奥 原味夹心饼干 97g", "奥利奥", "OREO", "BISCUIT", "盒", "690180000011", "8.90", "8.50", 24),
    ("100012", "维达 超韧抽纸 3层100抽×6包", "维达抽纸", "VINDA", "PAPER", "提", "690130000012", "19.90", "17.90", 8),
    ("200001", "红富士苹果", "苹果", None, "FRUIT", "kg", "00001", "12.80", "11.80", None),
    ("200002", "香蕉", "香蕉", None, "FRUIT", "kg", "00002", "6.98", None, None),
    ("200003", "大白菜", "白菜", None, "VEG", "kg", "00003", "2.58", None, None),
)


def _seed_catalog(c: Container) -> None:
    """Categories, brands, SKUs with barcodes and prices, and tonight's fresh markdown at S001."""
    from datetime import datetime, timedelta

    from ucm.catalog import categories, prices, skus
    from ucm.catalog.barcodes import gtin_check_digit
    from ucm.times import SHANGHAI

    have = {x["code"]: x["id"] for x in categories.list_categories(c.db)}
    if "DRINK" in have:
        return
    for code, name, parent in CATEGORIES:
        have[code] = categories.create_category(c.db, _SYSTEM, code, name, have[parent] if parent else None)["id"]
    brands = {code: categories.create_brand(c.db, _SYSTEM, code, name)["id"] for code, name in BRANDS}
    created = {}
    for code, name, short, brand, cat, unit, bar, price, member, case in SKUS:
        weighed = case is None
        body: dict[str, object] = {
            "code": code, "name": name, "short_name": short, "brand_id": brands.get(brand or ""),
            "category_id": have[cat], "unit": unit, "tax_rate": "9%" if weighed else "13%", "status": "active",
            "origin": "中国", "shelf_life_days": 7 if weighed else 365, "is_weighed": weighed,
            "plu": bar if weighed else None, "standard_price": price, "member_price": member,
            "packs": [] if weighed else [{"name": "箱", "quantity": str(case)}],
            "barcodes": [] if weighed else [{"code": bar + gtin_check_digit(bar)}],
        }
        created[code] = skus.create_sku(c.db, None, _SYSTEM, body)["id"]
    stores = {s["code"]: s["id"] for s in org.list_stores(c.db, None, None, None, 500, None)["items"]}
    evening = datetime.now(SHANGHAI).replace(hour=19, minute=0, second=0, microsecond=0)
    if evening < datetime.now(SHANGHAI):
        evening += timedelta(days=1)
    prices.add_price(c.db, c.cache, _SYSTEM, created["200002"], prices.PriceInput(
        stores["S001"], "temporary", "4.98", starts_at=evening, ends_at=evening + timedelta(hours=3),
        note="晚间生鲜折扣"))
    log.info("demo data: catalog created", extra={"fields": {"skus": len(created)}})


# Opening stock per SKU code at S001 (counted units whole, kg with decimals); the other stores hold
# a share of it (STORE_SHARE), so each store's list looks a little different.
OPENING = {
    "100001": "240", "100002": "96", "100003": "72", "100004": "120", "100005": "288", "100006": "48",
    "100007": "90", "100008": "8", "100009": "66", "100010": "44", "100011": "72", "100012": "16",
    "200001": "52.500", "200002": "38.250", "200003": "64.800",
}
STORE_SHARE = {"S001": Decimal(1), "S002": Decimal("0.5"), "S003": Decimal("0.75"), "S004": Decimal("0.25")}
# Goods on their way from S001 to S002, so 调拨 and 在途 have something to show.
IN_TRANSIT = (("100001", 48), ("100005", 24), ("100009", 22))
# Low-stock thresholds (store, SKU code, quantity) set above the opening stock: 预警 is not empty.
THRESHOLDS = (("S001", "100008", 12), ("S002", "100012", 10))


def _seed_stock(c: Container) -> None:
    """Opening stock at S001–S004 (a purchase receipt each), one shipped transfer S001 → S002 and
    two low-stock thresholds with their alerts. Runs once: a store with stock already is left alone."""
    from ucm.catalog import skus
    from ucm.inventory import alerts, moves, stock, transfers

    stores = {s["code"]: s["id"] for s in org.list_stores(c.db, None, None, None, 500, None)["items"]}
    if stock.list_stock(c.db, stores["S001"], None, 1, None)["items"]:
        return
    ids = {s["code"]: s["id"] for s in skus.list_skus(c.db, None, limit=200, with_prices=False)["items"]
           if s["store_id"] is None}
    weighed = {code for code, *_rest, case in SKUS if case is None}
    for store_code, share in STORE_SHARE.items():
        lines = []
        for code, qty in OPENING.items():
            q = Decimal(qty) * share
            # counted units stay whole (at least one), kg keep three decimals
            q = q.quantize(Decimal("0.001")) if code in weighed else max(q.to_integral_value(ROUND_DOWN), Decimal(1))
            lines.append((ids[code], str(q)))
        moves.apply_move(c.db, c.cache, _SYSTEM, stores[store_code], "purchase_receipt", lines,
                         f"demo:opening:{store_code}", ref="期初库存", note="演示数据：期初库存")
    t = transfers.create(c.db, _SYSTEM, stores["S001"], stores["S002"],
                         [transfers.Line(ids[code], qty) for code, qty in IN_TRANSIT], "演示数据：周末补货",
                         "demo:transfer:S001-S002")
    transfers.ship(c.db, c.cache, _SYSTEM, t["id"], t["version"])
    for store_code, code, low in THRESHOLDS:
        alerts.set_threshold(c.db, stores[store_code], ids[code], low, None)
    alerts.evaluate(c.db)  # the daily check, now, so the alerts show on the first start
    log.info("demo data: opening stock and a transfer in transit",
             extra={"fields": {"stores": len(STORE_SHARE), "skus": len(OPENING)}})


def seed(c: Container) -> None:
    with context.use(context.system("demo", actor="system:demo")):
        if users.ensure_admin(c.db, ADMIN_USER, ADMIN_PASSWORD):
            log.info("demo data: admin created", extra={"fields": {"username": ADMIN_USER}})
        regions = {r["code"]: r["id"] for r in org.list_regions(c.db)["items"]}
        for code, name in REGIONS:
            if code not in regions:
                regions[code] = org.create_region(c.db, _SYSTEM, code, name)["id"]
        stores = {s["code"] for s in org.list_stores(c.db, None, None, None, 500, None)["items"]}
        for code, name, region, address in STORES:
            if code not in stores:
                org.create_store(c.db, _SYSTEM, org.StoreInput(code, name, regions[region], address,
                                                                   "07:00-23:00", "active", "Asia/Shanghai"))
        _seed_catalog(c)
        _seed_stock(c)
    if c.objects.head(WELCOME_KEY) is None:
        c.objects.put(WELCOME_KEY, WELCOME.encode(), "text/plain; charset=utf-8")
        log.info("demo data: welcome upload stored", extra={"fields": {"key": WELCOME_KEY}})
