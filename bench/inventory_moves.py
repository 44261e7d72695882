"""Stock moves under contention (issue 5): 16 concurrent writers hammering 10 hot SKUs in one
store for ~10 s, then the balance/ledger check; and ATS reads, cached and uncached.

The writers call the service (``ucm.inventory.moves.apply_move``) from 16 processes (as 16 FC
instances would), each with its own connection: the whole write path (validation, idempotency claim, audit,
one ``stock.moved`` per line, the balance+ledger statement, cache invalidation), without HTTP.
Half the moves are purchase receipts, half sales (never refused), one line each, a fresh
idempotency key each. Afterwards: zero drift (balance == ledger sum for every store × SKU) and
ledger rows == moves acknowledged. ``cpu_ms_per_move``: the writers' CPU and their database
backends' (read from /proc when PostgreSQL runs on this host) per acknowledged move, the cost
apart from whatever else the host runs. ATS is read through the real ``inventory-api`` function
(FC entry point: token, scope, FastAPI), sequentially: ``cached`` reads hot keys, ``uncached``
drops the key before each read so it goes to PostgreSQL.

``python -m bench.inventory_moves --moves-only`` runs the writers alone (≈ 15 s).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg

from bench._peers import admin_headers, bench_database, function_container, percentile

WRITERS = 16
HOT_SKUS = 10
DURATION_S = 10.0
TARGET_MOVES_PER_S = 1000.0
TARGETS_MS = {"ats_cached": 5.0, "ats_uncached": 15.0}
AS_OF_SKUS = 20_000
AS_OF_TARGET_S = 2.0

# A second store with 20,000 SKUs and a year of moves: one move a day, each SKU on one day in five
# (≈ 1.46 million ledger rows), then balances equal to the ledger sums.
_SEED_YEAR = """
insert into store (id, code, name, region_id) values ('st2', 'IS2', '门店2', 'r1');
insert into sku (id, code, name, category_id, unit, tax_rate, status)
select 'a' || g, 'A' || g, '商品' || g, 'c1', '个', 0.13, 'active' from generate_series(1, %(n)s) g;
insert into stock_move (id, store_id, idempotency_key, request, reason, actor, created_at)
select 'm' || d, 'st2', 'seed' || d, '', 'purchase_receipt', 'bench', now() - (366 - d) * interval '1 day'
from generate_series(1, 365) d;
insert into stock_ledger (store_id, sku_id, qty_delta, reason, move_id, actor, occurred_at, on_hand_after)
select 'st2', 'a' || g, case when (g + d) %% 3 = 0 then 12 else -1 end,
       case when (g + d) %% 3 = 0 then 'purchase_receipt' else 'sale' end, 'm' || d, 'bench',
       now() - (366 - d) * interval '1 day' + (g %% 80000) * interval '1 second', 0
