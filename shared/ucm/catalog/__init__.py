"""Catalog: SKUs, barcodes, categories, brands, prices and images (issue 4)."""

from ucm.errors import Problem, not_found


def sku_not_found() -> Problem:
    """Missing and out of scope look the same: ids of other stores' SKUs do not leak."""
    return not_found("catalog.sku.not_found", "找不到该商品，或您无权查看")
