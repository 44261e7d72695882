"""Catalog point reads with 100,000 SKUs (issue 4): GET a SKU by id, by barcode, and the
effective price of a SKU at a store at a moment for a member tier.

Seeds a fresh database on the PostgreSQL service set-wise (generate_series): 100,000 SKUs in a
category tree, one EAN-13 per SKU and one per case, HQ standard prices for all, member prices
for a third, store prices and evening markdowns for some, four stores. Then calls the real
``catalog-api`` function through its FC entry point (token check, scope, FastAPI, SQL) as an HQ
user, sequentially, and reports P50/P95/P99 per endpoint. The plain figures read a store's hot
items (200 SKUs read again and again, as the counters and the back office do all day), served
from the cache after their first read; ``uncached`` reads SKUs not read before, so each goes to
PostgreSQL; ``past`` asks the price at a moment three days ago (SQL, never cached).
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg

from bench._peers import admin_headers, bench_database, function_container, percentile

N_SKUS = 100_000
TARGETS_MS = {"sku_by_id": 10.0, "sku_by_barcode": 10.0, "effective_price": 5.0}

# One set-based script: SKU i has code 'B' || i, barcode 69 + i (10 digits) + check digit.
_SEED = """
insert into region (id, code, name) values ('r1', 'BR1', '华东');
insert into store (id, code, name, region_id)
select 'st' || g, 'BS' || g, '门店' || g, 'r1' from generate_series(1, 4) g;
insert into category (id, code, name, parent_id, path, depth)
select 'c' || g, 'BC' || g, '大类' || g, null, '/c' || g || '/', 1 from generate_series(1, 20) g;
insert into category (id, code, name, parent_id, path, depth)
select 'c' || a || '_' || b, 'BC' || a || '_' || b, '小类' || a || '-' || b, 'c' || a,
       '/c' || a || '/c' || a || '_' || b || '/', 2
from generate_series(1, 20) a, generate_series(1, 10) b;
insert into brand (id, code, name) select 'b' || g, 'BB' || g, '品牌' || g from generate_series(1, 500) g;
insert into sku (id, code, name, short_name, brand_id, category_id, unit, tax_rate, status)
select 's' || g, 'B' || g, (array['可口可乐','农夫山泉','康师傅','乐事','奥利奥','伊利','蒙牛','维达'])[1 + g % 8]
       || ' 商品' || g, '', 'b' || (1 + g % 500), 'c' || (1 + g % 20) || '_' || (1 + g % 10), '瓶', 0.13, 'active'
from generate_series(1, %(n)s) g;
insert into sku_pack (id, sku_id, name, quantity) select 'p' || g, 's' || g, '箱', 24 from generate_series(1, %(n)s) g;
with codes as (
    select g, '69' || lpad(g::text, 10, '0') as body, '79' || lpad(g::text, 10, '0') as case_body
    from generate_series(1, %(n)s) g
)
insert into barcode (code, sku_id, pack_id, kind)
select body || ucm_bench_check(body), 's' || g, null, 'ean13' from codes
union all
select case_body || ucm_bench_check(case_body), 's' || g, 'p' || g, 'ean13' from codes;
insert into price (sku_id, store_id, kind, amount, starts_at, created_by)
select 's' || g, null, 'standard', 2 + (g % 50), now() - interval '90 days', 'bench' from generate_series(1, %(n)s) g;
insert into price (sku_id, store_id, kind, amount, starts_at, created_by)
select 's' || g, null, 'standard', 2.5 + (g % 50), now() - interval '30 days', 'bench'
from generate_series(1, %(n)s) g where g % 2 = 0;
insert into price (sku_id, store_id, kind, tier, amount, starts_at, created_by)
select 's' || g, null, 'member', null, 1.8 + (g % 50), now() - interval '60 days', 'bench'
from generate_series(1, %(n)s) g where g % 3 = 0;
insert into price (sku_id, store_id, kind, amount, starts_at, created_by)
select 's' || g, 'st' || (1 + g % 4), 'standard', 2.2 + (g % 50), now() - interval '10 days', 'bench'
from generate_series(1, %(n)s) g where g % 10 = 0;
insert into price (sku_id, store_id, kind, amount, starts_at, ends_at, created_by)
select 's' || g, 'st' || (1 + g % 4), 'temporary', 1 + (g % 40), now() - interval '1 hour' + d * interval '1 day',
       now() + interval '2 hours' + d * interval '1 day', 'bench'
