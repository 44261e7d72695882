"""Import kind ``stock``: opening balances and counted stock lists through the generic pipeline
(upload → validate → preview → commit, all or nothing).

Columns: store code (empty: the job's store), SKU code or barcode (pack barcodes count their
pack's quantity), and the quantity on hand counted. The commit posts, per store, the difference
between the count and on hand at that moment as one ``adjustment`` move (reason code
``opening`` for a store without any stock history, ``import`` otherwise) through ``post_move``,
in the pipeline's one transaction. The ATS cache follows from the moves' ``stock.moved`` events
(``inventory-events``).

Rollback: a compensating adjustment (reason code ``import_rollback``) giving each line back its
difference, refused as a whole (409) when any of its store × SKUs has moved since the import.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from ucm.db import UnitOfWork
from ucm.errors import Problem, conflict
from ucm.imports.kinds import CellError, FieldSpec, Job, Outcome, Progress, Reader, RowIn, RowOut
from ucm.inventory import moves, stocktakes
from ucm.inventory import stock_import_sql as sql
from ucm.inventory.stock import EXPORT_HEADERS, qty_out

CHUNK = 2000
ZERO = Decimal(0)
# The headers of the stock export (stock.EXPORT_HEADERS) are this import's labels: it round-trips.
FIELDS = (
    FieldSpec("store_code", EXPORT_HEADERS[0], example="S001", synonyms=("门店", "门店代码", "store", "store_code")),
    FieldSpec("sku", EXPORT_HEADERS[1], required=True, example="6901234567892",
              synonyms=("商品编码/条码", "条码", "商品条码", "编码", "sku", "sku_code", "barcode")),
    FieldSpec("quantity", EXPORT_HEADERS[4], required=True, example="24",
              synonyms=("数量", "现有库存", "盘点数量", "期初数量", "qty", "quantity", "on_hand")),
)
LABELS = {f.field: f.label for f in FIELDS}


class StockImport:
    name = "stock"
    label = "库存（期初/盘点清单）"
    read_permission = "inventory.read"
    write_permission = "inventory.move"
    fields = FIELDS

    def validate(self, uow: UnitOfWork, job: Job, rows: Callable[[], Iterator[RowIn]],
                 progress: Progress, reader: Reader | None = None) -> Iterator[list[RowOut]]:
        job_store = uow.one(sql.STORE_CODE, {"id": job.store_id}) if job.store_id else None
        seen: dict[tuple[str, str], int] = {}  # (store, sku) → the row that has it first
        source = rows()
        done = 0
        while chunk := list(itertools.islice(source, CHUNK)):
            out = self._check(uow, job, job_store["code"] if job_store else None, chunk, seen)
            done += len(chunk)
            progress(done, "正在校验…")
            yield out

    def _check(self, uow: UnitOfWork, job: Job, job_store_code: str | None, chunk: list[RowIn],
               seen: dict[tuple[str, str], int]) -> list[RowOut]:
        cols = job.columns

        def err(f: str, code: str, message: str, value: str) -> CellError:
            return CellError(cols.get(f, LABELS[f]), f, code, message, value)

        text = [{f: r.values.get(f, "").strip() for f in LABELS} for r in chunk]
        stores = {r["code"]: r["id"] for r in uow.all(
            sql.STORES_BY_CODE, {"codes": list({t["store_code"] or job_store_code or "" for t in text} - {""})})}
        codes = {t["sku"] for t in text} - {""}
        skus = {r["code"]: r for r in uow.all(sql.SKUS_BY_CODE, {"codes": list(codes)})}
        scans = stocktakes.resolve_codes(uow, [c for c in codes if c not in skus])
        by_id = {r["id"]: r for r in uow.all(sql.SKUS_BY_ID, {"ids": [
            s.sku_id for s in scans.values() if isinstance(s, stocktakes.Scan)]})}

        parsed: list[tuple[RowIn, dict[str, str], str | None, str | None, Decimal | None, list[CellError]]] = []
        for r, t in zip(chunk, text, strict=True):
            errors: list[CellError] = []
            store_code = t["store_code"] or job_store_code or ""
            store_id = stores.get(store_code)
            if not store_code:
                errors.append(err("store_code", "imports.required", "请填写门店编码", ""))
            elif store_id is None:
                errors.append(err("store_code", "system.store.not_found", "门店不存在，或您无权导入", store_code))
            elif job.store_id and store_id != job.store_id:
                errors.append(err("store_code", "inventory.import.other_store",
                                  f"本任务只能导入门店 {job_store_code} 的库存", store_code))
            per, sku = Decimal(1), skus.get(t["sku"])
            if not t["sku"]:
                errors.append(err("sku", "imports.required", "请填写商品编码或条码", ""))
            elif sku is None:
                scan = scans.get(t["sku"])
                if isinstance(scan, stocktakes.Scan) and scan.sku_id in by_id:
                    sku, per = by_id[scan.sku_id], scan.per
                else:
                    errors.append(err("sku", "inventory.sku.unknown", "商品编码或条码不存在", t["sku"]))
            if sku is not None and store_id is not None and sku["store_id"] not in (None, store_id):
                errors.append(err("sku", "inventory.sku.unknown", "该商品是其他门店的自有商品", t["sku"]))
            q: Decimal | None = None
            if not t["quantity"]:
                errors.append(err("quantity", "imports.required", "请填写库存数量", ""))
            else:
                try:
                    q = stocktakes.count_qty(t["quantity"], "quantity", allow_zero=True) * per
                except Problem as p:
                    e = p.errors[0] if p.errors else None
                    errors.append(err("quantity", e.code if e else p.code, e.message if e else p.title,
                                      t["quantity"]))
            if q is not None and sku is not None and not sku["is_weighed"] and q != q.to_integral_value():
                errors.append(err("quantity", "inventory.quantity.fractional", "非称重商品的数量必须是整数",
                                  t["quantity"]))
            if store_id and sku is not None and not errors:
                first = seen.setdefault((store_id, sku["id"]), r.row_no)
                if first != r.row_no:
                    errors.append(err("sku", "inventory.import.duplicate", f"与第 {first} 行是同一门店的同一商品",
                                      t["sku"]))
            parsed.append((r, t, store_id, sku["id"] if sku else None, q, errors))

        ok = [(s, k) for _, _, s, k, q, e in parsed if not e and s and k]
        now = {(r["store_id"], r["sku_id"]): r["on_hand"] for r in uow.all(
            sql.ON_HAND, {"stores": [s for s, _ in ok], "skus": [k for _, k in ok]})} if ok else {}
        weighed = {r["id"]: bool(r["is_weighed"]) for r in [*skus.values(), *by_id.values()]}
        out = []
        for r, t, store_id, sku_id, q, errors in parsed:
            key = f"{t['store_code'] or job_store_code or ''}:{t['sku']}"
            if errors or store_id is None or sku_id is None or q is None:
                out.append(RowOut(r.row_no, "error", key, dict(r.values), errors=errors))
                continue
            current = now.get((store_id, sku_id), ZERO)
            w = weighed[sku_id]
            data = {"store_id": store_id, "sku_id": sku_id, "quantity": str(q)}
            if current == q:
                out.append(RowOut(r.row_no, "unchanged", key, data, entity_id=sku_id))
            else:
                out.append(RowOut(r.row_no, "update", key, data, {"on_hand": [qty_out(current, w), qty_out(q, w)]},
                                  entity_id=sku_id))
        return out

    def commit(self, uow: UnitOfWork, job: Job, progress: Progress) -> Outcome:
        counts = uow.all(sql.COUNTS, (job.id,))
        moved = lines = 0
        for store_id, group in itertools.groupby(counts, key=lambda r: str(r["store_id"])):
            want = {r["sku_id"]: Decimal(r["quantity"]) for r in group}
            # The difference against on hand now (locked), not at the preview: the count is the truth.
            have = {r["sku_id"]: r["on_hand"] for r in uow.all(sql.LOCK_ON_HAND, {"store": store_id,
                                                                                  "skus": sorted(want)})}
            first = not uow.one(sql.STORE_HAS_LEDGER, {"store": store_id})["yes"]  # type: ignore[index]
            deltas = [(s, q - have.get(s, ZERO)) for s, q in sorted(want.items()) if q != have.get(s, ZERO)]
            if not deltas:
                continue
            result = _post(uow, store_id, deltas, f"import:{job.id}", job.id, "opening" if first else "import")
            ledger = {li["sku_id"]: li["ledger_id"] for li in result["lines"]}
            skus = [s for s, _ in deltas]
            uow.execute(sql.RECORD_CHANGES, {
                "job": job.id, "stores": [store_id] * len(skus), "skus": skus,
                "before": [have.get(s, ZERO) for s in skus], "after": [want[s] for s in skus],
                "ledger": [int(ledger[s]) for s in skus]})
            moved += 1
            lines += len(deltas)
            progress(lines, "正在过账库存差异…")
        return Outcome({"moves": moved, "lines": lines})

    def rollback(self, uow: UnitOfWork, job: Job, progress: Progress) -> Outcome:
        changes = uow.all(sql.CHANGES, (job.id,))
        since = [r for r in changes if r["moved_since"]]
        if since:
            raise conflict("imports.rollback.changed_since", "导入之后这些商品又有出入库，不能整体撤销",
                           f"{len(since)} 个门店×商品已变化，例如 {since[0]['sku_id']}")
        lines = 0
        for store_id, group in itertools.groupby(changes, key=lambda r: str(r["store_id"])):
            deltas = [(r["sku_id"], r["before"] - r["after"]) for r in group]
            _post(uow, store_id, deltas, f"import-rollback:{job.id}", job.id, "import_rollback")
            lines += len(deltas)
        progress(lines, "撤销完成")
        return Outcome({"lines": lines})


def _post(uow: UnitOfWork, store_id: str, deltas: list[tuple[str, Decimal]], key: str, job_id: str,
          code: str) -> dict[str, Any]:
    try:
        return moves.post_move(uow, store_id, "adjustment", deltas, key, ref=f"import:{job_id}",
                               note="库存导入", reason_code=code)
    except moves.KeyTaken:
        raise conflict("imports.conflict", "该导入已过账，请刷新后查看") from None


KIND = StockImport()
