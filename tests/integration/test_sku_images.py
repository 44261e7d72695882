"""SKU images through the catalog-api's FC entry point, on the local object store (uploads
through the local gateway's presigned-URL route) and on OSS (oss2 against a real moto_server,
uploads with an HTTP PUT to the presigned URL). Real JPEG / PNG bytes made with Pillow.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from ucm import bootstrap, context
from ucm.adapters.cache import MemoryCache
from ucm.adapters.objects import LocalObjectStore, OssObjectStore
from ucm.db import Database
from ucm.embedded.moto import MotoServer
from ucm.fc.discovery import load_functions
from ucm.fc.testing import Client, HttpResult
from ucm.ports import ObjectStore

from local.gateway import Gateway
from tests.conftest import container_for, system_conn
from tests.integration.identity_world import World, world

BUCKET = "ucm-images-test"


def png(w: int = 640, h: int = 480, color: tuple[int, int, int] = (220, 30, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), color).save(out, "PNG")
    return out.getvalue()


def jpeg(w: int = 1200, h: int = 800) -> bytes:
    img = Image.new("RGB", (w, h), (250, 250, 250))
    img.paste((200, 0, 0), (100, 100, 700, 500))  # some content, not a flat colour
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


@dataclass
class Env:
    w: World
    api: Client
    store: ObjectStore
    kind: str
    hq_sku: str
    a_sku: str
    b_sku: str
    manager_a: str
    viewer: str

    def call(self, method: str, path: str, who: str, body: Any = None) -> HttpResult:
        headers = {"Authorization": f"Bearer {self.w.token(who)}"}
        return self.api.http.request(method, path, json_body=body, headers=headers)

    def _send(self, method: str, url: str, data: bytes | None = None,
              headers: dict[str, str] | None = None) -> httpx.Response:
        """To moto over HTTP; to the local store through the local gateway's presigned-URL route."""
        if self.kind == "oss":
            return httpx.request(method, url, content=data, headers=headers)
        parts = urlsplit(url)

        async def via_gateway() -> httpx.Response:
            transport = httpx.ASGITransport(app=Gateway({}, None, objects=self.store))
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
                return await c.request(method, f"{parts.path}?{parts.query}", content=data, headers=headers)

        loop = asyncio.new_event_loop()  # not asyncio.run: it would unset the loop mangum uses
        try:
            return loop.run_until_complete(via_gateway())
        finally:
            loop.close()

    def upload(self, url: str, data: bytes, content_type: str) -> int:
        """What the browser does with the presigned URL."""
        return self._send("PUT", url, data, {"Content-Type": content_type}).status_code

    def fetch(self, url: str) -> bytes:
        r = self._send("GET", url)
        assert r.status_code == 200, r.text
        return r.content

    def add(self, sku: str, who: str, data: bytes, ctype: str, name: str = "商品图.png") -> HttpResult:
        r = self.call("POST", f"/catalog/sku/{sku}/images/uploads", who,
                      {"filename": name, "content_type": ctype, "size": len(data)})
        assert r.status_code == 201, r.text
        assert self.upload(r.json()["url"], data, ctype) == 200
        return self.call("POST", f"/catalog/sku/{sku}/images", who, {"key": r.json()["key"]})


