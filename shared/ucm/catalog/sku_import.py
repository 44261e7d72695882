"""The SKU import kind: a file of SKUs (master data, barcodes, a pack level, prices) validated,
committed and rolled back set-wise, so 100,000 rows take seconds, not a round trip per row.

Rules (the same parsers as the SKU form, ``ucm.catalog.rules``):
- a code in the file that exists is an update, else a create; blank cells of an update keep
  the current value (a partial file — only prices, say — changes only what it holds);
- a barcode may appear once in the file and must not belong to another SKU;
- a store import (job ``store_id``) writes that store's prices and creates that store's local
  SKUs; it may not change the master data of an HQ-wide SKU, nor touch another store's SKU;
- prices: a new ``standard`` / ``member`` row from the commit on, only where the amount differs
  from the one in force; a member price above the standard price is refused.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any, NamedTuple

from psycopg.rows import tuple_row
from typing_extensions import LiteralString

from ucm import context, topics
from ucm.catalog import barcodes, rules
from ucm.catalog.rules import RuleError
from ucm.db import UnitOfWork
from ucm.errors import conflict
from ucm.imports.kinds import CellError, FieldSpec, Job, Outcome, Progress, Reader, RowIn, RowOut
from ucm.text import normalize_code, to_half_width
from ucm.times import SHANGHAI


def _ean13(body: str) -> str:
    return body + barcodes.gtin_check_digit(body)


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("code", "商品编码", True, ("编码", "商品代码", "商品编号", "货号", "sku", "skucode", "productcode"),
              "690001"),
    FieldSpec("name", "商品名称", True, ("名称", "品名", "商品名", "productname"), "农夫山泉 饮用天然水 550ml"),
    FieldSpec("short_name", "简称", False, ("商品简称", "shortname"), "农夫山泉"),
    FieldSpec("brand", "品牌", False, ("品牌名称", "品牌编码", "brandname", "brandcode"), "农夫山泉"),
    FieldSpec("category", "类目", True, ("分类", "品类", "商品分类", "商品类目", "类别", "categorypath"),
              "饮料/饮用水"),
    FieldSpec("unit", "单位", False, ("基本单位", "销售单位", "uom"), "瓶"),
    FieldSpec("is_weighed", "称重", False, ("是否称重", "称重商品", "weighed", "isweighed"), "否"),
    FieldSpec("plu", "PLU", False, ("PLU码", "plucode"), ""),
    FieldSpec("tax_rate", "税率", True, ("销项税率", "增值税率", "tax", "vat"), "13%"),
    FieldSpec("origin", "产地", False, ("原产地", "countryoforigin"), "浙江杭州"),
    FieldSpec("shelf_life_days", "保质期(天)", False,
              ("保质期", "保质期天数", "保质天数", "shelflife", "shelflifedays"), "365"),
    FieldSpec("status", "状态", False, ("商品状态",), "在售"),
    FieldSpec("barcodes", "条码", False, ("商品条码", "国际条码", "条形码", "barcode", "ean"), _ean13("692116850925")),
    FieldSpec("pack", "箱规", False, ("包装", "包装规格", "箱规格", "packsize"), "箱=24"),
    FieldSpec("pack_barcode", "箱条码", False, ("箱码", "包装条码", "外箱条码", "casebarcode", "packbarcodes"),
              _ean13("692116850926")),
    FieldSpec("standard_price", "标准价", False, ("售价", "零售价", "标准售价", "price", "retailprice"), "2.00"),
    FieldSpec("member_price", "会员价", False, ("会员售价", "memberprice"), "1.80"),
    # A markdown (temporary price) for a period: all three or none.
    FieldSpec("temporary_price", "促销价", False, ("特价", "促销售价", "promoprice", "temporaryprice"), ""),
    FieldSpec("temporary_starts", "促销开始", False, ("促销开始时间", "特价开始", "promostart"), ""),
    FieldSpec("temporary_ends", "促销结束", False, ("促销结束时间", "特价结束", "promoend"), ""),
)
LABELS = {f.field: f.label for f in FIELDS}
MASTER = ("name", "short_name", "brand", "category", "unit", "is_weighed", "plu", "tax_rate", "origin",
          "shelf_life_days", "status")
CODES = ("barcodes", "pack", "pack_barcode")
PRICES = ("standard_price", "member_price", "temporary_price")
_PROMO = ("temporary_price", "temporary_starts", "temporary_ends")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
_SPLIT = re.compile(r"[;；,，、\n]+")  # not spaces: "690 1234 56789" is one code
_PACK = re.compile(r"(.+?)\s*[=*×Xx]\s*([0-9.]+)")
_CATEGORY_SPLIT = re.compile(r"\s*[/>\\]\s*")
_SHELF = "catalog.sku.shelf_life"
_SHELF_MESSAGE = "保质期须为天数（整数），例如 365"

# --- set-wise reads ---------------------------------------------------------------------------

_EXISTING: LiteralString = """
select s.id, s.code, s.store_id, s.name, s.short_name, s.brand_id, b.name as brand_name, s.category_id, s.unit,
       s.is_weighed, s.plu, s.tax_rate, s.origin, s.shelf_life_days, s.status, s.version
from sku s left join brand b on b.id = s.brand_id
where s.code = any(string_to_array(%s, chr(31)))
"""
_PACKS: LiteralString = """
select sku_id, name, quantity from sku_pack where sku_id = any(string_to_array(%s, chr(31)))
"""
_BARCODES: LiteralString = """
select b.code, b.sku_id, p.name as pack_name from barcode b left join sku_pack p on p.id = b.pack_id
where b.sku_id = any(string_to_array(%s, chr(31)))
"""
_BARCODE_OWNERS: LiteralString = """
select b.code, s.code as sku_code, s.store_id from barcode b join sku s on s.id = b.sku_id
where b.code = any(string_to_array(%s, chr(31)))
"""
_PLU_OWNERS: LiteralString = "select plu, code, store_id from sku where plu = any(string_to_array(%s, chr(31)))"
_CATEGORIES: LiteralString = "select id, code, name, parent_id, path from category order by path"
_BRANDS: LiteralString = "select id, code, name from brand"
# The standard and (all-member) member prices in force now, HQ-wide and the job's store.
_PRICES: LiteralString = """
select distinct on (sku_id, kind, coalesce(store_id, '')) sku_id, kind, store_id, amount
from price
where sku_id = any(string_to_array(%(ids)s, chr(31))) and status = 'active' and kind in ('standard', 'member')
  and tier is null
  and starts_at <= now() and (store_id is null or store_id = %(store)s)
