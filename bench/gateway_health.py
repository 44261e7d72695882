"""The gateway under load: 16 concurrent keep-alive clients hammer ``GET /health`` on a real
runner (embedded defaults) for a fixed time; per-request latency percentiles are reported.

The client is a small asyncio HTTP/1.1 loop (one connection per client) so that it costs the
2-core machine as little as possible; it runs in its own process, apart from the runner.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._peers import percentile

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 5.0


async def _client(host: str, port: int, path: str, until: float, lat: list[float], statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode()
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            lat.append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(url: str, clients: int, seconds: float, path: str = "/health") -> dict[str, Any]:
    host, port = url.removeprefix("http://").split(":")
    lat: list[float] = []
    statuses: dict[int, int] = {}
    warm_until = time.perf_counter() + 1.0
    await asyncio.gather(*(_client(host, int(port), path, warm_until, [], {}) for _ in range(clients)))
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client(host, int(port), path, until, lat, statuses) for _ in range(clients)))
    return {"requests": len(lat), "rps": round(len(lat) / seconds), "statuses": statuses,
            "p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2),
            "p99_ms": round(percentile(lat, 99), 2), "max_ms": round(max(lat), 2)}


def run(clients: int = 16, seconds: float = 10.0, env: dict[str, str] | None = None) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.conftest import Runner

    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(Path(tmp) / "data", env=dict(env or {}))
        try:
            runner.wait_ready()
            result = asyncio.run(load(runner.url, clients, seconds))
        finally:
            runner.stop()
    result.update({"clients": clients, "seconds": seconds, "target_p95_ms": TARGET_P95_MS,
                   "met": result["p95_ms"] < TARGET_P95_MS})
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
