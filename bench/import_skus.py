"""SKU import numbers (issue 4, plan §9.1): a 100,000-row CSV through the import pipeline
against the PostgreSQL service — targets: parse + validate + preview under 20 s, commit under
30 s, peak memory under 400 MB.

Two files, each handled in a fresh process so that its RSS high-water mark
(``getrusage().ru_maxrss``) is the import's own (interpreter and imports included, as in FC):
- create: 100,000 new SKUs (barcodes, 40 % with a case level and case barcode, prices, 3 %
  weighed produce with PLUs) into an empty catalog;
- update: the same codes again with every name and price changed (100,000 field diffs, new
  price rows), then the rollback of that import.

Phases: parse + validate + preview = OSS trigger handler (read, decode, map, validate set-wise,
store the rows with COPY) plus reading the job and the first preview page; commit = the one
transaction; rollback likewise.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from ucm import context
from ucm.adapters.objects import LocalObjectStore
from ucm.db import Database
from ucm.fc.events import OssRecord
from ucm.identity import permissions
from ucm.identity.principal import Principal
from ucm.imports import jobs

from bench import catalog_data
from bench._peers import bench_database

ROWS = 100_000
PREVIEW_TARGET_S = 20.0
COMMIT_TARGET_S = 30.0
MEMORY_TARGET_MB = 400.0
HQ = Principal("user", "bench", "基准测试", permissions.CODES, True, frozenset())


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _changed(src: Path, dst: Path) -> Path:
    """The same SKUs renamed and repriced: every row an update of two fields and two prices."""
    with src.open(encoding="utf-8-sig", newline="") as f, dst.open("w", encoding="utf-8-sig", newline="") as g:
        reader = csv.DictReader(f)
        w = csv.DictWriter(g, fieldnames=reader.fieldnames or [])
        w.writeheader()
        for r in reader:
            r["商品名称"] = r["商品名称"] + " 新包装"
            r["标准价"] = f"{float(r['标准价']) + 0.5:.2f}"
            r["会员价"] = f"{float(r['会员价']) + 0.5:.2f}" if r["会员价"] else ""
            w.writerow(r)
    return dst


def _work(conninfo: str, csv_path: str, data_dir: str, rollback: bool) -> dict[str, Any]:
    """One import in this (fresh) process: timings, counts and the RSS high-water mark."""
    db = Database(conninfo, min_size=2, max_size=4)
    objects = LocalObjectStore(Path(data_dir) / "objects", "ucm-bench", "bench-secret", "http://127.0.0.1:1")
    out: dict[str, Any] = {}
    try:
        with context.use(HQ.context(context.new_trace_id(), None, "imports")):
            created = jobs.create_job(db, objects, HQ, "sku", Path(csv_path).name, "text/csv", None, None)
            key = created["upload"]["key"]
            info = objects.put(key, Path(csv_path).read_bytes(), "text/csv")
            out["rss_before_mb"] = round(_rss_mb(), 1)
            t0 = time.perf_counter()
            with context.use(context.system("imports")):
                jobs.handle_upload(db, objects, OssRecord("ObjectCreated:PutObject", objects.bucket, key, info.size,
                                                          info.etag))
            job = jobs.get_job(db, HQ, created["job"]["id"])
            jobs.list_rows(db, HQ, job["id"], None, 50, None)
            t1 = time.perf_counter()
            out["status"], out["counts"] = job["status"], job["counts"]
            out["parse_validate_preview_s"] = round(t1 - t0, 2)
            assert job["status"] == "ready", job["message"]
            committed = jobs.commit(db, HQ, job["id"], job["version"])
            out["commit_s"] = round(time.perf_counter() - t1, 2)
            out["committed"] = committed["message"]
            if rollback:
                t2 = time.perf_counter()
                jobs.rollback(db, HQ, job["id"])
                out["rollback_s"] = round(time.perf_counter() - t2, 2)
        out["peak_rss_mb"] = round(_rss_mb(), 1)
        return out
    finally:
        db.close()


def _in_fresh_process(*args: Any) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: dict[str, Any] = pool.apply(_work, args)
    return result


def run(rows: int = ROWS) -> dict[str, Any]:
    with bench_database() as (_, app), tempfile.TemporaryDirectory() as tmp:
        db = Database(app, min_size=1, max_size=2)
        try:
            catalog_data.install_reference(db)
        finally:
            db.close()
        first = catalog_data.write_csv(Path(tmp) / "商品导入.csv", rows, seed=1)
        second = _changed(first, Path(tmp) / "商品更新.csv")
        results: dict[str, Any] = {"rows": rows, "file_mb": round(first.stat().st_size / 2**20, 1)}
        results["create"] = _in_fresh_process(app, str(first), tmp, False)
        results["update"] = _in_fresh_process(app, str(second), tmp, True)
        phases = [results["create"], results["update"]]
        results["met"] = {
            "parse_validate_preview_under_20s": all(p["parse_validate_preview_s"] < PREVIEW_TARGET_S for p in phases),
            "commit_under_30s": all(p["commit_s"] < COMMIT_TARGET_S for p in phases),
            "peak_memory_under_400mb": all(p["peak_rss_mb"] < MEMORY_TARGET_MB for p in phases),
        }
        return results


def table(results: dict[str, Any]) -> str:
    lines = [f"SKU import, {results['rows']:,} rows ({results['file_mb']} MB CSV)",
             f"{'file':<8} {'parse+validate+preview':>24} {'commit':>8} {'rollback':>9} {'peak RSS':>10}"]
    for name in ("create", "update"):
        r = results[name]
        rollback = f"{r['rollback_s']:.2f} s" if "rollback_s" in r else "-"
        lines.append(f"{name:<8} {r['parse_validate_preview_s']:>22.2f} s {r['commit_s']:>6.2f} s {rollback:>9} "
                     f"{r['peak_rss_mb']:>7.1f} MB")
    lines.append(f"targets: < {PREVIEW_TARGET_S:.0f} s, < {COMMIT_TARGET_S:.0f} s, < {MEMORY_TARGET_MB:.0f} MB → "
                 + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in results["met"].items()))
    return "\n".join(lines)


if __name__ == "__main__":
    res = run()
    print(table(res))
    print(json.dumps(res, indent=2, ensure_ascii=False))
