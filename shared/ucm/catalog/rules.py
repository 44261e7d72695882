"""What a valid SKU is, in one place: the form, the API and the import pipeline all validate
with these functions, so a row refused in a file is refused for the same reason on screen.

Values arrive as text (JSON strings, CSV cells) in any of the ways shop staff write them:
``13%`` / ``0.13`` / ``13`` for a tax rate, ``在售`` / ``active`` for a status, full-width
digits, stray spaces. Each parser returns the normalised value or raises ``RuleError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ucm.catalog import barcodes
from ucm.errors import FieldError
from ucm.text import normalize_code, to_half_width

STATUSES = ("draft", "active", "discontinued")
STATUS_LABELS = {"draft": "草稿", "active": "在售", "discontinued": "停售"}
_STATUS_WORDS = {
    "draft": "draft", "草稿": "draft", "待上架": "draft",
    "active": "active", "在售": "active", "上架": "active", "正常": "active",
    "discontinued": "discontinued", "停售": "discontinued", "下架": "discontinued", "停用": "discontinued",
}
COMMON_TAX_RATES = (Decimal("0.13"), Decimal("0.09"), Decimal("0.06"), Decimal("0.03"), Decimal("0.01"),
                    Decimal("0"))
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.]{0,31}")
_PLU = re.compile(r"\d{1,6}")
MAX_PRICE = Decimal("9999999999.99")  # numeric(12, 2)
_YES = {"是", "y", "yes", "true", "1", "称重"}
_NO = {"否", "n", "no", "false", "0", "", "计件"}


class RuleError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean(text: Any) -> str:
    """A cell or field as text: half-width, trimmed, inner runs of spaces kept single."""
    if text is None:
        return ""
    return " ".join(to_half_width(str(text)).split())


def parse_code(raw: str) -> str:
    code = normalize_code(raw)
    if not _CODE.fullmatch(code):
        raise RuleError("catalog.sku.code", "商品编码只能含字母、数字、- _ .，最长 32 位")
    return code


def parse_status(raw: str) -> str:
    status = _STATUS_WORDS.get(clean(raw).lower())
    if status is None:
        raise RuleError("catalog.sku.status", "状态须为 草稿、在售 或 停售")
    return status


def parse_tax_rate(raw: str) -> Decimal:
    """``13%``, ``13``, ``0.13`` → Decimal("0.13")."""
    text = clean(raw).replace("％", "%")
    percent = text.endswith("%")
    try:
        value = Decimal(text.rstrip("%").strip())
    except InvalidOperation:
        raise RuleError("catalog.sku.tax_rate", "税率须为数字，例如 13% 或 0.13") from None
    if percent or value >= 1:
        value = value / 100
    if not value.is_finite() or value < 0 or value >= 1 or value != value.quantize(Decimal("0.0001")):
        raise RuleError("catalog.sku.tax_rate", "税率须在 0%–99.99% 之间，例如 13%、9%、6%、0%")
    return value.quantize(Decimal("0.0001")).normalize() if value else Decimal("0")


def parse_money(raw: str, *, allow_zero: bool = False) -> Decimal:
    """A price as typed: ``12.5``, ``¥12.50``, ``１２.５０``. Two decimals at most, positive."""
    text = clean(raw).lstrip("¥￥").replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RuleError("catalog.price.invalid", f"价格 {raw!r} 不是数字") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise RuleError("catalog.price.invalid", "价格最多两位小数")
    if value < 0 or (value == 0 and not allow_zero):
        raise RuleError("catalog.price.not_positive", "价格须大于 0")
    if value > MAX_PRICE:
        raise RuleError("catalog.price.too_large", "价格过大")
    return value.quantize(Decimal("0.01"))


def parse_quantity(raw: str) -> Decimal:
    """Units per pack (箱 = 24): positive, up to 3 decimals."""
    try:
        value = Decimal(clean(raw))
    except InvalidOperation:
        raise RuleError("catalog.pack.quantity", "包装数量须为数字") from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.001")):
        raise RuleError("catalog.pack.quantity", "包装数量须大于 0，最多三位小数")
    return value.normalize()


def parse_int(raw: str, *, code: str, message: str) -> int | None:
    text = clean(raw)
    if not text:
        return None
    if not text.isdigit():
        raise RuleError(code, message)
    return int(text)


def parse_bool(raw: str) -> bool:
    text = clean(raw).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise RuleError("catalog.sku.is_weighed", "称重须填 是 或 否")


def parse_plu(raw: str) -> str | None:
    text = normalize_code(raw)
    if not text:
        return None
    if not _PLU.fullmatch(text):
        raise RuleError("catalog.sku.plu", "PLU 须为 1–6 位数字")
    return text.zfill(5) if len(text) < 5 else text


@dataclass
class PackInput:
    name: str
    quantity: Decimal


@dataclass
class BarcodeInput:
    code: str
    pack: str | None = None  # pack name; None: the base unit


@dataclass
class SkuInput:
    """A SKU's master fields, already parsed from text. ``check`` adds the cross-field rules."""

    code: str
    name: str
    category_id: str
    tax_rate: Decimal
    short_name: str = ""
    brand_id: str | None = None
    unit: str = "个"
    is_weighed: bool = False
    plu: str | None = None
    origin: str = ""
    shelf_life_days: int | None = None
    status: str = "draft"
    attributes: dict[str, Any] = field(default_factory=dict)
    store_id: str | None = None
    packs: list[PackInput] = field(default_factory=list)
    barcodes: list[BarcodeInput] = field(default_factory=list)


