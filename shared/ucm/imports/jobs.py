"""Import jobs: create (with a presigned upload), parse and validate on upload, re-map,
preview, commit, roll back, cancel. Each step is a status move on ``import_job``; progress is
written on short transactions of its own so pollers see it while a long step runs."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg

from ucm import context, pagination
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found, unprocessable
from ucm.fc.events import OssRecord
from ucm.identity.principal import Principal, forbidden
from ucm.imports import kinds, mapping, reading, report, sql
from ucm.imports.kinds import Job, Kind, RowOut
from ucm.ports import ObjectStore
from ucm.times import utcnow

log = logging.getLogger(__name__)

PREFIX = "imports/"
PRESIGN_TTL_S = 900
CONTENT_TYPES = {"text/csv": ".csv", "application/vnd.ms-excel": ".csv", "text/plain": ".csv",
                 reading.XLSX_TYPE: ".xlsx"}
_BAD_NAME = re.compile(r"[\\/\x00-\x1f]|^\.+$")
_EDITABLE = ("invalid", "ready")
_CANCELLABLE = ("awaiting_upload", "parsing", "invalid", "ready", "failed")


# --- reading jobs --------------------------------------------------------------------------------

def job_out(row: Mapping[str, Any]) -> dict[str, Any]:
    kind = kinds.get(row["kind"])
    out = {k: v for k, v in row.items() if k not in ("object_etag", "object_key")}
    out["counts"] = {"create": 0, "update": 0, "unchanged": 0, "error": 0, **(row["counts"] or {})}
    out["fields"] = [{"field": f.field, "label": f.label, "required": f.required} for f in kind.fields]
    return out


STUCK_AFTER_S = 600  # twice the function's timeout
# Reading a file reports progress every chunk (a second or so): silent this long, it has died.
_PARSE_SILENT = timedelta(seconds=120)



def _job(uow: UnitOfWork, job_id: str, *, lock: bool = False) -> dict[str, Any]:
    uow.execute(sql.RECOVER, {"id": job_id, "after_s": STUCK_AFTER_S})
    row = uow.one(sql.GET_JOB_FOR_UPDATE if lock else sql.GET_JOB, (job_id,))
    if row is None:
        raise not_found("imports.not_found", "找不到该导入任务，或您无权查看")
    return row


def _allowed(who: Principal, kind: Kind, write: bool) -> None:
    permission = kind.write_permission if write else kind.read_permission
    if not who.can(permission):
        raise forbidden(permission)


def get_job(db: Database, who: Principal, job_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        row = _job(uow, job_id)
    _allowed(who, kinds.get(row["kind"]), write=False)
    return job_out(row)


def list_jobs(db: Database, who: Principal, kind: str | None, status: str | None, limit: int | None,
              cursor: str | None) -> dict[str, Any]:
    if kind is not None:
        _allowed(who, kinds.get(kind), write=False)
    readable = [k for k in kinds.names() if who.can(kinds.get(k).read_permission)]
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 2)
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_JOBS, {"kind": kind, "status": status, "after_at": after[0] if after else None,
                                       "after_id": after[1] if after else None, "limit": n + 1})
    rows = [r for r in rows if r["kind"] in readable]
    page = pagination.page(rows, n, ["created_at", "id"])
    page["items"] = [job_out(r) for r in page["items"]]
    return page


# --- creating a job ------------------------------------------------------------------------------

def create_job(db: Database, objects: ObjectStore, who: Principal, kind_name: str, filename: str,
               content_type: str, store_id: str | None, mapping_id: str | None,
               target_id: str | None = None) -> dict[str, Any]:
    kind = kinds.get(kind_name)
    _allowed(who, kind, write=True)
    name = filename.strip()
    errors = []
    if not name or len(name) > 200 or _BAD_NAME.search(name):
        errors.append(FieldError("filename", "imports.filename", "文件名不能为空、不能含 / 或 \\，且不超过 200 字"))
    elif not name.lower().endswith((".csv", ".xlsx")):
        errors.append(FieldError("filename", "imports.file.type", "只能导入 CSV 或 Excel（.xlsx）文件"))
    if content_type not in CONTENT_TYPES:
        errors.append(FieldError("content_type", "imports.file.type", "只能导入 CSV 或 Excel（.xlsx）文件"))
    if errors:
        raise bad_request("imports.invalid", "无法创建导入任务，请检查文件", errors=errors)
    if store_id is None and not who.all_stores:
        raise Problem(403, "imports.hq_only", "总部导入需要总部权限；门店请选择本店后导入")
    job_id = str(uuid.uuid4())
    key = f"{PREFIX}{job_id}/{name}"
    with db.transaction() as uow:
        if store_id is not None and uow.one(sql.STORE_VISIBLE, (store_id,)) is None:
            raise not_found("system.store.not_found", "找不到该门店，或您无权查看")
        if isinstance(kind, kinds.Targeted):
            kind.check_target(uow, store_id, target_id)
        elif target_id is not None:
            raise bad_request("imports.target", "该导入类型不需要指定目标单据（target_id）")
        if mapping_id is not None:
            saved = uow.one(sql.GET_MAPPING, (mapping_id,))
            if saved is None or saved["kind"] != kind_name:
                raise not_found("imports.mapping.not_found", "找不到该列对应方案")
        row = uow.one(sql.INSERT_JOB, {"id": job_id, "kind": kind_name, "store_id": store_id, "filename": name,
                                       "key": key, "content_type": content_type, "mapping_id": mapping_id,
                                       "actor": who.actor, "target_id": target_id})
        assert row is not None
        uow.audit("imports.create", "import_job", job_id, after={"kind": kind_name, "filename": name,
                                                                  "store_id": store_id, "target_id": target_id},
                  store_id=store_id)
    url = objects.presign_put(key, PRESIGN_TTL_S, content_type)
    expires = datetime.now(timezone.utc) + timedelta(seconds=PRESIGN_TTL_S)
    return {"job": job_out(row), "upload": {"key": key, "url": url, "method": "PUT", "content_type": content_type,
                                            "expires_at": expires}}


# --- parsing and validating ----------------------------------------------------------------------

def _info(row: Mapping[str, Any], columns: dict[str, str] | None = None) -> Job:
    return Job(row["id"], row["kind"], row["store_id"], row["created_by"],
               columns if columns is not None else mapping.columns(row["mapping"] or {}), row["target_id"])


def _progress(db: Database, ctx: context.Context, job_id: str, total: int) -> kinds.Progress:
    def report_progress(done: int, message: str) -> None:
        with db.transaction(ctx) as uow:
            uow.execute(sql.PROGRESS, {"id": job_id, "done": min(done, total), "total": total, "message": message})
    return report_progress


_dumps = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":")).encode


def _copy_rows(uow: UnitOfWork, job_id: str, rows: list[RowOut]) -> None:
    with uow.conn.cursor().copy(sql.COPY_ROWS) as copy:
        for r in rows:
            # Most rows have no diff or no errors: skip the encoder for those (100,000 rows).
            copy.write_row((job_id, r.row_no, r.action, r.key, _dumps(r.data), _dumps(r.diff) if r.diff else "{}",
                            _dumps([e.to_dict() for e in r.errors]) if r.errors else "[]", r.entity_id,
                            r.entity_version))


def _fail(db: Database, ctx: context.Context, job_id: str, status: str, message: str) -> dict[str, Any]:
    with db.transaction(ctx) as uow:
        row = uow.one(sql.FAILED, {"id": job_id, "status": status, "message": message})
    assert row is not None
    return row


def _parse(db: Database, objects: ObjectStore, ctx: context.Context, job: dict[str, Any],
           chosen: Mapping[str, str | None] | None = None, mapping_id: str | None = None) -> dict[str, Any]:
    """Read the job's file, map, validate every row, store the rows: → ready | invalid | failed."""
    kind = kinds.get(job["kind"])
    job_id = job["id"]
    try:
        data = objects.get(job["object_key"])
    except KeyError:
        return _fail(db, ctx, job_id, "failed", "找不到上传的文件，请重新上传")
    try:
        table = reading.read(job["filename"], data)
    except reading.FileError as exc:
        return _fail(db, ctx, job_id, exc.status, exc.message)
    del data  # the decoded text (CSV) or the cells (xlsx) are all that is kept
    saved: Mapping[str, str | None] | None = None
    if chosen is None and job["mapping_id"]:
        with db.transaction(ctx) as uow:
            m = uow.one(sql.GET_MAPPING, (job["mapping_id"],))
        saved = m["columns"] if m else None
    cols = dict(chosen) if chosen is not None else mapping.auto(table.headers, kind.fields, saved)
    total = table.total
    fields = {"id": job_id, "encoding": table.encoding or table.format, "headers": table.headers,
              "mapping": json.dumps(cols, ensure_ascii=False), "mapping_id": mapping_id, "total": total}
    problems = mapping.check(cols, table.headers, kind.fields)
    if problems:
        with db.transaction(ctx) as uow:
            uow.execute(sql.DELETE_ROWS, (job_id,))
            row = uow.one(sql.PARSED, {**fields, "status": "invalid", "done": 0, "counts": "{}",
                                       "message": "；".join(problems)})
        assert row is not None
        return row
    progress = _progress(db, ctx, job_id, total)
    progress(0, "正在校验…")
    info = _info(job, mapping.columns(cols))
    counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
    # One transaction: validation reads, the rows (COPY, chunk by chunk) and the new status, so a
    # poller sees either the old state or the finished preview, never half of it.
    with db.transaction(ctx) as uow:
        uow.execute(sql.DELETE_ROWS, (job_id,))
        for chunk in kind.validate(uow, info, lambda: mapping.apply(cols, table.headers, table.rows()), progress,
                                   lambda: db.transaction(ctx)):
            _copy_rows(uow, job_id, chunk)
            for r in chunk:
                counts[r.action] += 1
        bad = counts["error"]
        message = (f"{bad} 行有错误，请修改文件后重新上传（可下载错误报告）" if bad
                   else f"校验通过：新增 {counts['create']}，更新 {counts['update']}，无变化 {counts['unchanged']}")
        row = uow.one(sql.PARSED, {**fields, "status": "invalid" if bad else "ready", "done": total,
                                   "counts": json.dumps(counts), "message": message})
    assert row is not None
    return row


