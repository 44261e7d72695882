"""A chalice-style registry: each function declares its handlers once, and from that one
declaration come its FC entry point, its s.yaml entry, the local runner's wiring and the
test client.

    app = FunctionApp("system-api")

    @app.route("/health", methods=["GET"])
    def health() -> dict: ...

    @app.on_kafka("stock.moved")
    def on_stock_moved(uow: UnitOfWork, event: Event) -> None: ...   # applied once per event id

    @app.on_kafka_batch("sku.updated")
    def reindex(uow: UnitOfWork, events: list[Event]) -> None: ...   # the batch's unseen events, once

    @app.on_oss(prefix="imports/", suffix=".csv")
    def on_import(obj: OssRecord) -> None: ...

    @app.schedule("0 */1 * * * *")
    def every_minute(ev: TimerEvent) -> None: ...

    handler = app.handler            # functions/<name>/index.py → index.handler
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI

from ucm import context
from ucm.db import UnitOfWork
from ucm.fc.events import (
    MalformedEvent,
    OssRecord,
    TimerEvent,
    decode,
    kind_of,
    parse_kafka,
    parse_oss,
    parse_timer,
)
from ucm.ports import Event

log = logging.getLogger("ucm.invocation")

F = TypeVar("F", bound=Callable[..., Any])
KafkaHandler = Callable[[UnitOfWork, Event], None]
KafkaBatchHandler = Callable[[UnitOfWork, list[Event]], None]
OssHandler = Callable[[OssRecord], Any]
TimerHandler = Callable[[TimerEvent], Any]


@dataclass(frozen=True)
class HttpRoute:
    path: str
    methods: tuple[str, ...]


@dataclass(frozen=True)
class KafkaTrigger:
    name: str
    topics: tuple[str, ...]
    fn: KafkaHandler | KafkaBatchHandler
    batch_size: int = 100
    batch_window_s: int = 3
    batched: bool = False  # fn takes the batch's new events at once (one transaction)


@dataclass(frozen=True)
class OssTrigger:
    name: str
    events: tuple[str, ...]
    prefix: str
    suffix: str
    fn: OssHandler

    def matches(self, rec: OssRecord) -> bool:
        kinds = {e.removeprefix("oss:") for e in self.events}
        family = rec.event_name.split(":", 1)[0] + ":*"
        return (
            (rec.event_name in kinds or family in kinds)
            and rec.key.startswith(self.prefix)
            and rec.key.endswith(self.suffix)
        )


@dataclass(frozen=True)
class TimerTrigger:
    name: str
    cron: str  # FC's 6 fields: sec min hour dom mon dow (UTC)
    fn: TimerHandler
    payload: str = "{}"


_REGISTRY: dict[str, FunctionApp] = {}


def registry() -> dict[str, FunctionApp]:
    return dict(_REGISTRY)


def _result(status: int, **fields: Any) -> dict[str, Any]:
    return {"status": status, **fields}


class FunctionApp:
    def __init__(self, name: str, *, description: str = "", memory_mb: int = 512, timeout_s: int = 30,
                 register: bool = True) -> None:
        """``register=False`` keeps a test-only app out of the registry (and so out of s.yaml)."""
        if register and name in _REGISTRY:
            raise ValueError(f"function {name!r} is declared twice")
        self.name = name
        self.description = description
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.routes: list[HttpRoute] = []
        self.kafka: list[KafkaTrigger] = []
        self.oss: list[OssTrigger] = []
        self.timers: list[TimerTrigger] = []
        self._api: FastAPI | None = None
        self._asgi: Any = None
        self._mangum: Any = None
        if register:
            _REGISTRY[name] = self

    # --- declarations ------------------------------------------------------------------------

    @property
    def api(self) -> FastAPI:
        if self._api is None:
            from ucm.web import create_api

            self._api = create_api(f"UCM {self.name}")
        return self._api

    def route(self, path: str, methods: Sequence[str] = ("GET",), **kwargs: Any) -> Callable[[F], F]:
        def deco(fn: F) -> F:
            self.api.add_api_route(path, fn, methods=list(methods), **kwargs)
            self.routes.append(HttpRoute(path, tuple(m.upper() for m in methods)))
            return fn

        return deco

    def on_kafka(self, *topics: str, batch_size: int = 100, batch_window_s: int = 3) -> Callable[[F], F]:
        def deco(fn: F) -> F:
            self.kafka.append(KafkaTrigger(fn.__name__, topics, fn, batch_size, batch_window_s))
            return fn

        return deco

    def on_kafka_batch(self, *topics: str, batch_size: int = 500, batch_window_s: int = 3) -> Callable[[F], F]:
        """Like ``on_kafka``, for consumers that work set-wise (bulk inserts, reindexing): the
        handler gets the events of the batch not applied before, in one transaction."""
        def deco(fn: F) -> F:
            self.kafka.append(KafkaTrigger(fn.__name__, topics, fn, batch_size, batch_window_s, batched=True))
            return fn

        return deco

    def on_oss(self, *, prefix: str = "", suffix: str = "",
               events: Sequence[str] = ("oss:ObjectCreated:*",)) -> Callable[[F], F]:
        def deco(fn: F) -> F:
            self.oss.append(OssTrigger(fn.__name__, tuple(events), prefix, suffix, fn))
            return fn

        return deco

    def schedule(self, cron: str, *, payload: str = "{}") -> Callable[[F], F]:
        if len(cron.split()) != 6 and not cron.startswith("@every "):
            raise ValueError(f"FC cron needs 6 fields (sec min hour dom mon dow): {cron!r}")

        def deco(fn: F) -> F:
            self.timers.append(TimerTrigger(fn.__name__, cron, fn, payload))
            return fn

        return deco

    @property
    def trigger_kinds(self) -> set[str]:
        kinds = set()
        if self.routes:
            kinds.add("http")
        if self.kafka:
            kinds.add("kafka")
        if self.oss:
            kinds.add("oss")
        if self.timers:
            kinds.add("timer")
        return kinds

    @property
    def asgi(self) -> Any:
        """The function's ASGI app wrapped with request ids, body limit and invocation logs."""
        if self._asgi is None:
            from ucm.config import settings
            from ucm.web import InvocationMiddleware

            self._asgi = InvocationMiddleware(self.api, self.name, settings().app.max_body_bytes)
        return self._asgi

    # --- the FC entry point ------------------------------------------------------------------

    def handler(self, event: Any, fc_context: Any = None) -> Any:
        """``index.handler``: FC hands every trigger's event here as bytes."""
        try:
            decoded = decode(event)
            kind = kind_of(decoded)
            if kind not in self.trigger_kinds:
                raise MalformedEvent("fc.event.unexpected", f"函数 {self.name} 没有 {kind} 触发器")
            if kind == "http":
                return self._http(decoded, fc_context)
            request_id = getattr(fc_context, "request_id", None) or context.new_trace_id()
            with context.use(context.system(self.name, request_id)):
                started = time.perf_counter()
                out = getattr(self, f"_{kind}")(decoded)
                log.info("invocation", extra={"fields": {
                    "function": self.name, "trigger": kind, "request_id": request_id,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "status": out.get("status"),
                }})
                return out
        except MalformedEvent as exc:
            log.warning("malformed event", extra={"fields": {"function": self.name, "code": exc.code}})
            return self._malformed(exc)

    def _malformed(self, exc: MalformedEvent) -> dict[str, Any]:
        """An HTTP event gets an HTTP answer (problem+json); other triggers a result object."""
        if exc.code.startswith("fc.http"):
            import json

            from ucm.errors import Problem

            body = json.dumps(Problem(400, exc.code, exc.message).body(None), ensure_ascii=False)
            return {"statusCode": 400, "headers": {"content-type": "application/problem+json"},
                    "body": body, "isBase64Encoded": False}
        return _result(400, code=exc.code, message=exc.message)

    def _http(self, event: dict[str, Any], fc_context: Any) -> Any:
        http = event["requestContext"].get("http")
        if not isinstance(http, dict) or not http.get("method") or not (http.get("path") or event.get("rawPath")):
            raise MalformedEvent("fc.http.event", "HTTP 事件缺少 method 或 path")
        if self._mangum is None:
            from ucm.fc.http import fc3_adapter

            self._mangum = fc3_adapter(self.asgi)
        return self._mangum(event, fc_context or _NoContext())

    def _kafka(self, event: Any) -> dict[str, Any]:
        from ucm.bootstrap import container
        from ucm.outbox import apply_batch_once, apply_once

        batch = parse_kafka(event)
        rejected = [{"index": i, "code": e.code, "message": e.message} for i, e in batch.rejected]
        applied = duplicates = 0
        bulk: dict[KafkaTrigger, list[Event]] = {}
        for msg in batch.messages:
            triggers = [t for t in self.kafka if msg.topic in t.topics]
            if not triggers:
                rejected.append({"index": -1, "code": "fc.kafka.topic", "message": f"未订阅主题 {msg.topic}"})
                continue
            try:
                envelope = msg.envelope()
            except MalformedEvent as exc:
                rejected.append({"index": -1, "code": exc.code, "message": exc.message})
                continue
            for t in triggers:
                if t.batched:
                    bulk.setdefault(t, []).append(envelope)
                # Raising here fails the invocation so the trigger redelivers the batch;
                # what was applied already is skipped on the event id.
                elif apply_once(container().db, f"{self.name}.{t.name}", envelope, t.fn):  # type: ignore[arg-type]
                    applied += 1
                else:
                    duplicates += 1
        for t, events in bulk.items():
            n = apply_batch_once(container().db, f"{self.name}.{t.name}", events, t.fn)  # type: ignore[arg-type]
            applied += n
            duplicates += len(events) - n
        if rejected:
            log.warning("kafka messages rejected", extra={"fields": {"function": self.name, "rejected": rejected}})
        return _result(200, applied=applied, duplicates=duplicates, rejected=rejected)

    def _oss(self, event: Any) -> dict[str, Any]:
        handled = 0
        for rec in parse_oss(event):
            for t in self.oss:
                if t.matches(rec):
                    t.fn(rec)
                    handled += 1
        return _result(200, handled=handled)

    def _timer(self, event: Any) -> dict[str, Any]:
        ev = parse_timer(event)
        chosen = [t for t in self.timers if t.name == ev.trigger_name] or (
            self.timers if len(self.timers) == 1 else []
        )
        if not chosen:
            raise MalformedEvent("fc.timer.unknown", f"函数 {self.name} 没有名为 {ev.trigger_name!r} 的定时触发器")
        results = [t.fn(ev) for t in chosen]
        return _result(200, results=results)


class _NoContext:
    request_id = ""

