"""Imports: the two-phase import pipeline (upload → parse and validate → preview → commit →
rollback) over HTTP, and the OSS trigger that parses each uploaded file. Contract:
docs/catalog-api.md, "Imports". Handlers only translate HTTP to ``ucm.imports`` calls."""

from datetime import datetime
from typing import Any, Literal

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from ucm.bootstrap import container
from ucm.fc.app import FunctionApp
from ucm.fc.events import OssRecord
from ucm.identity.principal import Principal
from ucm.imports import jobs
from ucm.web import download
from ucm.web_auth import require

app = FunctionApp("imports", description="文件导入：上传、校验、预览、提交、撤销（OSS 触发解析）",
                  memory_mb=1024, timeout_s=300)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobIn(In):
    kind: Literal["sku", "stocktake_count", "stock"] = "sku"
    filename: str = Field(min_length=1, max_length=200, description="原文件名，例如 商品导入.xlsx")
    content_type: str = Field(description="text/csv 或 xlsx 的类型")
    store_id: str | None = Field(default=None, description="门店导入时为门店 id；总部导入为空")
    mapping_id: str | None = Field(default=None, description="使用已保存的列对应方案")
    target_id: str | None = Field(default=None, max_length=64, description="文件所属单据：盘点数导入时为盘点单 id")


class MappingIn(In):
    mapping: dict[str, str | None] = Field(description="表头 → 字段（null：忽略该列）")
    save_as: str | None = Field(default=None, max_length=64, description="另存为方案名称")


class VersionIn(In):
    version: int


class UploadOut(BaseModel):
    key: str
    url: str
    method: str
    content_type: str
    expires_at: datetime


# Literal paths come before /imports/{job_id} so that "template" is never taken for an id.

@app.route("/imports/template", methods=["GET"], summary="下载导入模板", tags=["imports"])
def get_template(kind: Literal["sku", "stocktake_count", "stock"] = "sku", format: Literal["csv", "xlsx"] = "xlsx",
                 who: Principal = require("catalog.sku.read")) -> Response:
    return download(*jobs.template(kind, format))


@app.route("/imports/mappings", methods=["GET"], summary="已保存的列对应方案", tags=["imports"])
def list_mappings(kind: str | None = None, who: Principal = require("catalog.sku.read")) -> list[dict[str, Any]]:
    return jobs.list_mappings(container().db, who, kind)


@app.route("/imports/mappings/{mapping_id}", methods=["DELETE"], summary="删除列对应方案", tags=["imports"],
           status_code=204)
def delete_mapping(mapping_id: str, who: Principal = require("catalog.sku.write")) -> Response:
    jobs.delete_mapping(container().db, who, mapping_id)
    return Response(status_code=204)


@app.route("/imports", methods=["POST"], summary="新建导入任务并获取上传链接", tags=["imports"], status_code=201)
def create_job(body: JobIn, who: Principal = require("files.upload")) -> dict[str, Any]:
    c = container()
    return jobs.create_job(c.db, c.objects, who, body.kind, body.filename, body.content_type, body.store_id,
                           body.mapping_id, body.target_id)


@app.route("/imports", methods=["GET"], summary="导入任务列表", tags=["imports"])
def list_jobs(kind: str | None = None, status: str | None = None, limit: int | None = None,
              cursor: str | None = None, who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    return jobs.list_jobs(container().db, who, kind, status, limit, cursor)


@app.route("/imports/{job_id}", methods=["GET"], summary="导入任务（含进度）", tags=["imports"])
def get_job(job_id: str, who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    return jobs.get_job(container().db, who, job_id)


@app.route("/imports/{job_id}/mapping", methods=["PUT"], summary="修改列对应并重新校验", tags=["imports"])
def set_mapping(job_id: str, body: MappingIn, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    c = container()
    return jobs.set_mapping(c.db, c.objects, who, job_id, body.mapping, body.save_as)


@app.route("/imports/{job_id}/rows", methods=["GET"], summary="预览：逐行差异与错误", tags=["imports"])
def list_rows(job_id: str, action: str | None = None, limit: int | None = None, cursor: str | None = None,
              who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    return jobs.list_rows(container().db, who, job_id, action, limit, cursor)


@app.route("/imports/{job_id}/errors", methods=["GET"], summary="下载错误报告", tags=["imports"])
def get_errors(job_id: str, format: Literal["csv", "xlsx"] = "csv",
               who: Principal = require("catalog.sku.read")) -> Response:
    return download(*jobs.error_report(container().db, who, job_id, format))


@app.route("/imports/{job_id}/commit", methods=["POST"], summary="提交导入（全部写入或全部不写）", tags=["imports"])
def commit(job_id: str, body: VersionIn, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    return jobs.commit(container().db, who, job_id, body.version)


@app.route("/imports/{job_id}/rollback", methods=["POST"], summary="整体撤销已提交的导入", tags=["imports"])
def rollback(job_id: str, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    return jobs.rollback(container().db, who, job_id)


@app.route("/imports/{job_id}/cancel", methods=["POST"], summary="取消未提交的导入", tags=["imports"])
def cancel(job_id: str, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    return jobs.cancel(container().db, who, job_id)


@app.on_oss(prefix=jobs.PREFIX)
def on_import_file(obj: OssRecord) -> dict[str, Any]:
    c = container()
    return jobs.handle_upload(c.db, c.objects, obj)


handler = app.handler
