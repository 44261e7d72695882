"""Typed Function Compute trigger events (formats: ../shared/docs/FUNCTION-COMPUTE.md).

Each parser takes the decoded JSON and returns typed objects, or raises ``MalformedEvent``
with a code; the entry point turns that into a clear 4xx result instead of a stack trace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from ucm.ports import Event

_PCT = re.compile(r"%[0-9A-Fa-f]{2}")


class MalformedEvent(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def decode(raw: bytes | str | Any) -> Any:
    """FC hands the event as bytes; tests and the runner may hand it decoded already."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedEvent("fc.event.encoding", "事件不是 UTF-8 文本") from exc
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise MalformedEvent("fc.event.json", f"事件不是合法的 JSON：{exc.msg}") from exc
    return raw


def kind_of(event: Any) -> str:
    """Which trigger sent this event: http, kafka, oss or timer."""
    if isinstance(event, list):
        return "kafka"
    if isinstance(event, dict):
        if "requestContext" in event and isinstance(event.get("requestContext"), dict) and "version" in event:
            return "http"
        if isinstance(event.get("events"), list):
            return "oss"
        if "triggerTime" in event:
            return "timer"
    raise MalformedEvent("fc.event.unknown", "无法识别的事件格式（不是 HTTP、Kafka、OSS 或定时触发器事件）")


# --- Kafka (ApsaraMQ for Kafka through EventBridge) -------------------------------------------


@dataclass(frozen=True)
class KafkaMessage:
    """One Kafka message of an EventBridge batch; ``event_id`` is the CloudEvent id."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: str
    event_id: str | None = None
    timestamp_ms: int | None = None

    def envelope(self) -> Event:
        """Our own events travel as the envelope JSON in the message value."""
        try:
            data = json.loads(self.value)
            if not isinstance(data, dict):
                raise TypeError("not an object")
            return Event.from_dict(data)
        except (ValueError, TypeError, KeyError) as exc:
            raise MalformedEvent(
                "fc.kafka.envelope", f"{self.topic}@{self.partition}:{self.offset} 的消息不是业务事件信封"
            ) from exc


def _kafka_element(el: Any) -> KafkaMessage:
    if isinstance(el, str):  # some EventBridge samples deliver each element as a JSON string
        try:
            el = json.loads(el)
        except json.JSONDecodeError as exc:
            raise MalformedEvent("fc.kafka.element", "Kafka 批次中的元素不是合法的 JSON") from exc
    if not isinstance(el, dict):
        raise MalformedEvent("fc.kafka.element", "Kafka 批次中的元素不是对象")
    data = el.get("data", el) if "specversion" in el or "data" in el else el  # RawData: only data arrives
    if not isinstance(data, dict) or "topic" not in data or "value" not in data:
        raise MalformedEvent("fc.kafka.element", "Kafka 消息缺少 topic 或 value")
    value = data["value"]
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    try:
        return KafkaMessage(
            topic=str(data["topic"]),
            partition=int(data.get("partition", 0)),
            offset=int(data.get("offset", 0)),
            key=None if data.get("key") is None else str(data["key"]),
            value=value,
            event_id=None if el.get("id") is None else str(el["id"]),
            timestamp_ms=None if data.get("timestamp") is None else int(data["timestamp"]),
        )
    except (TypeError, ValueError) as exc:
        raise MalformedEvent("fc.kafka.element", "Kafka 消息的 partition / offset 不是数字") from exc


@dataclass
class KafkaBatch:
    messages: list[KafkaMessage]
    rejected: list[tuple[int, MalformedEvent]] = field(default_factory=list)


def parse_kafka(event: Any) -> KafkaBatch:
    if not isinstance(event, list):
        raise MalformedEvent("fc.kafka.batch", "Kafka 事件应为数组")
    batch = KafkaBatch(messages=[])
    for i, el in enumerate(event):
        try:
            batch.messages.append(_kafka_element(el))
        except MalformedEvent as exc:
            batch.rejected.append((i, exc))
    return batch


# --- OSS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OssRecord:
    event_name: str  # e.g. ObjectCreated:PutObject (no "oss:" prefix in the event itself)
    bucket: str
    key: str
    size: int
    etag: str
    region: str | None = None
    request_id: str | None = None


def parse_oss_key(raw: str) -> str:
    """The object key of an OSS event, percent-decoded if it was encoded (unverified: OSS may or
    may not encode it). A '%' not followed by two hex digits is literal; '+' stays '+'."""
    if not _PCT.search(raw):
        return raw
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return raw  # the escapes are not UTF-8, so they were literal text in the key


def parse_oss(event: Any) -> list[OssRecord]:
    records = event.get("events") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        raise MalformedEvent("fc.oss.events", "OSS 事件缺少 events 列表")
    out = []
    for rec in records:
        try:
            obj = rec["oss"]["object"]
            out.append(
                OssRecord(
                    event_name=str(rec["eventName"]),
                    bucket=str(rec["oss"]["bucket"]["name"]),
                    key=parse_oss_key(str(obj["key"])),
                    size=int(obj.get("size", 0)),
                    etag=str(obj.get("eTag", "")),
                    region=rec.get("region"),
                    request_id=(rec.get("responseElements") or {}).get("requestId"),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEvent("fc.oss.record", "OSS 事件记录缺少 bucket 或 object 信息") from exc
    return out


# --- Timer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimerEvent:
    trigger_time: str
    trigger_name: str
    payload: str


def parse_timer(event: Any) -> TimerEvent:
    try:
        return TimerEvent(
            trigger_time=str(event["triggerTime"]),
            trigger_name=str(event.get("triggerName", "")),
            payload=str(event.get("payload") or ""),
        )
    except (KeyError, TypeError) as exc:
        raise MalformedEvent("fc.timer.event", "定时触发器事件缺少 triggerTime") from exc
