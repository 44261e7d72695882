"""Ports: the small interfaces every outside service sits behind.

Each port has a cloud adapter and an embedded default (see ARCHITECTURE.md, "Ports and
adapters"); ``ucm.bootstrap`` picks one per setting. Services depend on these protocols only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Probe:
    """One dependency's health: what /health reports."""

    name: str
    up: bool
    adapter: str
    latency_ms: float
    detail: str | None = None


@runtime_checkable
class Pingable(Protocol):
    adapter_name: str

    def ping(self) -> None:
        """Raise if the peer cannot answer right now."""

    def close(self) -> None: ...


class Cache(Pingable, Protocol):
    """Key/value cache with TTL (Redis in the cloud, in-process by default). Values are bytes."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    def delete(self, *keys: str) -> int: ...

    def get_many(self, *keys: str) -> list[bytes | None]:
        """The values of ``keys`` in one round trip (None where missing), in order."""
        ...

    def incr_many(self, keys: Sequence[str], ttl_s: float) -> None:
        """Add one to each counter in ``keys`` (a missing one starts at 0) and keep it ``ttl_s``
        longer; one round trip. Counters read back through ``get``/``get_many`` as ASCII digits."""
        ...


class Olap(Pingable, Protocol):
    """ClickHouse, through clickhouse-connect (HTTP in the cloud, chdb in-process by default)."""

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> None: ...

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class SearchHit:
    id: str
    score: float
    doc: dict[str, Any]


class Search(Pingable, Protocol):
    """Full-text search over documents of a kind (``sku``, …).

    A document has ``id``, ``title`` (Chinese text), optional ``codes`` (barcodes, exact and
    prefix match), ``store_id`` (None = HQ-wide), ``tags`` and any other fields kept as-is.
    A filter ``field=value`` matches a string field equal to the value or a list field that
    holds it (a SKU's ``category_ids``: the category and its ancestors).
    """

    def upsert(self, kind: str, docs: Sequence[Mapping[str, Any]]) -> None: ...

    def delete(self, kind: str, ids: Sequence[str]) -> None: ...

    def reindex(self, kind: str, docs: Iterable[Mapping[str, Any]]) -> None:
        """Replace every document of ``kind``; readers see the old set or the new one."""
        ...

    def query(
        self,
        kind: str,
        text: str,
        *,
        store_ids: Sequence[str] | None = None,
        filters: Mapping[str, str] | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """``store_ids`` None = no store restriction (global scope); [] = HQ-wide docs only."""
        ...


@dataclass(frozen=True)
class Event:
    """The event envelope of API-CONVENTIONS.md. ``type`` is the topic (``stock.moved`` …)."""

    id: str
    type: str
    occurred_at: str
    aggregate_id: str
    data: dict[str, Any]
    store_id: str | None = None
    trace_id: str | None = None
    actor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "store_id": self.store_id,
            "aggregate_id": self.aggregate_id,
            "trace_id": self.trace_id,
            "actor": self.actor,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Event:
        return cls(
            id=str(d["id"]),
            type=str(d["type"]),
            occurred_at=str(d["occurred_at"]),
            aggregate_id=str(d["aggregate_id"]),
            data=dict(d.get("data") or {}),
            store_id=d.get("store_id"),
            trace_id=d.get("trace_id"),
            actor=d.get("actor"),
        )


class EventPublisher(Pingable, Protocol):
    """Where the outbox relay hands events: Kafka in the cloud, in-process delivery by default.

    ``publish`` returns only when every event is durably accepted (Kafka acks) or delivered
    (in-process); it raises otherwise, and the relay leaves the rows unsent.
    """

    def publish(self, events: Sequence[Event]) -> None: ...


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    content_type: str | None = None


@dataclass
class ObjectCreated:
    """An object landed in a bucket: what an OSS trigger reports."""

    bucket: str
    key: str
    size: int
    etag: str
    extra: dict[str, Any] = field(default_factory=dict)


class ObjectStore(Pingable, Protocol):
    """Object storage (OSS / S3-compatible in the cloud, a local folder by default)."""

    bucket: str

    def put(self, key: str, data: bytes, content_type: str | None = None) -> ObjectInfo: ...

    def get(self, key: str) -> bytes: ...

    def head(self, key: str) -> ObjectInfo | None: ...

    def delete(self, key: str) -> None: ...

    def presign_put(self, key: str, expires_s: int = 900, content_type: str | None = None) -> str: ...

    def presign_get(self, key: str, expires_s: int = 900) -> str: ...


ObjectListener = Callable[[ObjectCreated], None]


class NotifyingStore(ObjectStore, Protocol):
    """The local store raises OSS-style ObjectCreated events itself (OSS does it in the cloud)."""

    def subscribe(self, listener: ObjectListener) -> None: ...