def handle_upload(db: Database, objects: ObjectStore, rec: OssRecord) -> dict[str, Any]:
    """The OSS trigger: parse the job's file once per object version (OSS delivers at least once)."""
    ctx = context.current()
    with db.transaction(ctx) as uow:
        job = uow.one(sql.JOB_BY_KEY, (rec.key,))
        if job is None:
            log.warning("upload without an import job", extra={"fields": {"key": rec.key}})
            return {"job_id": None, "status": None}
        if job["status"] not in ("awaiting_upload", "parsing"):
            return {"job_id": job["id"], "status": job["status"], "skipped": True}
        reading_now = job["updated_at"] > utcnow() - _PARSE_SILENT
        if job["status"] == "parsing" and job["object_etag"] == rec.etag and reading_now:
            # A redelivery while this very object is being read (its progress keeps updated_at
            # fresh): reading it twice at once would only make the two runs collide.
            return {"job_id": job["id"], "status": job["status"], "skipped": True}
        uow.execute(sql.START_PARSING, {"id": job["id"], "etag": rec.etag})
    with context.use(replace(ctx, actor=job["created_by"])) as as_creator:
        try:
            row = _parse(db, objects, as_creator, job)
        except Exception:
            log.exception("import parsing failed", extra={"fields": {"job_id": job["id"]}})
            _fail(db, as_creator, job["id"], "failed", "解析文件时出错，请稍后重试或联系管理员")
            raise
    return {"job_id": job["id"], "status": row["status"]}


