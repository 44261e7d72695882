"""Catalog: SKUs, barcodes, categories, brands and prices (issue 4; barcodes first)."""