order by sku_id, kind, coalesce(store_id, ''), starts_at desc
"""
# Markdowns running or to come at the job's price list (store, or HQ-wide), to refuse overlaps.
_TEMPORARY: LiteralString = """
select sku_id, amount, starts_at, ends_at from price
where sku_id = any(string_to_array(%(ids)s, chr(31))) and kind = 'temporary' and status = 'active' and tier is null
  and coalesce(store_id, '') = coalesce(%(store)s, '') and ends_at > now()
"""
_GUARD: LiteralString = """
select max_down_pct, max_up_pct from price_guard where store_id = %s or store_id is null
order by store_id nulls last limit 1
"""


CHUNK = 5000  # rows validated per round of queries: memory stays flat, queries stay few
_SEP = "\x1f"  # joins keys into one text parameter (a list parameter costs more to send)


def _keys(values: Iterable[str]) -> str:
    return _SEP.join(values)


@dataclass
class Static:
    """Reference data loaded once per file: categories, brands, the store's price guard."""

    categories: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → (id, path text)
    category_path: dict[str, str] = field(default_factory=dict)  # id → path text
    brands: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → (id, name)
    guard: tuple[Decimal, Decimal] | None = None  # store jobs: (max down %, max up %)
    _seen: dict[str, tuple[str, str] | None] = field(default_factory=dict)

    def category(self, text: str) -> tuple[str, str] | None:
        """(id, path) of a category given by code, full path (饮料/碳酸饮料 or 饮料 > 碳酸饮料) or
        unique name; the same few texts recur on every row, so each is looked up once."""
        if text not in self._seen:
            key = "/".join(_CATEGORY_SPLIT.split(to_half_width(text).strip())).lower()
            self._seen[text] = self.categories.get(key)
        return self._seen[text]


@dataclass
class Ref:
    """What the database holds for the keys of one chunk of rows, loaded in a few queries."""

    static: Static
    existing: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → sku row
    packs: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # sku id → pack name → quantity
    base_codes: dict[str, list[str]] = field(default_factory=dict)  # sku id → base-unit barcodes
    pack_codes: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # sku id → pack → barcodes
    barcode_owner: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # code → (sku code, store)
    plu_owner: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    prices: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (sku id, kind) → amount in force
    hq_prices: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    markdowns: dict[str, list[tuple[Decimal, datetime, datetime]]] = field(default_factory=dict)  # sku id → …


def _load_static(uow: UnitOfWork, job: Job) -> Static:
    st = Static()
    cats = uow.all(_CATEGORIES)
    names = {c["id"]: c["name"] for c in cats}
    leaf_count: dict[str, int] = defaultdict(int)
    for c in cats:
        leaf_count[c["name"]] += 1
    for c in cats:
        path = "/".join(names[i] for i in c["path"].strip("/").split("/") if i in names)
        st.category_path[c["id"]] = path
        st.categories[c["code"].lower()] = (c["id"], path)
        st.categories.setdefault(path.lower(), (c["id"], path))
        if leaf_count[c["name"]] == 1:  # a bare name only when it names one category
            st.categories.setdefault(c["name"].lower(), (c["id"], path))
    for b in uow.all(_BRANDS):
        st.brands[b["code"].lower()] = (b["id"], b["name"])
        st.brands.setdefault(b["name"].lower(), (b["id"], b["name"]))
    if job.store_id is not None:
        g = uow.one(_GUARD, (job.store_id,))
        if g is not None:
            st.guard = (g["max_down_pct"], g["max_up_pct"])
    return st


def _load(uow: UnitOfWork, job: Job, static: Static, codes: Iterable[str], all_barcodes: Iterable[str],
          plus: Iterable[str]) -> Ref:
    ref = Ref(static)
    for r in uow.all(_EXISTING, (_keys(codes),)):
        ref.existing[r["code"]] = r
    ids = _keys(r["id"] for r in ref.existing.values())
    if ids:
        for sku_id, name, quantity in _tuples(uow, _PACKS, (ids,)):
            ref.packs.setdefault(sku_id, {})[name] = quantity
        for code, sku_id, pack_name in _tuples(uow, _BARCODES, (ids,)):
            if pack_name is None:
                ref.base_codes.setdefault(sku_id, []).append(code)
            else:
                ref.pack_codes.setdefault(sku_id, {}).setdefault(pack_name, []).append(code)
        for sku_id, kind, store_id, amount in _tuples(uow, _PRICES, {"ids": ids, "store": job.store_id}):
            if store_id is None:
                ref.hq_prices[(sku_id, kind)] = amount
                ref.prices.setdefault((sku_id, kind), amount)
            else:
                ref.prices[(sku_id, kind)] = amount  # the store's own price wins over HQ's
        for sku_id, amount, starts_at, ends_at in _tuples(uow, _TEMPORARY, {"ids": ids, "store": job.store_id}):
            ref.markdowns.setdefault(sku_id, []).append((amount, starts_at, ends_at))
    # Owners of the file's barcodes: the existing SKUs' own are known now; ask only for the rest.
    by_id = {r["id"]: (r["code"], r["store_id"]) for r in ref.existing.values()}
    for sku_id, codes_of in ref.base_codes.items():
        for code in codes_of:
            ref.barcode_owner[code] = by_id[sku_id]
    for sku_id, packs in ref.pack_codes.items():
        for codes_of in packs.values():
            for code in codes_of:
                ref.barcode_owner[code] = by_id[sku_id]
    rest = _keys(c for c in all_barcodes if c not in ref.barcode_owner)
    if rest:
        for code, sku_code, store_id in _tuples(uow, _BARCODE_OWNERS, (rest,)):
            ref.barcode_owner[code] = (sku_code, store_id)
    plu_keys = _keys(plus)
    if plu_keys:
        for plu, code, store_id in _tuples(uow, _PLU_OWNERS, (plu_keys,)):
            ref.plu_owner[plu] = (code, store_id)
    return ref


def _tuples(uow: UnitOfWork, query: LiteralString, params: Any) -> list[tuple[Any, ...]]:
    """Rows as plain tuples: a dict per row is measurable over 100,000 SKUs' barcodes and prices."""
    with uow.conn.cursor(row_factory=tuple_row) as cur:
        return cur.execute(query, params).fetchall()


