"""Scanned codes → SKUs, set-wise: the catalog's barcode rules for every scanner that reads
them (the barcode lookup, stocktake counts, stock lists). A product or pack barcode stands for
its pack's quantity of base units; a weight label of a fresh-produce scale (22 + PLU + grams)
for its weight in kg; a price label (22 + PLU + price) for one item at that price."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ucm.catalog import barcodes
from ucm.catalog import sql as catalog_sql
from ucm.db import UnitOfWork
from ucm.errors import Problem, bad_request

SCALE = barcodes.ScaleFormat()  # 22 + PLU(5) + grams(5) + check: the common Chinese scale label


@dataclass(frozen=True)
class Scan:
    sku_id: str
    per: Decimal | None  # base units the code stands for (1, a pack's quantity, a weight); None: a price label
    pack_name: str | None = None
    label_price: Decimal | None = None


def is_price_label(raw: str) -> bool:
    """A scale label that carries a price, not a weight (it cannot say how much there is)."""
    try:
        label = barcodes.parse_scale_label(raw, SCALE)
    except barcodes.BarcodeError:
        return False
    return label is not None and label.weight_kg is None


def resolve(uow: UnitOfWork, raws: Sequence[str]) -> dict[str, Scan | Problem]:
    """Every distinct code of ``raws`` → its Scan, or a Problem: 400 with the barcode's own code
    when malformed, 422 ``catalog.barcode.not_found`` when no SKU the caller sees has it. Two
    queries whatever the number of codes."""
    out: dict[str, Scan | Problem] = {}
    plain: dict[str, list[str]] = {}
    labels: dict[str, list[tuple[str, barcodes.ScaleLabel]]] = {}
    for raw in set(raws):
        try:
            label = barcodes.parse_scale_label(raw, SCALE)
            if label is None:
                plain.setdefault(barcodes.parse(raw).code, []).append(raw)
            else:
                labels.setdefault(label.plu, []).append((raw, label))
        except barcodes.BarcodeError as exc:
            out[raw] = bad_request(exc.code, exc.message)
    if plain:
        for r in uow.all(catalog_sql.SCANNED_BARCODES, {"codes": list(plain)}):
            for raw in plain.pop(r["code"]):
                out[raw] = Scan(r["sku_id"], Decimal(r["per"]), pack_name=r["pack_name"])
    if labels:
        for r in uow.all(catalog_sql.SCANNED_PLUS, {"plus": list(labels)}):
            for raw, label in labels.pop(r["plu"]):
                out[raw] = Scan(r["sku_id"], label.weight_kg, label_price=label.price)
    for raw in [*(x for v in plain.values() for x in v), *(x for v in labels.values() for x, _ in v)]:
        out[raw] = Problem(422, "catalog.barcode.not_found", f"没有找到条码 {raw} 对应的商品")
    return out
