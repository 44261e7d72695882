"""Barcodes as supermarkets meet them: GTIN (EAN-13, EAN-8, UPC-A) with their check digits,
shop-internal codes, and the variable-weight labels printed by fresh-produce scales
(电子秤条码: a prefix, the PLU, then the weight or the price, and a check digit).

Pure functions: every import path (form, scanner file, API) validates the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ucm.text import normalize_code

GTIN_LENGTHS = {8: "ean8", 12: "upca", 13: "ean13"}
_INTERNAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.]{0,31}")


class BarcodeError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # machine-readable: catalog.barcode.check_digit, …
        self.message = message  # zh-CN, for the shop manager


def gtin_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of ``body`` (the code without its last digit)."""
    # Weights 3, 1, 3, … from the right; slicing keeps this fast for a 100,000-row import.
    rev = body[::-1]
    total = 3 * sum(map(int, rev[0::2])) + sum(map(int, rev[1::2]))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Barcode:
    code: str  # normalised: half-width, no spaces
    kind: str  # ean13 | ean8 | upca | internal


def parse(raw: str, *, allow_internal: bool = True) -> Barcode:
    """Normalise and validate a barcode; raise BarcodeError with a clear reason."""
    code = normalize_code(raw)
    if not code:
        raise BarcodeError("catalog.barcode.empty", "条码不能为空")
    if code.isdigit() and len(code) in GTIN_LENGTHS:
        if gtin_check_digit(code[:-1]) != code[-1]:
            raise BarcodeError("catalog.barcode.check_digit",
                               f"条码 {code} 校验位错误（应为 {gtin_check_digit(code[:-1])}），请核对是否输错")
        return Barcode(code, GTIN_LENGTHS[len(code)])
    if code.isdigit() and len(code) in (7, 11, 14):
        raise BarcodeError("catalog.barcode.length", f"条码 {code} 位数不对：商品条码为 8、12 或 13 位")
    if allow_internal and _INTERNAL.fullmatch(code):
        return Barcode(code, "internal")
    raise BarcodeError("catalog.barcode.invalid", f"条码 {raw!r} 含有不允许的字符，或超过 32 位")


@dataclass(frozen=True)
class ScaleFormat:
    """How a store's scales print labels, e.g. prefix "22", PLU 5 digits, weight 5 digits in
    grams → ``22 PPPPP WWWWW C`` (EAN-13). ``value`` is "weight" (kg) or "price" (元)."""

    prefix: str = "22"
    plu_digits: int = 5
    value_digits: int = 5
    value: str = "weight"
    decimals: int = 3  # 3: grams → kg; 2: fen → yuan

    @property
    def length(self) -> int:
        return len(self.prefix) + self.plu_digits + self.value_digits + 1


@dataclass(frozen=True)
class ScaleLabel:
    plu: str
    weight_kg: Decimal | None
    price: Decimal | None


def parse_scale_label(raw: str, fmt: ScaleFormat) -> ScaleLabel | None:
    """The PLU and weight or price of a scale label; None when ``raw`` is not one."""
    code = normalize_code(raw)
    if not (code.isdigit() and len(code) == fmt.length and code.startswith(fmt.prefix)):
        return None
    if gtin_check_digit(code[:-1]) != code[-1]:
        raise BarcodeError("catalog.barcode.check_digit", f"称重条码 {code} 校验位错误，请重新打印价签")
    start = len(fmt.prefix)
    plu = code[start:start + fmt.plu_digits]
    digits = code[start + fmt.plu_digits:start + fmt.plu_digits + fmt.value_digits]
    value = Decimal(int(digits)).scaleb(-fmt.decimals)
    if fmt.value == "weight":
        return ScaleLabel(plu, value, None)
    return ScaleLabel(plu, None, value)
