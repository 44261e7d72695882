"""Catalog API: SKUs, barcodes, categories, brands, prices and images. Contract:
docs/catalog-api.md. Handlers only translate HTTP to ``ucm.catalog`` calls."""

from pydantic import BaseModel, ConfigDict
from ucm.fc.app import FunctionApp

app = FunctionApp("catalog-api", description="商品：SKU、条码、类目、品牌、价格、图片", memory_mb=512, timeout_s=30)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- images --------------------------------------------------------------------------------------


handler = app.handler