def set_mapping(db: Database, objects: ObjectStore, who: Principal, job_id: str,
                cols: Mapping[str, str | None], save_as: str | None) -> dict[str, Any]:
    with db.transaction() as uow:
        job = _job(uow, job_id, lock=True)
        kind = kinds.get(job["kind"])
        _allowed(who, kind, write=True)
        if job["status"] not in _EDITABLE:
            raise unprocessable("imports.not_editable", "该导入任务当前状态不能修改列对应")
        problems = mapping.check(cols, job["headers"], kind.fields)
        if problems:
            raise bad_request("imports.mapping.invalid", "列对应有误", "；".join(problems))
        saved_id = None
        if save_as is not None:
            if not save_as.strip():
                raise bad_request("imports.mapping.name", "请填写方案名称")
            saved = uow.one(sql.SAVE_MAPPING, (job["kind"], save_as.strip(), json.dumps(cols, ensure_ascii=False),
                                                who.actor))
            assert saved is not None
            saved_id = saved["id"]
            uow.audit("imports.mapping.save", "import_mapping", saved_id, after=saved)
        uow.execute(sql.MOVE, {"id": job_id, "to": "parsing", "from": list(_EDITABLE), "message": "正在重新校验…"})
    # Validation reads with the platform's scope (uniqueness spans every store), as the upload did.
    ctx = context.system("imports", context.current().trace_id, who.actor)
    try:
        row = _parse(db, objects, ctx, job, cols, saved_id)
    except Exception:
        _fail(db, ctx, job_id, "failed", "重新校验时出错，请稍后重试")
        raise
    return job_out(row)


