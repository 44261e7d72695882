"""Every function through its real FC entry point (FC-shaped events, bytes in), against real
PostgreSQL, chdb and the local object store: HTTP, OSS, Kafka (both element forms) and timer,
and the bad input each one can get."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ucm import bootstrap, migrate
from ucm.adapters.clickhouse import ClickHouseOlap
from ucm.db import Database
from ucm.fc.app import FunctionApp
from ucm.fc.discovery import load_functions
from ucm.fc.testing import Client
from ucm.ports import Event

from tests.conftest import ROOT, container_for, system_conn


@pytest.fixture(scope="module")
def apps() -> dict[str, FunctionApp]:
    return load_functions()


@pytest.fixture
def wired(any_db: Database, olap: ClickHouseOlap, tmp_path: Path) -> Iterator[bootstrap.Container]:
    migrate.migrate_clickhouse(olap)
    c = container_for(any_db, tmp_path, olap=olap)
    assert isinstance(c, bootstrap.Container)
    c.relay  # noqa: B018 - after-commit publishing, as the runner wires it
    yield c
    bootstrap.reset(None)


@pytest.fixture
def auth(apps: dict[str, FunctionApp], wired: bootstrap.Container) -> dict[str, str]:
    """A logged-in HQ admin's header (uploads need the files.upload permission)."""
    from ucm.identity import users

    name = f"hq_{uuid.uuid4().hex[:8]}"
    users.ensure_admin(wired.db, name, "Upload@2026x")
    r = client(apps, "system-api").http.post("/auth/login", json_body={"username": name, "password": "Upload@2026x"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def client(apps: dict[str, FunctionApp], name: str) -> Client:
    return Client(apps[name])


def count(db: Database, sql: str, *params: Any) -> int:
    with system_conn(db) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(next(iter(row.values())))


# --- HTTP ----------------------------------------------------------------------------------------


def test_health_through_fc3_event(apps: dict[str, FunctionApp], wired: bootstrap.Container) -> None:
    r = client(apps, "system-api").http.get("/health", headers={"X-Request-Id": "req-123"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "up"
    checks = {c["name"]: c for c in body["checks"]}
    assert set(checks) == {"oltp", "cache", "olap", "search", "events", "objects"}
    assert all(c["up"] for c in checks.values())
    assert checks["olap"]["adapter"] == "chdb" and checks["events"]["adapter"] == "in-process"
    assert r.headers["x-request-id"] == "req-123"


def test_health_is_503_when_the_database_is_down(apps: dict[str, FunctionApp], tmp_path: Path) -> None:
    dead = Database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", min_size=0, max_size=1)
    dead.pool.timeout = 1.0
    container_for(dead, tmp_path, cache=None)
    try:
        r = client(apps, "system-api").http.get("/health")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "down"
        assert [c["up"] for c in body["checks"] if c["name"] == "oltp"] == [False]
    finally:
        bootstrap.reset(None)
        dead.close()


def test_real_http_sample_gets_a_clear_404(apps: dict[str, FunctionApp]) -> None:
    event = json.loads((ROOT / "tests" / "events" / "http.json").read_text())
    r = client(apps, "system-api").events.invoke(event)
    assert r["statusCode"] == 404
    body = json.loads(r["body"])
    assert body["code"] == "common.route_not_found" and body["title"]
    assert r["headers"]["content-type"] == "application/problem+json"


def test_upload_link_needs_a_login(apps: dict[str, FunctionApp], wired: bootstrap.Container) -> None:
    r = client(apps, "system-api").http.post("/system/uploads",
                                             json_body={"filename": "a.csv", "content_type": "text/csv"})
    assert r.status_code == 401 and r.json()["code"] == "auth.unauthenticated"


def test_presign_upload(apps: dict[str, FunctionApp], auth: dict[str, str]) -> None:
    r = client(apps, "system-api").http.post("/system/uploads", headers=auth,
                                             json_body={"filename": "商品导入.csv", "content_type": "text/csv"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["key"].startswith("uploads/") and body["key"].endswith("/商品导入.csv")
    assert body["method"] == "PUT" and "signature=" in body["url"]


@pytest.mark.parametrize(("body", "headers", "status", "code"), [
    ("{bad json", {"Content-Type": "application/json"}, 400, "common.json_invalid"),
    ('{"filename": "a.csv"}', {"Content-Type": "application/json"}, 400, "common.validation"),
    ('{"filename": "a.csv", "content_type": "text/csv", "x": 1}', {"Content-Type": "application/json"}, 400,
     "common.validation"),
    ('{"filename": "a/b.csv", "content_type": "text/csv"}', {"Content-Type": "application/json"}, 400,
     "uploads.invalid"),
    ('{"filename": "a.exe", "content_type": "application/x-msdownload"}', {"Content-Type": "application/json"},
     400, "uploads.invalid"),
])
def test_bad_input_gets_a_clear_4xx(apps: dict[str, FunctionApp], auth: dict[str, str], body: str,
                                    headers: dict[str, str], status: int, code: str) -> None:
    r = client(apps, "system-api").http.post("/system/uploads", body=body, headers={**headers, **auth})
    assert r.status_code == status, r.text
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["code"] == code and problem["title"] and problem["request_id"]
    assert "Traceback" not in r.text
    if code == "common.validation":
        assert problem["errors"] and all({"field", "code", "message"} <= set(e) for e in problem["errors"])


def test_oversized_body_is_413(apps: dict[str, FunctionApp], wired: bootstrap.Container) -> None:
    limit = wired.settings.app.max_body_bytes
    r = client(apps, "system-api").http.post("/system/uploads", body="x" * (limit + 1),
                                             headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "common.body_too_large"


def test_wrong_method_is_405(apps: dict[str, FunctionApp], wired: bootstrap.Container) -> None:
    r = client(apps, "system-api").http.delete("/health")
    assert r.status_code == 405 and r.json()["code"] == "common.method_not_allowed"


@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "fc.event.json"),
    (b'{"some": "thing"}', "fc.event.unknown"),
    (b'{"version": "v1", "requestContext": {"http": {}}}', "fc.http.event"),
])
def test_malformed_fc_event_is_a_4xx_not_a_crash(apps: dict[str, FunctionApp], raw: bytes, code: str) -> None:
    out = client(apps, "system-api").events.invoke(raw)
    if "statusCode" in out:
        assert out["statusCode"] == 400 and json.loads(out["body"])["code"] == code
    else:
        assert out == {"status": 400, "code": code, "message": out["message"]}


def test_event_for_a_trigger_the_function_lacks(apps: dict[str, FunctionApp]) -> None:
    out = client(apps, "system-api").events.timer("sweep")
    assert out["status"] == 400 and out["code"] == "fc.event.unexpected"


# --- OSS → outbox → Kafka-triggered ETL → ClickHouse -------------------------------------------------


def test_upload_pipeline_end_to_end(apps: dict[str, FunctionApp], wired: bootstrap.Container,
                                    olap: ClickHouseOlap, any_db: Database) -> None:
    key = "uploads/20261129/abc/门店盘点.csv"
    info = wired.objects.put(key, "条码,数量\n6901234567892,3\n".encode(), "text/csv")
    out = client(apps, "uploads").events.oss(wired.objects.bucket, key, size=info.size, etag=info.etag)
    assert out == {"status": 200, "handled": 1}
    assert count(any_db, "select count(*) from object_upload where key = %s", key) == 1
    assert count(any_db, "select count(*) from audit_log where action = 'objects.upload.record'"
                         " and after->>'key' = %s", key) == 1
    # after commit the event was published in-process to events-etl, which wrote ClickHouse
    assert count(any_db, "select count(*) from outbox where topic = 'object.uploaded' and sent_at is null"
                         " and payload->>'key' = %s", key) == 0
    with any_db.connection() as conn:
        upload = conn.execute("select id::text as id from object_upload where key = %s", (key,)).fetchone()
    assert upload is not None
    rows = olap.query("SELECT type, data FROM events FINAL WHERE type = 'object.uploaded'"
                      " AND aggregate_id = {a:String}", {"a": upload["id"]})
    assert len(rows) == 1 and json.loads(rows[0]["data"])["size"] == info.size
    # OSS delivers at least once: the same event again records nothing new
    again = client(apps, "uploads").events.oss(wired.objects.bucket, key, size=info.size, etag=info.etag)
    assert again["status"] == 200
    assert count(any_db, "select count(*) from object_upload where key = %s", key) == 1


def test_oss_event_outside_the_prefix_is_ignored(apps: dict[str, FunctionApp], wired: bootstrap.Container) -> None:
    assert client(apps, "uploads").events.oss("ucm-local", "images/a.jpg", size=1, etag="E") == {
        "status": 200, "handled": 0}


@pytest.mark.parametrize("form", ["object", "string"])
def test_kafka_batch_forms_reach_clickhouse_once(apps: dict[str, FunctionApp], wired: bootstrap.Container,
                                                 olap: ClickHouseOlap, form: str) -> None:
    ev = Event(id=str(uuid.uuid4()), type="stock.moved",
               occurred_at="2026-11-29T08:00:00+00:00", aggregate_id="S1:SKU1", store_id="S1",
               data={"qty_delta": "-2", "reason": "sale"}, trace_id="trace-k", actor="pos")
    etl = client(apps, "events-etl")
    first = etl.events.kafka([ev], form=form)
    second = etl.events.kafka([ev, ev], form=form)
    assert (first["applied"], second["applied"], second["duplicates"]) == (1, 0, 2)
    rows = olap.query("SELECT count() AS n FROM events WHERE id = {id:UUID}", {"id": ev.id})
    assert rows == [{"n": 1}]


def test_kafka_batch_with_foreign_messages(apps: dict[str, FunctionApp], wired: bootstrap.Container) -> None:
    sample = json.loads((ROOT / "tests" / "events" / "kafka-eventbridge-strings.json").read_text())
    out = client(apps, "events-etl").events.invoke(sample)
    assert out["status"] == 200 and out["applied"] == 0
    assert [r["code"] for r in out["rejected"]] == ["fc.kafka.topic"]


# --- Timer -------------------------------------------------------------------------------------------


def test_relay_timer_sweeps_the_outbox(apps: dict[str, FunctionApp], wired: bootstrap.Container,
                                       any_db: Database) -> None:
    with system_conn(any_db) as conn:  # written without after-commit publishing, as if that had failed
        conn.execute("insert into outbox (id, topic, aggregate_id, payload, occurred_at)"
                         " values (gen_random_uuid(), 'member.updated', 'M1', '{}', now())")
    out = client(apps, "outbox-relay").events.timer("sweep")
    assert out["status"] == 200 and out["results"][0]["sent"] >= 1
    assert count(any_db, "select count(*) from outbox where sent_at is null") == 0


def test_real_oss_and_timer_samples_through_the_entry_points(apps: dict[str, FunctionApp],
                                                             wired: bootstrap.Container) -> None:
    events = ROOT / "tests" / "events"
    oss = client(apps, "uploads").events.invoke(json.loads((events / "oss.json").read_text()))
    assert oss == {"status": 200, "handled": 0}  # image/a.jpg is not under uploads/
    timer = client(apps, "outbox-relay").events.invoke(json.loads((events / "timer.json").read_text()))
    assert timer["status"] == 200 and "sent" in timer["results"][0]
