"""SKU images: uploaded by the browser straight to object storage through a presigned PUT,
then attached — the stored object is checked by its content (JPEG, PNG or WebP, at most
5 MB), a 240 px thumbnail is made, and the image joins the SKU's ordered list. The first image
is the main one; deleting the main image makes the next one main.

Scope: the SKU must be visible to the caller (RLS on sku: 404 otherwise); a caller without
global scope changes only the images of their stores' own SKUs (HQ-wide SKUs: 403).
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ucm import topics
from ucm.catalog import image_sql as sql
from ucm.catalog import sku_not_found, skus
from ucm.catalog.skus import forget_cached
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, not_found
from ucm.identity.principal import Principal, forbidden
from ucm.ports import Cache, ObjectStore
from ucm.times import utcnow
from ucm.uploads import PresignedUpload

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 5 MB file can still decode to gigabytes (a decompression bomb)
THUMB_PX = 240
PRESIGN_TTL_S = 900
URL_TTL_S = 3600
MAX_IMAGES = 30
TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_PIL_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_TYPE_OF_EXT = {ext: ctype for ctype, ext in TYPES.items()}
IMAGE_PREFIX = "catalog/images/"
THUMB_PREFIX = "catalog/thumbs/"


def _image_not_found() -> Problem:
    return not_found("catalog.image.not_found", "找不到该图片，可能已被删除")


def _invalid(detail: str) -> Problem:
    return bad_request("catalog.image.invalid", "无法识别该图片，请上传 JPG、PNG 或 WebP 格式的图片", detail)


def _type_problem() -> Problem:
    return bad_request("catalog.image.type", "只支持 JPG、PNG、WebP 格式的图片")


def _too_large(size: int) -> Problem:
    return bad_request("catalog.image.too_large", "图片不能超过 5 MB，请压缩后再上传",
                       f"{size / 1024 / 1024:.1f} MB")


# --- scope -------------------------------------------------------------------------------------


def _sku(uow: UnitOfWork, sku_id: str, *, lock: bool = False) -> dict[str, Any]:
    """The SKU as the caller sees it (RLS); locked when its images are about to change, so
    that concurrent changes of one SKU's images line up (positions, the one main image)."""
    row = uow.one(sql.SKU_FOR_UPDATE if lock else sql.SKU, (sku_id,))
    if row is None:
        raise sku_not_found()
    return row


def _check_write(who: Principal, sku: dict[str, Any]) -> None:
    skus.check_write_scope(who, sku["store_id"])


# --- presign -------------------------------------------------------------------------------------


def presign_upload(db: Database, objects: ObjectStore, who: Principal, sku_id: str, filename: str,
                   content_type: str, size: int) -> PresignedUpload:
    """A PUT URL for one image of this SKU, under ``catalog/images/<sku_id>/<uuid>.<ext>``."""
    if not who.can("files.upload"):
        raise forbidden("files.upload")
    ctype = content_type.split(";")[0].strip().lower()
    if ctype not in TYPES:
        raise _type_problem()
    if size > MAX_BYTES:
        raise _too_large(size)
    if size <= 0 or not filename.strip():
        raise bad_request("catalog.image.invalid", "图片文件是空的，请重新选择",
                          errors=[FieldError("size", "catalog.image.empty", "文件大小须大于 0")])
    with db.transaction() as uow:
        _check_write(who, _sku(uow, sku_id))
    key = f"{IMAGE_PREFIX}{sku_id}/{uuid.uuid4().hex}.{TYPES[ctype]}"
    url = objects.presign_put(key, PRESIGN_TTL_S, ctype)
    return PresignedUpload(key, url, "PUT", ctype, utcnow() + timedelta(seconds=PRESIGN_TTL_S))


# --- attach --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    width: int
    height: int
    thumb: bytes