# --- preview and error report ---------------------------------------------------------------------

ACTIONS = ("create", "update", "unchanged", "error")


def list_rows(db: Database, who: Principal, job_id: str, action: str | None, limit: int | None,
              cursor: str | None) -> dict[str, Any]:
    if action is not None and action not in ACTIONS:
        raise bad_request("imports.action", "action 须为 create、update、unchanged 或 error")
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 1)
    with db.transaction() as uow:
        job = _job(uow, job_id)
        _allowed(who, kinds.get(job["kind"]), write=False)
        rows = uow.all(sql.LIST_ROWS, {"job": job_id, "action": action, "after": int(after[0]) if after else 0,
                                       "limit": n + 1})
    return pagination.page(rows, n, ["row_no"])


def error_report(db: Database, who: Principal, job_id: str, fmt: str) -> tuple[bytes, str, str]:
    """(file, media type, filename) of every error of the job: row, column, value, reason."""
    with db.transaction() as uow:
        job = _job(uow, job_id)
        _allowed(who, kinds.get(job["kind"]), write=False)
        rows = uow.all(sql.ERROR_ROWS, (job_id,))
    lines = [(r["row_no"], e.get("column", ""), e.get("value", ""), e.get("message", ""), e.get("code", ""))
             for r in rows for e in r["errors"]]
    if not rows and job["status"] in ("invalid", "failed") and job["message"]:
        lines = [(0, "", "", job["message"], "imports.file")]  # a file-level problem: no row to blame
    return report.errors(lines, fmt, f"导入错误报告-{job_id[:8]}")


def template(kind_name: str, fmt: str) -> tuple[bytes, str, str]:
    kind = kinds.get(kind_name)
    return report.table([f.label for f in kind.fields], [[f.example for f in kind.fields]], fmt,
                        f"{kind.label}导入模板")


# --- commit, rollback, cancel ---------------------------------------------------------------------

@contextmanager
def _long_step(db: Database, job: Mapping[str, Any], back_to: str) -> Iterator[None]:
    """A long step (commit, rollback): on any failure nothing was written, and the job goes back
    to ``back_to`` with the reason, so the user can retry."""
    try:
        yield
    except Problem as exc:
        _move(db, job["id"], back_to, exc.title)
        raise
    except psycopg.errors.UniqueViolation as exc:
        _move(db, job["id"], back_to, "提交时发现编码或条码已被其他商品占用，请重新校验")
        raise conflict("imports.conflict", "编码或条码已被其他商品占用，请重新校验后再提交",
                       str(exc.diag.message_detail or "")) from exc
    except psycopg.errors.ExclusionViolation as exc:
        _move(db, job["id"], back_to, "提交时发现促销时间与刚设置的促销重叠，请重新校验")
        raise conflict("imports.conflict", "促销时间与刚设置的促销重叠，请重新校验后再提交",
                       str(exc.diag.message_detail or "")) from exc
    except BaseException:
        _move(db, job["id"], back_to, "执行失败，未写入任何数据，请稍后重试")
        raise


def _move(db: Database, job_id: str, to: str, message: str) -> None:
    with db.transaction() as uow:
        uow.execute(sql.FAILED, {"id": job_id, "status": to, "message": message})


