"""Authentication and permissions for HTTP routes, as FastAPI dependencies:

    @app.route("/system/users", methods=["GET"])
    async def users(who: Principal = require("system.user.read")) -> ...

The dependency authenticates the bearer token or API key, checks the permission, and puts the
caller's actor and store scope into the request's context, so that every transaction of the
request runs under that scope (RLS) and is audited under that actor.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from ucm import context
from ucm.identity.principal import Principal, authenticate, forbidden


async def current_principal(request: Request) -> Principal:
    from ucm.bootstrap import container

    c = container()
    who = authenticate(c.db, c.cache, c.settings.app.secret, request.headers.get("authorization"))
    outer = context.current()
    context.set_current(who.context(outer.trace_id, outer.source_ip, outer.function))
    return who


def require(permission: str | None = None) -> Any:
    """``Depends`` on an authenticated caller holding ``permission`` (None: any caller)."""

    async def check(who: Principal = Depends(current_principal)) -> Principal:
        if permission is not None and not who.can(permission):
            raise forbidden(permission)
        return who

    return Depends(check)
