"""Per-invocation context: trace id, actor and data scope, carried by a ContextVar.

The trace id comes from the FC request id or ``X-Request-Id``; it is written into every log
line and every event emitted during the invocation, and restored in the event's consumers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Scope:
    """Which stores a caller may see. ``all_stores`` = global (HQ); else the listed ids."""

    all_stores: bool = False
    store_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def global_(cls) -> Scope:
        return cls(all_stores=True)

    @classmethod
    def stores(cls, *ids: str) -> Scope:
        return cls(store_ids=frozenset(ids))

    def covers(self, store_id: str | None) -> bool:
        """Whether rows of ``store_id`` are visible (None: HQ-wide rows, visible to all)."""
        return self.all_stores or store_id is None or store_id in self.store_ids


@dataclass(frozen=True)
class Context:
    """Who is calling. The default scope is empty: a caller sees no store's rows until
    authentication grants a scope; system work (timers, consumers) asks for ``system()``."""

    trace_id: str
    actor: str = "anonymous"
    source_ip: str | None = None
    scope: Scope = field(default_factory=Scope)
    function: str | None = None
    permissions: frozenset[str] = field(default_factory=frozenset)


def system(function: str | None = None, trace_id: str | None = None, actor: str = "system") -> Context:
    """The context of the platform's own work (relay, consumers, triggers): global scope."""
    return Context(trace_id=trace_id or new_trace_id(), actor=actor, scope=Scope.global_(), function=function)


def new_trace_id() -> str:
    # A trace id needs to be unique, not secret: the PRNG spares a getrandom() syscall per request.
    return f"{_random.getrandbits(128):032x}"


_random = random.Random()
_current: ContextVar[Context | None] = ContextVar("ucm_context", default=None)


def current() -> Context:
    ctx = _current.get()
    if ctx is None:
        ctx = Context(trace_id=new_trace_id())
        _current.set(ctx)
    return ctx


def trace_id() -> str | None:
    ctx = _current.get()
    return ctx.trace_id if ctx else None


def set_current(ctx: Context) -> None:
    """Replace the context for the rest of this task (the request's authentication does this;
    the invocation middleware restores the outer context when the request ends)."""
    _current.set(ctx)


@contextmanager
def use(ctx: Context) -> Iterator[Context]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextmanager
def bind(**changes: object) -> Iterator[Context]:
    with use(replace(current(), **changes)) as ctx:  # type: ignore[arg-type]
        yield ctx
