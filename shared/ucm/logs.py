"""Structured JSON logs, one object per line, with the current trace id.

Secrets never reach a log line: callers log ids and codes, and ``redact`` masks well-known
secret fields in any mapping that is logged.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

from ucm import context

_SECRET_KEYS = {"password", "secret", "token", "access_token", "refresh_token", "authorization", "api_key"}


def redact(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: ("***" if k.lower() in _SECRET_KEYS else v) for k, v in data.items()}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        tid = context.trace_id()
        if tid:
            out["trace_id"] = tid
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            out.update(redact(fields))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def setup(level: str | None = None) -> None:
    """JSON logs on stderr; ``UCM_LOG_LEVEL`` overrides the level (benchmarks use WARNING)."""
    import os

    level = os.environ.get("UCM_LOG_LEVEL") or level or "INFO"
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("kafka", "botocore", "urllib3", "oss2", "opensearch", "psycopg.pool", "clickhouse_connect"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log(logger: logging.Logger, msg: str, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, msg, extra={"fields": fields})
