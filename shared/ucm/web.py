"""The HTTP shape every function shares: problem+json errors (zh-CN), request ids, body limits
and one structured log line per invocation (API-CONVENTIONS.md)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ucm import __version__, context
from ucm.errors import FieldError, Problem

log = logging.getLogger("ucm.invocation")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

PROBLEM_JSON = "application/problem+json"
_INTERNAL = Problem(500, "common.internal", "系统内部错误，请稍后再试；如持续出现请联系管理员")

_ZH = {
    "missing": "必填项",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "decimal_parsing": "应为数字",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是/否",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "greater_than": "数值太小",
    "greater_than_equal": "数值太小",
    "less_than": "数值太大",
    "less_than_equal": "数值太大",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "uuid_parsing": "不是合法的编号",
    "datetime_parsing": "不是合法的时间",
    "date_parsing": "不是合法的日期",
    "extra_forbidden": "不认识的字段",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为列表",
}


def problem_response(p: Problem, request_id: str | None = None) -> JSONResponse:
    return JSONResponse(
        p.body(request_id or context.trace_id()),
        status_code=p.status,
        media_type=PROBLEM_JSON,
        headers=p.headers or None,
    )


def _validation_problem(exc: RequestValidationError) -> Problem:
    errs = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errs):
        return Problem(400, "common.json_invalid", "请求内容不是合法的 JSON", str(errs[0].get("msg")))
    fields = []
    for e in errs:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
        typ = str(e.get("type", "invalid"))
        fields.append(FieldError(".".join(loc) or "body", typ, _ZH.get(typ, str(e.get("msg")))))
    return Problem(400, "common.validation", "提交的内容有误，请检查标出的字段", errors=fields)


def _http_problem(exc: StarletteHTTPException) -> Problem:
    if exc.status_code == 404:
        return Problem(404, "common.route_not_found", "没有这个接口地址")
    if exc.status_code == 405:
        return Problem(405, "common.method_not_allowed", "该接口不支持这种请求方法")
    if exc.status_code == 400:
        return Problem(400, "common.bad_request", "请求内容无法解析", str(exc.detail))
    return Problem(exc.status_code, f"common.http_{exc.status_code}", str(exc.detail))


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @api.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_validation_problem(exc))

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(_http_problem(exc))

    @api.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, extra={"fields": {"path": request.url.path}})
        return problem_response(_INTERNAL)


def _money_as_strings() -> None:
    """Money leaves as decimal strings ("12.50", API-CONVENTIONS.md). FastAPI's encoder would
    turn a Decimal in a returned dict into a JSON float; pydantic models already use strings."""
    from decimal import Decimal

    from fastapi.encoders import ENCODERS_BY_TYPE

    ENCODERS_BY_TYPE[Decimal] = str


def attachment(filename: str, ascii_name: str | None = None) -> dict[str, str]:
    """Content-Disposition for a download: the (Chinese) name for browsers, ``ascii_name`` for
    old clients (default: the name's ASCII part, or "download" + its extension)."""
    from pathlib import PurePosixPath
    from urllib.parse import quote

    if ascii_name is None:
        stem = PurePosixPath(filename).stem.encode("ascii", "ignore").decode().strip() or "download"
        ascii_name = stem + PurePosixPath(filename).suffix
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"}


def download(data: bytes, media_type: str, filename: str, ascii_name: str | None = None) -> Response:
    """A file for the browser to save (an export, a template, an error report)."""
    return Response(data, media_type=media_type, headers=attachment(filename, ascii_name))


def create_api(title: str) -> FastAPI:
    _money_as_strings()
    api = FastAPI(title=title, version=__version__, docs_url="/docs", openapi_url="/openapi.json",
                  redoc_url=None)
    install_error_handlers(api)
    return api


def header(scope: MutableMapping[str, Any], name: bytes) -> str | None:
    """One request header of an ASGI scope (``name`` lower-case bytes)."""
    for k, v in scope.get("headers") or ():
        if k == name:
            return bytes(v).decode("latin-1")
    return None


async def _send_problem(send: Send, p: Problem, request_id: str) -> None:
    body = json.dumps(p.body(request_id), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": p.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"x-request-id", request_id.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


class _BodyTooLarge(Exception):
    pass


class InvocationMiddleware:
    """Request id, trace context, body limit and the per-invocation log line, as pure ASGI
    (cheaper than BaseHTTPMiddleware on the hot path)."""

    def __init__(self, app: ASGIApp, function: str, max_body: int) -> None:
        self.app = app
        self.function = function
        self.max_body = max_body

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        fc_ctx = scope.get("fc.context")
        request_id = (header(scope, b"x-request-id") or getattr(fc_ctx, "request_id", None)
                      or context.new_trace_id())[:128]
        client = scope.get("client") or (None, 0)
        ctx = context.Context(trace_id=request_id, source_ip=client[0], function=self.function)
        status = 500
        length = header(scope, b"content-length")
        with context.use(ctx):
            if length and length.isdigit() and int(length) > self.max_body:
                status = 413
                await _send_problem(send, _too_large(self.max_body), request_id)
            else:
                try:
                    if scope.get("method") not in _NO_BODY:
                        receive = await _buffered(receive, self.max_body)
                except _BodyTooLarge:
                    status = 413
                    await _send_problem(send, _too_large(self.max_body), request_id)
                else:
                    started_response = False

                    async def tagged_send(msg: Message) -> None:
                        nonlocal status, started_response
                        if msg["type"] == "http.response.start":
                            status = msg["status"]
                            started_response = True
                            msg["headers"] = [*msg.get("headers", []), (b"x-request-id", request_id.encode())]
                        await send(msg)

                    try:
                        await self.app(scope, receive, tagged_send)
                    except Exception:
                        # Starlette has already answered with our 500 problem (and logged the
                        # error); it re-raises for servers' sake, which would print a second trace.
                        if not started_response:
                            status = 500
                            await _send_problem(send, _INTERNAL, request_id)
            log.info(
                "invocation",
                extra={"fields": {
                    "function": self.function, "trigger": "http", "method": scope.get("method"),
                    "path": scope.get("path"), "status": status, "request_id": request_id,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }},
            )


async def _buffered(receive: Receive, limit: int) -> Receive:
    """Read the whole body up front, refusing it past ``limit`` (FC events carry no
    Content-Length, so the header check alone cannot catch them); replay it to the app."""
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            return receive
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not msg.get("more_body"):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _too_large(limit: int) -> Problem:
    return Problem(413, "common.body_too_large", "提交的内容太大", f"上限 {limit // 1024} KB")
