"""The SQL of transfers between stores (``ucm.inventory.transfers``; schema 0009_transfers.sql)."""

from __future__ import annotations

from typing_extensions import LiteralString

# The source store as the caller sees it (RLS) and whether the destination takes transfers (a
# security-definer answer: the caller may not have the destination in scope).
STORES: LiteralString = """
select (select id from store where id = %(from)s) as from_store,
       ucm_store_accepts_transfer(%(to)s) as to_ok
"""

DESTINATIONS: LiteralString = "select id, code, name, region_id from ucm_transfer_destinations()"

# The SKUs of a transfer as the caller sees them: store-local SKUs cannot travel.
SKUS: LiteralString = """
select id, store_id, is_weighed from sku where id = any(%(skus)s::text[])
"""

NEXT_CODE: LiteralString = """
insert into stock_transfer_counter as c (day, last)
values ((now() at time zone 'Asia/Shanghai')::date, 1)
on conflict (day) do update set last = c.last + 1
returning 'TR' || to_char(day, 'YYYYMMDD') || '-' || lpad(last::text, 4, '0') as code
"""

BY_KEY: LiteralString = """
select id, request from stock_transfer where from_store_id = %s and idempotency_key = %s
"""

# Nothing returned: the key was taken (the concurrent first attempt has committed by then).
INSERT: LiteralString = """
insert into stock_transfer (id, code, from_store_id, to_store_id, note, idempotency_key, request, created_by)
values (%(id)s, %(code)s, %(from)s, %(to)s, %(note)s, %(key)s, %(request)s, %(actor)s)
on conflict (from_store_id, idempotency_key) do nothing
returning id
"""

INSERT_LINES: LiteralString = """
insert into stock_transfer_line (transfer_id, from_store_id, to_store_id, sku_id, qty_requested)
select %(id)s, %(from)s, %(to)s, u.sku_id, u.qty
from unnest(%(skus)s::text[], %(qtys)s::numeric[]) as u(sku_id, qty)
"""

# Every action starts here: the transfer locked, so actions on one transfer run one at a time.
LOCK: LiteralString = """
select id, code, from_store_id, to_store_id, status, version from stock_transfer where id = %s for update
"""

LINES_OF: LiteralString = """
select l.sku_id, l.qty_requested, l.qty_shipped, l.qty_received, l.qty_lost, l.discrepancy_reason,
       l.discrepancy_note, s.code as sku_code, s.name as sku_name, s.unit, s.is_weighed
from stock_transfer_line l join sku s on s.id = l.sku_id
where l.transfer_id = %s
order by l.sku_id
"""

SET_SHIPPED: LiteralString = """
update stock_transfer_line l set qty_shipped = u.qty
from unnest(%(skus)s::text[], %(qtys)s::numeric[]) as u(sku_id, qty)
where l.transfer_id = %(id)s and l.sku_id = u.sku_id
"""

# Marks the transfer shipped and puts the shipped quantities in transit at the destination
# (a security-definer function: see the migration).
SHIP: LiteralString = """
select sku_id from stock_transfer_ship(%(id)s, %(version)s, %(actor)s)
"""

CLAIM_RECEIPT: LiteralString = """
insert into stock_transfer_receipt (id, transfer_id, from_store_id, to_store_id, idempotency_key, request, lines,
                                    actor)
select %(receipt)s, t.id, t.from_store_id, t.to_store_id, %(key)s, %(request)s, %(lines)s, %(actor)s
from stock_transfer t where t.id = %(id)s
on conflict (transfer_id, idempotency_key) do nothing
returning id
"""

RECEIPT_BY_KEY: LiteralString = """
select id, request from stock_transfer_receipt where transfer_id = %s and idempotency_key = %s
"""

RECEIPT_MOVE: LiteralString = """
update stock_transfer_receipt set move_id = %s where id = %s
"""

# Received quantities add up; a line's reason is the latest given for it.
ADD_RECEIVED: LiteralString = """
update stock_transfer_line l
set qty_received = l.qty_received + u.qty,
    discrepancy_reason = coalesce(u.reason, l.discrepancy_reason),
    discrepancy_note = case when u.reason is null then l.discrepancy_note else u.note end
from unnest(%(skus)s::text[], %(qtys)s::numeric[], %(reasons)s::text[], %(notes)s::text[])
    as u(sku_id, qty, reason, note)
where l.transfer_id = %(id)s and l.sku_id = u.sku_id
"""

