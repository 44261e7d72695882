"""SQL of the stock overview: balances with their SKU, category, threshold and ATS, filtered."""

from __future__ import annotations

from typing_extensions import LiteralString

# Balances for the overview, keyset-paged by (store, sku). Filters: a store, a SKU, a category
# subtree (its path prefix: one index range scan of category.path), a code/name substring, and
# "at or below the low-stock threshold in force" (the SKU's own, else the store default).
STOCK_LIST: LiteralString = """
select b.store_id, st.code as store_code, b.sku_id, s.code as sku_code, s.name as sku_name, s.unit, s.is_weighed,
       s.category_id, c.name as category_name, b.on_hand, b.reserved, b.in_transit, b.updated_at,
       coalesce(t.low_stock, p.low_stock_default) as low_stock
from stock_balance b
join sku s on s.id = b.sku_id
join store st on st.id = b.store_id
join category c on c.id = s.category_id
left join stock_threshold t on t.store_id = b.store_id and t.sku_id = b.sku_id
left join stock_policy p on p.store_id = b.store_id
where (%(store)s::text is null or b.store_id = %(store)s)
  and (%(sku)s::text is null or b.sku_id = %(sku)s)
  and (%(cat_path)s::text is null or c.path ^@ %(cat_path)s)
  and (%(q)s::text is null or s.code ilike %(q)s or s.name ilike %(q)s)
  and (not %(below)s or b.on_hand <= coalesce(t.low_stock, p.low_stock_default))
  and (%(after_store)s::text is null or (b.store_id, b.sku_id) > (%(after_store)s, %(after_sku)s))
order by b.store_id, b.sku_id
limit %(limit)s
"""

CATEGORY_PATH: LiteralString = "select path from category where id = %(id)s"
