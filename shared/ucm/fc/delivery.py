"""Delivering events to Kafka-triggered functions the way EventBridge does: a CloudEvents
batch handed to the function's FC entry point. Used by the in-process publisher and by the
local runner's Kafka bridge."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ucm.fc.app import FunctionApp
from ucm.ports import Event


def cloudevent(topic: str, value: str, *, key: str | None, partition: int = 0, offset: int = 0,
               event_id: str | None = None, timestamp_ms: int | None = None) -> dict[str, Any]:
    ts = timestamp_ms if timestamp_ms is not None else int(datetime.now(timezone.utc).timestamp() * 1000)
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "acs:alikafka",
        "type": "alikafka:Topic:Message",
        "subject": f"acs:alikafka_local:topic:{topic}",
        "datacontenttype": "application/json; charset=utf-8",
        "time": datetime.fromtimestamp(ts / 1000, timezone.utc).isoformat().replace("+00:00", "Z"),
        "data": {"topic": topic, "partition": partition, "offset": offset, "timestamp": ts,
                 "headers": {"headers": [], "isReadOnly": False}, "key": key, "value": value},
    }


def batch_for(events: Sequence[Event]) -> list[dict[str, Any]]:
    return [cloudevent(e.type, json.dumps(e.to_dict(), ensure_ascii=False), key=e.aggregate_id,
                       event_id=e.id) for e in events]


def oss_event(bucket: str, key: str, *, size: int = 0, etag: str = "", event_name: str = "ObjectCreated:PutObject",
              region: str = "cn-hangzhou") -> dict[str, Any]:
    return {"events": [{
        "eventName": event_name, "eventSource": "acs:oss", "eventVersion": "1.0",
        "eventTime": datetime.now(timezone.utc).isoformat(), "region": region,
        "oss": {"bucket": {"name": bucket, "arn": f"acs:oss:{region}:local:{bucket}", "ownerIdentity": "local"},
                "object": {"key": key, "size": size, "deltaSize": size, "eTag": etag}, "ossSchemaVersion": "1.0"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"requestId": uuid.uuid4().hex}, "userIdentity": {"principalId": "local"},
    }]}


def timer_event(name: str, payload: str = "{}") -> dict[str, Any]:
    return {"triggerTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "triggerName": name, "payload": payload}


def subscribers(topic: str) -> list[FunctionApp]:
    from ucm.fc.discovery import load_functions

    return [app for app in load_functions().values() if any(topic in t.topics for t in app.kafka)]


@dataclass
class InvokeContext:
    """What FC passes as ``context`` (the parts our handlers read)."""

    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    function_name: str = "local"


def invoke(app: FunctionApp, event: Any, request_id: str | None = None) -> Any:
    """Call a function's FC entry point exactly as FC does: JSON bytes in."""
    raw = json.dumps(event, ensure_ascii=False).encode()
    return app.handler(raw, InvokeContext(request_id or uuid.uuid4().hex, app.name))


def deliver(topic: str, events: Sequence[Event]) -> list[dict[str, Any]]:
    batch = batch_for(events)
    return [invoke(app, batch) for app in subscribers(topic)]


def notify_object_created(bucket: str, key: str, size: int, etag: str) -> list[Any]:
    """What OSS does when an object lands: invoke each function whose trigger filter matches."""
    from ucm.fc.discovery import load_functions
    from ucm.fc.events import OssRecord

    rec = OssRecord("ObjectCreated:PutObject", bucket, key, size, etag)
    event = oss_event(bucket, key, size=size, etag=etag)
    return [invoke(app, event) for app in load_functions().values() if any(t.matches(rec) for t in app.oss)]