@pytest.fixture(scope="module", params=["local", "oss"])
def env(request: pytest.FixtureRequest, db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("images")
    moto: MotoServer | None = None
    store: ObjectStore
    if request.param == "oss":
        moto = MotoServer().start()
        moto.create_bucket(BUCKET)
        store = OssObjectStore(moto.endpoint, BUCKET, "test-id", "test-secret", connect_timeout=5)
    else:
        store = LocalObjectStore(tmp / "objects", BUCKET, "test-secret", "http://127.0.0.1:9")
    container_for(db, tmp, objects=store, cache=MemoryCache())
    try:
        w = world(db, load_functions()["system-api"])
        skus = _skus(db, w)
        env = Env(w, Client(load_functions()["catalog-api"]), store, request.param, *skus,
                  manager_a=w.user("store_manager", "stores", [w.store_a]),
                  viewer=w.user("bi_viewer", "global", []))
        yield env
    finally:
        bootstrap.reset(None)
        store.close()
        if moto is not None:
            moto.stop()


def _skus(db: Database, w: World) -> tuple[str, str, str]:
    tag = uuid.uuid4().hex[:8]
    with db.transaction(context.system("test")) as uow:
        cat = uow.one("""insert into category (id, code, name, path, depth)
                         select x.id, %s, %s, '/' || x.id || '/', 1 from (select gen_random_uuid()::text as id) x
                         returning id""", (f"IMG{tag}", f"图片测试{tag}"))
        assert cat is not None
        out = []
        for i, (store, name) in enumerate([(None, "可口可乐 330ml"), (w.store_a, "现烤全麦面包"),
                                           (w.store_b, "鲜榨橙汁 350ml")]):
            row = uow.one("""insert into sku (code, store_id, name, category_id, tax_rate, status)
                             values (%s, %s, %s, %s, 0.13, 'active') returning id""",
                          (f"IMG{tag}{i}", store, name, cat["id"]))
            assert row is not None
            out.append(str(row["id"]))
    return out[0], out[1], out[2]


def images_of(env: Env, sku: str) -> list[dict[str, Any]]:
    r = env.call("GET", f"/catalog/sku/{sku}/images", env.w.admin_user)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def clear(env: Env, sku: str) -> None:
    for img in images_of(env, sku):
        assert env.call("DELETE", f"/catalog/sku/{sku}/images/{img['id']}", env.w.admin_user).status_code == 204


# --- upload and attach ------------------------------------------------------------------------------


def test_png_then_jpeg_ordered_first_is_main_with_thumbnails(env: Env) -> None:
    clear(env, env.a_sku)
    r = env.call("POST", f"/catalog/sku/{env.a_sku}/images/uploads", env.manager_a,
                 {"filename": "面包正面.png", "content_type": "image/png", "size": 1000})
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["method"] == "PUT" and ticket["content_type"] == "image/png"
    assert ticket["key"].startswith(f"catalog/images/{env.a_sku}/") and ticket["key"].endswith(".png")
    data = png()
    assert env.upload(ticket["url"], data, "image/png") == 200
    first = env.call("POST", f"/catalog/sku/{env.a_sku}/images", env.manager_a, {"key": ticket["key"]})
    assert first.status_code == 201, first.text
    img = first.json()
    assert (img["content_type"], img["size"], img["width"], img["height"]) == ("image/png", len(data), 640, 480)
    assert (img["position"], img["is_main"]) == (1, True)
    assert env.fetch(img["url"]) == data
    with Image.open(io.BytesIO(env.fetch(img["thumb_url"]))) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (240, 180)  # fits 240 px, keeps the aspect

    again = env.call("POST", f"/catalog/sku/{env.a_sku}/images", env.manager_a, {"key": ticket["key"]})
    assert again.status_code == 201 and again.json()["id"] == img["id"]  # a retried attach adds nothing

    second = env.add(env.a_sku, env.manager_a, jpeg(), "image/jpeg", "面包侧面.jpg")
    assert second.status_code == 201, second.text
    assert (second.json()["content_type"], second.json()["position"], second.json()["is_main"]) == (
        "image/jpeg", 2, False)
    listed = images_of(env, env.a_sku)
    assert [(i["id"], i["position"], i["is_main"]) for i in listed] == [
        (img["id"], 1, True), (second.json()["id"], 2, False)]

    with system_conn(env.w.db) as conn:
        keys = conn.execute("select object_key, thumb_key from sku_image where id = %s", (img["id"],)).fetchone()
        audit = conn.execute("select count(*) as n from audit_log where action = 'catalog.sku.image.add' "
                             "and target_id = %s", (env.a_sku,)).fetchone()
        events = conn.execute("select payload from outbox where topic = 'sku.updated' and aggregate_id = %s",
                              (env.a_sku,)).fetchall()
    assert keys is not None and keys["thumb_key"].startswith(f"catalog/thumbs/{env.a_sku}/")
    assert env.store.head(keys["thumb_key"]) is not None
    assert audit is not None and audit["n"] >= 2
    assert any(e["payload"]["changed_fields"] == ["images"] and e["payload"]["sku_id"] == env.a_sku for e in events)


def test_presign_checks_type_and_size(env: Env) -> None:
    def ask(ctype: str, size: int) -> HttpResult:
        return env.call("POST", f"/catalog/sku/{env.a_sku}/images/uploads", env.manager_a,
                        {"filename": "x", "content_type": ctype, "size": size})

    gif = ask("image/gif", 1000)
    assert (gif.status_code, gif.json()["code"]) == (400, "catalog.image.type")
    assert "JPG" in gif.json()["title"]
    big = ask("image/jpeg", 5 * 1024 * 1024 + 1)
    assert (big.status_code, big.json()["code"]) == (400, "catalog.image.too_large")
    assert ask("image/webp", 5 * 1024 * 1024).status_code == 201


def test_text_file_named_png_is_refused(env: Env) -> None:
    before = [i["id"] for i in images_of(env, env.a_sku)]
    r = env.add(env.a_sku, env.manager_a, "条码,名称\n6901234567892,可乐\n".encode(), "image/png", "伪装.png")
    assert (r.status_code, r.json()["code"]) == (400, "catalog.image.invalid")
    truncated = env.add(env.a_sku, env.manager_a, png()[:200], "image/png")  # an upload cut short
    assert (truncated.status_code, truncated.json()["code"]) == (400, "catalog.image.invalid")
    jpeg_as_png = env.add(env.a_sku, env.manager_a, jpeg(), "image/png")
    assert (jpeg_as_png.status_code, jpeg_as_png.json()["code"]) == (400, "catalog.image.type")
    assert [i["id"] for i in images_of(env, env.a_sku)] == before


def test_object_over_5mb_is_refused_and_removed(env: Env) -> None:
    """The browser declared a small file but PUT a big one."""
    r = env.call("POST", f"/catalog/sku/{env.a_sku}/images/uploads", env.manager_a,
                 {"filename": "大图.png", "content_type": "image/png", "size": 1000})
    key = r.json()["key"]
    data = png() + b"\0" * (5 * 1024 * 1024)  # trailing bytes after a valid PNG: still > 5 MB
    assert env.upload(r.json()["url"], data, "image/png") == 200
    attach = env.call("POST", f"/catalog/sku/{env.a_sku}/images", env.manager_a, {"key": key})
    assert (attach.status_code, attach.json()["code"]) == (400, "catalog.image.too_large")
    assert env.store.head(key) is None


def test_key_must_be_this_skus_upload(env: Env) -> None:
    r = env.call("POST", f"/catalog/sku/{env.a_sku}/images/uploads", env.manager_a,
                 {"filename": "a.png", "content_type": "image/png", "size": 10})
    other = env.call("POST", f"/catalog/sku/{env.hq_sku}/images", env.w.admin_user, {"key": r.json()["key"]})
    assert (other.status_code, other.json()["code"]) == (400, "catalog.image.invalid")
    missing = env.call("POST", f"/catalog/sku/{env.a_sku}/images", env.manager_a, {"key": r.json()["key"]})
    assert (missing.status_code, missing.json()["code"]) == (400, "catalog.image.invalid")  # not uploaded


# --- order, main, delete ------------------------------------------------------------------------------


def test_order_main_and_delete(env: Env) -> None:
    sku, who = env.hq_sku, env.w.admin_user
    clear(env, sku)
    ids = []
    for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255)):
        r = env.add(sku, who, png(300, 300, color), "image/png")
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    a, b, c = ids

    partial = env.call("PUT", f"/catalog/sku/{sku}/images/order", who, {"ids": [c, a]})
    assert (partial.status_code, partial.json()["code"]) == (400, "catalog.image.order")
    twice = env.call("PUT", f"/catalog/sku/{sku}/images/order", who, {"ids": [c, a, a]})
    assert twice.status_code == 400
    ordered = env.call("PUT", f"/catalog/sku/{sku}/images/order", who, {"ids": [c, a, b]})
    assert ordered.status_code == 200, ordered.text
    assert [(i["id"], i["position"], i["is_main"]) for i in ordered.json()["items"]] == [
        (c, 1, False), (a, 2, True), (b, 3, False)]  # the main image stays main when moved

    def main_of_sku() -> str:
        r = env.call("GET", f"/catalog/sku/{sku}", who)
        assert r.status_code == 200, r.text
        return str(r.json()["main_image"]["id"])

    assert main_of_sku() == a  # and the SKU is now in the cache
    main = env.call("POST", f"/catalog/sku/{sku}/images/{b}/main", who)
    assert main.status_code == 200
    assert [i["id"] for i in main.json()["items"] if i["is_main"]] == [b]
    assert main_of_sku() == b  # the cached SKU was forgotten
    unknown = env.call("POST", f"/catalog/sku/{sku}/images/no-such-image/main", who)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "catalog.image.not_found")

    with system_conn(env.w.db) as conn:
        row = conn.execute("select object_key, thumb_key from sku_image where id = %s", (b,)).fetchone()
    assert row is not None
    assert env.call("DELETE", f"/catalog/sku/{sku}/images/{b}", who).status_code == 204
    left = images_of(env, sku)
    # The next image (by position) became main; positions closed up.
    assert [(i["id"], i["position"], i["is_main"]) for i in left] == [(c, 1, True), (a, 2, False)]
    assert env.store.head(row["object_key"]) is None and env.store.head(row["thumb_key"]) is None

    assert env.call("DELETE", f"/catalog/sku/{sku}/images/{a}", who).status_code == 204
    assert [(i["id"], i["is_main"]) for i in images_of(env, sku)] == [(c, True)]  # main unchanged
    gone = env.call("DELETE", f"/catalog/sku/{sku}/images/{a}", who)
    assert (gone.status_code, gone.json()["code"]) == (404, "catalog.image.not_found")
    assert env.call("DELETE", f"/catalog/sku/{sku}/images/{c}", who).status_code == 204
    assert images_of(env, sku) == []
    first_again = env.add(sku, who, png(), "image/png")
    assert first_again.json()["is_main"] is True  # the first image of an empty list is main


