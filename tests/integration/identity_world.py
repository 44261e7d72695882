"""A small world for identity and isolation tests: two regions, three stores, an HQ admin,
and helpers to log in and call the system API through its real FC entry point."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ucm import context
from ucm.db import Database
from ucm.fc.app import FunctionApp
from ucm.fc.testing import Client, HttpResult
from ucm.identity import org, permissions, users
from ucm.identity.principal import Principal

PASSWORD = "Store@2026x"
ROOT_PRINCIPAL = Principal("user", "test", "测试", permissions.CODES, True, frozenset())


def uniq(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@dataclass
class World:
    db: Database
    api: Client
    region_a: str = ""
    region_b: str = ""
    store_a: str = ""
    store_a2: str = ""
    store_b: str = ""
    admin_user: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)

    def build(self) -> World:
        with context.use(context.system("test")):
            self.region_a = org.create_region(self.db, ROOT_PRINCIPAL, uniq("RA"), "华东测试")["id"]
            self.region_b = org.create_region(self.db, ROOT_PRINCIPAL, uniq("RB"), "华南测试")["id"]
            self.store_a = self._store(self.region_a, "徐汇测试店")
            self.store_a2 = self._store(self.region_a, "浦东测试店")
            self.store_b = self._store(self.region_b, "天河测试店")
            self.admin_user = uniq("hq")
            users.ensure_admin(self.db, self.admin_user, PASSWORD)
        return self

    def _store(self, region: str, name: str) -> str:
        s = org.StoreInput(uniq("S"), name, region, "测试地址", "07:00-23:00", "active", "Asia/Shanghai")
        return str(org.create_store(self.db, ROOT_PRINCIPAL, s)["id"])

    # --- calls ---------------------------------------------------------------------------------

    def login(self, username: str, password: str = PASSWORD, **extra: Any) -> HttpResult:
        return self.api.http.post("/auth/login", json_body={"username": username, "password": password, **extra})

    def token(self, username: str, password: str = PASSWORD) -> str:
        if username not in self.tokens:
            r = self.login(username, password)
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    def call(self, method: str, path: str, who: str | None = None, body: Any = None,
             query: dict[str, str] | None = None, auth: str | None = None) -> HttpResult:
        headers = {}
        if auth is not None:
            headers["Authorization"] = auth
        elif who is not None:
            headers["Authorization"] = f"Bearer {self.token(who)}"
        return self.client_for(path).http.request(method, path, json_body=body, headers=headers, query=query)

    def client_for(self, path: str) -> Client:
        """The function serving ``path``, as the gateway routes it (system-api by default)."""
        from ucm.fc.discovery import load_functions

        from local.gateway import route_prefix, route_table

        if not self.clients:
            for prefix, app in route_table(load_functions()).items():
                self.clients[prefix] = self.api if app.name == self.api.http.app.name else Client(app)
        return self.clients.get(route_prefix(path), self.api)

    def user(self, role: str, scope_type: str, scope_ids: list[str], as_: str | None = None) -> str:
        """Create a user with one binding (by the HQ admin unless ``as_``); returns the username."""
        name = uniq(role)
        r = self.call("POST", "/system/users", as_ or self.admin_user, {
            "username": name, "display_name": f"测试{role}", "password": PASSWORD,
            "bindings": [{"role_code": role, "scope_type": scope_type, "scope_ids": scope_ids}]})
        assert r.status_code == 201, r.text
        return name


def world(db: Database, app: FunctionApp) -> World:
    return World(db, Client(app)).build()
