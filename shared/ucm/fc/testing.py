"""A test client in the spirit of ``chalice.test.Client``: it builds real FC-shaped events
and calls the function's real entry point (``app.handler``), bytes in, result out.

    client = Client(app)
    r = client.http.get("/health")
    client.events.kafka([event])            # CloudEvents batch (object form)
    client.events.kafka([event], form="string")
    client.events.oss("ucm-local", "uploads/a.csv", size=10)
    client.events.timer("sweep")
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from ucm.fc.app import FunctionApp
from ucm.fc.delivery import InvokeContext, batch_for, invoke, oss_event, timer_event
from ucm.ports import Event


@dataclass
class HttpResult:
    status_code: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def http_event(method: str, path: str, *, body: bytes | str | None = None, headers: Mapping[str, str] | None = None,
               query: Mapping[str, str] | None = None, source_ip: str = "127.0.0.1",
               request_id: str | None = None) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    raw = body.encode() if isinstance(body, str) else body
    is_b64 = raw is not None and not _is_text(raw)
    return {
        "version": "v1",
        "rawPath": quote(path),
        "headers": dict(headers or {}),
        "queryParameters": dict(query or {}),
        "body": (base64.b64encode(raw).decode() if is_b64 else raw.decode()) if raw is not None else "",
        "isBase64Encoded": is_b64,
        "requestContext": {
            "accountId": "local", "domainName": "local.fcapp.run", "domainPrefix": "local",
            "requestId": request_id or str(uuid.uuid4()),
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "timeEpoch": str(int(now.timestamp() * 1000)),
            "http": {"method": method.upper(), "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": source_ip, "userAgent": "ucm-test-client"},
        },
    }


def _is_text(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


class _Http:
    def __init__(self, app: FunctionApp) -> None:
        self.app = app

    def request(self, method: str, path: str, *, json_body: Any = None, body: bytes | str | None = None,
                headers: Mapping[str, str] | None = None, query: Mapping[str, str] | None = None) -> HttpResult:
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False)
            hdrs.setdefault("Content-Type", "application/json")
        event = http_event(method, path, body=body, headers=hdrs, query=query)
        out = invoke(self.app, event, event["requestContext"]["requestId"])
        raw = out.get("body") or ""
        data = base64.b64decode(raw) if out.get("isBase64Encoded") else raw.encode()
        return HttpResult(out["statusCode"], {k.lower(): v for k, v in (out.get("headers") or {}).items()}, data)

    def get(self, path: str, **kw: Any) -> HttpResult:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> HttpResult:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> HttpResult:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> HttpResult:
        return self.request("DELETE", path, **kw)


class _Events:
    def __init__(self, app: FunctionApp) -> None:
        self.app = app

    def invoke(self, event: Any) -> Any:
        if isinstance(event, bytes):  # raw bytes exactly as given (malformed-event tests)
            return self.app.handler(event, InvokeContext())
        return invoke(self.app, event)

    def kafka(self, events: Sequence[Event], form: str = "object") -> Any:
        batch: list[Any] = batch_for(events)
        if form == "string":
            batch = [json.dumps(el, ensure_ascii=False) for el in batch]
        return self.invoke(batch)

    def oss(self, bucket: str, key: str, **kw: Any) -> Any:
        return self.invoke(oss_event(bucket, key, **kw))

    def timer(self, name: str, payload: str = "{}") -> Any:
        return self.invoke(timer_event(name, payload))


class Client:
    def __init__(self, app: FunctionApp) -> None:
        self.http = _Http(app)
        self.events = _Events(app)