# In transit at the destination down by what arrived (never more than was outstanding: the
# service passes min(received, outstanding)), in sku order like every balance write.
LESS_IN_TRANSIT: LiteralString = """
update stock_balance b set in_transit = b.in_transit - u.qty, updated_at = now()
from (select * from unnest(%(skus)s::text[], %(qtys)s::numeric[]) as u(sku_id, qty) order by sku_id) u
where b.store_id = %(store)s and b.sku_id = u.sku_id and u.qty > 0
returning b.sku_id
"""

SET_STATUS: LiteralString = """
update stock_transfer set status = %(status)s, version = version + 1, updated_at = now()
where id = %(id)s
returning version
"""

CLOSE_LINES: LiteralString = """
update stock_transfer_line l
set qty_lost = u.qty, discrepancy_reason = u.reason, discrepancy_note = u.note
from unnest(%(skus)s::text[], %(qtys)s::numeric[], %(reasons)s::text[], %(notes)s::text[])
    as u(sku_id, qty, reason, note)
where l.transfer_id = %(id)s and l.sku_id = u.sku_id
"""

CLOSE: LiteralString = """
update stock_transfer set status = 'closed', closed_by = %(actor)s, closed_at = now(), updated_at = now(),
                          version = version + 1
where id = %(id)s
returning version
"""

CANCEL: LiteralString = """
update stock_transfer set status = 'cancelled', cancelled_by = %(actor)s, cancelled_at = now(),
                          updated_at = now(), version = version + 1
where id = %(id)s
returning version
"""

# The other store's name comes through ucm_transfer_store_names: RLS may hide its store row.
ONE: LiteralString = """
select t.id, t.code, t.from_store_id, n.from_store_code, n.from_store_name, t.to_store_id, n.to_store_code,
       n.to_store_name, t.status, t.note, t.created_by, t.created_at, t.shipped_by, t.shipped_at, t.closed_by,
       t.closed_at, t.cancelled_by, t.cancelled_at, t.updated_at, t.version
from stock_transfer t left join lateral ucm_transfer_store_names(t.id) n on true
where t.id = %s
"""

RECEIPTS_OF: LiteralString = """
select id, lines, actor, created_at from stock_transfer_receipt where transfer_id = %s order by created_at, id
"""

# Newest first. direction out/in with a store: that store's side; without one: the side the
# caller has in scope. Keyset on (created_at, id).
LIST: LiteralString = """
select p.*, n.from_store_code, n.from_store_name, n.to_store_code, n.to_store_name
from (
    select t.id, t.code, t.from_store_id, t.to_store_id, t.status, t.note, t.created_by, t.created_at, t.shipped_at,
           t.closed_at, t.updated_at, t.version,
           (select count(*) from stock_transfer_line l where l.transfer_id = t.id) as line_count
    from stock_transfer t
    where (%(store)s::text is null or t.from_store_id = %(store)s or t.to_store_id = %(store)s)
      and (%(dir)s::text is null
           or (%(dir)s = 'out' and (t.from_store_id = %(store)s or (%(store)s::text is null
                                                                     and ucm_store_visible(t.from_store_id))))
           or (%(dir)s = 'in' and (t.to_store_id = %(store)s or (%(store)s::text is null
                                                                  and ucm_store_visible(t.to_store_id)))))
      and (%(status)s::text is null or t.status = %(status)s)
      and (%(after_at)s::timestamptz is null
           or (t.created_at, t.id) < (%(after_at)s::timestamptz, %(after_id)s::text))
    order by t.created_at desc, t.id desc
    limit %(limit)s
) p left join lateral ucm_transfer_store_names(p.id) n on true
order by p.created_at desc, p.id desc
"""

# The in-transit invariant: at every store × SKU, in transit == what is shipped there and not yet
# received, over transfers still open (closed ones wrote the rest off, cancelled never shipped).
# Shaped like the other balance invariants (stock.INVARIANT_CHECKS).
IN_TRANSIT_DRIFT: LiteralString = """
select coalesce(b.store_id, o.store_id) as store_id, coalesce(b.sku_id, o.sku_id) as sku_id,
       'in_transit' as measure, coalesce(b.in_transit, 0) as balance, coalesce(o.outstanding, 0) as expected
from (select store_id, sku_id, in_transit from stock_balance where in_transit <> 0) b
full join (
    select l.to_store_id as store_id, l.sku_id, sum(greatest(l.qty_shipped - l.qty_received, 0)) as outstanding
    from stock_transfer_line l join stock_transfer t on t.id = l.transfer_id
    where t.status in ('shipped', 'partially_received', 'received')
    group by l.to_store_id, l.sku_id
    having sum(greatest(l.qty_shipped - l.qty_received, 0)) <> 0
) o on o.store_id = b.store_id and o.sku_id = b.sku_id
where coalesce(b.in_transit, 0) <> coalesce(o.outstanding, 0)
order by 1, 2
"""
