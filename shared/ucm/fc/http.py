"""FC 3.0 HTTP trigger → ASGI, through mangum with a custom handler.

mangum does not recognise FC3's event (it fails with KeyError 'path'); it accepts
``custom_handlers`` with ``infer`` / ``body`` / ``scope`` / ``__call__``, which is this class.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, unquote, urlencode

from mangum import Mangum
from mangum.types import ASGI, LambdaConfig, LambdaContext, LambdaEvent, Response, Scope

_TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/javascript",
               "application/xml", "application/vnd.oai.openapi", "image/svg+xml")


class FC3HttpHandler:
    @classmethod
    def infer(cls, event: LambdaEvent, context: LambdaContext, config: LambdaConfig) -> bool:
        rc = event.get("requestContext")
        return isinstance(rc, dict) and "http" in rc and event.get("version") == "v1"

    def __init__(self, event: LambdaEvent, context: LambdaContext, config: LambdaConfig) -> None:
        self.event = event
        self.context = context
        self.config = config

    @property
    def body(self) -> bytes:
        body = self.event.get("body") or b""
        if isinstance(body, str):
            if self.event.get("isBase64Encoded"):
                return base64.b64decode(body)
            return body.encode("utf-8")
        return bytes(body)

    @property
    def scope(self) -> Scope:
        http = self.event["requestContext"]["http"]
        headers = {str(k).lower(): str(v) for k, v in (self.event.get("headers") or {}).items()}
        raw_path = self.event.get("rawPath") or http.get("path") or "/"
        path = unquote(http.get("path") or raw_path)  # requestContext.http.path is decoded already
        # Repeated query values arrive comma-joined; pass them through as one value each.
        query = urlencode([(k, v) for k, v in (self.event.get("queryParameters") or {}).items()])
        host = headers.get("host", self.event["requestContext"].get("domainName", "fc"))
        return {
            "type": "http",
            "http_version": "1.1",
            "method": str(http.get("method", "GET")).upper(),
            "headers": [[k.encode("latin-1"), v.encode("latin-1", "replace")] for k, v in headers.items()],
            "path": path,
            "raw_path": quote(path).encode(),
            "root_path": "",
            "scheme": headers.get("x-forwarded-proto", "https"),
            "query_string": query.encode(),
            "server": (host, 443),
            "client": (http.get("sourceIp") or "0.0.0.0", 0),
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "fc.event": self.event,
            "fc.context": self.context,
        }

    def __call__(self, response: Response) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for k, v in response["headers"]:
            key = k.decode().lower()
            headers[key] = f"{headers[key]},{v.decode()}" if key in headers else v.decode()
        body = response["body"] or b""
        ctype = headers.get("content-type", "")
        if ctype.startswith(_TEXT_TYPES):
            return {"statusCode": response["status"], "headers": headers,
                    "body": body.decode("utf-8"), "isBase64Encoded": False}
        return {"statusCode": response["status"], "headers": headers,
                "body": base64.b64encode(body).decode(), "isBase64Encoded": True}


def fc3_adapter(app: ASGI) -> Mangum:
    # lifespan off: otherwise mangum runs the app's lifespan on every invocation.
    return Mangum(app, lifespan="off", custom_handlers=[FC3HttpHandler])
