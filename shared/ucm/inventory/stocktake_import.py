"""Import kind ``stocktake_count``: a scanner's file of counts for one stocktake (the job's
target), through the generic pipeline (upload → validate → preview → commit, all or nothing).

Columns: the code scanned (a barcode — pack barcodes count their pack quantity, scale labels
their weight — or the SKU code) and an optional quantity (empty: 1, one row per scan). Rows of
the same SKU are summed and the sum is SET as the SKU's count: a scanner file is the complete
count of what it holds, so importing the same file again changes nothing. A file cannot be
rolled back: correct a count by entering it again, or by a recount in review."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from ucm.db import UnitOfWork
from ucm.errors import Problem, bad_request, not_found
from ucm.imports.kinds import CellError, FieldSpec, Job, Outcome, Progress, Reader, RowIn, RowOut
from ucm.inventory import stocktake_sql as sql
from ucm.inventory import stocktakes

CHUNK = 2000
FIELDS = (
    FieldSpec("code", "条码", required=True, example="6901234567892",
              synonyms=("商品条码", "条码/商品编码", "商品编码", "编码", "barcode", "sku_code", "sku", "扫描码")),
    FieldSpec("quantity", "数量", example="1", synonyms=("盘点数量", "实盘数量", "qty", "count", "数")),
)
LABELS = {f.field: f.label for f in FIELDS}


def _first(p: Problem) -> tuple[str, str]:
    e = p.errors[0] if p.errors else None
    return (e.code, e.message) if e else (p.code, p.title)


class StocktakeCountImport:
    name = "stocktake_count"
    label = "盘点数"
    read_permission = "inventory.read"
    write_permission = "inventory.stocktake"
    fields = FIELDS

    def check_target(self, uow: UnitOfWork, store_id: str | None, target_id: str | None) -> None:
        if not target_id:
            raise bad_request("imports.target", "盘点数导入须指定盘点单（target_id）")
        head = uow.one(sql.GET, (target_id,))
        if head is None or head["store_id"] != store_id:
            raise not_found("inventory.stocktake.not_found", "找不到该盘点单，或您无权查看")
        if head["status"] != "counting":
            raise Problem(409, "inventory.stocktake.state", "盘点单不在盘点中，不能导入盘点数")

    def validate(self, uow: UnitOfWork, job: Job, rows: Callable[[], Iterator[RowIn]],
                 progress: Progress, reader: Reader | None = None) -> Iterator[list[RowOut]]:
        head = uow.one(sql.GET, (job.target_id,))
        if head is None or head["store_id"] != job.store_id:
            raise not_found("inventory.stocktake.not_found", "找不到该盘点单，或您无权查看")
        source = rows()
        done = 0
        while chunk := list(itertools.islice(source, CHUNK)):
            out = self._check(uow, job, head, chunk)
            done += len(chunk)
            progress(done, "正在校验…")
            yield out

    def _check(self, uow: UnitOfWork, job: Job, head: dict[str, Any], chunk: list[RowIn]) -> list[RowOut]:
        cols = job.columns

        def err(f: str, code: str, message: str, value: str) -> CellError:
            return CellError(cols.get(f, LABELS[f]), f, code, message, value)

        codes = {r.values.get("code", "").strip() for r in chunk} - {""}
        by_code = {r["code"]: r["id"] for r in uow.all(sql.SKU_BY_CODE, {"codes": list(codes)})}
        scans = stocktakes.resolve_codes(uow, [c for c in codes if c not in by_code])
        parsed: list[tuple[RowIn, str | None, Decimal | None, list[CellError]]] = []
        for r in chunk:
            code, raw = r.values.get("code", "").strip(), r.values.get("quantity", "").strip()
            errors: list[CellError] = []
            q: Decimal | None = None
            try:
                q = stocktakes.count_qty(raw or "1", "quantity", allow_zero=True)
            except Problem as p:
                errors.append(err("quantity", *_first(p), raw))
            sku: str | None = None
            if not code:
                errors.append(err("code", "imports.required", "请填写条码或商品编码", ""))
            elif code in by_code:
                sku = by_code[code]
            else:
                scan = scans[code]
                if isinstance(scan, Problem):
                    errors.append(err("code", scan.code, scan.title, code))
                else:
                    sku = scan.sku_id
                    q = q * scan.per if q is not None else None
            parsed.append((r, sku, q, errors))
        totals = {sku: q for _, sku, q, errors in parsed if sku and q is not None and not errors}
        refused = stocktakes.check_countable(uow, head, totals) if totals else {}
        out = []
        for r, sku, q, errors in parsed:
            if sku in refused:
                no = refused[sku]
                f = "quantity" if no.code == "inventory.quantity.fractional" else "code"
                errors.append(err(f, no.code, no.title, r.values.get(f, "")))
            if errors or sku is None or q is None:
                out.append(RowOut(r.row_no, "error", r.values.get("code", ""), dict(r.values), errors=errors))
            else:
                out.append(RowOut(r.row_no, "update", r.values.get("code", ""), {"sku_id": sku, "quantity": str(q)},
                                  entity_id=sku))
        return out

    def commit(self, uow: UnitOfWork, job: Job, progress: Progress) -> Outcome:
        head = uow.one(sql.GET_FOR_SHARE, (job.target_id,))
        if head is None:
            raise not_found("inventory.stocktake.not_found", "找不到该盘点单，或您无权查看")
        if head["status"] != "counting":
            raise Problem(409, "inventory.stocktake.state", "盘点单已不在盘点中，不能导入盘点数")
        totals: dict[str, Decimal] = {}
        for r in uow.all(sql.IMPORTED_COUNTS, (job.id,)):
            totals[r["sku_id"]] = Decimal(r["quantity"])
        # Checked again: the catalog or the stocktake may have changed since the preview.
        rows = stocktakes.apply_counts(uow, head, totals, add=False, source=f"import:{job.id}")
        progress(len(rows), "已写入盘点数")
        return Outcome({"counted": len(rows)})

    def rollback(self, uow: UnitOfWork, job: Job, progress: Progress) -> Outcome:
        raise Problem(422, "inventory.stocktake.import_rollback",
                      "盘点数导入不能撤销：请重新录入正确的数量，或在审核时复盘")


KIND = StocktakeCountImport()
