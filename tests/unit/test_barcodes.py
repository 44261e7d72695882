"""Barcodes: GS1 check digits, scanner/Excel noise, internal codes, scale labels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ucm.catalog.barcodes import Barcode, BarcodeError, ScaleFormat, gtin_check_digit, parse, parse_scale_label


@pytest.mark.parametrize(("code", "kind"), [
    ("4006381333931", "ean13"),  # GS1's own example
    ("6901028075022", "ean13"),
    ("96385074", "ean8"),
    ("036000291452", "upca"),
])
def test_valid_gtins(code: str, kind: str) -> None:
    assert parse(code) == Barcode(code, kind)


def test_full_width_digits_and_spaces_are_normalised() -> None:
    assert parse("４００６３８１ ３３３９３１").code == "4006381333931"
    assert parse("  4006381333931\u3000").kind == "ean13"


@pytest.mark.parametrize(("raw", "error"), [
    ("4006381333932", "catalog.barcode.check_digit"),
    ("96385075", "catalog.barcode.check_digit"),
    ("4006381", "catalog.barcode.length"),
    ("", "catalog.barcode.empty"),
    ("可乐", "catalog.barcode.invalid"),
    ("A" * 33, "catalog.barcode.invalid"),
])
def test_bad_barcodes_say_why(raw: str, error: str) -> None:
    with pytest.raises(BarcodeError) as exc:
        parse(raw)
    assert exc.value.code == error and exc.value.message


def test_internal_codes() -> None:
    assert parse("SH-0001").kind == "internal"
    with pytest.raises(BarcodeError):
        parse("SH-0001", allow_internal=False)


def test_check_digit_algorithm() -> None:
    assert gtin_check_digit("400638133393") == "1"
    assert gtin_check_digit("9638507") == "4"


def test_weight_label() -> None:
    body = "22" + "00123" + "01250"  # PLU 00123, 1.250 kg
    label = parse_scale_label(body + gtin_check_digit(body), ScaleFormat())
    assert label is not None and (label.plu, label.weight_kg, label.price) == ("00123", Decimal("1.250"), None)


def test_price_label() -> None:
    fmt = ScaleFormat(prefix="28", value="price", decimals=2)
    body = "28" + "04567" + "01599"  # PLU 04567, ¥15.99
    label = parse_scale_label(body + gtin_check_digit(body), fmt)
    assert label is not None and label.price == Decimal("15.99") and label.weight_kg is None


def test_not_a_scale_label_and_bad_label() -> None:
    assert parse_scale_label("4006381333931", ScaleFormat()) is None
    body = "220012301250"
    wrong = str((int(gtin_check_digit(body)) + 1) % 10)
    with pytest.raises(BarcodeError) as exc:
        parse_scale_label(body + wrong, ScaleFormat())
    assert exc.value.code == "catalog.barcode.check_digit"