def check_sku(s: SkuInput) -> tuple[list[FieldError], list[barcodes.Barcode]]:
    """Field errors of ``s`` (empty: valid) and its parsed barcodes."""
    errors: list[FieldError] = []
    if not s.name.strip():
        errors.append(FieldError("name", "catalog.sku.name", "商品名称必填"))
    elif len(s.name) > 100:
        errors.append(FieldError("name", "catalog.sku.name", "商品名称不超过 100 字"))
    if len(s.short_name) > 40:
        errors.append(FieldError("short_name", "catalog.sku.short_name", "简称不超过 40 字"))
    if not s.unit.strip() or len(s.unit) > 8:
        errors.append(FieldError("unit", "catalog.sku.unit", "单位必填，不超过 8 字，例如 瓶、个、kg"))
    if s.status not in STATUSES:
        errors.append(FieldError("status", "catalog.sku.status", "状态须为 草稿、在售 或 停售"))
    if s.shelf_life_days is not None and not 0 <= s.shelf_life_days <= 36500:
        errors.append(FieldError("shelf_life_days", "catalog.sku.shelf_life", "保质期天数须在 0–36500 之间"))
    if s.plu is not None and not s.is_weighed:
        errors.append(FieldError("plu", "catalog.sku.plu", "只有称重商品才有 PLU"))
    if not s.category_id:
        errors.append(FieldError("category_id", "catalog.category.missing", "类目必填"))
    pack_names = [p.name for p in s.packs]
    for i, p in enumerate(s.packs):
        if not p.name.strip() or p.name == s.unit:
            errors.append(FieldError(f"packs[{i}].name", "catalog.pack.name", "包装单位必填，且不能与基本单位相同"))
        elif pack_names.count(p.name) > 1:
            errors.append(FieldError(f"packs[{i}].name", "catalog.pack.duplicate", f"包装单位 {p.name} 重复"))
    parsed: list[barcodes.Barcode] = []
    seen: set[str] = set()
    for i, b in enumerate(s.barcodes):
        try:
            bc = barcodes.parse(b.code)
        except barcodes.BarcodeError as exc:
            errors.append(FieldError(f"barcodes[{i}].code", exc.code, exc.message))
            continue
        if bc.code in seen:
            errors.append(FieldError(f"barcodes[{i}].code", "catalog.barcode.duplicate", f"条码 {bc.code} 重复填写"))
        if b.pack is not None and b.pack not in pack_names:
            errors.append(FieldError(f"barcodes[{i}].pack", "catalog.pack.unknown", f"没有名为 {b.pack} 的包装单位"))
        seen.add(bc.code)
        parsed.append(bc)
    return errors, parsed


def check_member_price(standard: Decimal | None, member: Decimal) -> None:
    if standard is not None and member > standard:
        raise RuleError("catalog.price.member_above_standard", f"会员价 {member} 不能高于标准价 {standard}")