def _start(db: Database, who: Principal, job_id: str, from_: str, to: str, message: str,
           version: int | None) -> tuple[dict[str, Any], Kind]:
    with db.transaction() as uow:
        job = _job(uow, job_id, lock=True)
        kind = kinds.get(job["kind"])
        _allowed(who, kind, write=True)
        if job["status"] != from_:
            if to == "committing":
                raise unprocessable("imports.not_ready", "该导入任务还不能提交：须为校验通过状态",
                                    f"当前状态：{job['status']}")
            raise unprocessable("imports.not_committed", "只有已提交的导入才能撤销", f"当前状态：{job['status']}")
        if version is not None and version != job["version"]:
            raise conflict("common.version_conflict", "该导入任务已被他人更新，请刷新后重试")
        if job["store_id"] is None and not who.all_stores:
            raise Problem(403, "imports.hq_only", "总部导入需要总部权限")
        moved = uow.one(sql.MOVE, {"id": job_id, "to": to, "from": [from_], "message": message})
    assert moved is not None
    return moved, kind


def commit(db: Database, who: Principal, job_id: str, version: int) -> dict[str, Any]:
    job, kind = _start(db, who, job_id, "ready", "committing", "正在提交…", version)
    info = _info(job)
    progress = _progress(db, context.current(), job_id, job["total_rows"])
    with _long_step(db, job, "ready"), db.transaction() as uow:
        outcome = kind.commit(uow, info, progress)
        uow.audit("imports.commit", "import_job", job_id, after={"kind": job["kind"], "filename": job["filename"],
                                                                  **outcome.counts}, store_id=job["store_id"])
        row = uow.one(sql.COMMITTED, {"id": job_id, "actor": who.actor, "message": _summary("已提交", outcome)})
        assert row is not None
    return job_out(row)


def rollback(db: Database, who: Principal, job_id: str) -> dict[str, Any]:
    job, kind = _start(db, who, job_id, "committed", "rolling_back", "正在撤销…", None)
    info = _info(job)
    progress = _progress(db, context.current(), job_id, job["total_rows"])
    with _long_step(db, job, "committed"), db.transaction() as uow:
        outcome = kind.rollback(uow, info, progress)
        uow.audit("imports.rollback", "import_job", job_id, after={"kind": job["kind"], **outcome.counts},
                  store_id=job["store_id"])
        row = uow.one(sql.ROLLED_BACK, {"id": job_id, "actor": who.actor, "message": _summary("已撤销", outcome)})
        assert row is not None
    return job_out(row)


def _summary(what: str, outcome: kinds.Outcome) -> str:
    return what + "：" + "，".join(f"{k} {v}" for k, v in outcome.counts.items())


def cancel(db: Database, who: Principal, job_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        job = _job(uow, job_id, lock=True)
        _allowed(who, kinds.get(job["kind"]), write=True)
        row = uow.one(sql.MOVE, {"id": job_id, "to": "cancelled", "from": list(_CANCELLABLE), "message": "已取消"})
        if row is None:
            raise unprocessable("imports.not_cancellable", "已提交或已撤销的导入不能取消", f"当前状态：{job['status']}")
        uow.execute(sql.DELETE_ROWS, (job_id,))
        uow.audit("imports.cancel", "import_job", job_id, store_id=job["store_id"])
    return job_out(row)


# --- saved mappings -------------------------------------------------------------------------------

def list_mappings(db: Database, who: Principal, kind: str | None) -> list[dict[str, Any]]:
    if kind is not None:
        _allowed(who, kinds.get(kind), write=False)
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_MAPPINGS, {"kind": kind})
    return [r for r in rows if r["kind"] in kinds.names() and who.can(kinds.get(r["kind"]).read_permission)]


def delete_mapping(db: Database, who: Principal, mapping_id: str) -> None:
    with db.transaction() as uow:
        row = uow.one(sql.GET_MAPPING, (mapping_id,))
        if row is None:
            raise not_found("imports.mapping.not_found", "找不到该列对应方案")
        _allowed(who, kinds.get(row["kind"]), write=True)
        uow.execute(sql.DELETE_MAPPING, (mapping_id,))
        uow.audit("imports.mapping.delete", "import_mapping", mapping_id, before=row)