def check_image(data: bytes, declared_type: str) -> CheckedImage:
    """The real type from the content (not the name or the upload's header) and a WebP
    thumbnail that fits in 240 × 240."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt, (width, height) = probe.format, probe.size
            if width * height > MAX_PIXELS:
                raise _invalid(f"图片尺寸过大：{width}×{height}")
            probe.verify()  # a truncated or corrupt file fails here
        real = _PIL_TYPES.get(fmt or "")
        if real is None:
            raise _type_problem()
        if real != declared_type:
            raise bad_request("catalog.image.type", "文件内容与所选的图片格式不符，请重新上传",
                              f"声明为 {declared_type}，实际为 {real}")
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            # Phone photos are stored sideways with an EXIF rotation; the thumbnail is upright.
            thumb = ImageOps.exif_transpose(img) or img
            thumb = thumb.convert("RGBA" if "A" in thumb.getbands() or "transparency" in thumb.info else "RGB")
            thumb.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            thumb.save(out, "WEBP", quality=80)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _invalid(str(exc) or type(exc).__name__) from None
    return CheckedImage(real, width, height, out.getvalue())


_KEY = re.compile(r"catalog/images/(?P<sku>[^/]+)/[0-9a-f]{32}\.(?P<ext>jpg|png|webp)")


def _image_out(objects: ObjectStore, row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "url": objects.presign_get(row["object_key"], URL_TTL_S),
            "thumb_url": objects.presign_get(row["thumb_key"], URL_TTL_S), "content_type": row["content_type"],
            "size": row["size"], "width": row["width"], "height": row["height"], "position": row["position"],
            "is_main": row["is_main"]}


def _audit_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "object_key", "thumb_key", "content_type", "size", "width", "height",
                                "position", "is_main")}


def _emit(uow: UnitOfWork, sku: dict[str, Any]) -> None:
    uow.emit(topics.SKU_UPDATED, sku["id"], {"sku_id": sku["id"], "changed_fields": ["images"],
                                             "ts": utcnow().isoformat()}, store_id=sku["store_id"])


def attach(db: Database, objects: ObjectStore, cache: Cache | None, who: Principal, sku_id: str,
           key: str) -> dict[str, Any]:
    """Add the uploaded object ``key`` as the SKU's last image (its main one when first).
    Attaching the same key again returns the image it made the first time."""
    with db.transaction() as uow:
        _check_write(who, _sku(uow, sku_id))  # first: a SKU out of scope is 404 whatever the key
        existing = uow.one(sql.IMAGE_BY_KEY, (key,))
    m = _KEY.fullmatch(key)
    if m is None or m["sku"] != sku_id:
        raise bad_request("catalog.image.invalid", "上传的文件不属于该商品，请重新上传",
                          errors=[FieldError("key", "catalog.image.key", "须为本商品的上传链接返回的 key")])
    if existing is not None:
        return _image_out(objects, existing)

    info = objects.head(key)
    if info is None:
        raise bad_request("catalog.image.invalid", "还没有收到上传的图片，请先上传再保存", key)
    if info.size > MAX_BYTES:
        objects.delete(key)  # never attachable: do not keep 5 MB+ of garbage
        raise _too_large(info.size)
    data = objects.get(key)
    if len(data) > MAX_BYTES:
        objects.delete(key)
        raise _too_large(len(data))
    checked = check_image(data, _TYPE_OF_EXT[m["ext"]])
    thumb_key = f"{THUMB_PREFIX}{sku_id}/{key.rsplit('/', 1)[1].split('.')[0]}.webp"
    objects.put(thumb_key, checked.thumb, "image/webp")

    with db.transaction() as uow:
        sku = _sku(uow, sku_id, lock=True)
        _check_write(who, sku)
        existing = uow.one(sql.IMAGE_BY_KEY, (key,))  # a concurrent attach of the same key won
        if existing is not None:
            return _image_out(objects, existing)
        count = uow.one(sql.IMAGE_COUNT, (sku_id,))
        if count is not None and count["n"] >= MAX_IMAGES:
            raise Problem(422, "catalog.image.too_many", f"每个商品最多 {MAX_IMAGES} 张图片，请先删除不需要的图片")
        row = uow.one(sql.INSERT_IMAGE, {
            "sku_id": sku_id, "store_id": sku["store_id"], "key": key, "thumb": thumb_key,
            "ctype": checked.content_type, "size": len(data), "width": checked.width, "height": checked.height})
        assert row is not None
        uow.audit("catalog.sku.image.add", "sku", sku_id, after=_audit_row(row), store_id=sku["store_id"])
        _emit(uow, sku)
    forget_cached(cache, [sku_id])
    return _image_out(objects, row)


# --- list, order, main, delete ----------------------------------------------------------------


def _rows(uow: UnitOfWork, sku_id: str) -> list[dict[str, Any]]:
    return uow.all(sql.LIST_IMAGES, (sku_id,))


def _page(objects: ObjectStore, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": [_image_out(objects, r) for r in rows], "next_cursor": None}


def list_images(db: Database, objects: ObjectStore, sku_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        _sku(uow, sku_id)
        rows = _rows(uow, sku_id)
    return _page(objects, rows)


def reorder(db: Database, objects: ObjectStore, cache: Cache | None, who: Principal, sku_id: str,
            ids: Sequence[str]) -> dict[str, Any]:
    """Put the SKU's images in the order of ``ids``, which must name each of them once."""
    with db.transaction() as uow:
        sku = _sku(uow, sku_id, lock=True)
        _check_write(who, sku)
        before = _rows(uow, sku_id)
        if len(ids) != len(set(ids)) or set(ids) != {r["id"] for r in before}:
            raise bad_request("catalog.image.order", "请按新顺序提交该商品的全部图片，每张一次",
                              errors=[FieldError("ids", "catalog.image.order",
                                                 f"该商品共有 {len(before)} 张图片")])
        uow.execute(sql.REORDER, (list(ids), sku_id))
        after = _rows(uow, sku_id)
        uow.audit("catalog.sku.image.reorder", "sku", sku_id, before={"order": [r["id"] for r in before]},
                  after={"order": [r["id"] for r in after]}, store_id=sku["store_id"])
        _emit(uow, sku)
    forget_cached(cache, [sku_id])
    return _page(objects, after)


