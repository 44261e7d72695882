"""Event topics (plan §12). A topic is the event type; the Kafka key is the aggregate id."""

SKU_UPDATED = "sku.updated"
STOCK_MOVED = "stock.moved"
STOCK_RESERVED = "stock.reserved"  # a reservation made or ended (not in plan §12: reserved changes)
STOCK_STOCKTAKE = "stock.stocktake"  # a stocktake created, counted or moved on (status changes)
ORDER_PAID = "order.paid"
ORDER_REFUNDED = "order.refunded"
MEMBER_UPDATED = "member.updated"
OBJECT_UPLOADED = "object.uploaded"
STOCK_TRANSFER = "stock.transfer"  # a transfer between stores created, shipped, received, closed or cancelled

ALL = (SKU_UPDATED, STOCK_MOVED, STOCK_RESERVED, ORDER_PAID, ORDER_REFUNDED, MEMBER_UPDATED, OBJECT_UPLOADED,
       STOCK_TRANSFER, STOCK_STOCKTAKE)
