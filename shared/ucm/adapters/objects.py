"""Object storage adapters: OSS through oss2 (cloud) and a local folder (the embedded default).

Both return OSS-style ETags (upper-case MD5 hex for a simple put) so code and tests compare
them the same way, and both store a guessed Content-Type when none is given, as oss2 does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import mimetypes
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from ucm.ports import ObjectCreated, ObjectInfo, ObjectListener

log = logging.getLogger(__name__)


def _oss2() -> Any:
    # Imported on first use: oss2 drags in requests, the Aliyun SDK and Crypto (~0.3 s), which
    # a function using the local store, or no store at all, should not pay at cold start.
    import oss2

    return oss2

_DEFAULT_TYPE = "application/octet-stream"
_PING_KEY = ".ucm-ping"  # never written: a 404 on it still proves the bucket answers


class ObjectStoreError(Exception):
    """The object store failed or refused a request."""


class ObjectNotFound(ObjectStoreError, KeyError):
    """No object under this key (a KeyError, so ``except KeyError`` callers work too)."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(f"no object {key!r} in bucket {bucket!r}")
        self.bucket = bucket
        self.key = key

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ObjectStoreUnavailable(ObjectStoreError):
    """The store could not be reached (connection refused, timeout, folder missing)."""


class InvalidObjectKey(ObjectStoreError, ValueError):
    """A key the store refuses: empty, absolute, with ``..``, a backslash or NUL, or too long."""


class PresignError(ObjectStoreError):
    """A local presigned URL is expired or its signature does not match."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # "expired" | "bad_signature" | "bad_request"


def guess_content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or _DEFAULT_TYPE


def _etag(raw: str) -> str:
    # OSS reports upper-case hex; S3 servers (moto, MinIO) lower-case, quoted.
    return raw.strip('"').upper()


# --------------------------------------------------------------------------- OSS (oss2)


class OssObjectStore:
    adapter_name = "oss"

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key_id: str,
        access_key_secret: str,
        public_endpoint: str | None = None,
        *,
        security_token: str | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        # Functions run with the STS credentials of their role (context.credentials).
        auth: Any = (
            _oss2().StsAuth(access_key_id, access_key_secret, security_token)
            if security_token
            else _oss2().Auth(access_key_id, access_key_secret)
        )
        self._session: Any = _oss2().Session()
        # oss2 uses this as the requests timeout (connect and each read), so keep it modest.
        self._bucket: Any = _oss2().Bucket(auth, endpoint, bucket, session=self._session,
                                        connect_timeout=connect_timeout)
        # Browsers reach OSS by its public name; functions use the VPC endpoint. The V1
        # signature covers /bucket/key, not the host, so signing against another name is sound.
        self._signer: Any = (
            _oss2().Bucket(auth, public_endpoint, bucket, session=self._session, connect_timeout=connect_timeout)
            if public_endpoint
            else self._bucket
        )

    @contextmanager
    def _errors(self, op: str, key: str | None) -> Iterator[None]:
        what = f"OSS {op} {self.bucket}/{key}" if key is not None else f"OSS {op} {self.bucket}"
        try:
            yield
        except _oss2().exceptions.NoSuchBucket as exc:
            raise ObjectStoreError(f"{what}: bucket does not exist") from exc
        except _oss2().exceptions.NotFound as exc:
            raise ObjectNotFound(self.bucket, key or "") from exc
        except _oss2().exceptions.RequestError as exc:
            raise ObjectStoreUnavailable(f"{what}: cannot reach {self.endpoint}: {exc}") from exc
        except _oss2().exceptions.OssError as exc:
            detail = f"HTTP {exc.status} {exc.code or ''} {exc.message or ''}".strip()
            raise ObjectStoreError(f"{what}: {detail}") from exc

    def put(self, key: str, data: bytes, content_type: str | None = None) -> ObjectInfo:
        ctype = content_type or guess_content_type(key)
        with self._errors("put", key):
            result = self._bucket.put_object(key, data, headers={"Content-Type": ctype})
        return ObjectInfo(key=key, size=len(data), etag=_etag(str(result.etag)), content_type=ctype)

    def get(self, key: str) -> bytes:
        with self._errors("get", key):
            return bytes(self._bucket.get_object(key).read())

    def head(self, key: str) -> ObjectInfo | None:
        with self._errors("head", key):
            try:
                meta = self._bucket.head_object(key)
            except _oss2().exceptions.NotFound:
                return None  # a HEAD has no body, so a missing bucket looks the same here
        return ObjectInfo(key=key, size=int(meta.content_length), etag=_etag(str(meta.etag)),
                          content_type=meta.content_type)

    def delete(self, key: str) -> None:
        with self._errors("delete", key):
            self._bucket.delete_object(key)  # OSS answers 204 for a missing key too

    def presign_put(self, key: str, expires_s: int = 900, content_type: str | None = None) -> str:
        # The uploader must send exactly this Content-Type: it is part of the signature.
        headers = {"Content-Type": content_type} if content_type else None
        with self._errors("sign", key):
            return str(self._signer.sign_url("PUT", key, expires_s, headers=headers, slash_safe=True))

    def presign_get(self, key: str, expires_s: int = 900) -> str:
        with self._errors("sign", key):
            return str(self._signer.sign_url("GET", key, expires_s, slash_safe=True))

    def ping(self) -> None:
        with self._errors("ping", None):
            try:
                # GetBucketLocation answers on OSS and moto alike (GetBucketInfo's XML fails on moto).
                self._bucket.get_bucket_location()
            except _oss2().exceptions.ServerError as exc:
                if exc.status != 403:
                    raise
                # Roles often hold object actions only: a HEAD that gets 404 still proves OSS answers.
                with suppress(_oss2().exceptions.NotFound):
                    self._bucket.head_object(_PING_KEY)

    def close(self) -> None:
        self._session.session.close()


# --------------------------------------------------------------------------- local folder

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9\-]{1,61}[a-z0-9]")


def _check_key(key: str) -> list[str]:
    """The key's path segments, or InvalidObjectKey if it could leave the bucket folder."""
    if not key:
        raise InvalidObjectKey("object key is empty")
    if "\x00" in key or "\\" in key:
        raise InvalidObjectKey(f"object key has a NUL or backslash: {key!r}")
    if key.startswith("/"):
        raise InvalidObjectKey(f"object key is absolute: {key!r}")
    if len(key.encode()) > 1023:  # the OSS limit
        raise InvalidObjectKey("object key is longer than 1023 bytes")
    segments = key.split("/")
    for seg in segments:
        if seg in ("", ".", ".."):
            raise InvalidObjectKey(f"object key has an empty, '.' or '..' segment: {key!r}")
        if len(seg.encode()) > 255:  # a file name limit, not an OSS one
            raise InvalidObjectKey(f"object key segment is longer than 255 bytes: {key!r}")
    return segments