# --- scope -------------------------------------------------------------------------------------------


def test_store_manager_cannot_change_hq_sku_images(env: Env) -> None:
    upload = env.call("POST", f"/catalog/sku/{env.hq_sku}/images/uploads", env.manager_a,
                      {"filename": "a.png", "content_type": "image/png", "size": 10})
    assert (upload.status_code, upload.json()["code"]) == (403, "catalog.sku.hq_only")
    assert env.call("GET", f"/catalog/sku/{env.hq_sku}/images", env.manager_a).status_code == 200  # may see
    existing = images_of(env, env.hq_sku)
    if existing:
        img = existing[0]["id"]
        r = env.call("DELETE", f"/catalog/sku/{env.hq_sku}/images/{img}", env.manager_a)
        assert (r.status_code, r.json()["code"]) == (403, "catalog.sku.hq_only")
        r = env.call("POST", f"/catalog/sku/{env.hq_sku}/images/{img}/main", env.manager_a)
        assert r.status_code == 403
        r = env.call("PUT", f"/catalog/sku/{env.hq_sku}/images/order", env.manager_a,
                     {"ids": [i["id"] for i in existing]})
        assert r.status_code == 403
    admin = env.add(env.hq_sku, env.w.admin_user, png(), "image/png")
    assert admin.status_code == 201  # HQ may


def test_other_stores_sku_is_not_found(env: Env) -> None:
    assert env.add(env.b_sku, env.w.admin_user, png(), "image/png").status_code == 201
    for method, path, body in [
        ("GET", f"/catalog/sku/{env.b_sku}/images", None),
        ("POST", f"/catalog/sku/{env.b_sku}/images/uploads", {"filename": "a.png", "content_type": "image/png",
                                                               "size": 10}),
        ("POST", f"/catalog/sku/{env.b_sku}/images", {"key": f"catalog/images/{env.b_sku}/{'0' * 32}.png"}),
    ]:
        r = env.call(method, path, env.manager_a, body)
        assert (r.status_code, r.json()["code"]) == (404, "catalog.sku.not_found"), (path, r.text)
        assert env.b_sku not in r.text.replace(path, "")


def test_read_only_role_cannot_write(env: Env) -> None:
    assert env.call("GET", f"/catalog/sku/{env.hq_sku}/images", env.viewer).status_code == 200
    r = env.call("POST", f"/catalog/sku/{env.hq_sku}/images/uploads", env.viewer,
                 {"filename": "a.png", "content_type": "image/png", "size": 10})
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