# --- validation -------------------------------------------------------------------------------------

@dataclass
class _Parsed:
    row: RowIn
    values: dict[str, Any]
    errors: list[CellError]
    code: str = ""
    base: list[barcodes.Barcode] | None = None
    pack_barcode: barcodes.Barcode | None = None


class _Memo:
    """The shared parsers, remembered per distinct cell text: a file repeats 13%, 在售, 瓶 and
    its prices over and over, and parsing each of 100,000 rows afresh would dominate the time."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        self.parse = parse
        self.seen: dict[str, Any] = {}

    def __call__(self, text: str) -> Any:
        hit = self.seen.get(text, _MISSING)
        if hit is _MISSING:
            try:
                hit = self.parse(text)
            except RuleError as e:
                hit = _Refused(e.code, e.message)  # not the exception: re-raising one grows its traceback
            if len(self.seen) < 50_000:
                self.seen[text] = hit
        if isinstance(hit, _Refused):
            raise RuleError(hit.code, hit.message)
        return hit


class _Refused(NamedTuple):
    code: str
    message: str


_MISSING = object()


@lru_cache(maxsize=8192)  # a file holds a few thousand distinct prices, formatted over and over
def _money(s: Decimal | None) -> str | None:
    return None if s is None else f"{s:.2f}"


def _tax(v: Decimal) -> str:
    return format(v.normalize(), "f") if v else "0"


def _parse_pack(text: str) -> tuple[str, Decimal]:
    m = _PACK.fullmatch(rules.clean(text))
    if not m:
        raise RuleError("catalog.pack.format", "箱规格式为 包装单位=数量，例如 箱=24")
    return m.group(1).strip(), rules.parse_quantity(m.group(2))


def _parse_time(text: str, *, end: bool = False) -> datetime:
    """``2026-12-01 08:00`` (Shanghai time when no offset); a bare date is the start of that day,
    or as an end, the end of it (促销结束 2026-12-07 runs through the 7th)."""
    t = rules.clean(text).replace("/", "-")
    try:
        if len(t) <= 10:
            day = datetime.strptime(t, "%Y-%m-%d")
            value = day + timedelta(days=1) if end else day
        else:
            value = datetime.fromisoformat(t) if "+" in t[10:] or t.endswith("Z") else _strptime(t)
    except ValueError:
        raise RuleError("catalog.price.time", "时间格式为 2026-12-01 或 2026-12-01 08:00") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


def _strptime(t: str) -> datetime:
    for f in _TIME_FORMATS:
        try:
            return datetime.strptime(t, f)
        except ValueError:
            continue
    raise ValueError(t)


def _markdown_text(m: tuple[Decimal, datetime, datetime]) -> str:
    start, end = m[1].astimezone(SHANGHAI), m[2].astimezone(SHANGHAI)
    return f"¥{m[0]:.2f} {start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}"


def _shelf_life(text: str) -> int | None:
    return rules.parse_int(text, code=_SHELF, message=_SHELF_MESSAGE)


class SkuImport:
    name = "sku"
    label = "商品"
    read_permission = "catalog.sku.read"
    write_permission = "catalog.sku.write"
    fields: Sequence[FieldSpec] = FIELDS

    # --- validate ----------------------------------------------------------------------------

    @staticmethod
    def _parsers() -> dict[str, _Memo]:
        return {"is_weighed": _Memo(rules.parse_bool), "tax_rate": _Memo(rules.parse_tax_rate),
                "status": _Memo(rules.parse_status), "standard_price": _Memo(rules.parse_money),
                "member_price": _Memo(rules.parse_money), "temporary_price": _Memo(rules.parse_money),
                "temporary_starts": _Memo(_parse_time), "temporary_ends": _Memo(partial(_parse_time, end=True)),
                "shelf_life_days": _Memo(_shelf_life),
                "pack": _Memo(_parse_pack), "plu": _Memo(rules.parse_plu), "unit": _Memo(rules.clean),
                "origin": _Memo(rules.clean), "brand": _Memo(rules.clean), "category": _Memo(rules.clean)}

    def _parse(self, row: RowIn, job: Job, memo: dict[str, _Memo]) -> _Parsed:
        """Each cell through the shared parsers; every error kept (the user fixes all at once)."""
        v = row.values
        p = _Parsed(row, {}, [])
        cols = job.columns

        def err(f: str, code: str, message: str) -> None:
            p.errors.append(CellError(cols.get(f, LABELS.get(f, "")), f, code, message, v.get(f, "")))

        raw_code = v.get("code", "")
        if not raw_code.strip():
            err("code", "catalog.sku.code", "商品编码必填")
        else:
            try:
                p.code = rules.parse_code(raw_code)
            except RuleError as e:
                err("code", e.code, e.message)
        for f in ("name", "short_name"):
            text = v.get(f)
            if text:
                c = rules.clean(text)
                if c:
                    p.values[f] = c
        for f, parse in memo.items():
            text = v.get(f)
            if text and not text.isspace():
                try:
                    value = parse(text)
                except RuleError as e:
                    err(f, e.code, e.message)
                    continue
                if value is not None and value != "":
                    p.values[f] = value
        text = v.get("barcodes")
        if text and not text.isspace():
            p.base = []
            for part in _SPLIT.split(to_half_width(text).strip()):
                if not part.strip():
                    continue
                try:
                    p.base.append(barcodes.parse(part))
                except barcodes.BarcodeError as e:
                    err("barcodes", e.code, e.message)
        text = v.get("pack_barcode")
        if text and not text.isspace():
            try:
                p.pack_barcode = barcodes.parse(text)
            except barcodes.BarcodeError as e:
                err("pack_barcode", e.code, e.message)
            if "pack" not in p.values and not any(e.field == "pack" for e in p.errors):
                err("pack_barcode", "catalog.pack.missing", "填写箱条码时须同时填写箱规，例如 箱=24")
        return p

    @staticmethod
    def _markdown(v: dict[str, Any], errors: list[CellError], err: Callable[[str, str, str], None],
                  running: list[tuple[Decimal, datetime, datetime]]) -> tuple[Decimal, datetime, datetime] | None:
        """The row's markdown (price, start, end), checked against the SKU's other markdowns of
        the same price list: they must not overlap (the same one again is no change)."""
        given = [f for f in _PROMO if f in v]
        if not given:
            return None
        if any(e.field in _PROMO for e in errors):
            return None  # a cell did not parse; reported already
        if len(given) < len(_PROMO):
            missing = next(f for f in _PROMO if f not in v)
            err(missing, "catalog.price.temporary", "促销价、促销开始、促销结束须一起填写")
            return None
        promo: tuple[Decimal, datetime, datetime] = (v["temporary_price"], v["temporary_starts"], v["temporary_ends"])
        if promo[2] <= promo[1]:
            err("temporary_ends", "catalog.price.temporary", "促销结束时间须晚于开始时间")
            return None
        if promo[2] <= datetime.now(timezone.utc):
            err("temporary_ends", "catalog.price.temporary", "促销结束时间已过")
            return None
        if promo in running:
            return promo
        for other in running:
            if other[1] < promo[2] and promo[1] < other[2]:
                err("temporary_starts", "catalog.price.overlap",
                    f"与已有促销 {_markdown_text(other)} 时间重叠，同一商品的促销不能重叠")
                return None
        return promo

    @staticmethod
    def _file_keys(rows: Iterator[RowIn]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """Codes and barcodes given more than once (by several rows, or twice in one row),
        file-wide: a first pass on normalised text only, so the second can go chunk by chunk.
        Returns key → the row numbers that use it."""
        first_code: dict[str, int] = {}
        dup_code: dict[str, list[int]] = {}
        first_bc: dict[str, int] = {}
        dup_bc: dict[str, list[int]] = {}
        for r in rows:
            v = r.values
            c = normalize_code(v.get("code", ""))
            if c in first_code:
                dup_code.setdefault(c, [first_code[c]]).append(r.row_no)
            elif c:
                first_code[c] = r.row_no
            for part in (*_SPLIT.split(v.get("barcodes", "")), v.get("pack_barcode", "")):
                bc = normalize_code(part)
                if bc in first_bc:
                    dup_bc.setdefault(bc, [first_bc[bc]]).append(r.row_no)
                elif bc:
                    first_bc[bc] = r.row_no
        return dup_code, dup_bc

    def validate(self, uow: UnitOfWork, job: Job, rows: Callable[[], Iterator[RowIn]],
                 progress: Progress, reader: Reader | None = None) -> Iterator[list[RowOut]]:
        dup_code, dup_bc = self._file_keys(rows())
        static = _load_static(uow, job)
        memo = self._parsers()
        source = rows()
        # With a second connection, the next chunk's lookups run while this chunk is resolved
        # and stored: the database's time hides behind Python's (about a fifth of the total).
        with ThreadPoolExecutor(1, thread_name_prefix="import-lookup") as pool:
            pending = self._prepare(uow, job, static, memo, source, dup_code, dup_bc, pool, reader)
            done = 0
            while pending is not None:
                parsed, ref_of = pending
                pending = self._prepare(uow, job, static, memo, source, dup_code, dup_bc, pool, reader)
                ref = ref_of()
                out = [self._resolve(p, job, ref) for p in parsed]
                done += len(parsed)
                progress(done, "正在校验…")
                yield out

    def _prepare(self, uow: UnitOfWork, job: Job, static: Static, memo: dict[str, _Memo], source: Iterator[RowIn],
                 dup_code: dict[str, list[int]], dup_bc: dict[str, list[int]], pool: ThreadPoolExecutor,
                 reader: Reader | None) -> tuple[list[_Parsed], Callable[[], Ref]] | None:
        """Parse the next chunk and start its lookups: (parsed rows, a call that gives the
        lookups' result), or None at the end of the file."""
        cols = job.columns
        chunk = list(itertools.islice(source, CHUNK))
        if not chunk:
            return None
        parsed = [self._parse(r, job, memo) for r in chunk]
        codes: set[str] = set()
        all_barcodes: set[str] = set()
        plus: set[str] = set()
        for p in parsed:
            n = p.row.row_no
            if p.code:
                codes.add(p.code)
                if p.code in dup_code:
                    rest = "、".join(str(x) for x in dup_code[p.code] if x != n)
                    p.errors.append(CellError(cols.get("code", "商品编码"), "code", "imports.duplicate_code",
                                              f"商品编码 {p.code} 在文件中重复（另见第 {rest} 行）", p.code))
            for f, found in (("barcodes", p.base or ()), ("pack_barcode", [p.pack_barcode] if p.pack_barcode
                                                          else ())):
                for bc in found:
                    all_barcodes.add(bc.code)
                    if bc.code in dup_bc and not any(e.value == bc.code and e.code == "catalog.barcode.duplicate"
                                                     for e in p.errors):
                        others = sorted({x for x in dup_bc[bc.code] if x != n})
                        where = f"另见第 {'、'.join(map(str, others))} 行" if others else "同一行填了两次"
                        p.errors.append(CellError(cols.get(f, LABELS[f]), f, "catalog.barcode.duplicate",
                                                  f"条码 {bc.code} 在文件中重复（{where}）", bc.code))
            if p.values.get("plu"):
                plus.add(p.values["plu"])
        if reader is None:
            ref = _load(uow, job, static, codes, all_barcodes, plus)
            return parsed, lambda: ref

        def lookups() -> Ref:
            with reader() as other:
                return _load(other, job, static, codes, all_barcodes, plus)

        return parsed, pool.submit(lookups).result

    def _resolve(self, p: _Parsed, job: Job, ref: Ref) -> RowOut:
        """Merge with the current SKU, check the cross-field and database rules, and diff."""
        cols = job.columns
        v = p.values
        errors = p.errors

        def err(f: str, code: str, message: str, value: str | None = None) -> None:
            errors.append(CellError(cols.get(f, LABELS.get(f, "")), f, code, message,
                                    p.row.values.get(f, "") if value is None else value))

        cur = ref.existing.get(p.code)
        sku_id = cur["id"] if cur else None
        target_store = cur["store_id"] if cur else job.store_id
        if cur is not None and cur["store_id"] is not None and cur["store_id"] != job.store_id \
                and job.store_id is not None:
            err("code", "imports.sku.other_store", f"商品编码 {p.code} 已被其他门店的商品使用，请换一个编码")
        # Reference data by code or name.
        brand_id: str | None = cur["brand_id"] if cur else None
        brand_name: str | None = cur["brand_name"] if cur else None
        if "brand" in v:
            b = ref.static.brands.get(v["brand"].lower())
            if b is None:
                err("brand", "catalog.brand.unknown", f"品牌 {v['brand']} 不存在，请先在品牌管理中新建")
            else:
                brand_id, brand_name = b
        category_id: str | None = cur["category_id"] if cur else None
        if "category" in v:
            c = ref.static.category(v["category"])
            if c is None:
                err("category", "catalog.category.unknown",
                    f"类目 {v['category']} 不存在（可填类目编码或完整路径，如 饮料/碳酸饮料）")
            else:
                category_id = c[0]
        elif cur is None:
            err("category", "catalog.category.missing", "类目必填")
        if cur is None:
            if "name" not in v:
                err("name", "catalog.sku.name", "商品名称必填")
            if "tax_rate" not in v and not any(e.field == "tax_rate" for e in errors):
                err("tax_rate", "catalog.sku.tax_rate", "税率必填，例如 13%")
        # The SKU as it will be: the file's values over the current ones.
        packs = dict(ref.packs.get(sku_id, {})) if sku_id else {}
        if "pack" in v:
            packs[v["pack"][0]] = v["pack"][1]
        base = p.base if p.base is not None else None
        s = rules.SkuInput(
            code=p.code, name=v.get("name", cur["name"] if cur else ""),
            category_id=category_id or "", tax_rate=v.get("tax_rate", cur["tax_rate"] if cur else Decimal(0)),
            short_name=v.get("short_name", cur["short_name"] if cur else ""), brand_id=brand_id,
            unit=v.get("unit", cur["unit"] if cur else "个"),
            is_weighed=v.get("is_weighed", cur["is_weighed"] if cur else False),
            plu=v.get("plu", cur["plu"] if cur else None), origin=v.get("origin", cur["origin"] if cur else ""),
            shelf_life_days=v.get("shelf_life_days", cur["shelf_life_days"] if cur else None),
            status=v.get("status", cur["status"] if cur else "draft"), store_id=target_store,
            packs=[rules.PackInput(n, q) for n, q in packs.items()],
            # Barcodes are left out here: each was parsed with barcodes.parse in _parse already,
            # repeats are found file-wide, and a case barcode always names the row's own pack.
        )
        for fe in rules.check_sku(s)[0]:
            if fe.field.startswith("packs["):
                f = "pack"
            elif fe.field == "category_id":
                if any(e.field == "category" for e in errors):
                    continue
                f = "category"
            else:
                f = fe.field
            if f == "category" and cur is None:
                continue  # "类目必填" reported above
            err(f, fe.code, fe.message)
        # Uniqueness against other SKUs in the database (any store: codes are unique chain-wide).
        for b in [*(base or ()), *([p.pack_barcode] if p.pack_barcode else [])]:
            owner = ref.barcode_owner.get(b.code)
            if owner is not None and owner[0] != p.code:
                who = f"商品 {owner[0]}" if owner[1] is None or owner[1] == job.store_id else "其他门店的商品"
                f = "barcodes" if p.pack_barcode is None or b.code != p.pack_barcode.code else "pack_barcode"
                err(f, "catalog.barcode.duplicate", f"条码 {b.code} 已被{who}使用", b.code)
        if s.plu is not None and "plu" in v:
            owner = ref.plu_owner.get(s.plu)
            if owner is not None and owner[0] != p.code:
                err("plu", "catalog.sku.plu_duplicate", f"PLU {s.plu} 已被其他商品使用")
        # Prices: the file's, else the one in force; compared with what is in force.
        std_now = ref.prices.get((sku_id, "standard")) if sku_id else None
        mem_now = ref.prices.get((sku_id, "member")) if sku_id else None
        std_new: Decimal | None = v.get("standard_price")
        mem_new: Decimal | None = v.get("member_price")
        std_after = std_new if std_new is not None else std_now
        if mem_new is not None and std_after is not None and mem_new > std_after:
            err("member_price", "catalog.price.member_above_standard",
                f"会员价 {mem_new:.2f} 不能高于标准价 {std_after:.2f}")
        if mem_new is not None and std_after is None:
            err("standard_price", "catalog.price.standard_missing", "填写会员价时须有标准价")
        promo = self._markdown(v, errors, err, ref.markdowns.get(sku_id or "", []))
        if ref.static.guard is not None and sku_id and std_new is not None:
            hq = ref.hq_prices.get((sku_id, "standard"))
            if hq is not None:
                low = (hq * (100 - ref.static.guard[0]) / 100).quantize(Decimal("0.01"))
                high = (hq * (100 + ref.static.guard[1]) / 100).quantize(Decimal("0.01"))
                if not low <= std_new <= high:
                    err("standard_price", "catalog.price.guard",
                        f"门店标准价须在总部价 {hq:.2f} 的允许范围 {low:.2f}–{high:.2f} 之内")
        # Normalised data: what the commit writes.
        data: dict[str, Any] = {
            "code": p.code, "store_id": target_store, "name": s.name, "short_name": s.short_name,
            "brand_id": brand_id, "brand_name": brand_name, "category_id": category_id,
            "category_path": ref.static.category_path.get(category_id or ""), "unit": s.unit,
            "is_weighed": s.is_weighed, "plu": s.plu, "tax_rate": _tax(s.tax_rate), "origin": s.origin,
            "shelf_life_days": s.shelf_life_days, "status": s.status,
            "barcodes": None if base is None else [{"code": b.code, "kind": b.kind} for b in base],
            "pack": {"name": v["pack"][0], "quantity": str(v["pack"][1])} if "pack" in v else None,
            "pack_barcode": {"code": p.pack_barcode.code, "kind": p.pack_barcode.kind} if p.pack_barcode else None,
            "standard_price": _money(std_new), "member_price": _money(mem_new),
            "temporary": None if promo is None else {"amount": _money(promo[0]), "starts_at": promo[1].isoformat(),
                                                     "ends_at": promo[2].isoformat()},
        }
        new = {
            "name": s.name, "short_name": s.short_name, "brand": brand_name, "category": data["category_path"],
            "unit": s.unit, "is_weighed": s.is_weighed, "plu": s.plu, "tax_rate": data["tax_rate"],
            "origin": s.origin, "shelf_life_days": s.shelf_life_days, "status": s.status,
        }
        diff: dict[str, list[Any]] = {}
        if cur is None:
            diff = {f: [None, x] for f, x in new.items() if x not in (None, "", False)}
            if base:
                diff["barcodes"] = [None, sorted(b.code for b in base)]
            if "pack" in v:
                diff["pack"] = [None, f"{v['pack'][0]}={v['pack'][1]}"]
            if p.pack_barcode:
                diff["pack_barcode"] = [None, p.pack_barcode.code]
        else:
            old = {
                "name": cur["name"], "short_name": cur["short_name"], "brand": cur["brand_name"],
                "category": ref.static.category_path.get(cur["category_id"]), "unit": cur["unit"],
                "is_weighed": cur["is_weighed"], "plu": cur["plu"], "tax_rate": _tax(cur["tax_rate"]),
                "origin": cur["origin"], "shelf_life_days": cur["shelf_life_days"], "status": cur["status"],
            }
            diff = {f: [old[f], x] for f, x in new.items() if old[f] != x}
            if base is not None:
                before = sorted(ref.base_codes.get(sku_id or "", []))
                after = sorted(b.code for b in base)
                if before != after:
                    diff["barcodes"] = [before, after]
            if "pack" in v:
                pname, qty = v["pack"]
                had = ref.packs.get(sku_id or "", {}).get(pname)
                if had is None or had != qty:
                    diff["pack"] = [None if had is None else f"{pname}={had.normalize()}", f"{pname}={qty}"]
                if p.pack_barcode is not None:
                    had_codes = ref.pack_codes.get(sku_id or "", {}).get(pname, [])
                    if had_codes != [p.pack_barcode.code]:
                        diff["pack_barcode"] = [";".join(had_codes) or None, p.pack_barcode.code]
            if target_store is None and job.store_id is not None:
                changed = [f for f in diff if f in MASTER or f in CODES]
                if changed:
                    err(changed[0], "imports.sku.hq_only",
                        f"这是总部商品，门店导入只能调整本店价格，不能修改{'、'.join(LABELS[f] for f in changed)}")
        if std_new is not None and std_new != std_now:
            diff["standard_price"] = [_money(std_now), _money(std_new)]
        if mem_new is not None and mem_new != mem_now:
            diff["member_price"] = [_money(mem_now), _money(mem_new)]
        if promo is not None and promo not in ref.markdowns.get(sku_id or "", []):
            diff["temporary_price"] = [None, _markdown_text(promo)]
        data["master"] = any(f in MASTER for f in diff) and cur is not None
        data["codes"] = any(f in CODES for f in diff) and cur is not None
        if errors:
            action = "error"
        elif cur is None:
            action = "create"
        else:
            action = "update" if diff else "unchanged"
        return RowOut(p.row.row_no, action, p.code, data, diff, errors, sku_id, cur["version"] if cur else None)

    # --- commit --------------------------------------------------------------------------------

    def commit(self, uow: UnitOfWork, job: Job, progress: Progress) -> Outcome:
        ctx = context.current()
        p: dict[str, Any] = {"job": job.id, "store": job.store_id, "actor": ctx.actor, "trace": ctx.trace_id,
                             "ip": ctx.source_ip, "now": datetime.now(timezone.utc)}
        # Working sets as indexed, analysed temp tables: the planner then joins them with hash
        # joins instead of guessing from expressions over jsonb (a nested loop over 100,000 rows);
        # and memory enough for those hashes of wide rows not to spill to disk.
        for statement in (_WORK_MEM, _IMP, _IMP_INDEX, _IMP_ANALYZE, _IMP_CODE, _IMP_CODE_INDEX, _IMP_CODE_ANALYZE):
            uow.execute(statement, p)
        n = uow.one(_COUNTS)
        assert n is not None
        stale = uow.one(_STALE)
        if stale and stale["n"]:
            raise conflict("imports.stale", "预览之后有商品被修改过，请重新校验后再提交",
                           f"{stale['n']} 个商品已变化，例如 {stale['code']}")
        uow.execute(_CHANGES_UPDATED, p)
        progress(0, "正在写入商品…")
        if uow.execute(_UPDATE_SKUS).rowcount != n["touched"]:
            raise conflict("imports.stale", "预览之后有商品被修改过，请重新校验后再提交")
        uow.execute(_INSERT_SKUS, p)
        progress(n["created"] + n["updated"], "正在写入包装与条码…")
        for statement in (_UPSERT_PACKS, _DELETE_BASE_BARCODES, _DELETE_PACK_BARCODES, _INSERT_BARCODES):
            uow.execute(statement)
        taken = uow.one(_BARCODES_TAKEN)
        if taken and taken["code"]:
            raise conflict("imports.conflict", f"条码 {taken['code']} 已被其他商品占用，请重新校验后再提交")
        prices = uow.execute(_INSERT_PRICES, p).rowcount + uow.execute(_INSERT_MARKDOWNS, p).rowcount
        uow.execute(_AUDIT_SKUS, p)
        ts = p["now"].isoformat()
        uow.emit_many(topics.SKU_UPDATED, [
            (r["sku_id"], {"sku_id": r["sku_id"], "changed_fields": r["fields"], "ts": ts, "import_job_id": job.id},
             job.store_id or r["store_id"]) for r in uow.all(_CHANGED)])
        return Outcome({"created": n["created"], "updated": n["updated"], "prices": prices})

    def rollback(self, uow: UnitOfWork, job: Job, progress: Progress) -> Outcome:
        ctx = context.current()
        p: dict[str, Any] = {"job": job.id, "store": job.store_id, "actor": ctx.actor, "trace": ctx.trace_id,
                             "ip": ctx.source_ip, "now": datetime.now(timezone.utc)}
        for statement in (_WORK_MEM, _RB, _RB_INDEX, _RB_ANALYZE):
            uow.execute(statement, p)
        uow.execute(_LOCK_CHANGED)
        changed = uow.one(_CHANGED_SINCE)
        if changed and changed["n"]:
            raise conflict("imports.rollback.changed_since", "导入之后有商品被修改过，不能整体撤销",
                           f"{changed['n']} 个商品已变化，例如 {changed['code'] or changed['id']}")
        affected = uow.all(_ROLLBACK_TARGETS)
        progress(0, "正在撤销价格…")
        prices = uow.execute(_CANCEL_PRICES, p).rowcount
        deleted = uow.execute(_DELETE_CREATED).rowcount
        restored = uow.execute(_RESTORE_SKUS).rowcount
        progress(len(affected) // 2, "正在恢复包装与条码…")
        for statement in (_RESTORE_DROP_BARCODES, _RESTORE_DROP_PACKS, _RESTORE_PACKS, _RESTORE_BARCODES):
            uow.execute(statement)
        uow.execute(_AUDIT_ROLLBACK, p)
        ts = p["now"].isoformat()
        uow.emit_many(topics.SKU_UPDATED, [
            (r["sku_id"], {"sku_id": r["sku_id"], "changed_fields": ["rollback"], "ts": ts, "import_job_id": job.id},
             job.store_id or r["store_id"]) for r in affected])
        progress(len(affected), "撤销完成")
        return Outcome({"deleted": deleted, "restored": restored, "prices_cancelled": prices})


KIND = SkuImport()

# --- commit SQL (set-wise, from the validated rows in import_row) ---------------------------------

_WORK_MEM: LiteralString = "set local work_mem = '64MB'"
# The job's rows to write, with the id each SKU will have. ``touched``: an update that rewrites
# the SKU row (master data, packs or barcodes); ``codes``: packs and barcodes to write.
_IMP: LiteralString = """
create temp table imp on commit drop as
select r.row_no, r.action, coalesce(r.entity_id, gen_random_uuid()::text) as sku_id, r.entity_version, r.data,
       r.diff, r.data->>'store_id' as store_id,
       r.action = 'update' and ((r.data->>'master')::boolean or (r.data->>'codes')::boolean) as touched,
       r.action = 'create' or (r.data->>'codes')::boolean as codes,
       jsonb_typeof(r.data->'barcodes') = 'array' as base_given,
       r.data->'pack'->>'name' as pack_name, (r.data->'pack'->>'quantity')::numeric as pack_qty,
       r.data->'pack_barcode'->>'code' as pack_code
from import_row r
where r.job_id = %(job)s and r.action in ('create', 'update')
"""
_IMP_INDEX: LiteralString = "create unique index on imp (sku_id)"
_IMP_ANALYZE: LiteralString = "analyze imp"
# Every barcode the file gives to a SKU whose codes it writes; pack_name null: the base unit.
_IMP_CODE: LiteralString = """
create temp table imp_code on commit drop as
select i.sku_id, i.store_id, e->>'code' as code, e->>'kind' as kind, null::text as pack_name
from imp i cross join lateral jsonb_array_elements(i.data->'barcodes') e
where i.codes and i.base_given
union all
select i.sku_id, i.store_id, i.pack_code, i.data->'pack_barcode'->>'kind', i.pack_name
from imp i where i.codes and i.pack_code is not null
"""
_IMP_CODE_INDEX: LiteralString = "create index on imp_code (code)"
_IMP_CODE_ANALYZE: LiteralString = "analyze imp_code"
_COUNTS: LiteralString = """
select count(*) filter (where action = 'create') as created, count(*) filter (where action = 'update') as updated,
       count(*) filter (where touched) as touched
from imp
"""
_STALE: LiteralString = """
select count(*) as n, min(i.data->>'code') as code
from imp i left join sku s on s.id = i.sku_id
where i.action = 'update' and (s.id is null or s.version <> i.entity_version)
"""
# Before-images: the SKU row with its packs and barcodes, and the version the import leaves.
_CHANGES_UPDATED: LiteralString = """
insert into import_change (job_id, entity, entity_id, before, after)
select %(job)s, 'sku', s.id,
       jsonb_build_object('sku', to_jsonb(s), 'packs', coalesce(k.packs, '[]'), 'barcodes', coalesce(b.codes, '[]')),
       jsonb_build_object('version', s.version + case when i.touched then 1 else 0 end)
from imp i
join sku s on s.id = i.sku_id
left join (select k.sku_id, jsonb_agg(to_jsonb(k)) as packs from sku_pack k join imp i on i.sku_id = k.sku_id
           where i.action = 'update' group by k.sku_id) k on k.sku_id = s.id
left join (select b.sku_id, jsonb_agg(to_jsonb(b)) as codes from barcode b join imp i on i.sku_id = b.sku_id
           where i.action = 'update' group by b.sku_id) b on b.sku_id = s.id
where i.action = 'update'
"""
_UPDATE_SKUS: LiteralString = """
update sku s set name = i.data->>'name', short_name = i.data->>'short_name', brand_id = i.data->>'brand_id',
       category_id = i.data->>'category_id', unit = i.data->>'unit', is_weighed = (i.data->>'is_weighed')::boolean,
       plu = i.data->>'plu', tax_rate = (i.data->>'tax_rate')::numeric, origin = i.data->>'origin',
       shelf_life_days = (i.data->>'shelf_life_days')::integer, status = i.data->>'status',
       updated_at = now(), version = s.version + 1
from imp i
where s.id = i.sku_id and i.touched and s.version = i.entity_version
"""
_INSERT_SKUS: LiteralString = """
insert into sku (id, code, store_id, name, short_name, brand_id, category_id, unit, is_weighed, plu, tax_rate,
                 origin, shelf_life_days, status, import_job_id)
select i.sku_id, i.data->>'code', i.store_id, i.data->>'name', i.data->>'short_name', i.data->>'brand_id',
       i.data->>'category_id', i.data->>'unit', (i.data->>'is_weighed')::boolean, i.data->>'plu',
       (i.data->>'tax_rate')::numeric, i.data->>'origin', (i.data->>'shelf_life_days')::integer,
       i.data->>'status', %(job)s
from imp i where i.action = 'create'
"""
_UPSERT_PACKS: LiteralString = """
insert into sku_pack (sku_id, store_id, name, quantity)
select i.sku_id, i.store_id, i.pack_name, i.pack_qty from imp i where i.codes and i.pack_name is not null
on conflict (sku_id, name) do update set quantity = excluded.quantity
where sku_pack.quantity <> excluded.quantity
"""
# The base-unit barcodes of a row that lists them become exactly that list; same for the
# barcodes of the row's pack when it gives one.
_DELETE_BASE_BARCODES: LiteralString = """
delete from barcode b using imp i
where i.action = 'update' and i.codes and i.base_given and b.sku_id = i.sku_id and b.pack_id is null
  and not exists (select 1 from imp_code c where c.code = b.code and c.sku_id = b.sku_id and c.pack_name is null)
"""
_DELETE_PACK_BARCODES: LiteralString = """
delete from barcode b using imp i, sku_pack k
where i.action = 'update' and i.codes and i.pack_code is not null
  and k.sku_id = i.sku_id and k.name = i.pack_name and b.pack_id = k.id and b.code <> i.pack_code
"""
_INSERT_BARCODES: LiteralString = """
insert into barcode (code, sku_id, pack_id, store_id, kind)
select c.code, c.sku_id, k.id, c.store_id, c.kind
from imp_code c left join sku_pack k on k.sku_id = c.sku_id and k.name = c.pack_name
on conflict (code) do update set pack_id = excluded.pack_id
where barcode.sku_id = excluded.sku_id and barcode.pack_id is distinct from excluded.pack_id
"""
# A barcode validated as free but taken meanwhile by another SKU (the upsert above skips it).
_BARCODES_TAKEN: LiteralString = """
select min(c.code) as code from imp_code c join barcode b on b.code = c.code where b.sku_id <> c.sku_id
"""
_INSERT_PRICES: LiteralString = """
insert into price (sku_id, store_id, kind, amount, starts_at, note, import_job_id, created_by)
select i.sku_id, %(store)s, k.kind, k.amount::numeric, %(now)s, '文件导入', %(job)s, %(actor)s
from imp i
cross join lateral (values ('standard', i.diff->'standard_price'->>1), ('member', i.diff->'member_price'->>1))
    as k(kind, amount)
where k.amount is not null
"""
_INSERT_MARKDOWNS: LiteralString = """
insert into price (sku_id, store_id, kind, amount, starts_at, ends_at, note, import_job_id, created_by)
select i.sku_id, %(store)s, 'temporary', (i.data->'temporary'->>'amount')::numeric,
       (i.data->'temporary'->>'starts_at')::timestamptz, (i.data->'temporary'->>'ends_at')::timestamptz,
       '文件导入', %(job)s, %(actor)s
from imp i where i.diff ? 'temporary_price'
"""
_AUDIT_SKUS: LiteralString = """
insert into audit_log (actor, action, target_type, target_id, store_id, before, after, request_id, source_ip)
select %(actor)s, 'catalog.sku.import', 'sku', i.sku_id, coalesce(%(store)s, i.store_id),
       case when i.action = 'update' then (select jsonb_object_agg(k, v->0) from jsonb_each(i.diff) d(k, v)) end,
       (select jsonb_object_agg(k, v->1) from jsonb_each(i.diff) d(k, v)) || jsonb_build_object(
           'code', i.data->>'code', 'import_job_id', %(job)s::text),
       %(trace)s, %(ip)s
from imp i
"""
_CHANGED: LiteralString = """
select i.sku_id, i.store_id, array(select jsonb_object_keys(i.diff) order by 1) as fields from imp i order by i.row_no
"""

# --- rollback SQL --------------------------------------------------------------------------------

# The import's SKUs: those it created (sku.import_job_id; rollback deletes them, version 1 as
# the import left them) and those with a before-image in import_change; ``restore`` when the
# import rewrote the row (not when it only added prices).
_RB: LiteralString = """
create temp table rb on commit drop as
select s.id as sku_id, null::jsonb as before, true as created, 1 as version, false as restore, 0::bigint as seq
from sku s where s.import_job_id = %(job)s
union all
select c.entity_id, c.before, false, (c.after->>'version')::integer,
       (c.after->>'version')::integer <> (c.before->'sku'->>'version')::integer, c.seq
from import_change c where c.job_id = %(job)s and c.entity = 'sku'
"""
_RB_INDEX: LiteralString = "create unique index on rb (sku_id)"
_RB_ANALYZE: LiteralString = "analyze rb"
# Lock the import's SKUs first: an edit racing the rollback waits, or is seen by the check.
_LOCK_CHANGED: LiteralString = """
select count(*) from (select 1 from sku s join rb on rb.sku_id = s.id for update of s) x
"""
_CHANGED_SINCE: LiteralString = """
select count(*) as n, min(s.code) as code, min(rb.sku_id) as id
from rb left join sku s on s.id = rb.sku_id
where s.id is null or s.version <> rb.version
"""
_ROLLBACK_TARGETS: LiteralString = """
select rb.sku_id, s.store_id from rb join sku s on s.id = rb.sku_id order by rb.seq
"""
_CANCEL_PRICES: LiteralString = """
update price set status = 'cancelled', cancelled_by = %(actor)s, cancelled_at = now()
where import_job_id = %(job)s and status = 'active'
"""
_DELETE_CREATED: LiteralString = "delete from sku s using rb where rb.created and s.id = rb.sku_id"
_RESTORE_SKUS: LiteralString = """
update sku s set name = b.name, short_name = b.short_name, brand_id = b.brand_id, category_id = b.category_id,
       unit = b.unit, is_weighed = b.is_weighed, plu = b.plu, tax_rate = b.tax_rate, origin = b.origin,
       shelf_life_days = b.shelf_life_days, status = b.status, attributes = b.attributes, updated_at = now(),
       version = s.version + 1
from rb cross join lateral jsonb_populate_record(null::sku, rb.before->'sku') b
where rb.restore and s.id = rb.sku_id
"""
_RESTORE_DROP_BARCODES: LiteralString = "delete from barcode x using rb where rb.restore and x.sku_id = rb.sku_id"
_RESTORE_DROP_PACKS: LiteralString = "delete from sku_pack x using rb where rb.restore and x.sku_id = rb.sku_id"
_RESTORE_PACKS: LiteralString = """
insert into sku_pack
select k.* from rb cross join lateral jsonb_populate_recordset(null::sku_pack, rb.before->'packs') k where rb.restore
"""
_RESTORE_BARCODES: LiteralString = """
insert into barcode
select b.* from rb cross join lateral jsonb_populate_recordset(null::barcode, rb.before->'barcodes') b where rb.restore
"""
_AUDIT_ROLLBACK: LiteralString = """
insert into audit_log (actor, action, target_type, target_id, store_id, before, after, request_id, source_ip)
select %(actor)s, 'catalog.sku.import.rollback', 'sku', rb.sku_id, coalesce(%(store)s, rb.before->'sku'->>'store_id'),
       null, case when rb.created then jsonb_build_object('deleted', true, 'import_job_id', %(job)s::text)
                  else (rb.before->'sku') || jsonb_build_object('import_job_id', %(job)s::text) end,
       %(trace)s, %(ip)s
from rb
"""