class LocalObjectStore:
    """Objects as plain files under ``root/bucket/key``; metadata as JSON under ``root/.meta``.

    Puts are atomic (temp file + os.replace) and serialised within the process; listeners get
    OSS-style ObjectCreated events after each put, as an OSS trigger would in the cloud.
    """

    adapter_name = "local-folder"

    def __init__(
        self,
        root: Path,
        bucket: str,
        secret: str,
        base_url: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not _BUCKET_NAME.fullmatch(bucket):
            raise ValueError(f"invalid bucket name {bucket!r}")
        if not secret:
            raise ValueError("a secret is required to sign presigned URLs")
        self.root = Path(root)
        self.bucket = bucket
        self.base_url = base_url.rstrip("/")
        self._secret = secret.encode()
        self._clock = clock
        self._dir = self.root / bucket
        # Outside the bucket folder (bucket names cannot start with '.'), so keys never collide.
        self._meta_dir = self.root / ".meta" / bucket
        self._tmp_dir = self.root / ".tmp"
        for d in (self._dir, self._meta_dir, self._tmp_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._listeners: list[ObjectListener] = []

    # paths ---------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self._dir.joinpath(*_check_key(key))

    def _meta_path(self, key: str) -> Path:
        # Hashed and flat: a tree mirroring keys would collide ("a" vs "a.json/b").
        return self._meta_dir / (hashlib.sha256(key.encode()).hexdigest() + ".json")

    def _write(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self._tmp_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # readers see the old or the new object, never half of one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ObjectStore ------------------------------------------------------------------------------

    def put(self, key: str, data: bytes, content_type: str | None = None) -> ObjectInfo:
        path = self._path(key)
        info = ObjectInfo(
            key=key,
            size=len(data),
            etag=hashlib.md5(data, usedforsecurity=False).hexdigest().upper(),
            content_type=content_type or guess_content_type(key),
        )
        meta = {"key": key, "size": info.size, "etag": info.etag, "content_type": info.content_type}
        try:
            with self._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._write(path, data)
                self._write(self._meta_path(key), json.dumps(meta, ensure_ascii=False).encode())
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            # OSS allows both "a" and "a/b"; a folder cannot hold a file and a directory of one name.
            raise ObjectStoreError(f"cannot store {key!r}: it clashes with an existing key or prefix") \
                from exc
        except OSError as exc:
            raise ObjectStoreError(f"cannot store {key!r}: {exc}") from exc
        self._notify(ObjectCreated(bucket=self.bucket, key=key, size=info.size, etag=info.etag))
        return info

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(self.bucket, key) from None
        except OSError as exc:
            raise ObjectStoreError(f"cannot read {key!r}: {exc}") from exc

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        try:
            meta = json.loads(self._meta_path(key).read_text())
            if meta.get("size") == size:
                return ObjectInfo(key=key, size=size, etag=str(meta["etag"]),
                                  content_type=meta.get("content_type"))
        except (FileNotFoundError, ValueError, KeyError):
            pass
        # A file dropped into the folder by hand (or metadata lost): derive what OSS would report.
        etag = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest().upper()
        return ObjectInfo(key=key, size=size, etag=etag, content_type=guess_content_type(key))

    def delete(self, key: str) -> None:
        path = self._path(key)
        with self._lock:
            try:
                path.unlink(missing_ok=True)
            except (IsADirectoryError, NotADirectoryError):
                return  # a prefix, not an object: nothing to delete, as on OSS
            self._meta_path(key).unlink(missing_ok=True)
            # Drop emptied prefix folders so the prefix can later be stored as a key itself.
            parent = path.parent
            while parent != self._dir:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    # presigned URLs ------------------------------------------------------------------------------

    def _signature(self, method: str, key: str, expires: int, content_type: str | None) -> str:
        msg = f"{method}\n{self.bucket}\n{key}\n{expires}"
        if content_type:
            msg += f"\n{content_type}"
        return hmac.new(self._secret, msg.encode(), hashlib.sha256).hexdigest()

    def _presign(self, method: str, key: str, expires_s: int, content_type: str | None) -> str:
        _check_key(key)
        expires = int(self._clock()) + expires_s
        query = urlencode({"method": method, "expires": expires,
                           "signature": self._signature(method, key, expires, content_type)})
        return f"{self.base_url}/_objects/{self.bucket}/{quote(key, safe='/')}?{query}"

    def presign_put(self, key: str, expires_s: int = 900, content_type: str | None = None) -> str:
        # As on OSS, the uploader must then send exactly this Content-Type.
        return self._presign("PUT", key, expires_s, content_type)

    def presign_get(self, key: str, expires_s: int = 900) -> str:
        return self._presign("GET", key, expires_s, None)

    def verify_presigned(
        self, method: str, key: str, expires: int | str, signature: str, content_type: str | None = None
    ) -> None:
        """Check a request to ``/_objects/{bucket}/{key}``; ``key`` decoded, ``content_type`` the
        request's header (None when absent). Raises PresignError."""
        try:
            exp = int(expires)
        except (TypeError, ValueError):
            raise PresignError("bad_request", "presigned URL has an invalid expires") from None
        expected = self._signature(method.upper(), key, exp, content_type)
        # Bytes, because compare_digest rejects non-ASCII str and the signature is caller input.
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise PresignError("bad_signature", "presigned URL signature does not match")
        if exp < self._clock():
            raise PresignError("expired", "presigned URL has expired")

    # events and health -------------------------------------------------------------------------

    def subscribe(self, listener: ObjectListener) -> None:
        self._listeners.append(listener)

    def _notify(self, event: ObjectCreated) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # In the cloud the OSS trigger runs apart from the upload; a failing handler
                # must not turn a stored object into a failed put.
                log.exception("object listener failed",
                              extra={"fields": {"bucket": event.bucket, "key": event.key}})

    def ping(self) -> None:
        if not self._dir.is_dir() or not os.access(self._dir, os.W_OK | os.X_OK):
            raise ObjectStoreUnavailable(f"object folder {self._dir} is missing or not writable")

    def close(self) -> None:
        pass
