"""What the inventory tests share: a world with every function installed, categories and SKUs
made through the catalog API, moves and the store's policy through the inventory API, and a
store × SKU's balance as the API answers it."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from ucm import bootstrap
from ucm.catalog.barcodes import gtin_check_digit
from ucm.db import Database
from ucm.fc.discovery import load_functions

from tests.conftest import container_for
from tests.integration.identity_world import World, uniq, world


def inventory_world(db: Database, tmp_path_factory: pytest.TempPathFactory, name: str,
                    **ready: object) -> Iterator[World]:
    """For a module fixture: the container on ``db`` (plus ``ready`` ports), the identity world."""
    container_for(db, tmp_path_factory.mktemp(name), **ready)
    yield world(db, load_functions()["system-api"])
    bootstrap.reset(None)


def category(w: World, name: str, parent_id: str | None = None) -> str:
    body: dict[str, Any] = {"code": uniq("C"), "name": uniq(name)}
    if parent_id is not None:
        body["parent_id"] = parent_id
    r = w.call("POST", "/catalog/categories", w.admin_user, body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def make_sku(w: World, cat: str, **over: Any) -> str:
    """An active HQ-wide SKU at 5.00 unless ``over`` says otherwise."""
    body = {"code": uniq("INV"), "name": "测试商品", "category_id": cat, "tax_rate": "13%", "status": "active",
            "standard_price": "5.00", **over}
    r = w.call("POST", "/catalog/sku", w.admin_user, body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def ean() -> str:
    """A random EAN-13 with a right check digit."""
    body = "69" + "".join(random.choice("0123456789") for _ in range(10))
    return body + gtin_check_digit(body)


def move(w: World, who: str, store: str, reason: str, lines: list[tuple[str, Any]], key: str | None = None,
         **extra: Any) -> Any:
    body = {"store_id": store, "reason": reason, "lines": [{"sku_id": s, "quantity": q} for s, q in lines],
            "idempotency_key": key or uuid.uuid4().hex, **extra}
    return w.call("POST", "/inventory/move", who, body)


def ok(w: World, who: str, store: str, reason: str, lines: list[tuple[str, Any]], **extra: Any) -> dict[str, Any]:
    r = move(w, who, store, reason, lines, **extra)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def balance(w: World, store: str, sku: str) -> dict[str, Any]:
    """On hand, reserved, in transit and ATS of a store × SKU (``GET /inventory/ats``, as HQ)."""
    r = w.call("GET", "/inventory/ats", w.admin_user, query={"store_id": store, "sku_id": sku})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def set_policy(w: World, store: str, policy: str) -> None:
    r = w.call("PUT", "/inventory/policy", w.admin_user, {"store_id": store, "negative_stock": policy})
    assert r.status_code == 200, r.text
