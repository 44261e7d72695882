"""The runner with ``KAFKA__BROKERS`` (a real Tansu broker) and Redis: the outbox relay
publishes to Kafka, and the runner plays EventBridge, delivering batches to Kafka-triggered
functions through their entry points, in their consumer groups."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from ucm.adapters.kafka import KafkaBatchConsumer, KafkaRecord
from ucm.embedded.tansu import TansuBroker

from tests.conftest import REDIS_URL, ROOT, Runner


@pytest.fixture(scope="module")
def broker() -> Iterator[TansuBroker]:
    with TansuBroker() as b:
        yield b


@pytest.fixture(scope="module")
def runner(broker: TansuBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    assert (ROOT / "ui" / "dist" / "index.html").exists(), "build the UI first"
    r = Runner(tmp_path_factory.mktemp("runner-kafka") / "data",
               env={"KAFKA__BROKERS": broker.bootstrap, "REDIS__CONN": REDIS_URL})
    r.wait_ready()
    yield r
    assert r.stop() == 0


def test_health_reports_kafka_and_redis(runner: Runner) -> None:
    checks = {c["name"]: c for c in httpx.get(f"{runner.url}/health").json()["checks"]}
    assert (checks["events"]["adapter"], checks["events"]["up"]) == ("kafka", True)
    assert (checks["cache"]["adapter"], checks["cache"]["up"]) == ("redis", True)


def _etl_batches(runner: Runner) -> list[dict[str, object]]:
    return [x for x in runner.log_records() if x.get("msg") == "event batch applied"
            and x.get("consumer") == "events-etl.to_clickhouse"]


def _wait_for_the_demo_backlog(runner: Runner) -> None:
    """The demo data's events (about a hundred) reach events-etl first, in batches whose log
    records name only their first 20 ids: wait until they are through (a batch applied, then
    quiet for longer than the 3 s batch window), so that the upload's event comes in a small
    batch of its own and its id is in the record."""
    deadline = time.monotonic() + 60
    seen, quiet_since = 0, time.monotonic()
    while time.monotonic() < deadline:
        n = len(_etl_batches(runner))
        if n != seen:
            seen, quiet_since = n, time.monotonic()
        elif seen and time.monotonic() - quiet_since > 4:
            return
        time.sleep(0.2)
    raise AssertionError("events-etl did not get through the demo events in 60 s")


def test_upload_event_travels_through_kafka(runner: Runner, broker: TansuBroker) -> None:
    _wait_for_the_demo_backlog(runner)
    grant = httpx.post(f"{runner.url}/system/uploads", headers=runner.login(),
                       json={"filename": "价签.csv", "content_type": "text/csv"}).json()
    assert httpx.put(grant["url"], content=b"sku,price\n", headers={"Content-Type": "text/csv"}).status_code == 200

    # An outside consumer group sees the event on the object.uploaded topic, keyed by aggregate.
    spy = KafkaBatchConsumer(broker.bootstrap, "test-spy", ["object.uploaded"])
    try:
        deadline = time.monotonic() + 30
        seen: list[KafkaRecord] = []
        while time.monotonic() < deadline and not any(grant["key"] in r.value for r in seen):
            seen += spy.poll_batch(100, 1.0)
        mine = [r for r in seen if grant["key"] in r.value]
        assert len(mine) == 1 and mine[0].key == mine[0].event().aggregate_id
    finally:
        spy.close()

    # events-etl consumed it in its own group, through the bridge (a CloudEvents batch).
    deadline = time.monotonic() + 30
    applied: list[dict[str, object]] = []
    while time.monotonic() < deadline and not applied:
        applied = [x for x in _etl_batches(runner)
                   if isinstance(ids := x.get("event_ids"), list) and mine[0].event().id in ids]
        time.sleep(0.2)
    assert applied, "\n".join(str(x) for x in runner.log_records()[-20:])
    kafka_invocations = [x for x in runner.log_records() if x.get("function") == "events-etl"
                         and x.get("trigger") == "kafka"]
    assert kafka_invocations and all(x.get("status") == 200 for x in kafka_invocations)
