"""Kafka adapters (kafka-python): the outbox relay's publisher and a batch consumer.

``KafkaPublisher`` is the cloud ``EventPublisher``: topic = event type, key = aggregate id, so
one aggregate's events stay on one partition in order. ``KafkaBatchConsumer`` plays, in the
local runner, what EventBridge's Kafka source does in the cloud: batches to a handler,
committed only after the handler returns (at-least-once; consumers dedupe on ``id``).

kafka-python ships no type information, so its objects are ``Any`` here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ucm.logs import log
from ucm.ports import Event

with warnings.catch_warnings():
    # kafka-python 3 loads its protocol schemas through the deprecated importlib.resources
    # read_text/open_text: ~100 warnings per import, attributed to importlib, not to kafka.
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.errors import KafkaError, TopicAlreadyExistsError
    from kafka.structs import OffsetAndMetadata, TopicPartition

__all__ = [
    "EventPublishError",
    "KafkaBatchConsumer",
    "KafkaError",
    "KafkaPublisher",
    "KafkaRecord",
    "encode_event",
    "ensure_topics",
]

_log = logging.getLogger(__name__)

PING_TIMEOUT_MS = 2000


class EventPublishError(RuntimeError):
    """Some events were not acknowledged by Kafka; the outbox keeps them for the next run."""


def _servers(brokers: str) -> list[str]:
    servers = [b.strip() for b in brokers.split(",") if b.strip()]
    if not servers:
        raise ValueError(f"no Kafka brokers in {brokers!r}")
    return servers


def _admin(brokers: str, client_id: str) -> Any:
    # Short timeouts: /health and the relay must learn "down" in ~2 s, not hang.
    return KafkaAdminClient(
        bootstrap_servers=_servers(brokers),
        client_id=client_id,
        request_timeout_ms=PING_TIMEOUT_MS,
        bootstrap_timeout_ms=PING_TIMEOUT_MS,
        reconnect_backoff_max_ms=1000,
    )


def _create_topics(admin: Any, topics: Iterable[str], partitions: int, replication_factor: int) -> None:
    wanted = sorted(set(topics))
    if not wanted:
        return
    spec = {t: {"num_partitions": partitions, "replication_factor": replication_factor} for t in wanted}
    result = admin.create_topics(spec, raise_errors=False)
    for topic in result["topics"]:
        code = int(topic["error_code"])
        if code not in (0, TopicAlreadyExistsError.errno):
            raise KafkaError(f"create topic {topic['name']}: error {code} {topic.get('error_message')}")


def ensure_topics(brokers: str, topics: Iterable[str], partitions: int = 3, replication_factor: int = 1) -> None:
    """Create missing topics (existing ones are left as they are)."""
    admin = _admin(brokers, "ucm-admin")
    try:
        _create_topics(admin, topics, partitions, replication_factor)
    finally:
        admin.close()


def encode_event(event: Event) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of the Kafka record carrying ``event``."""
    value = json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = [("event_id", event.id.encode("utf-8"))]
    if event.trace_id:
        headers.append(("trace_id", event.trace_id.encode("utf-8")))
    return event.aggregate_id.encode("utf-8"), value, headers


