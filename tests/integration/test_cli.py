"""The ``ucm`` command line against real peers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from ucm import provision

from tests.conftest import PG_SUPERUSER, ROOT


def ucm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ucm.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": f"{ROOT}/shared:{ROOT}", **env})


def test_migrate_is_applied_once_and_recorded(tmp_path: Path) -> None:
    name = "ucm_cli_" + os.urandom(4).hex()
    p = provision.ensure_database(PG_SUPERUSER, name)
    env = {"DB__CONN": provision.conninfo_for(PG_SUPERUSER, database=name, user=p.app),
           "DB__ADMIN_CONN": provision.conninfo_for(PG_SUPERUSER, database=name, user=p.owner),
           "APP__DATA_DIR": str(tmp_path)}
    try:
        first = ucm("migrate", env=env)
        assert first.returncode == 0, first.stderr
        second = ucm("migrate", env=env)
        assert second.returncode == 0, second.stderr
        with psycopg.connect(env["DB__ADMIN_CONN"]) as conn:
            versions = [r[0] for r in conn.execute("select version from schema_migrations order by version")]
        assert versions == sorted(p.name[:4] for p in (ROOT / "migrations" / "postgres").glob("*.sql"))
    finally:
        provision.drop_database(PG_SUPERUSER, name)


def test_wrong_setting_is_one_line() -> None:
    out = ucm("config", env={"KAFKA__BROKERS": "no-port-here"})
    assert out.returncode == 2
    assert out.stderr.strip().startswith("配置错误 KAFKA__BROKERS:") and "\n" not in out.stderr.strip()


def test_s_yaml_check_passes_on_the_committed_file() -> None:
    out = ucm("s-yaml", "--check", env={})
    assert out.returncode == 0, out.stdout


def test_create_admin_then_login(tmp_path: Path) -> None:
    from ucm.db import Database
    from ucm.identity import auth

    with provision.scratch_database(PG_SUPERUSER, "ucm_cli") as (owner, app):
        env = {"DB__CONN": app, "DB__ADMIN_CONN": owner, "APP__DATA_DIR": str(tmp_path)}
        weak = ucm("create-admin", "--username", "boss", "--password", "boss123", env=env)
        assert weak.returncode == 2 and "密码" in weak.stderr
        ok = ucm("create-admin", "--username", "boss", "--password", "Shop@2026x", env=env)
        assert ok.returncode == 0 and ok.stdout.strip() == "created"
        again = ucm("create-admin", "--username", "boss", "--password", "Shop@2026x", env=env)
        assert again.returncode == 0 and "exists already" in again.stdout
        db = Database(app)
        try:
            pair = auth.login(db, auth.Settings("s"), "boss", "Shop@2026x", None)
            assert pair.user["username"] == "boss"
        finally:
            db.close()


def test_migrate_on_embedded_defaults_leaves_no_server_running(tmp_path: Path) -> None:
    from ucm.embedded.postgres import EmbeddedPostgres

    out = ucm("migrate", env={"APP__DATA_DIR": str(tmp_path), "DB__CONN": "", "DB__ADMIN_CONN": ""})
    assert out.returncode == 0, out.stderr
    pg = EmbeddedPostgres(tmp_path / "pg")
    assert (tmp_path / "pg" / "PG_VERSION").exists() and not pg.is_running()
