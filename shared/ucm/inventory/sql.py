"""The inventory module's SQL."""

from __future__ import annotations

from typing_extensions import LiteralString

from ucm.db import AUDIT_INSERT, OUTBOX_INSERT, one_line

# The store (visible under RLS) and the SKUs of a move that may be stocked there: HQ-wide ones
# and the store's own. No row: the store is unknown or hidden; a null sku: none of them known.
MOVE_REFS: LiteralString = """
select st.id as store_id, s.id as sku_id, s.is_weighed
from store st
left join sku s on s.id = any(%(skus)s::text[]) and (s.store_id is null or s.store_id = st.id)
where st.id = %(store)s
"""

MOVE_BY_KEY: LiteralString = """
select id, store_id, idempotency_key, request, reason, ref, created_at
from stock_move where store_id = %s and idempotency_key = %s
"""

MOVE_LINES: LiteralString = """
select l.id, l.sku_id, l.qty_delta, l.on_hand_after, l.reason_code, l.note, s.is_weighed
from stock_ledger l join sku s on s.id = l.sku_id
where l.move_id = %s order by l.sku_id
"""

# A whole move in one statement (moves.post_move): the move row claiming the idempotency key,
# every line's balance and ledger row, the audit row and one stock.moved per line in the outbox.
#
# - known: the lines whose SKU may be stocked at the store (HQ-wide ones and the store's own),
#   read under RLS like the store itself.
# - claim: inserting the move row claims the key; a concurrent first attempt makes it wait on the
#   unique index, and nothing is returned once that one has committed. The lines are applied only
#   when this move took the key.
# - b, led: every line's balance changes (in sku_id order, so that two multi-line moves lock rows
#   in the same order and never deadlock) only where the negative-stock rule allows it, and a
#   ledger row is written for each balance that changed, carrying the new on hand. The rule,
#   evaluated by the database on the row it has locked (no read-then-write): a line may go ahead
#   when it adds stock, is a sale (never refused at the counter), the store allows negative
#   stock, or on hand stays >= 0. A line without a balance row yet starts from 0.
# - verdict: what is wrong, if anything, in the order the checks are answered; ucm_refuse_move
#   (migration 0011) then raises it, which undoes everything this statement wrote (and its
#   transaction). The detail names the SKUs concerned; for refused lines with their on hand as
#   read before the statement (indicative).
# On one line (``one_line``): psycopg then parses it once per process, not on every call.
MOVE: LiteralString = one_line("""
with st as (
    select id from store where id = %(store)s
),
want as (
    select u.sku_id, u.delta from unnest(%(skus)s::text[], %(deltas)s::numeric[]) as u(sku_id, delta)
),
known as (
    select w.sku_id, w.delta, s.is_weighed
    from want w join sku s on s.id = w.sku_id and (s.store_id is null or s.store_id = %(store)s)
),
claim as (
    insert into stock_move (id, store_id, idempotency_key, request, reason, ref, actor)
    select %(move)s, st.id, %(key)s, %(request)s, %(reason)s, %(ref)s, %(actor)s from st
    on conflict (store_id, idempotency_key) do nothing
    returning id, created_at
),
p as (
    select coalesce((select negative_stock = 'allow' from stock_policy where store_id = %(store)s), false)
           or %(sale)s as free
),
lines as (
    select k.sku_id, k.delta from known k where exists (select 1 from claim)
),
b as (
    insert into stock_balance as sb (store_id, sku_id, on_hand)
    select %(store)s, l.sku_id, l.delta from lines l, p
    where l.delta >= 0 or p.free
       or exists (select 1 from stock_balance x where x.store_id = %(store)s and x.sku_id = l.sku_id)
    order by l.sku_id
    on conflict (store_id, sku_id) do update
        set on_hand = sb.on_hand + excluded.on_hand, updated_at = now()
        where excluded.on_hand >= 0 or (select free from p) or sb.on_hand + excluded.on_hand >= 0
    returning sb.sku_id, sb.on_hand
),
led as (
    insert into stock_ledger (store_id, sku_id, qty_delta, reason, reason_code, note, move_id, actor,
                              on_hand_after)
    select %(store)s, b.sku_id, l.delta, %(reason)s, %(code)s, %(note)s, %(move)s, %(actor)s, b.on_hand
    from b join lines l using (sku_id)
    returning id, sku_id, qty_delta, on_hand_after
),
audit as (""" + AUDIT_INSERT + """),
events as (""" + OUTBOX_INSERT + """),
verdict as (
    select case
        when not exists (select from st) then 'system.store.not_found'
        when exists (select from want where sku_id not in (select sku_id from known)) then 'inventory.sku.unknown'
        when exists (select from known where not is_weighed and delta <> trunc(delta))
            then 'inventory.quantity.fractional'
        when not exists (select from claim) then 'inventory.move.key_taken'
        when exists (select from known where sku_id not in (select sku_id from led)) then 'inventory.insufficient_stock'
    end as problem
)
select l.id, l.sku_id, l.qty_delta, l.on_hand_after, k.is_weighed, c.created_at
from verdict v
left join (led l join known k using (sku_id) cross join claim c) on true
where case when v.problem is null then true else ucm_refuse_move(v.problem, case v.problem
    when 'inventory.sku.unknown' then
        (select jsonb_agg(sku_id) from want where sku_id not in (select sku_id from known))
    when 'inventory.quantity.fractional' then
        (select jsonb_agg(sku_id) from known where not is_weighed and delta <> trunc(delta))
    when 'inventory.insufficient_stock' then
        (select jsonb_object_agg(k.sku_id, jsonb_build_array(coalesce(x.on_hand, 0), k.is_weighed))
         from known k left join stock_balance x on x.store_id = %(store)s and x.sku_id = k.sku_id
         where k.sku_id not in (select sku_id from led))
    end) end
order by l.sku_id
""")

