"""``Idempotency-Key`` for creating writes: the first result is stored in the same transaction
as the work, and a repeat of the same key with the same body gets that result back.

    with db.transaction() as uow:
        done = idempotency.recall(uow, key, "catalog.sku.create", body)
        if done is not None:
            return done
        ...  # the work
        idempotency.remember(uow, key, result)

Two concurrent attempts with one key: the second blocks on the primary key until the first
commits (then its insert conflicts and it reads the stored result) or rolls back (then it
does the work itself).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from typing_extensions import LiteralString

from ucm import context
from ucm.db import UnitOfWork
from ucm.errors import Problem

MAX_KEY = 200

_CLAIM: LiteralString = """
insert into idempotency_key (actor, key, operation, request, response) values (%s, %s, %s, %s, 'null')
on conflict do nothing returning 1
"""
_GET: LiteralString = "select operation, request, response from idempotency_key where actor = %s and key = %s"
_STORE: LiteralString = "update idempotency_key set response = %s where actor = %s and key = %s"


def _digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def recall(uow: UnitOfWork, key: str | None, operation: str, body: Any) -> Any | None:
    """The stored result of an earlier call with ``key``, or None after claiming the key for
    this transaction (the caller then does the work and calls ``remember``)."""
    if not key:
        return None
    if len(key) > MAX_KEY:
        raise Problem(400, "common.idempotency_key", f"Idempotency-Key 不能超过 {MAX_KEY} 个字符")
    actor = context.current().actor
    digest = _digest(body)
    if uow.one(_CLAIM, (actor, key, operation, digest)) is not None:
        return None
    row = uow.one(_GET, (actor, key))
    assert row is not None  # the conflicting row committed before our insert returned
    if row["operation"] != operation or row["request"] != digest:
        raise Problem(422, "common.idempotency_reused", "这个 Idempotency-Key 已用于另一个请求，请换一个")
    return row["response"]


def remember(uow: UnitOfWork, key: str | None, result: Any) -> None:
    if key:
        uow.execute(_STORE, (json.dumps(result, ensure_ascii=False, default=str), context.current().actor, key))