class KafkaPublisher:
    """``EventPublisher`` on Kafka. Thread-safe (kafka-python's producer is)."""

    adapter_name = "kafka"

    def __init__(self, brokers: str, client_id: str | None = None, *, timeout_s: float = 5.0) -> None:
        self.brokers = brokers
        self._servers = _servers(brokers)
        self._client_id = client_id or "ucm-publisher"
        self._timeout_ms = int(timeout_s * 1000)
        self._lock = threading.Lock()
        self._producer: Any = None
        self._admin: Any = None

    def _get_producer(self) -> Any:
        with self._lock:
            if self._producer is None:
                t = self._timeout_ms
                self._producer = KafkaProducer(
                    bootstrap_servers=self._servers,
                    client_id=self._client_id,
                    acks="all",
                    linger_ms=5,
                    # One request in flight per broker: retries cannot reorder an aggregate's
                    # events even where the broker lacks idempotence (kafka-python then drops it).
                    max_in_flight_requests_per_connection=1,
                    # Fail within ~timeout_s when Kafka is away, so the relay retries later.
                    bootstrap_timeout_ms=t,
                    max_block_ms=t,
                    request_timeout_ms=max(t * 4 // 5, 500),
                    delivery_timeout_ms=t,
                    reconnect_backoff_max_ms=1000,
                )
            return self._producer

    def _reset_producer(self) -> None:
        # A fresh producer after a failure: no stale metadata or producer-id state carried over.
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):  # closing a broken producer must not mask the cause
                producer.close(timeout=0)

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        try:
            producer = self._get_producer()
            futures = []
            for event in events:
                key, value, headers = encode_event(event)
                futures.append((event, producer.send(event.type, key=key, value=value, headers=headers)))
            producer.flush(timeout=self._timeout_ms / 1000 + 1)
        except Exception:
            self._reset_producer()
            raise
        failed = [(e, f.exception) for e, f in futures if not f.succeeded()]
        if failed:
            self._reset_producer()
            event, exc = failed[0]
            raise EventPublishError(
                f"{len(failed)}/{len(events)} events not acknowledged by Kafka; first {event.id} "
                f"({event.type}): {exc!r}"
            ) from exc

    def _get_admin(self) -> Any:
        with self._lock:
            if self._admin is None:
                self._admin = _admin(self.brokers, self._client_id + "-admin")
            return self._admin

    def _reset_admin(self) -> None:
        with self._lock:
            admin, self._admin = self._admin, None
        if admin is not None:
            admin.close()

    def ping(self) -> None:
        """Raise unless a broker answers a metadata request within ~2 s."""
        try:
            self._get_admin().list_topics()
        except Exception:
            self._reset_admin()  # re-bootstrap next time, the broker may have moved or restarted
            raise

    def ensure_topics(self, topics: Iterable[str], partitions: int = 3, replication_factor: int = 1) -> None:
        """Create missing topics. Tansu and most brokers also auto-create on first use, but
        then with the broker's default partition count."""
        _create_topics(self._get_admin(), topics, partitions, replication_factor)

    def close(self) -> None:
        with self._lock:
            producer, self._producer = self._producer, None
            admin, self._admin = self._admin, None
        if producer is not None:
            producer.close(timeout=self._timeout_ms / 1000)
        if admin is not None:
            admin.close()


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: str
    timestamp_ms: int
    headers: dict[str, str]

    def event(self) -> Event:
        return Event.from_dict(json.loads(self.value))


def _record(msg: Any) -> KafkaRecord:
    return KafkaRecord(
        topic=str(msg.topic),
        partition=int(msg.partition),
        offset=int(msg.offset),
        key=None if msg.key is None else bytes(msg.key).decode("utf-8"),
        value=bytes(msg.value or b"").decode("utf-8"),
        timestamp_ms=int(msg.timestamp),
        headers={str(k): bytes(v or b"").decode("utf-8", "replace") for k, v in (msg.headers or [])},
    )


BatchHandler = Callable[[list[KafkaRecord]], None]


