"""Run every benchmark and print one JSON document (the README's figures come from it)."""

from __future__ import annotations

import json

from bench import auth, catalog_lookup, catalog_search, cold_start, gateway_health, import_skus, inventory_moves

if __name__ == "__main__":
    results = {"cold_start": cold_start.run(), "gateway_health": gateway_health.run(), "auth": auth.run(),
               "catalog_lookup": catalog_lookup.run(), "catalog_search": catalog_search.run(),
               "import_skus": import_skus.run(), "inventory_moves": inventory_moves.run()}
    print(json.dumps(results, indent=2, ensure_ascii=False))
