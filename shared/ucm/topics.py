"""Event topics (plan §12). A topic is the event type; the Kafka key is the aggregate id."""

SKU_UPDATED = "sku.updated"
STOCK_MOVED = "stock.moved"
ORDER_PAID = "order.paid"
ORDER_REFUNDED = "order.refunded"
MEMBER_UPDATED = "member.updated"
OBJECT_UPLOADED = "object.uploaded"

ALL = (SKU_UPDATED, STOCK_MOVED, ORDER_PAID, ORDER_REFUNDED, MEMBER_UPDATED, OBJECT_UPLOADED)