class KafkaBatchConsumer:
    """A consumer-group member delivering batches, committing only what was handled.

    Not thread-safe (kafka-python's consumer is not): poll, commit and close from one thread,
    e.g. the one running ``run``; other threads only set ``stop``.

    Joining takes ~3 s on Tansu. kafka-python 3.0.12 joins a second time when a poll's timeout
    expires just as the join completes, so longer poll timeouts make a slow start rarer.
    """

    def __init__(
        self,
        brokers: str,
        group_id: str,
        topics: Sequence[str],
        *,
        client_id: str | None = None,
        session_timeout_ms: int = 6000,
        heartbeat_interval_ms: int = 1000,
    ) -> None:
        self.group_id = group_id
        self.topics = list(topics)
        # Short session/heartbeat: Tansu takes ~23 s to form a group with the defaults, ~3 s so.
        self._consumer: Any = KafkaConsumer(
            *self.topics,
            bootstrap_servers=_servers(brokers),
            group_id=group_id,
            client_id=client_id or f"ucm-{group_id}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            bootstrap_timeout_ms=10_000,
            reconnect_backoff_max_ms=1000,
        )
        # Per partition, over what poll_batch returned since the last commit/rewind:
        self._first: dict[Any, int] = {}  # offset of the first record (where a rewind seeks)
        self._next: dict[Any, int] = {}  # offset after the last record (what a commit stores)

    def poll_batch(self, max_records: int = 100, timeout_s: float = 1.0) -> list[KafkaRecord]:
        """Up to ``max_records`` records, partition by partition in offset order; [] on timeout."""
        polled = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        out: list[KafkaRecord] = []
        for tp, msgs in polled.items():
            if not msgs:
                continue
            self._first.setdefault(tp, int(msgs[0].offset))
            self._next[tp] = int(msgs[-1].offset) + 1
            out.extend(_record(m) for m in msgs)
        return out

    def _owned(self, offsets: dict[Any, int]) -> dict[Any, int]:
        # After a rebalance, partitions moved to another member are theirs to commit or replay.
        assigned = self._consumer.assignment()
        return {tp: off for tp, off in offsets.items() if tp in assigned}

    def commit(self) -> None:
        """Commit everything ``poll_batch`` returned so far."""
        offsets = self._owned(self._next)
        if offsets:
            self._consumer.commit({tp: OffsetAndMetadata(off, "", -1) for tp, off in offsets.items()})
        self._first.clear()
        self._next.clear()

    def rewind(self) -> None:
        """Forget the uncommitted records; the next polls return them again."""
        for tp, off in self._owned(self._first).items():
            self._consumer.seek(tp, off)
        self._first.clear()
        self._next.clear()

    def committed(self, topic: str, partition: int) -> int | None:
        """The group's committed offset of one partition (None if nothing committed)."""
        off = self._consumer.committed(TopicPartition(topic, partition))
        return None if off is None else int(off)

    def run(
        self,
        handler: BatchHandler,
        stop: threading.Event,
        *,
        max_records: int = 100,
        poll_timeout_s: float = 1.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 10.0,
    ) -> None:
        """Poll → handler → commit until ``stop`` is set. A batch whose handler raises is not
        committed but redelivered after a backoff (doubling per failure in a row)."""
        failures = 0
        while not stop.is_set():
            try:
                batch = self.poll_batch(max_records, poll_timeout_s)
            except KafkaError as exc:
                failures += 1
                log(_log, "kafka poll failed", logging.WARNING, group=self.group_id, error=repr(exc))
                stop.wait(min(backoff_s * 2 ** (failures - 1), max_backoff_s))
                continue
            if not batch:
                continue
            try:
                handler(batch)
            except Exception as exc:  # any handler failure means "retry the batch"
                failures += 1
                log(
                    _log,
                    "event batch failed, will redeliver",
                    logging.WARNING,
                    group=self.group_id,
                    records=len(batch),
                    first_offset=batch[0].offset,
                    topic=batch[0].topic,
                    error=repr(exc),
                )
                self.rewind()
                stop.wait(min(backoff_s * 2 ** (failures - 1), max_backoff_s))
                continue
            try:
                self.commit()
                failures = 0
            except KafkaError as exc:
                # Handled but not recorded: replay it (handlers dedupe on the event id).
                log(
                    _log,
                    "kafka commit failed, will redeliver",
                    logging.WARNING,
                    group=self.group_id,
                    error=repr(exc),
                )
                self.rewind()

    def close(self) -> None:
        self._consumer.close(autocommit=False)
