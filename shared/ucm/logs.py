"""Structured JSON logs, one object per line, with the current trace id.

Secrets never reach a log line: callers log ids and codes, and ``redact`` masks well-known
secret fields in any mapping that is logged.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import os
import queue
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
        # Captured where the line was logged (see _TracingQueueHandler), else read now.
        tid = getattr(record, "trace_id", None) or context.trace_id()
        if tid:
            out["trace_id"] = tid
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            out.update(redact(fields))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _TracingQueueHandler(logging.handlers.QueueHandler):
    """Hands records to a writer thread; the trace id is a ContextVar, so take it here."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.trace_id = context.trace_id()
        if record.exc_info:  # format the traceback now, while its frames are alive
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        return record


def setup(level: str | None = None, *, background: bool = False) -> None:
    """JSON logs on stderr; ``UCM_LOG_LEVEL`` overrides the level.

    ``background``: format and write on a thread of their own, off the event loop (the local
    gateway). Functions on FC log synchronously: an instance is frozen as soon as an
    invocation returns, and a line still queued then would show up late or not at all.
    """
    level = os.environ.get("UCM_LOG_LEVEL") or level or "INFO"
    root = logging.getLogger()
    if getattr(root, "_ucm_json", False):
        return
    # Our lines carry no file/line, thread or process fields: skip collecting them (the
    # stack walk for the caller alone costs tens of microseconds on every request).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(JsonFormatter())
    handler: logging.Handler = writer
    if background:
        q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        listener = logging.handlers.QueueListener(q, writer)
        listener.start()
        atexit.register(listener.stop)  # drains what is queued before the process exits
        handler = _TracingQueueHandler(q)
    root.handlers[:] = [handler]
    root.setLevel(level)
    root._ucm_json = True  # type: ignore[attr-defined]
    for noisy in ("kafka", "botocore", "urllib3", "oss2", "opensearch", "psycopg.pool", "clickhouse_connect"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log(logger: logging.Logger, msg: str, level: int = logging.INFO, **fields: Any) -> None:
    """One structured line: ``log(_log, "kafka poll failed", logging.WARNING, group=g)``."""
    logger.log(level, msg, extra={"fields": fields})
