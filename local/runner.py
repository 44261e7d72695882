"""``python -m local``: start the whole back office on one laptop.

Embedded defaults for every peer whose variable is unset (PostgreSQL in ``.data/pg``, chdb in
``.data/chdb``, objects in ``.data/objects``, in-process events and cache), migrations, demo
data, then the gateway on http://127.0.0.1:8080 with timers, the outbox relay, OSS-style
object events and (with ``KAFKA__BROKERS``) Kafka-triggered functions. Ctrl-C stops all of it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ucm import bootstrap, logs, migrate
from ucm.config import PROJECT_ROOT, ConfigError, Settings, load_settings
from ucm.ports import ObjectCreated

log = logging.getLogger("ucm.runner")


class RelayLoop:
    """Locally the relay sweeps every second (the cloud timer runs each minute)."""

    def __init__(self, c: bootstrap.Container, interval_s: float = 1.0) -> None:
        self.c = c
        self.interval_s = interval_s
        self.stop_event = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                sent = self.c.relay.sweep()
            except Exception:
                log.exception("outbox relay sweep failed")
                sent = 0
            self.stop_event.wait(0 if sent else self.interval_s)

    def stop(self) -> None:
        self.stop_event.set()
        self._thread.join(timeout=10)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def app_role(conninfo: str) -> str | None:
    from psycopg.conninfo import conninfo_to_dict

    user = conninfo_to_dict(conninfo).get("user")
    return None if user is None else str(user)


def prepare(s: Settings) -> bootstrap.Container:
    """Peers, migrations and the process-wide container, as the runner and the CLI need them."""
    if not s.db.conn:
        bootstrap.use_embedded_database(s)
    assert s.db.conn
    admin = s.db.admin_conn or s.db.conn
    migrate.migrate_postgres(admin, app_role(s.db.conn) if admin != s.db.conn else None)
    c = bootstrap.Container(s)
    bootstrap.reset(c)
    migrate.migrate_clickhouse(c.olap)
    return c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description="UCM-Color 后台本地运行器")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--no-demo", action="store_true", help="不写入演示数据")
    args = parser.parse_args(argv)
    logs.setup(background=True)
    try:
        s = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.host:
        s.app.host = args.host
    if args.port is not None:
        s.app.port = args.port

    import uvicorn
    from ucm import demo
    from ucm.fc.delivery import notify_object_created
    from ucm.fc.discovery import load_functions

    from local.gateway import Gateway
    from local.kafka_bridge import KafkaBridge
    from local.scheduler import Scheduler

    started_pg = not s.db.conn
    stoppers: list[Any] = []
    notifier = ThreadPoolExecutor(max_workers=2, thread_name_prefix="oss-events")
    try:
        c = prepare(s)
        apps = load_functions()
        c.relay  # noqa: B018 - wire after-commit publishing before the first request
        from ucm.adapters.objects import LocalObjectStore

        local_store = c.objects if isinstance(c.objects, LocalObjectStore) else None
        if local_store is not None:
            # OSS invokes the trigger apart from the upload; so do we.
            def on_created(ev: ObjectCreated) -> None:
                notifier.submit(notify_object_created, ev.bucket, ev.key, ev.size, ev.etag)

            local_store.subscribe(on_created)
        if not args.no_demo and s.app.demo_data:
            demo.seed(c)
        parts: list[Any] = [RelayLoop(c), Scheduler(apps)]
        if s.kafka.brokers:
            parts.append(KafkaBridge(s.kafka.brokers, s.kafka.group_prefix, apps))
        for part in parts:
            part.start()
            stoppers.append(part)
        gateway = Gateway(apps, PROJECT_ROOT / "ui" / "dist", objects=local_store)
        config = uvicorn.Config(gateway, host=s.app.host, port=s.app.port, log_config=None, access_log=False,
                                lifespan="off", timeout_graceful_shutdown=5)
        log.info("started", extra={"fields": {"url": f"http://{s.app.host}:{s.app.port}",
                                               "functions": sorted(apps)}})
        print(f"UCM-Color 后台已启动：http://{s.app.host}:{s.app.port}  （Ctrl-C 停止）", file=sys.stderr, flush=True)
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; as an
        # exception (not a kill) it lets the finally below stop the embedded peers.
        signal.signal(signal.SIGTERM, _terminate)
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run()
        return 0
    finally:
        for part in reversed(stoppers):
            part.stop()
        notifier.shutdown(wait=True, cancel_futures=True)
        bootstrap.reset(None)
        if started_pg:
            from ucm.embedded.postgres import EmbeddedPostgres

            EmbeddedPostgres(s.app.data_dir / "pg").stop()
        print("UCM-Color 后台已停止", file=sys.stderr, flush=True)