def set_main(db: Database, objects: ObjectStore, cache: Cache | None, who: Principal, sku_id: str,
             image_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        sku = _sku(uow, sku_id, lock=True)
        _check_write(who, sku)
        before = _rows(uow, sku_id)
        if image_id not in {r["id"] for r in before}:
            raise _image_not_found()
        old_main = next((r["id"] for r in before if r["is_main"]), None)
        if old_main != image_id:
            # Two statements: the one-main unique index is checked row by row.
            uow.execute(sql.CLEAR_MAIN, (sku_id,))
            uow.execute(sql.SET_MAIN, (image_id, sku_id))
            uow.audit("catalog.sku.image.main", "sku", sku_id, before={"main_image_id": old_main},
                      after={"main_image_id": image_id}, store_id=sku["store_id"])
            _emit(uow, sku)
        after = _rows(uow, sku_id)
    if old_main != image_id:
        forget_cached(cache, [sku_id])
    return _page(objects, after)


def delete(db: Database, objects: ObjectStore, cache: Cache | None, who: Principal, sku_id: str,
           image_id: str) -> None:
    """Remove the image and its objects; when it was the main image, the next one (by
    position) becomes main. Positions close up."""
    with db.transaction() as uow:
        sku = _sku(uow, sku_id, lock=True)
        _check_write(who, sku)
        row = uow.one(sql.DELETE_IMAGE, (image_id, sku_id))
        if row is None:
            raise _image_not_found()
        uow.execute(sql.COMPACT_POSITIONS, (sku_id,))
        new_main = uow.one(sql.MAIN_TO_FIRST, (sku_id,)) if row["is_main"] else None
        uow.audit("catalog.sku.image.delete", "sku", sku_id, before=_audit_row(row),
                  after={"main_image_id": new_main["id"]} if new_main else None, store_id=sku["store_id"])
        _emit(uow, sku)
    forget_cached(cache, [sku_id])
    # After the commit: a failed object delete leaves an unreferenced file, never a row
    # pointing at a missing one.
    for key in (row["object_key"], row["thumb_key"]):
        try:
            objects.delete(key)
        except Exception:
            log.warning("image object not deleted", extra={"fields": {"key": key}}, exc_info=True)