BALANCE: LiteralString = """
select b.store_id, b.sku_id, b.on_hand, b.reserved, b.in_transit, b.updated_at, s.is_weighed
from sku s left join stock_balance b on b.store_id = %(store)s and b.sku_id = s.id
where s.id = %(sku)s and (s.store_id is null or s.store_id = %(store)s)
"""

LEDGER: LiteralString = """
select l.id, l.store_id, l.sku_id, s.code as sku_code, s.name as sku_name, s.is_weighed, l.qty_delta,
       l.on_hand_after, l.reason, l.reason_code, l.note, l.move_id, m.ref, l.actor, l.occurred_at
from stock_ledger l
join sku s on s.id = l.sku_id
join stock_move m on m.id = l.move_id
where l.store_id = %(store)s
  and (%(sku)s::text is null or l.sku_id = %(sku)s)
  and (%(reason)s::text is null or l.reason = %(reason)s)
  and (%(from)s::timestamptz is null or l.occurred_at >= %(from)s)
  and (%(to)s::timestamptz is null or l.occurred_at < %(to)s)
  and (%(before)s::bigint is null or l.id < %(before)s)
order by l.id desc
limit %(limit)s
"""

# Stock as of T from the ledger alone, set-based (an index-only scan of stock_ledger_as_of).
AS_OF: LiteralString = """
select a.sku_id, s.code as sku_code, s.name as sku_name, s.is_weighed, a.on_hand
from (
    select l.sku_id, sum(l.qty_delta) as on_hand
    from stock_ledger l
    where l.store_id = %(store)s and l.occurred_at <= %(at)s
      and (%(sku)s::text is null or l.sku_id = %(sku)s)
      and (%(after)s::text is null or l.sku_id > %(after)s)
    group by l.sku_id
    order by l.sku_id
    limit %(limit)s
) a join sku s on s.id = a.sku_id
order by a.sku_id
"""

# Balance against the ledger for every store × SKU (either side may be missing).
DRIFT: LiteralString = """
select coalesce(b.store_id, l.store_id) as store_id, coalesce(b.sku_id, l.sku_id) as sku_id,
       b.on_hand as balance, coalesce(l.total, 0) as ledger_sum
from stock_balance b
full join (select store_id, sku_id, sum(qty_delta) as total from stock_ledger group by store_id, sku_id) l
  on l.store_id = b.store_id and l.sku_id = b.sku_id
where coalesce(b.on_hand, 0) <> coalesce(l.total, 0)
order by 1, 2
"""

SET_POLICY: LiteralString = """
insert into stock_policy (store_id, negative_stock) values (%s, %s)
on conflict (store_id) do update set negative_stock = excluded.negative_stock, updated_at = now()
"""