from generate_series(1, %(n)s) g, generate_series(-20, 0) d where g % 20 = 0;
analyze;
"""
_CHECK_FN = """
create or replace function ucm_bench_check(body text) returns text language sql immutable as $$
    select ((10 - (sum(substr(reverse(body), i, 1)::int * case when i % 2 = 1 then 3 else 1 end) % 10)) % 10)::text
    from generate_series(1, length(body)) i
$$;
"""


def _gtin(body: str) -> str:
    from ucm.catalog.barcodes import gtin_check_digit

    return body + gtin_check_digit(body)


def _summary(samples: list[float], target: float) -> dict[str, Any]:
    p95 = percentile(samples, 95)
    return {"p50_ms": round(percentile(samples, 50), 2), "p95_ms": round(p95, 2),
            "p99_ms": round(percentile(samples, 99), 2), "target_p95_ms": target, "met": p95 < target}


def run(n_skus: int = N_SKUS, n_calls: int = 2000) -> dict[str, Any]:
    from ucm.db import Database

    with bench_database() as (owner, app_conn), tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute(_CHECK_FN)
            conn.execute(_SEED.replace("%(n)s", str(n_skus)))  # type: ignore[arg-type]
        seed_s = time.perf_counter() - t0
        db = Database(app_conn, min_size=2, max_size=4)
        try:
            with function_container(db, Path(tmp)):
                return _measure(db, n_skus, n_calls, seed_s)
        finally:
            db.close()


def _measure(db: Any, n_skus: int, n_calls: int, seed_s: float) -> dict[str, Any]:
    from ucm.fc.discovery import load_functions
    from ucm.fc.testing import Client

    api = Client(load_functions()["catalog-api"]).http
    headers = admin_headers(db)
    rnd = random.Random(7)

    def timed(path: str, query: dict[str, str] | None = None) -> float:
        t = time.perf_counter()
        r = api.request("GET", path, headers=headers, query=query)
        ms = (time.perf_counter() - t) * 1000
        assert r.status_code == 200, r.text
        return ms

    hot = [rnd.randint(1, n_skus) for _ in range(200)]  # a shop's hot items, read again and again
    for g in hot:
        timed(f"/catalog/sku/s{g}")
    results: dict[str, Any] = {"skus": n_skus, "seed_s": round(seed_s, 1)}
    results["sku_by_id"] = _summary(
        [timed(f"/catalog/sku/s{rnd.choice(hot)}") for _ in range(n_calls)], TARGETS_MS["sku_by_id"])
    # SKUs not read before: each read misses the cache and goes to PostgreSQL.
    cold = rnd.sample(sorted(set(range(1, n_skus + 1)) - set(hot)), n_calls // 2)
    results["sku_by_id_uncached"] = _summary([timed(f"/catalog/sku/s{g}") for g in cold],
                                             TARGETS_MS["sku_by_id"])
    results["sku_by_barcode"] = _summary(
        [timed(f"/catalog/barcodes/{_gtin('69' + str(rnd.randint(1, n_skus)).zfill(10))}")
         for _ in range(n_calls)], TARGETS_MS["sku_by_barcode"])
    tiers = [None, "gold"]
    stores = [None, "st1", "st2", "st3", "st4"]

    def price_query(pool: list[int] | None) -> dict[str, str]:
        q = {"sku_id": f"s{rnd.choice(pool) if pool else rnd.randint(1, n_skus)}"}
        store, tier = rnd.choice(stores), rnd.choice(tiers)
        return q | ({"store_id": store} if store else {}) | ({"tier": tier} if tier else {})

    for g in hot:  # the price sheets of the hot items, as a store's day fills the cache
        timed("/catalog/price", {"sku_id": f"s{g}"})
    results["effective_price"] = _summary([timed("/catalog/price", price_query(hot)) for _ in range(n_calls)],
                                          TARGETS_MS["effective_price"])
    results["effective_price_uncached"] = _summary(
        [timed("/catalog/price", price_query(None)) for _ in range(n_calls // 2)],
        TARGETS_MS["effective_price"])
    # The same rule in SQL for a past moment (never cached): what a report or an audit asks.
    past = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat()
    results["effective_price_past"] = _summary(
        [timed("/catalog/price", price_query(None) | {"at": past}) for _ in range(n_calls // 2)],
        TARGETS_MS["effective_price"])
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
