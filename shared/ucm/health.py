"""Dependency health for ``GET /health``: each port is probed concurrently with a deadline.

Results are kept for ``APP__HEALTH_TTL_S`` (1 s): load balancers and the admin UI poll this
endpoint, and probing every peer on every poll would cost more than it tells.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from typing import Any

from ucm import __version__
from ucm.bootstrap import Container
from ucm.ports import Pingable, Probe

PROBE_TIMEOUT_S = 2.0
CRITICAL = {"oltp"}  # without the database nothing works: 503


def _probe(name: str, get: Callable[[], Pingable]) -> Probe:
    started = time.perf_counter()
    adapter = "?"
    try:
        port = get()
        adapter = port.adapter_name
        port.ping()
        return Probe(name, True, adapter, round((time.perf_counter() - started) * 1000, 2))
    except Exception as exc:
        return Probe(name, False, adapter, round((time.perf_counter() - started) * 1000, 2),
                     f"{type(exc).__name__}: {exc}"[:300])


@dataclass(frozen=True)
class Snapshot:
    status: int  # 200, or 503 when the database is down
    body: dict[str, Any]
    json: bytes  # rendered once per refresh: /health is polled far more often than it changes


class Health:
    def __init__(self, c: Container, ttl_s: float = 1.0) -> None:
        self.c = c
        self.ttl_s = ttl_s
        self._pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="health")
        self._lock = threading.Lock()
        self._cached: tuple[float, Snapshot] | None = None

    def _ports(self) -> dict[str, Callable[[], Pingable]]:
        c = self.c
        return {
            "oltp": lambda: c.db,
            "cache": lambda: c.cache,
            "olap": lambda: c.olap,
            "search": lambda: c.search,
            "events": lambda: c.publisher,
            "objects": lambda: c.objects,
        }

    def cached(self) -> Snapshot | None:
        """The last result while it is fresh, else None (never blocks)."""
        cached = self._cached
        if cached and time.monotonic() - cached[0] < self.ttl_s:
            return cached[1]
        return None

    def check(self) -> Snapshot:
        fresh = self.cached()
        if fresh:
            return fresh
        with self._lock:
            fresh = self.cached()
            if fresh:
                return fresh
            status, body = self._run()
            snap = Snapshot(status, body, json.dumps(body, ensure_ascii=False).encode())
            self._cached = (time.monotonic(), snap)
            return snap

    def _run(self) -> tuple[int, dict[str, Any]]:
        futures = {name: self._pool.submit(_probe, name, get) for name, get in self._ports().items()}
        probes = []
        for name, fut in futures.items():
            try:
                probes.append(fut.result(timeout=PROBE_TIMEOUT_S))
            except FutureTimeout:
                probes.append(Probe(name, False, "?", PROBE_TIMEOUT_S * 1000, "timeout"))
        critical_down = any(not p.up for p in probes if p.name in CRITICAL)
        any_down = any(not p.up for p in probes)
        status = "down" if critical_down else "degraded" if any_down else "up"
        body = {"status": status, "version": __version__, "checks": [asdict(p) for p in probes]}
        return (503 if critical_down else 200), body


_service: Health | None = None


def service() -> Health:
    """The health checker of the process-wide container (one per FC instance)."""
    global _service
    from ucm.bootstrap import container

    c = container()
    if _service is None or _service.c is not c:
        _service = Health(c, c.settings.app.health_ttl_s)
    return _service
