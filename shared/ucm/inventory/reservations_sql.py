"""SQL of reservations: the balance's ``reserved`` changes in the same statement as the rows."""

from __future__ import annotations

from typing_extensions import LiteralString

# A reservation request in one statement: each line's balance takes the quantity into
# ``reserved`` (lines in sku_id order, so two requests lock rows in the same order; a missing
# balance row has an ATS of 0) only where ATS (on hand − reserved + in transit) covers it or the
# store allows negative stock; a reservation row is written for each balance that changed. Its
# (store, key, sku) is unique. One row per balance changed (a line missing: refused), with a
# null id where the key was taken by a concurrent request.
RESERVE: LiteralString = """
with p as (
    select coalesce((select negative_stock = 'allow' from stock_policy where store_id = %(store)s), false) as free
),
lines as (
    select u.sku_id, u.qty
    from unnest(%(skus)s::text[], %(qtys)s::numeric[]) as u(sku_id, qty)
    join sku s on s.id = u.sku_id and (s.store_id is null or s.store_id = %(store)s)
),
b as (
    insert into stock_balance as sb (store_id, sku_id, reserved)
    select %(store)s, l.sku_id, l.qty from lines l, p
    where p.free or exists (select 1 from stock_balance x where x.store_id = %(store)s and x.sku_id = l.sku_id)
    order by l.sku_id
    on conflict (store_id, sku_id) do update
        set reserved = sb.reserved + excluded.reserved, updated_at = now()
        where (select free from p) or sb.on_hand - sb.reserved + sb.in_transit >= excluded.reserved
    returning sb.sku_id, sb.on_hand, sb.reserved, sb.in_transit
),
r as (
    insert into stock_reservation (store_id, sku_id, quantity, ref, expires_at, idempotency_key, request, actor)
    select %(store)s, b.sku_id, l.qty, %(ref)s, now() + make_interval(secs => %(ttl)s), %(key)s, %(request)s, %(actor)s
    from b join lines l using (sku_id)
    order by b.sku_id
    on conflict (store_id, idempotency_key, sku_id) do nothing
    returning id, sku_id, quantity, status, ref, expires_at, created_at
)
select b.sku_id, r.id, r.quantity, r.status, r.ref, r.expires_at, r.created_at,
       b.on_hand - b.reserved + b.in_transit as ats_after
from b left join r using (sku_id) order by b.sku_id
"""

# Whether a key was used already (then the request replays its first result).
BY_KEY: LiteralString = """
select r.id, r.store_id, r.sku_id, r.quantity, r.status, r.ref, r.expires_at, r.created_at, r.ended_at,
       r.request, s.is_weighed
from stock_reservation r join sku s on s.id = r.sku_id
where r.store_id = %(store)s and r.idempotency_key = %(key)s
order by r.sku_id
"""

# ATS of refused lines, for the error's detail (read after the refusal, so only indicative).
ATS_OF: LiteralString = """
select sku_id, on_hand - reserved + in_transit as ats from stock_balance
where store_id = %(store)s and sku_id = any(%(skus)s::text[])
"""

# Ends one active reservation and gives its quantity back in the same statement. No row: it is
# not visible (404) or no longer active (409: released twice, consumed, expired).
END_ONE: LiteralString = """
with r as (
    update stock_reservation set status = %(status)s, ended_at = now()
    where id = %(id)s and status = 'active'
    returning id, store_id, sku_id, quantity, status, ref, expires_at, created_at, ended_at
),
b as (
    update stock_balance sb set reserved = sb.reserved - r.quantity, updated_at = now()
    from r where sb.store_id = r.store_id and sb.sku_id = r.sku_id
    returning sb.sku_id
)
select r.*, s.is_weighed from r join b using (sku_id) join sku s on s.id = r.sku_id
"""

ONE: LiteralString = """
select r.id, r.store_id, r.sku_id, r.quantity, r.status, r.ref, r.expires_at, r.created_at, r.ended_at,
       s.is_weighed
from stock_reservation r join sku s on s.id = r.sku_id where r.id = %(id)s
"""

LIST: LiteralString = """
select r.id, r.store_id, r.sku_id, s.code as sku_code, s.name as sku_name, s.is_weighed, r.quantity, r.status,
       r.ref, r.expires_at, r.actor, r.created_at, r.ended_at
from stock_reservation r join sku s on s.id = r.sku_id
where r.store_id = %(store)s
  and (%(sku)s::text is null or r.sku_id = %(sku)s)
  and (%(status)s::text is null or r.status = %(status)s)
  and (%(ref)s::text is null or r.ref = %(ref)s)
  and (%(after_at)s::timestamptz is null or (r.created_at, r.id) < (%(after_at)s, %(after_id)s))
order by r.created_at desc, r.id desc
limit %(limit)s
"""

# One batch of expired reservations ended as `expired`, their quantities given back, set-based:
# rows locked by a concurrent release are skipped (the release ends them), and the balances are
# locked in (store, sku) order like every other writer's.
EXPIRE_BATCH: LiteralString = """
with r as (
    update stock_reservation set status = 'expired', ended_at = now()
    where id in (select id from stock_reservation
                 where status = 'active' and expires_at <= now()
                 order by expires_at limit %(limit)s for update skip locked)
    returning id, store_id, sku_id, quantity, ref
),
t as (
    select store_id, sku_id, sum(quantity) as qty from r group by store_id, sku_id
),
locked as (
    select sb.store_id, sb.sku_id from stock_balance sb join t using (store_id, sku_id)
    order by sb.store_id, sb.sku_id for update of sb
),
b as (
    update stock_balance sb set reserved = sb.reserved - t.qty, updated_at = now()
    from t join locked using (store_id, sku_id)
    where sb.store_id = t.store_id and sb.sku_id = t.sku_id
    returning sb.store_id
)
select r.id, r.store_id, r.sku_id, r.quantity, r.ref from r order by r.store_id, r.sku_id
"""

# reserved == the sum of active reservations, per store × SKU (either side may be missing).
RESERVED_DRIFT: LiteralString = """
select coalesce(b.store_id, a.store_id) as store_id, coalesce(b.sku_id, a.sku_id) as sku_id,
       'reserved' as measure, coalesce(b.reserved, 0) as balance, coalesce(a.total, 0) as expected
from (select * from stock_balance where reserved <> 0) b
full join (select store_id, sku_id, sum(quantity) as total from stock_reservation where status = 'active'
           group by store_id, sku_id) a
  on a.store_id = b.store_id and a.sku_id = b.sku_id
where coalesce(b.reserved, 0) <> coalesce(a.total, 0)
order by 1, 2
"""
