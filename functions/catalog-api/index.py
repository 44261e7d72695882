"""Catalog API: SKUs, barcodes, categories, brands, prices and images. Contract:
docs/catalog-api.md. Handlers only translate HTTP to ``ucm.catalog`` calls."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Header
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from ucm.bootstrap import container
from ucm.catalog import categories, images, prices, skus
from ucm.fc.app import FunctionApp
from ucm.identity.principal import Principal
from ucm.times import aware
from ucm.web import download
from ucm.web_auth import require

app = FunctionApp("catalog-api", description="商品：SKU、条码、类目、品牌、价格、图片", memory_mb=512, timeout_s=30)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- SKUs ----------------------------------------------------------------------------------------

Money = Annotated[str, Field(max_length=20, description="金额，十进制字符串，例如 \"3.50\"")]
SkuStatus = Literal["draft", "active", "discontinued"]


class PackIn(In):
    name: str = Field(min_length=1, max_length=8, description="包装单位，例如 箱")
    quantity: str = Field(max_length=16, description="每个包装含多少基本单位，例如 \"24\"")


class BarcodeIn(In):
    code: str = Field(min_length=1, max_length=40)
    pack_name: str | None = Field(default=None, description="所属包装单位；空 = 基本单位")


class SkuFields(In):
    code: str = Field(min_length=1, max_length=40, description="商品编码")
    name: str = Field(min_length=1, max_length=100)
    short_name: str | None = Field(default="", max_length=40)
    brand_id: str | None = None
    category_id: str = Field(min_length=1)
    unit: str = Field(default="个", max_length=8)
    is_weighed: bool = False
    plu: str | None = Field(default=None, max_length=8)
    tax_rate: str = Field(max_length=10, description="税率，例如 \"0.13\" 或 \"13%\"")
    origin: str | None = Field(default="", max_length=40)
    shelf_life_days: int | None = Field(default=None, ge=0, le=36500)
    status: SkuStatus = "draft"
    attributes: dict[str, str] = Field(default_factory=dict, max_length=50)
    store_id: str | None = Field(default=None, description="空 = 总部商品；否则为该门店自有商品")
    packs: list[PackIn] = Field(default_factory=list, max_length=10)
    barcodes: list[BarcodeIn] = Field(default_factory=list, max_length=50)


class SkuCreateIn(SkuFields):
    standard_price: Money | None = None
    member_price: Money | None = None


class SkuUpdateIn(SkuFields):
    version: int


class BatchStatusIn(In):
    ids: list[str] = Field(min_length=1, max_length=1000)
    status: SkuStatus


@app.route("/catalog/sku", methods=["GET"], summary="商品列表与搜索（format=csv|xlsx 导出）", tags=["catalog"])
def list_skus(q: str | None = None, store_id: str | None = None, brand_id: str | None = None,
              category_id: str | None = None, status: SkuStatus | None = None, barcode: str | None = None,
              sort: Literal["code", "-updated_at"] = "code", limit: int | None = None, cursor: str | None = None,
              format: Literal["json", "csv", "xlsx"] = "json",
              who: Principal = require("catalog.sku.read")) -> Any:
    c = container()
    filters: dict[str, Any] = {"q": q, "brand_id": brand_id, "category_id": category_id, "status": status,
                               "barcode": barcode}
    if format != "json":
        data, media = skus.export_skus(c.db, format, store_id=store_id, **filters)
        return download(data, media, f"商品.{format}", f"sku.{format}")
    return skus.list_skus(c.db, c.objects, store_id=store_id, sort=sort, limit=limit, cursor=cursor, **filters)


@app.route("/catalog/sku", methods=["POST"], summary="新建商品", tags=["catalog"], status_code=201)
def create_sku(body: SkuCreateIn, idempotency_key: str | None = Header(default=None),
               who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    c = container()
    return skus.create_sku(c.db, c.objects, who, body.model_dump(), idempotency_key)


@app.route("/catalog/sku/batch-status", methods=["POST"], summary="批量修改商品状态", tags=["catalog"])
def batch_status(body: BatchStatusIn, who: Principal = require("catalog.sku.write")) -> dict[str, int]:
    c = container()
    return {"updated": skus.batch_status(c.db, c.cache, who, body.ids, body.status)}


@app.route("/catalog/sku/{sku_id}", methods=["GET"], summary="商品详情", tags=["catalog"])
def get_sku(sku_id: str, who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    c = container()
    return skus.get_sku(c.db, c.cache, c.objects, sku_id)


@app.route("/catalog/sku/{sku_id}", methods=["PUT"], summary="修改商品（带 version）", tags=["catalog"])
def update_sku(sku_id: str, body: SkuUpdateIn, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    c = container()
    fields = body.model_dump(exclude={"version"})
    return skus.update_sku(c.db, c.cache, c.objects, who, sku_id, fields, body.version)


@app.route("/catalog/sku/{sku_id}/history", methods=["GET"], summary="商品操作记录", tags=["catalog"])
def sku_history(sku_id: str, limit: int | None = None, cursor: str | None = None,
                who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    return skus.history(container().db, sku_id, limit, cursor)


@app.route("/catalog/barcodes/{code}", methods=["GET"], summary="扫码识别（含称重条码）", tags=["catalog"])
def resolve_barcode(code: str, who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    c = container()
    return skus.resolve_barcode(c.db, c.objects, code)


# --- categories and brands -----------------------------------------------------------------------


class CategoryIn(In):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=40)
    parent_id: str | None = None
    sort: int = 0


class CategoryUpdateIn(In):
    name: str = Field(min_length=1, max_length=40)
    parent_id: str | None = None
    sort: int = 0
    version: int


class BrandIn(In):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=40)


class BrandUpdateIn(In):
    name: str = Field(min_length=1, max_length=40)
    version: int


@app.route("/catalog/categories", methods=["GET"], summary="类目（树，扁平列出）", tags=["catalog"])
def list_categories(who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    return {"items": categories.list_categories(container().db), "next_cursor": None}


@app.route("/catalog/categories", methods=["POST"], summary="新建类目", tags=["catalog"], status_code=201)
def create_category(body: CategoryIn, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    return categories.create_category(container().db, who, body.code, body.name, body.parent_id, body.sort)


@app.route("/catalog/categories/{category_id}", methods=["PUT"], summary="修改或移动类目", tags=["catalog"])
def update_category(category_id: str, body: CategoryUpdateIn,
                    who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    c = container()
    return categories.update_category(c.db, c.cache, who, category_id, body.name, body.parent_id, body.sort,
                                      body.version)


@app.route("/catalog/categories/{category_id}", methods=["DELETE"], summary="删除类目", tags=["catalog"],
           status_code=204)
def delete_category(category_id: str, who: Principal = require("catalog.sku.write")) -> Response:
    categories.delete_category(container().db, who, category_id)
    return Response(status_code=204)


@app.route("/catalog/brands", methods=["GET"], summary="品牌列表", tags=["catalog"])
def list_brands(q: str | None = None, limit: int | None = None, cursor: str | None = None,
                who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    return categories.list_brands(container().db, q, limit, cursor)


@app.route("/catalog/brands", methods=["POST"], summary="新建品牌", tags=["catalog"], status_code=201)
def create_brand(body: BrandIn, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    return categories.create_brand(container().db, who, body.code, body.name)


@app.route("/catalog/brands/{brand_id}", methods=["PUT"], summary="修改品牌", tags=["catalog"])
def update_brand(brand_id: str, body: BrandUpdateIn, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    c = container()
    return categories.update_brand(c.db, c.cache, who, brand_id, body.name, body.version)


@app.route("/catalog/brands/{brand_id}", methods=["DELETE"], summary="删除品牌", tags=["catalog"], status_code=204)
def delete_brand(brand_id: str, who: Principal = require("catalog.sku.write")) -> Response:
    categories.delete_brand(container().db, who, brand_id)
    return Response(status_code=204)


# --- prices --------------------------------------------------------------------------------------


class PriceIn(In):
    store_id: str | None = Field(default=None, description="空 = 总部价格表")
    kind: Literal["standard", "member", "temporary"]
    tier: str | None = Field(default=None, description="会员价的会员等级；空 = 所有会员")
    amount: Money
    starts_at: datetime | None = Field(default=None, description="生效时间，默认立即")
    ends_at: datetime | None = Field(default=None, description="临时价的结束时间")
    note: str | None = Field(default="", max_length=200)


class GuardIn(In):
    store_id: str | None = None
    max_down_pct: Decimal = Field(ge=0, le=100)
    max_up_pct: Decimal = Field(ge=0, le=1000)


@app.route("/catalog/price", methods=["GET"], summary="某时某店某会员等级的价格及其规则", tags=["prices"])
def price_at(sku_id: str, store_id: str | None = None, at: datetime | None = None, tier: str | None = None,
             who: Principal = require("catalog.price.read")) -> dict[str, Any]:
    c = container()
    return prices.price_at(c.db, c.cache, sku_id, store_id, aware(at), tier)


@app.route("/catalog/sku/{sku_id}/prices", methods=["GET"], summary="价格时间线", tags=["prices"])
def price_timeline(sku_id: str, store_id: str | None = None,
                   who: Principal = require("catalog.price.read")) -> dict[str, Any]:
    return {"items": prices.timeline(container().db, sku_id, store_id), "next_cursor": None}


@app.route("/catalog/sku/{sku_id}/prices", methods=["POST"], summary="调价（可预约、临时价）", tags=["prices"],
           status_code=201)
def add_price(sku_id: str, body: PriceIn, who: Principal = require("catalog.price.write")) -> dict[str, Any]:
    p = prices.PriceInput(body.store_id, body.kind, body.amount, body.tier, aware(body.starts_at),
                          aware(body.ends_at), body.note or "")
    c = container()
    return prices.add_price(c.db, c.cache, who, sku_id, p)


@app.route("/catalog/prices/{price_id}/cancel", methods=["POST"], summary="取消预约调价 / 提前结束临时价",
           tags=["prices"])
def cancel_price(price_id: str, who: Principal = require("catalog.price.write")) -> dict[str, Any]:
    c = container()
    return prices.cancel_price(c.db, c.cache, who, price_id)


@app.route("/catalog/price-guards", methods=["GET"], summary="门店调价范围", tags=["prices"])
def list_guards(who: Principal = require("catalog.price.read")) -> dict[str, Any]:
    return {"items": prices.list_guards(container().db), "next_cursor": None}


@app.route("/catalog/price-guards", methods=["PUT"], summary="设置门店调价范围（总部）", tags=["prices"])
def set_guard(body: GuardIn, who: Principal = require("catalog.price.write")) -> dict[str, Any]:
    return prices.set_guard(container().db, who, body.store_id, body.max_down_pct, body.max_up_pct)


@app.route("/catalog/member-tiers", methods=["GET"], summary="会员等级", tags=["prices"])
def member_tiers(who: Principal = require("catalog.price.read")) -> dict[str, Any]:
    return {"items": prices.member_tiers(container().db), "next_cursor": None}


# --- images --------------------------------------------------------------------------------------


class ImageUploadIn(In):
    filename: str = Field(min_length=1, max_length=200, description="原文件名，例如 可乐正面.jpg")
    content_type: str = Field(min_length=1, max_length=100, description="image/jpeg、image/png 或 image/webp")
    size: int = Field(ge=0, description="文件大小（字节），不超过 5 MB")


class ImageUploadOut(BaseModel):
    key: str
    url: str
    method: str
    content_type: str
    expires_at: datetime


class ImageAttachIn(In):
    key: str = Field(min_length=1, max_length=300, description="上传链接返回的 key")


class ImageOrderIn(In):
    ids: list[str] = Field(min_length=1, max_length=images.MAX_IMAGES, description="该商品全部图片的 id，按新顺序")


@app.route("/catalog/sku/{sku_id}/images/uploads", methods=["POST"], summary="获取商品图片上传链接（预签名 PUT）",
           tags=["images"], status_code=201, response_model=ImageUploadOut)
def create_image_upload(sku_id: str, body: ImageUploadIn,
                        who: Principal = require("catalog.sku.write")) -> ImageUploadOut:
    c = container()
    p = images.presign_upload(c.db, c.objects, who, sku_id, body.filename, body.content_type, body.size)
    return ImageUploadOut(key=p.key, url=p.url, method=p.method, content_type=p.content_type,
                          expires_at=p.expires_at)


@app.route("/catalog/sku/{sku_id}/images", methods=["POST"], summary="保存已上传的图片（校验并生成缩略图）",
           tags=["images"], status_code=201)
def add_image(sku_id: str, body: ImageAttachIn, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    c = container()
    return images.attach(c.db, c.objects, c.cache, who, sku_id, body.key)


@app.route("/catalog/sku/{sku_id}/images", methods=["GET"], summary="商品图片（按顺序）", tags=["images"])
def list_images(sku_id: str, who: Principal = require("catalog.sku.read")) -> dict[str, Any]:
    c = container()
    return images.list_images(c.db, c.objects, sku_id)


@app.route("/catalog/sku/{sku_id}/images/order", methods=["PUT"], summary="调整图片顺序", tags=["images"])
def order_images(sku_id: str, body: ImageOrderIn, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    c = container()
    return images.reorder(c.db, c.objects, c.cache, who, sku_id, body.ids)


@app.route("/catalog/sku/{sku_id}/images/{image_id}/main", methods=["POST"], summary="设为主图", tags=["images"])
def set_main_image(sku_id: str, image_id: str, who: Principal = require("catalog.sku.write")) -> dict[str, Any]:
    c = container()
    return images.set_main(c.db, c.objects, c.cache, who, sku_id, image_id)


@app.route("/catalog/sku/{sku_id}/images/{image_id}", methods=["DELETE"], summary="删除图片", tags=["images"],
           status_code=204)
def delete_image(sku_id: str, image_id: str, who: Principal = require("catalog.sku.write")) -> Response:
    c = container()
    images.delete(c.db, c.objects, c.cache, who, sku_id, image_id)
    return Response(status_code=204)


handler = app.handler
