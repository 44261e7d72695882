"""An S3-protocol server (``moto_server`` from ``moto[server]``) for laptops and tests.

oss2 put/get/head/copy/delete/sign_url work against it (LOCAL-SERVICES.md); listing and
multipart do not, because moto answers in S3 XML. moto does not check request signatures, so
it proves that requests reach the right URL, not that OSS would accept their signatures.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO

_HOST = "127.0.0.1"


def _executable() -> str:
    # Prefer the one installed beside this interpreter: a venv's bin/ is often not on PATH.
    beside = Path(sys.executable).parent / "moto_server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("moto_server")
    if found is None:
        raise RuntimeError("moto_server not found next to the Python interpreter or on PATH; "
                           "install moto[server]")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((_HOST, 0))
        return int(s.getsockname()[1])


class MotoServer:
    """``moto_server`` in its own process group, so ``stop`` leaves nothing behind."""

    def __init__(self, port: int | None = None, start_timeout_s: float = 15.0) -> None:
        self._fixed_port = port
        self.port = port or 0
        self.start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        if self._proc is None:
            raise RuntimeError("MotoServer is not started")
        return f"http://{_HOST}:{self.port}"

    def start(self) -> MotoServer:
        if self._proc is not None:
            return self
        # A free port can be taken between probing and binding: retry with a new one.
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            self.port = self._fixed_port or _free_port()
            if self._spawn_and_wait(last=attempt == attempts - 1):
                return self
        raise AssertionError("unreachable")  # _spawn_and_wait raises on the last attempt

    def _spawn_and_wait(self, last: bool) -> bool:
        # A file, not a pipe: werkzeug logs every request and a full pipe would block the server.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process; _reset closes it
        self._proc = subprocess.Popen(
            [_executable(), "-H", _HOST, "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self._log_tail()
                self._reset()
                if last:
                    raise RuntimeError(f"moto_server exited at start on port {self.port}: {tail}")
                return False
            if self._answers():
                return True
            time.sleep(0.05)
        tail = self._log_tail()
        self.stop()
        raise TimeoutError(
            f"moto_server did not answer on {_HOST}:{self.port} within {self.start_timeout_s:g} s: {tail}"
        )

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{_HOST}:{self.port}/", timeout=0.5):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer means it is serving
        except OSError:
            return False

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-1500:].strip()

    def create_bucket(self, name: str) -> None:
        # moto accepts unsigned requests, so a plain PUT avoids needing boto3 here.
        req = urllib.request.Request(f"{self.endpoint}/{name}", data=b"", method="PUT")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"moto create_bucket {name!r}: HTTP {resp.status}")
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            if exc.code == 409 and "BucketAlreadyOwnedByYou" in body:
                return  # idempotent, as for a bucket we made earlier
            raise RuntimeError(f"moto create_bucket {name!r}: HTTP {exc.code} {body[:300]}") from None

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=5)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self._reset()

    def _reset(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
