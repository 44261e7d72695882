"""Objects landing under ``uploads/``: recorded once per (bucket, key, etag), audited, and
announced as ``object.uploaded`` — the entry point later modules (imports, images) build on."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from typing_extensions import LiteralString

from ucm import topics
from ucm.db import Database
from ucm.errors import FieldError, bad_request
from ucm.fc.events import OssRecord
from ucm.ports import ObjectStore

PREFIX = "uploads/"
PRESIGN_TTL_S = 900
ALLOWED_TYPES = {
    "text/csv", "text/plain", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/jpeg", "image/png", "image/webp", "application/pdf",
}
_BAD_NAME = re.compile(r"[\\/\x00-\x1f]|^\.+$")


@dataclass(frozen=True)
class PresignedUpload:
    key: str
    url: str
    method: str
    content_type: str
    expires_at: datetime


def presign(store: ObjectStore, filename: str, content_type: str) -> PresignedUpload:
    """A one-time PUT URL under uploads/<date>/<uuid>/<filename>; the OSS trigger records it."""
    name = filename.strip()
    errors = []
    if not name or len(name) > 200 or _BAD_NAME.search(name):
        errors.append(FieldError("filename", "invalid", "文件名不能为空、不能含 / 或 \\，且不超过 200 字"))
    if content_type not in ALLOWED_TYPES:
        errors.append(FieldError("content_type", "unsupported", "只支持 CSV、Excel（xlsx）、TXT、JPG、PNG、WebP、PDF"))
    if errors:
        raise bad_request("uploads.invalid", "无法创建上传链接，请检查文件名和类型", errors=errors)
    now = datetime.now(timezone.utc)
    key = f"{PREFIX}{now:%Y%m%d}/{uuid.uuid4().hex}/{name}"
    url = store.presign_put(key, PRESIGN_TTL_S, content_type)
    return PresignedUpload(key, url, "PUT", content_type, now + timedelta(seconds=PRESIGN_TTL_S))

_INSERT: LiteralString = """
insert into object_upload (bucket, key, size, etag) values (%s, %s, %s, %s)
on conflict (bucket, key, etag) do nothing
returning id::text, uploaded_at
"""


def record(db: Database, obj: OssRecord) -> str | None:
    """Return the upload id, or None when this object version was recorded before (OSS
    delivers at least once)."""
    with db.transaction() as uow:
        row = uow.one(_INSERT, (obj.bucket, obj.key, obj.size, obj.etag))
        if row is None:
            return None
        after = {"bucket": obj.bucket, "key": obj.key, "size": obj.size, "etag": obj.etag}
        uow.audit("objects.upload.record", "object_upload", row["id"], after=after)
        uow.emit(topics.OBJECT_UPLOADED, row["id"], after)
        return str(row["id"])
