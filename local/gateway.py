"""One ASGI gateway in front of every HTTP function, routing by path prefix as API Gateway
(or an FC custom domain) does in the cloud; it also serves the built admin UI and the local
object store's presigned URLs."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from ucm.errors import Problem
from ucm.fc.app import FunctionApp
from ucm.web import PROBLEM_JSON, Receive, Send, header

Scope = MutableMapping[str, Any]


def route_prefix(path: str) -> str:
    """The first path segment: the unit the gateway routes on (``/catalog/sku/1`` → ``/catalog``)."""
    seg = path.strip("/").split("/", 1)[0]
    return "/" + seg if seg else "/"


def route_table(apps: Mapping[str, FunctionApp]) -> dict[str, FunctionApp]:
    table: dict[str, FunctionApp] = {}
    for app in apps.values():
        for r in app.routes:
            prefix = route_prefix(r.path)
            owner = table.setdefault(prefix, app)
            if owner is not app:
                raise ValueError(f"path prefix {prefix} is claimed by both {owner.name} and {app.name}")
    return table


def merged_openapi(apps: Mapping[str, FunctionApp]) -> dict[str, Any]:
    """One OpenAPI document for the whole back office, as the UI and integrators see it."""
    from ucm import __version__

    spec: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "UCM-Color 后台 API", "version": __version__},
                            "paths": {}, "components": {"schemas": {}}}
    for app in sorted(apps.values(), key=lambda a: a.name):
        if not app.routes:
            continue
        part = app.api.openapi()
        spec["paths"].update(part.get("paths", {}))
        spec["components"]["schemas"].update(part.get("components", {}).get("schemas", {}))
    return spec


_API_ONLY = ("/health", "/openapi.json", "/docs", "/_objects/")


def _navigation(scope: Scope, path: str) -> bool:
    """A browser loading a page (GET, Accept: text/html) on a path the UI shares with the API.
    The UI's own calls ask for JSON; in the cloud the UI is served from OSS, so this is local only."""
    if scope["method"] != "GET" or path.startswith(_API_ONLY):
        return False
    return (header(scope, b"accept") or "").startswith("text/html")


def _wants_page(scope: Scope, path: str) -> bool:
    """A browser navigating (Accept: text/html) or fetching a built asset gets the UI; an API
    client asking for an unknown path gets a 404 problem, not the SPA's index.html."""
    if path == "/" or path.startswith("/assets/") or "." in path.rsplit("/", 1)[-1]:
        return True
    return "text/html" in (header(scope, b"accept") or "")


async def _respond(send: Send, status: int, body: bytes, content_type: str,
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, p: Problem) -> None:
    await _respond(send, p.status, json.dumps(p.body(None), ensure_ascii=False).encode(), PROBLEM_JSON)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        msg = await receive()
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Problem(413, "common.body_too_large", "提交的内容太大")
        chunks.append(chunk)
        if not msg.get("more_body"):
            return b"".join(chunks)


class Gateway:
    def __init__(self, apps: Mapping[str, FunctionApp], ui_dir: Path | None, objects: Any = None,
                 max_object_bytes: int = 50 * 1024 * 1024) -> None:
        self.apps = dict(apps)
        self.table = route_table(apps)
        self.ui_dir = ui_dir if ui_dir and (ui_dir / "index.html").exists() else None
        self.objects = objects  # a LocalObjectStore, when objects are stored locally
        self.max_object_bytes = max_object_bytes
        self._openapi: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        app = self.table.get(route_prefix(path))
        if app is not None and self.ui_dir is not None and _navigation(scope, path):
            await self._static(path, send)  # a reload of /system/users?q=… in the browser: the SPA
        elif app is not None:
            await app.asgi(scope, receive, send)
        elif path == "/openapi.json":
            if self._openapi is None:
                self._openapi = json.dumps(merged_openapi(self.apps), ensure_ascii=False).encode()
            await _respond(send, 200, self._openapi, "application/json")
        elif path == "/docs":
            from fastapi.openapi.docs import get_swagger_ui_html

            page = get_swagger_ui_html(openapi_url="/openapi.json", title="UCM-Color 后台 API")
            await _respond(send, 200, bytes(page.body), "text/html; charset=utf-8")
        elif path.startswith("/_objects/") and self.objects is not None:
            try:
                await self._object(scope, receive, send)
            except Problem as p:
                await _problem(send, p)
        elif self.ui_dir is not None and scope["method"] in ("GET", "HEAD") and _wants_page(scope, path):
            await self._static(path, send)
        else:
            await _problem(send, Problem(404, "gateway.route_not_found", "没有这个接口地址", path))

    async def _static(self, path: str, send: Send) -> None:
        assert self.ui_dir is not None
        rel = unquote(path).lstrip("/")
        target = (self.ui_dir / rel).resolve() if rel else self.ui_dir / "index.html"
        if not target.is_file() or (self.ui_dir.resolve() not in target.parents and target.parent != self.ui_dir):
            target = self.ui_dir / "index.html"  # client-side routes of the SPA
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        cache = b"public, max-age=31536000, immutable" if "/assets/" in str(target) else b"no-cache"
        await _respond(send, 200, target.read_bytes(), ctype, [(b"cache-control", cache)])

    async def _object(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Presigned PUT / GET against the local store, verified like OSS verifies its URLs."""
        from ucm.adapters.objects import ObjectNotFound, PresignError

        store = self.objects
        _, _, bucket, key = scope["path"].split("/", 3)
        key = unquote(key)
        q = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        method = scope["method"]
        if bucket != store.bucket or method not in ("PUT", "GET") or q.get("method", method) != method:
            raise Problem(403, "objects.presign.invalid", "上传/下载链接无效")
        ctype = header(scope, b"content-type")
        try:
            store.verify_presigned(method, key, q.get("expires", ""), q.get("signature", ""),
                                   ctype if method == "PUT" else None)
        except PresignError as exc:
            code = "objects.presign.expired" if exc.reason == "expired" else "objects.presign.invalid"
            title = "链接已过期，请重新获取" if exc.reason == "expired" else "上传/下载链接无效"
            raise Problem(403, code, title) from exc
        if method == "PUT":
            body = await _read_body(receive, self.max_object_bytes)
            info = store.put(key, body, ctype)
            await _respond(send, 200, b"", "text/plain", [(b"etag", f'"{info.etag}"'.encode())])
        else:
            try:
                data = store.get(key)
            except ObjectNotFound as exc:
                raise Problem(404, "objects.not_found", "文件不存在") from exc
            info = store.head(key)
            await _respond(send, 200, data, (info.content_type if info else None) or "application/octet-stream")
