"""Shared fixtures: real PostgreSQL databases (the PostgreSQL 15 service, or embedded), each
test session on its own freshly migrated database, connected as the non-owner app role."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT))

from ucm import provision  # noqa: E402
from ucm.db import Database  # noqa: E402

# The PostgreSQL service our machines run (trust auth). Override with TEST_PG_SUPERUSER.
PG_SUPERUSER = os.environ.get("TEST_PG_SUPERUSER", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def open_database(conninfo: str) -> Iterator[Database]:
    database = Database(conninfo, min_size=1, max_size=8)
    yield database
    database.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[tuple[str, str]]:
    """(owner conninfo, app conninfo) of a migrated database on the PostgreSQL service."""
    with provision.scratch_database(PG_SUPERUSER, "ucm_test") as pair:
        yield pair


@pytest.fixture(scope="session")
def db(pg_database: tuple[str, str]) -> Iterator[Database]:
    yield from open_database(pg_database[1])


@pytest.fixture(scope="session")
def embedded_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real embedded PostgreSQL (the wheel the laptop default uses); yields its superuser URI."""
    from ucm.embedded.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(tmp_path_factory.mktemp("embedded") / "pg")
    server.start()
    yield server.uri()
    server.stop()


@pytest.fixture(scope="session", params=["service", "embedded"])
def any_pg(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(owner, app) conninfo of a migrated database on each PostgreSQL we support."""
    su = PG_SUPERUSER if request.param == "service" else request.getfixturevalue("embedded_pg")
    with provision.scratch_database(su, "ucm_test") as pair:
        yield pair


@pytest.fixture(scope="session")
def any_db(any_pg: tuple[str, str]) -> Iterator[Database]:
    yield from open_database(any_pg[1])


def container_for(database: Database, tmp: Path, **ready: object) -> object:
    """Install a process-wide container whose ports are the given real peers (embedded defaults
    for the rest, kept under ``tmp``)."""
    from ucm import bootstrap
    from ucm.config import AppSettings, DbSettings, Settings

    s = Settings(db=DbSettings(conn=database.conninfo), app=AppSettings(data_dir=tmp))
    c = bootstrap.Container(s, db=database, **ready)
    bootstrap.reset(c)
    return c


@pytest.fixture
def use_db(any_db: Database, tmp_path: Path) -> Iterator[Database]:
    """Functions invoked in this test use ``any_db`` through the process-wide container."""
    from ucm import bootstrap

    container_for(any_db, tmp_path)
    yield any_db
    bootstrap.reset(None)


class Runner:
    """``python -m local`` in a subprocess with its own data dir, as a person would run it."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        import socket
        import subprocess

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"runner-{self.port}.log"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DB__", "KAFKA__", "REDIS__", "CK__",
                                                                                 "OS__", "OSS__", "APP__"))}
        full_env.update({"APP__DATA_DIR": str(data_dir), "PYTHONPATH": f"{ROOT}/shared:{ROOT}", **(env or {})})
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "local", "--port", str(self.port)], cwd=ROOT,
                                     env=full_env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 90) -> None:
        import time

        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runner exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"runner not ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_records(self) -> list[dict[str, object]]:
        import json

        out = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    out.append(json.loads(line))
        return out

    def stop(self, timeout_s: float = 30, sig: int = 2) -> int:
        """Ctrl-C (SIGINT) by default; SIGTERM is what FC, docker and systemd send."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout_s)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)

    def login(self, username: str = "admin", password: str = "Retail@2026") -> dict[str, str]:
        """The demo admin's Authorization header (the runner seeds demo data)."""
        import httpx

        r = httpx.post(f"{self.url}/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def pg_superuser(self) -> str:
        from ucm.embedded.postgres import EmbeddedPostgres

        return EmbeddedPostgres(self.data_dir / "pg").uri(database="ucm")


@contextlib.contextmanager
def system_conn(database: Database) -> Iterator[Any]:
    """A connection in the platform's global scope: tests read RLS-protected tables with it."""
    from ucm import context

    with database.transaction(context.system("test")) as uow:
        yield uow.conn
