"""SQL of the stock-list import (opening balances, counted stock per store × SKU)."""

from __future__ import annotations

from typing_extensions import LiteralString

STORES_BY_CODE: LiteralString = "select id, code from store where code = any(%(codes)s::text[])"

STORE_CODE: LiteralString = "select code from store where id = %(id)s"

SKUS_BY_CODE: LiteralString = """
select id, code, store_id, is_weighed from sku where code = any(%(codes)s::text[])
"""

SKUS_BY_ID: LiteralString = "select id, code, store_id, is_weighed from sku where id = any(%(ids)s::text[])"

# On hand now of the (store, sku) pairs of a chunk (a missing balance row: 0).
ON_HAND: LiteralString = """
select u.store_id, u.sku_id, coalesce(b.on_hand, 0) as on_hand
from unnest(%(stores)s::text[], %(skus)s::text[]) as u(store_id, sku_id)
left join stock_balance b on b.store_id = u.store_id and b.sku_id = u.sku_id
"""

# The validated counts of a job, store by store in SKU order (the order every balance writer uses).
COUNTS: LiteralString = """
select data ->> 'store_id' as store_id, data ->> 'sku_id' as sku_id, (data ->> 'quantity')::numeric as quantity
from import_row where job_id = %s and action in ('update', 'unchanged')
order by 1, 2
"""

# The balances of one store's lines, locked in SKU order: the difference is taken against on hand
# as it is now, and no move can slip in between.
LOCK_ON_HAND: LiteralString = """
select sku_id, on_hand from stock_balance
where store_id = %(store)s and sku_id = any(%(skus)s::text[])
order by sku_id for update
"""

STORE_HAS_LEDGER: LiteralString = "select exists (select 1 from stock_ledger where store_id = %(store)s) as yes"

RECORD_CHANGES: LiteralString = """
insert into import_change (job_id, entity, entity_id, before, after)
select %(job)s, 'stock', u.store_id || ':' || u.sku_id, jsonb_build_object('on_hand', u.before),
       jsonb_build_object('on_hand', u.after, 'store_id', u.store_id, 'sku_id', u.sku_id, 'ledger_id', u.ledger_id)
from unnest(%(stores)s::text[], %(skus)s::text[], %(before)s::numeric[], %(after)s::numeric[], %(ledger)s::bigint[])
    as u(store_id, sku_id, before, after, ledger_id)
"""

# What a rollback gives back: each line the import moved, and whether its SKU moved since.
CHANGES: LiteralString = """
select c.after ->> 'store_id' as store_id, c.after ->> 'sku_id' as sku_id, (c.before ->> 'on_hand')::numeric as before,
       (c.after ->> 'on_hand')::numeric as after,
       exists (select 1 from stock_ledger l where l.store_id = c.after ->> 'store_id'
               and l.sku_id = c.after ->> 'sku_id' and l.id > (c.after ->> 'ledger_id')::bigint) as moved_since
from import_change c
where c.job_id = %s and c.entity = 'stock' and c.after ->> 'ledger_id' is not null
order by 1, 2
"""
