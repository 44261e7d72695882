"""Realistic Chinese supermarket product data for benchmarks: a category tree, brands, SKU rows
the way an HQ import file holds them (names like 农夫山泉 饮用天然水 550ml, valid EAN-13 codes
with correct check digits, prices with member prices below them, some weighed fresh produce
with PLUs), as dicts or as a CSV file with the template's Chinese headers.

    categories()            [(code, name, parent_code | None)], parents first
    brands()                [(code, name)]
    sku_rows(n, seed)       n import rows (dict: header → cell text), deterministic per seed
    write_csv(path, n)      the same as a UTF-8-with-BOM CSV
    install_reference(db)   categories and brands into a database (for imports to resolve)
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from ucm import context
from ucm.catalog.barcodes import gtin_check_digit
from ucm.db import Database

HEADERS = ("商品编码", "商品名称", "简称", "品牌", "类目", "单位", "称重", "PLU", "税率", "产地", "保质期(天)", "状态",
           "条码", "箱规", "箱条码", "标准价", "会员价")

# (top code, top name, [(leaf name, units, sizes, base price, tax rate, shelf life days, products)])
_TREE: tuple[tuple[str, str, tuple[tuple[str, tuple[str, ...], tuple[str, ...], float, str, int, tuple[str, ...]],
                                   ...]], ...] = (
    ("01", "饮料", (
        ("碳酸饮料", ("瓶", "罐"), ("330ml", "500ml", "1.25L", "2L"), 3.0, "13%", 365,
         ("可乐", "雪碧", "芬达橙味", "零度可乐")),
        ("饮用水", ("瓶",), ("550ml", "380ml", "1.5L", "5L"), 2.0, "13%", 540, ("饮用天然水", "纯净水", "矿泉水")),
        ("果汁", ("瓶", "盒"), ("450ml", "1L", "300ml"), 5.5, "13%", 270, ("橙汁", "苹果汁", "葡萄汁", "椰子汁")),
        ("茶饮料", ("瓶",), ("500ml", "1L"), 3.5, "13%", 300, ("冰红茶", "绿茶", "乌龙茶", "茉莉清茶")),
    )),
    ("02", "休闲食品", (
        ("饼干", ("袋", "盒"), ("100g", "200g", "400g"), 6.8, "13%", 270, ("苏打饼干", "夹心饼干", "消化饼干")),
        ("膨化食品", ("袋",), ("60g", "104g", "150g"), 5.9, "13%", 240, ("薯片原味", "薯片番茄味", "虾条", "玉米片")),
        ("糖果", ("袋",), ("150g", "250g", "500g"), 9.9, "13%", 540, ("奶糖", "水果糖", "巧克力")),
    )),
    ("03", "粮油调味", (
        ("大米", ("袋",), ("2.5kg", "5kg", "10kg"), 29.9, "9%", 365, ("东北大米", "泰国香米", "五常大米")),
        ("食用油", ("桶", "瓶"), ("900ml", "1.8L", "5L"), 39.9, "9%", 540, ("花生油", "玉米油", "菜籽油", "调和油")),
        ("酱油醋", ("瓶",), ("500ml", "1.28L"), 8.9, "13%", 720, ("生抽", "老抽", "陈醋", "香醋")),
    )),
    ("04", "乳品", (
        ("牛奶", ("盒", "瓶"), ("250ml", "1L", "950ml"), 4.5, "9%", 180, ("纯牛奶", "低脂牛奶", "鲜牛奶")),
        ("酸奶", ("杯", "瓶"), ("100g", "200g", "1kg"), 3.8, "13%", 21, ("原味酸奶", "草莓酸奶", "希腊酸奶")),
    )),
    ("05", "日化", (
        ("洗发护发", ("瓶",), ("200ml", "400ml", "750ml"), 32.9, "13%", 1095, ("去屑洗发水", "护发素", "柔顺洗发露")),
        ("口腔护理", ("支", "盒"), ("90g", "120g", "180g"), 12.9, "13%", 1095, ("牙膏", "美白牙膏", "儿童牙膏")),
    )),
)
# Weighed produce: sold by kg, a PLU for the scales, no GTIN.
_FRESH = ("06", "生鲜", (
    ("水果", ("富士苹果", "香蕉", "砂糖橘", "红心火龙果", "麒麟西瓜", "阳光玫瑰葡萄"), 9.9),
    ("蔬菜", ("西红柿", "黄瓜", "土豆", "大白菜", "西兰花", "胡萝卜"), 4.5),
    ("肉类", ("猪五花肉", "猪里脊", "牛腩", "鸡胸肉"), 29.9),
))
_BRANDS = (
    ("B001", "可口可乐"), ("B002", "百事"), ("B003", "农夫山泉"), ("B004", "怡宝"), ("B005", "康师傅"),
    ("B006", "统一"), ("B007", "娃哈哈"), ("B008", "汇源"), ("B009", "奥利奥"), ("B010", "乐事"),
    ("B011", "旺旺"), ("B012", "金龙鱼"), ("B013", "福临门"), ("B014", "海天"), ("B015", "伊利"),
    ("B016", "蒙牛"), ("B017", "光明"), ("B018", "海飞丝"), ("B019", "云南白药"), ("B020", "高露洁"),
    ("B021", "百岁山"), ("B022", "元气森林"), ("B023", "达利园"), ("B024", "徐福记"), ("B025", "十月稻田"),
)
_ORIGINS = ("广东广州", "浙江杭州", "上海", "北京", "山东青岛", "黑龙江五常", "江苏苏州", "福建厦门", "四川成都",
            "天津")
# Which brands make what (by top category), so that names read like real shelf labels.
_MAKERS = {
    "01": ("可口可乐", "百事", "农夫山泉", "怡宝", "康师傅", "统一", "娃哈哈", "汇源", "百岁山", "元气森林"),
    "02": ("奥利奥", "乐事", "旺旺", "达利园", "徐福记", "康师傅"),
    "03": ("金龙鱼", "福临门", "海天", "十月稻田"),
    "04": ("伊利", "蒙牛", "光明"),
    "05": ("海飞丝", "云南白药", "高露洁"),
}


def categories() -> list[tuple[str, str, str | None]]:
    out: list[tuple[str, str, str | None]] = []
    for top_code, top, leaves in (*_TREE, (_FRESH[0], _FRESH[1], ())):
        out.append((top_code, top, None))
        for i, leaf in enumerate(leaves, start=1):
            out.append((f"{top_code}{i:02d}", leaf[0], top_code))
    for i, (fresh, _, _) in enumerate(_FRESH[2], start=1):
        out.append((f"{_FRESH[0]}{i:02d}", fresh, _FRESH[0]))
    return out


def brands() -> list[tuple[str, str]]:
    return list(_BRANDS)


def ean13(body12: str) -> str:
    return body12 + gtin_check_digit(body12)


def _price(base: float, rng: random.Random) -> Decimal:
    """Around ``base``, ending in .x0 or .x9 as shelf prices do."""
    price = Decimal(str(round(base * rng.uniform(0.6, 1.8), 1)))
    return price - Decimal("0.01") if price >= 5 and rng.random() < 0.5 else max(price, Decimal("0.5"))


def sku_rows(n: int, seed: int = 1) -> Iterator[dict[str, str]]:
    """``n`` rows with unique codes, barcodes and PLUs (per seed: seeds 1..9 do not collide)."""
    rng = random.Random(seed)
    fresh_every = 33  # ~3 % weighed produce, as in a typical store's assortment
    plu = 0
    for i in range(n):
        code = f"{seed}{i:07d}"
        if i % fresh_every == 0:
            plu += 1
            kind, produce, per_kg = _FRESH[2][i // fresh_every % len(_FRESH[2])]
            product = produce[i % len(produce)]
            price = _price(per_kg, rng)
            yield {"商品编码": code, "商品名称": f"{product}（散装）", "简称": product, "品牌": "",
                   "类目": f"生鲜/{kind}", "单位": "kg", "称重": "是", "PLU": f"{seed}{plu:04d}", "税率": "9%",
                   "产地": rng.choice(_ORIGINS), "保质期(天)": "3", "状态": "在售", "条码": "", "箱规": "",
                   "箱条码": "", "标准价": f"{price:.2f}", "会员价": f"{price * Decimal('0.9'):.2f}"}
            continue
        top = _TREE[i % len(_TREE)]
        name, units, sizes, base, tax, shelf, products = top[2][i // len(_TREE) % len(top[2])]
        makers = _MAKERS[top[0]]
        brand = makers[rng.randrange(len(makers))]
        size = sizes[rng.randrange(len(sizes))]
        product = products[rng.randrange(len(products))]
        price = _price(base, rng)
        member = price - Decimal("0.10") * rng.randrange(0, 5) if rng.random() < 0.6 else None
        has_case = rng.random() < 0.4
        yield {
            "商品编码": code, "商品名称": f"{brand} {product} {size}", "简称": f"{brand}{product}"[:40], "品牌": brand,
            "类目": f"{top[1]}/{name}", "单位": units[rng.randrange(len(units))], "称重": "否", "PLU": "", "税率": tax,
            "产地": rng.choice(_ORIGINS), "保质期(天)": str(shelf), "状态": "在售" if rng.random() < 0.95 else "停售",
            "条码": ean13(f"69{seed}{i:09d}"), "箱规": "箱=24" if has_case else "",
            "箱条码": ean13(f"68{seed}{i:09d}") if has_case else "", "标准价": f"{price:.2f}",
            "会员价": f"{member:.2f}" if member is not None and member > 0 else "",
        }


def write_csv(path: Path | str, n: int, seed: int = 1, encoding: str = "utf-8-sig") -> Path:
    """The rows as an import file (Excel's "CSV UTF-8" by default; ``gb18030`` for the other one)."""
    out = Path(path)
    with out.open("w", encoding=encoding, newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADERS)
        w.writeheader()
        w.writerows(sku_rows(n, seed))
    return out


def install_reference(db: Database) -> None:
    """Categories (with their materialised paths) and brands, as HQ would have set them up."""
    with db.transaction(context.system("bench")) as uow:
        ids: dict[str, tuple[str, str]] = {}  # code → (id, path)
        for code, name, parent in categories():
            parent_id, parent_path = ids[parent] if parent else (None, "/")
            row = uow.one("insert into category (code, name, parent_id, path, depth) values (%s, %s, %s, %s, %s)"
                          " on conflict (code) do update set name = excluded.name returning id",
                          (code, name, parent_id, f"{parent_path}{code}/", 1 if parent is None else 2))
            assert row is not None
            path = f"{parent_path}{row['id']}/"
            uow.execute("update category set path = %s where id = %s", (path, row["id"]))
            ids[code] = (row["id"], path)
        for code, name in brands():
            uow.execute("insert into brand (code, name) values (%s, %s) on conflict do nothing", (code, name))
