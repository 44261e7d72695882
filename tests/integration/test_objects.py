"""Object stores: the same behaviour from OSS (oss2 against a real moto_server) and the local folder.

moto does not check signatures, so the OSS presigned-URL test proves URL shape, routing and
the Content-Type round trip, not that Alibaba OSS would accept the signature.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from ucm.adapters.objects import (
    InvalidObjectKey,
    LocalObjectStore,
    ObjectNotFound,
    ObjectStoreError,
    ObjectStoreUnavailable,
    OssObjectStore,
    PresignError,
)
from ucm.embedded.moto import MotoServer
from ucm.fc.events import parse_oss_key
from ucm.ports import NotifyingStore, ObjectCreated, ObjectStore

BUCKET = "ucm-test"
SECRET = "test-secret"
BASE_URL = "http://127.0.0.1:8080"
CSV = "条码,名称,售价\n6901234567890,可口可乐 330ml,3.50\n".encode()


def md5_upper(data: bytes) -> str:
    return hashlib.md5(data).hexdigest().upper()


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        server.create_bucket(BUCKET)
        yield server


def oss_store(moto: MotoServer, public_endpoint: str | None = None) -> OssObjectStore:
    return OssObjectStore(moto.endpoint, BUCKET, "test-id", "test-secret", public_endpoint, connect_timeout=5)


@pytest.fixture(params=["oss", "local"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    s: OssObjectStore | LocalObjectStore
    if request.param == "oss":
        s = oss_store(request.getfixturevalue("moto"))
    else:
        s = LocalObjectStore(tmp_path, BUCKET, SECRET, BASE_URL)
    yield s
    s.close()


@pytest.fixture
def prefix() -> str:
    # The moto bucket is shared by the module: each test writes under its own prefix.
    return f"t-{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- both adapters


def test_put_get_round_trip_with_chinese_key(store: ObjectStore, prefix: str) -> None:
    key = f"{prefix}/imports/商品 清单.csv"
    data = CSV + bytes(range(256))  # arbitrary bytes survive, not only text
    info = store.put(key, data, "text/csv; charset=utf-8")
    assert (info.key, info.size, info.etag) == (key, len(data), md5_upper(data))
    assert store.get(key) == data


def test_head_reports_size_etag_and_content_type(store: ObjectStore, prefix: str) -> None:
    key = f"{prefix}/报表/日报.csv"
    store.put(key, CSV, "text/csv; charset=utf-8")
    info = store.head(key)
    assert info is not None
    assert (info.key, info.size, info.etag) == (key, len(CSV), md5_upper(CSV))
    assert info.content_type == "text/csv; charset=utf-8"
    # Without a Content-Type both adapters store the one guessed from the name.
    store.put(f"{prefix}/x.json", b"{}")
    guessed = store.head(f"{prefix}/x.json")
    assert guessed is not None and guessed.content_type == "application/json"


def test_missing_object(store: ObjectStore, prefix: str) -> None:
    assert store.head(f"{prefix}/没有.csv") is None
    with pytest.raises(ObjectNotFound) as err:
        store.get(f"{prefix}/没有.csv")
    assert isinstance(err.value, KeyError)
    assert "没有.csv" in str(err.value)


def test_delete_removes_and_is_idempotent(store: ObjectStore, prefix: str) -> None:
    key = f"{prefix}/a/b/删除.txt"
    store.put(key, b"bye")
    store.delete(key)
    assert store.head(key) is None
    with pytest.raises(ObjectNotFound):
        store.get(key)
    store.delete(key)  # deleting a missing key is not an error, as on OSS


def test_overwrite_replaces_content_and_etag(store: ObjectStore, prefix: str) -> None:
    key = f"{prefix}/价格.csv"
    store.put(key, b"v1", "text/csv")
    store.put(key, b"version two", "text/plain")
    assert store.get(key) == b"version two"
    info = store.head(key)
    assert info is not None
    assert (info.size, info.etag, info.content_type) == (11, md5_upper(b"version two"), "text/plain")


def test_ping_up(store: ObjectStore) -> None:
    store.ping()  # raises if down
    assert store.adapter_name in ("oss", "local-folder")


# --------------------------------------------------------------------------- OSS / moto


def test_oss_presigned_put_then_get_over_http(moto: MotoServer, prefix: str) -> None:
    store = oss_store(moto)
    key = f"{prefix}/uploads/门店 导入.csv"
    put_url = store.presign_put(key, 300, content_type="text/csv")
    q = parse_qs(urlsplit(put_url).query)
    assert set(q) >= {"OSSAccessKeyId", "Expires", "Signature"}
    assert abs(int(q["Expires"][0]) - (time.time() + 300)) < 5
    resp = httpx.put(put_url, content=CSV, headers={"Content-Type": "text/csv"})
    assert resp.status_code == 200, resp.text
    info = store.head(key)
    assert info is not None and (info.size, info.content_type) == (len(CSV), "text/csv")

    got = httpx.get(store.presign_get(key, 300))
    assert got.status_code == 200 and got.content == CSV


def test_oss_presign_uses_public_endpoint(moto: MotoServer, prefix: str) -> None:
    # "localhost" stands in for the public name: a different host that reaches the same server.
    public = moto.endpoint.replace("127.0.0.1", "localhost")
    store = oss_store(moto, public_endpoint=public)
    key = f"{prefix}/公开.txt"
    store.put(key, b"hello")
    url = store.presign_get(key, 60)
    assert urlsplit(url).hostname == "localhost"
    got = httpx.get(url)
    assert got.status_code == 200 and got.content == b"hello"


def test_oss_errors_are_mapped(moto: MotoServer) -> None:
    missing = OssObjectStore(moto.endpoint, "no-such-bucket", "id", "secret", connect_timeout=5)
    with pytest.raises(ObjectStoreError, match="bucket does not exist"):
        missing.put("a.txt", b"x")
    with pytest.raises(ObjectStoreError, match="bucket does not exist"):
        missing.ping()


def test_oss_ping_down_fails_fast() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = OssObjectStore(f"http://127.0.0.1:{port}", BUCKET, "id", "secret", connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(ObjectStoreUnavailable, match="cannot reach"):
        store.ping()
    assert time.monotonic() - started < 3


def test_moto_server_stops_cleanly() -> None:
    server = MotoServer().start()
    pid, port = server.pid, server.port
    assert pid is not None and server.running
    httpx.get(server.endpoint).raise_for_status()
    server.stop()
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not left as an orphan or zombie
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_moto_server_start_timeout_is_a_clear_error() -> None:
    server = MotoServer(start_timeout_s=0)
    with pytest.raises(TimeoutError, match=r"moto_server did not answer on 127\.0\.0\.1:\d+ within 0 s"):
        server.start()
    assert not server.running and server.pid is None  # the half-started process was stopped


# --------------------------------------------------------------------------- local folder


@pytest.fixture
def local(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path, BUCKET, SECRET, BASE_URL)


def test_local_store_is_plain_files(local: LocalObjectStore, tmp_path: Path) -> None:
    local.put("imports/商品.csv", CSV)
    assert (tmp_path / BUCKET / "imports" / "商品.csv").read_bytes() == CSV
    assert list((tmp_path / ".tmp").iterdir()) == []  # no temp files left behind
    # A file dropped in by hand is an object too; its etag is derived from the content.
    (tmp_path / BUCKET / "手工.txt").write_bytes(b"by hand")
    info = local.head("手工.txt")
    assert info is not None and (info.size, info.etag) == (7, md5_upper(b"by hand"))


def test_local_listeners_get_object_created(
    local: LocalObjectStore, caplog: pytest.LogCaptureFixture
) -> None:
    notifying: NotifyingStore = local  # mypy checks LocalObjectStore satisfies the port
    seen: list[ObjectCreated] = []

    def broken(event: ObjectCreated) -> None:
        raise RuntimeError("handler bug")

    notifying.subscribe(broken)
    notifying.subscribe(seen.append)
    with caplog.at_level(logging.ERROR):
        info = local.put("imports/商品.csv", CSV)
    assert seen == [ObjectCreated(bucket=BUCKET, key="imports/商品.csv", size=len(CSV), etag=md5_upper(CSV))]
    assert info.etag == md5_upper(CSV)
    assert local.get("imports/商品.csv") == CSV  # the failing listener did not undo the put
    assert any("listener failed" in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    "key",
    ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "a\\..\\b", "a\x00b", "", "a//b", "./a", "a/"],
)
def test_local_refuses_unsafe_keys(local: LocalObjectStore, tmp_path: Path, key: str) -> None:
    with pytest.raises(InvalidObjectKey):
        local.put(key, b"x")
    with pytest.raises(InvalidObjectKey):
        local.get(key)
    with pytest.raises(InvalidObjectKey):
        local.presign_put(key)
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path.parent / "escape.txt").exists()


def _query(url: str) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(url)
    prefix = f"/_objects/{BUCKET}/"
    assert parts.path.startswith(prefix)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return parts.scheme + "://" + parts.netloc, unquote(parts.path[len(prefix):]), q


def test_local_presigned_put_and_get_verify(local: LocalObjectStore) -> None:
    key = "uploads/门店 导入.csv"
    base, decoded, q = _query(local.presign_put(key, 300, content_type="text/csv"))
    assert base == BASE_URL and decoded == key and q["method"] == "PUT"
    assert abs(int(q["expires"]) - (time.time() + 300)) < 5
    local.verify_presigned("PUT", decoded, q["expires"], q["signature"], "text/csv")

    _, decoded, g = _query(local.presign_get(key, 300))
    assert g["method"] == "GET"
    local.verify_presigned("GET", decoded, g["expires"], g["signature"], None)


def test_local_presigned_rejects_tampering(local: LocalObjectStore) -> None:
    _, key, q = _query(local.presign_put("uploads/a.csv", 300, content_type="text/csv"))
    exp, sig = q["expires"], q["signature"]
    cases = [
        ("PUT", "uploads/b.csv", exp, sig, "text/csv"),  # another key
        ("GET", key, exp, sig, "text/csv"),  # another method
        ("PUT", key, str(int(exp) + 3600), sig, "text/csv"),  # a stretched expiry
        ("PUT", key, exp, sig, "text/html"),  # another Content-Type
        ("PUT", key, exp, sig, None),  # Content-Type dropped
        ("PUT", key, exp, "0" * 64, "text/csv"),
        ("PUT", key, exp, "签名", "text/csv"),  # non-ASCII input must not crash compare_digest
    ]
    for method, k, e, s, ct in cases:
        with pytest.raises(PresignError) as err:
            local.verify_presigned(method, k, e, s, ct)
        assert err.value.reason == "bad_signature", (method, k, e, ct)
    with pytest.raises(PresignError) as err:
        local.verify_presigned("PUT", key, "soon", sig, "text/csv")
    assert err.value.reason == "bad_request"


def test_local_presigned_expires(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    store = LocalObjectStore(tmp_path, BUCKET, SECRET, BASE_URL, clock=lambda: now[0])
    _, key, q = _query(store.presign_get("a.csv", 60))
    assert q["expires"] == "1800000060"
    store.verify_presigned("GET", key, q["expires"], q["signature"])
    now[0] += 61
    with pytest.raises(PresignError) as err:
        store.verify_presigned("GET", key, q["expires"], q["signature"])
    assert err.value.reason == "expired"
    # A URL signed with another secret is refused.
    other = LocalObjectStore(tmp_path, BUCKET, "another-secret", BASE_URL, clock=lambda: now[0])
    _, key, q = _query(other.presign_get("a.csv", 60))
    with pytest.raises(PresignError):
        store.verify_presigned("GET", key, q["expires"], q["signature"])


def test_local_key_and_prefix_clash_is_a_clear_error(local: LocalObjectStore) -> None:
    local.put("a", b"file")
    with pytest.raises(ObjectStoreError, match="clashes"):
        local.put("a/b", b"nested")
    local.delete("a")
    local.put("a/b", b"nested")  # fine once the clash is gone
    local.delete("a/b")
    local.put("a", b"file again")  # the emptied prefix folder was pruned
    assert local.get("a") == b"file again"


def test_local_ping_down_when_folder_missing(local: LocalObjectStore, tmp_path: Path) -> None:
    local.ping()
    (tmp_path / BUCKET).rmdir()
    with pytest.raises(ObjectStoreUnavailable):
        local.ping()


# --------------------------------------------------------------------------- OSS event keys


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("imports/%E5%95%86%E5%93%81.csv", "imports/商品.csv"),
        ("imports/商品.csv", "imports/商品.csv"),
        ("imports/a%20b.csv", "imports/a b.csv"),
        ("imports/50%off.csv", "imports/50%off.csv"),  # '%' without two hex digits is literal
        ("imports/100%", "imports/100%"),
        ("imports/a+b.csv", "imports/a+b.csv"),  # '+' is not a space
        ("imports/%FF.csv", "imports/%FF.csv"),  # not UTF-8 once decoded: it was literal text
        ("imports/%E5%95%86品.csv", "imports/商品.csv"),  # mixed
    ],
)
def test_parse_oss_key(raw: str, expected: str) -> None:
    assert parse_oss_key(raw) == expected