from generate_series(1, 365) d, generate_series(1, %(n)s) g where (g * 7 + d) %% 5 = 0;
insert into stock_balance (store_id, sku_id, on_hand)
select store_id, sku_id, sum(qty_delta) from stock_ledger where store_id = 'st2' group by store_id, sku_id;
"""

_SEED = """
insert into region (id, code, name) values ('r1', 'IR1', '华东');
insert into store (id, code, name, region_id) values ('st1', 'IS1', '门店1', 'r1');
insert into category (id, code, name, parent_id, path, depth) values ('c1', 'IC1', '饮料', null, '/c1/', 1);
insert into sku (id, code, name, category_id, unit, tax_rate, status)
select 's' || g, 'I' || g, '热销商品' || g, 'c1', '瓶', 0.13, 'active' from generate_series(1, %(n)s) g;
"""


def _summary(samples: list[float], target: float) -> dict[str, Any]:
    p95 = percentile(samples, 95)
    return {"p50_ms": round(percentile(samples, 50), 2), "p95_ms": round(p95, 2),
            "p99_ms": round(percentile(samples, 99), 2), "target_p95_ms": target, "met": p95 < target}


def _cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by a local process; None when it is not visible
    (a database on another host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _writer(app_conn: str, t: int, duration_s: float, barrier: Any, out: Any) -> None:
    """One writer process (as one FC instance would be): its own connection, moves until the time
    is up; reports (acknowledged, failed, errors, its CPU seconds, its database backend's CPU
    seconds) so that the cost per move is known apart from how busy the host is."""
    from ucm import context
    from ucm.db import Database
    from ucm.identity.permissions import CODES
    from ucm.identity.principal import Principal
    from ucm.inventory import moves

    db = Database(app_conn, min_size=1, max_size=1)
    who = Principal("user", "bench", "bench", CODES, True, frozenset())
    hot = [f"s{i}" for i in range(1, HOT_SKUS + 1)]
    rnd = random.Random(t)
    acked = failed = 0
    errors: list[str] = []
    with db.connection() as conn:
        row = conn.execute("select pg_backend_pid() as pid").fetchone()
    backend = int(row["pid"]) if row else 0
    barrier.wait()
    cpu0, pg0 = time.process_time(), _cpu_s(backend)
    deadline = time.perf_counter() + duration_s
    with context.use(context.system("bench-writer", actor=f"bench:{t}")):
        while time.perf_counter() < deadline:
            reason = "purchase_receipt" if rnd.random() < 0.5 else "sale"
            try:
                moves.apply_move(db, None, who, "st1", reason, [(rnd.choice(hot), rnd.randint(1, 5))],
                                 uuid.uuid4().hex)
                acked += 1
            except Exception as exc:  # counted and reported: none are expected
                failed += 1
                errors.append(repr(exc))
    cpu, pg1 = time.process_time() - cpu0, _cpu_s(backend)
    db.close()
    out.put((acked, failed, errors[:3], cpu, None if pg0 is None or pg1 is None else pg1 - pg0))


def _as_of(owner: str, db: Any) -> dict[str, Any]:
    """Stock of the whole 20,000-SKU store as of half a year ago, through the service, walking
    every page (500 SKUs each) as an export would."""
    from datetime import datetime, timedelta, timezone

    from ucm import context
    from ucm.inventory import stock

    t0 = time.perf_counter()
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(_SEED_YEAR.replace("%(n)s", str(AS_OF_SKUS)).replace("%%", "%"))  # type: ignore[arg-type]
        conn.execute("vacuum analyze stock_ledger")  # as autovacuum would: index-only scans
        conn.execute("analyze")
        rows = conn.execute("select count(*) from stock_ledger where store_id = 'st2'").fetchone()
    seed_s = time.perf_counter() - t0
    at = datetime.now(timezone.utc) - timedelta(days=182)
    runs = []
    skus = 0
    with context.use(context.system("bench")):
        for _ in range(3):
            t = time.perf_counter()
            cursor, skus = None, 0
            while True:
                page = stock.stock_as_of(db, "st2", at, None, 500, cursor)
                skus += len(page["items"])
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            runs.append(time.perf_counter() - t)
        drift = stock.check_invariants(db)
    return {"skus": skus, "ledger_rows": int(rows[0]) if rows else 0, "seed_s": round(seed_s, 1),
            "whole_store_s": [round(r, 2) for r in runs], "target_s": AS_OF_TARGET_S,
            "met": max(runs) < AS_OF_TARGET_S and skus == AS_OF_SKUS, "drift": len(drift)}


def _moves(owner: str, app_conn: str, db: Any, cache: Any, duration_s: float, writers: int) -> dict[str, Any]:
    """The writers' run: opening stock, ``writers`` processes for ``duration_s``, then the checks."""
    from ucm import context
    from ucm.identity.permissions import CODES
    from ucm.identity.principal import Principal
    from ucm.inventory import moves, stock

    who = Principal("user", "bench", "bench", CODES, True, frozenset())
    hot = [f"s{i}" for i in range(1, HOT_SKUS + 1)]
    with context.use(context.system("bench")):  # opening stock, and warm the pool
        moves.apply_move(db, cache, who, "st1", "purchase_receipt", [(h, 1000) for h in hot], "opening")
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(writers + 1)
    out: Any = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(app_conn, t, duration_s, barrier, out)) for t in range(writers)]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    reports = [out.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    total = sum(r[0] for r in reports)
    failed = sum(r[1] for r in reports)
    errors = [e for r in reports for e in r[2]]
    py_cpu = sum(r[3] for r in reports)
    pg_cpu = None if any(r[4] is None for r in reports) else sum(r[4] for r in reports)
    with context.use(context.system("bench")):
        drift = stock.check_invariants(db)
    with psycopg.connect(owner) as conn:
        row = conn.execute("select count(*) from stock_ledger where move_id <> "
                           "(select id from stock_move where idempotency_key = 'opening')").fetchone()
    ledger_rows = int(row[0]) if row else -1
    return {
        "writers": writers, "hot_skus": HOT_SKUS, "seconds": round(elapsed, 1), "moves_acked": total,
        "moves_failed": failed, "errors": errors[:3],
        "moves_per_s": round(total / elapsed), "target_moves_per_s": TARGET_MOVES_PER_S,
        # CPU per move, writers (Python) and their database backends: the cost, whatever else runs
        "cpu_ms_per_move": {"python": round(py_cpu * 1000 / max(total, 1), 2),
                            "postgres": None if pg_cpu is None else round(pg_cpu * 1000 / max(total, 1), 2)},
        "ledger_rows": ledger_rows, "ledger_rows_equal_acked": ledger_rows == total,
        "drift": len(drift), "met": total / elapsed >= TARGET_MOVES_PER_S and not drift
        and ledger_rows == total and not errors,
    }


def run(duration_s: float = DURATION_S, writers: int = WRITERS, n_reads: int = 2000,
        moves_only: bool = False) -> dict[str, Any]:
    from ucm.db import Database
    from ucm.fc.discovery import load_functions
    from ucm.fc.testing import Client
    from ucm.inventory import stock

    with bench_database() as (owner, app_conn), tempfile.TemporaryDirectory() as tmp:
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute(_SEED.replace("%(n)s", str(HOT_SKUS)))  # type: ignore[arg-type]
        db = Database(app_conn, min_size=1, max_size=4)
        installed = ExitStack()
        cache = installed.enter_context(function_container(db, Path(tmp)))
        try:
            results = _moves(owner, app_conn, db, cache, duration_s, writers)
            if moves_only:
                return results
            hot = [f"s{i}" for i in range(1, HOT_SKUS + 1)]
            api = Client(load_functions()["inventory-api"]).http
            headers = admin_headers(db)
            rnd = random.Random(7)

            def timed(sku: str) -> float:
                t = time.perf_counter()
                r = api.request("GET", "/inventory/ats", headers=headers, query={"store_id": "st1", "sku_id": sku})
                ms = (time.perf_counter() - t) * 1000
                assert r.status_code == 200, r.text
                return ms

            for h in hot:
                timed(h)
            results["ats_cached"] = _summary([timed(rnd.choice(hot)) for _ in range(n_reads)],
                                             TARGETS_MS["ats_cached"])

            def uncached() -> float:
                sku = rnd.choice(hot)
                cache.delete(stock.ats_cache_key("st1", sku))
                return timed(sku)

            results["ats_uncached"] = _summary([uncached() for _ in range(n_reads)], TARGETS_MS["ats_uncached"])
            results["stock_as_of"] = _as_of(owner, db)
            return results
        finally:
            installed.close()
            db.close()


if __name__ == "__main__":
    import json
    import sys

    # --moves-only: just the writers' run (quick, for tuning the write path)
    print(json.dumps(run(moves_only="--moves-only" in sys.argv[1:]), indent=2, ensure_ascii=False))
