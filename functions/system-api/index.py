"""System API: health and uploads (later: users, roles, stores, audit)."""

from datetime import datetime

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from ucm import health, uploads
from ucm.bootstrap import container
from ucm.fc.app import FunctionApp

app = FunctionApp("system-api", description="系统：健康检查、上传链接", memory_mb=512, timeout_s=10)


class PresignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=200, description="原文件名，例如 商品导入.csv")
    content_type: str = Field(description="文件类型，例如 text/csv")


class PresignOut(BaseModel):
    key: str
    url: str
    method: str
    content_type: str
    expires_at: datetime


@app.route("/health", methods=["GET"], summary="依赖健康状态", tags=["system"])
async def get_health() -> Response:
    checker = health.service()
    # A fresh snapshot is served on the event loop; probing the peers runs in a worker thread.
    snap = checker.cached()
    if snap is None:
        snap = await run_in_threadpool(checker.check)
    return Response(snap.json, status_code=snap.status, media_type="application/json")


@app.route("/system/uploads", methods=["POST"], summary="获取文件上传链接（预签名 PUT）", tags=["system"],
           status_code=201, response_model=PresignOut)
def create_upload(body: PresignIn) -> PresignOut:
    p = uploads.presign(container().objects, body.filename, body.content_type)
    return PresignOut(key=p.key, url=p.url, method=p.method, content_type=p.content_type, expires_at=p.expires_at)


handler = app.handler
