"""SQL of stock alerts and their thresholds."""

from __future__ import annotations

from typing_extensions import LiteralString

SET_STORE_DEFAULTS: LiteralString = """
insert into stock_policy (store_id, low_stock_default, slow_mover_days)
values (%(store)s, %(low)s, coalesce(%(days)s, 30))
on conflict (store_id) do update
    set low_stock_default = excluded.low_stock_default,
        slow_mover_days = coalesce(%(days)s, stock_policy.slow_mover_days), updated_at = now()
returning low_stock_default, slow_mover_days
"""

SET_SKU: LiteralString = """
insert into stock_threshold (store_id, sku_id, low_stock, actor) values (%(store)s, %(sku)s, %(low)s, %(actor)s)
on conflict (store_id, sku_id) do update set low_stock = excluded.low_stock, actor = excluded.actor, updated_at = now()
"""

DROP_SKU: LiteralString = "delete from stock_threshold where store_id = %(store)s and sku_id = %(sku)s"

STORE_DEFAULTS: LiteralString = """
select st.id as store_id, p.low_stock_default, coalesce(p.slow_mover_days, 30) as slow_mover_days
from store st left join stock_policy p on p.store_id = st.id where st.id = %(store)s
"""

THRESHOLDS: LiteralString = """
select t.sku_id, s.code as sku_code, s.name as sku_name, s.is_weighed, t.low_stock, t.actor, t.updated_at
from stock_threshold t join sku s on s.id = t.sku_id
where t.store_id = %(store)s and (%(after)s::text is null or t.sku_id > %(after)s)
order by t.sku_id limit %(limit)s
"""

# The threshold in force per store × SKU: the SKU's own, else the store's default.
_EFFECTIVE: LiteralString = """
    select b.store_id, b.sku_id, b.on_hand, coalesce(t.low_stock, p.low_stock_default) as threshold
    from stock_balance b
    left join stock_threshold t on t.store_id = b.store_id and t.sku_id = b.sku_id
    left join stock_policy p on p.store_id = b.store_id
    where coalesce(t.low_stock, p.low_stock_default) is not null
"""

# Low stock, for every store at once: raise (or refresh) an alert where on hand is at or below
# the threshold, resolve open ones where it no longer is (stock came in, threshold changed).
LOW_STOCK: LiteralString = """
with eff as (""" + _EFFECTIVE + """),
low as (select * from eff where on_hand <= threshold),
raised as (
    insert into stock_alert (store_id, sku_id, kind, on_hand, threshold)
    select store_id, sku_id, 'low_stock', on_hand, threshold from low
    on conflict (store_id, sku_id, kind) where status <> 'resolved'
        do update set on_hand = excluded.on_hand, threshold = excluded.threshold
    returning store_id, xmax = 0 as fresh
),
resolved as (
    update stock_alert a set status = 'resolved', resolved_at = now(),
        on_hand = coalesce((select b.on_hand from stock_balance b where b.store_id = a.store_id
                            and b.sku_id = a.sku_id), a.on_hand)
    where a.kind = 'low_stock' and a.status <> 'resolved'
      and not exists (select 1 from low where low.store_id = a.store_id and low.sku_id = a.sku_id)
    returning a.store_id
)
select store_id, 'low_stock' as kind, count(*) filter (where fresh) as raised, 0 as resolved from raised group by 1
union all
select store_id, 'low_stock', 0, count(*) from resolved group by 1
"""

# Slow movers as of %(at)s: stock on hand that has been in the store for the store's N days
# (a ledger row older than that) without a sale in them. Both lookups are index range scans.
SLOW_MOVERS: LiteralString = """
with p as (
    select st.id as store_id, %(at)s::timestamptz - make_interval(days => coalesce(sp.slow_mover_days, 30)) as since
    from store st left join stock_policy sp on sp.store_id = st.id
),
slow as (
    select b.store_id, b.sku_id, b.on_hand,
           (select max(l.occurred_at) from stock_ledger l where l.store_id = b.store_id and l.sku_id = b.sku_id
              and l.reason = 'sale') as last_sale
    from stock_balance b join p using (store_id)
    where b.on_hand > 0
      and exists (select 1 from stock_ledger l where l.store_id = b.store_id and l.sku_id = b.sku_id
                  and l.occurred_at < p.since)
      and not exists (select 1 from stock_ledger l where l.store_id = b.store_id and l.sku_id = b.sku_id
                      and l.reason = 'sale' and l.occurred_at >= p.since)
),
raised as (
    insert into stock_alert (store_id, sku_id, kind, on_hand, last_sale_at)
    select store_id, sku_id, 'slow_mover', on_hand, last_sale from slow
    on conflict (store_id, sku_id, kind) where status <> 'resolved'
        do update set on_hand = excluded.on_hand, last_sale_at = excluded.last_sale_at
    returning store_id, xmax = 0 as fresh
),
resolved as (
    update stock_alert a set status = 'resolved', resolved_at = now()
    where a.kind = 'slow_mover' and a.status <> 'resolved'
      and not exists (select 1 from slow where slow.store_id = a.store_id and slow.sku_id = a.sku_id)
    returning a.store_id
)
select store_id, 'slow_mover' as kind, count(*) filter (where fresh) as raised, 0 as resolved from raised group by 1
union all
select store_id, 'slow_mover', 0, count(*) from resolved group by 1
"""

ALERTS: LiteralString = """
select a.id, a.store_id, a.sku_id, s.code as sku_code, s.name as sku_name, s.is_weighed, a.kind, a.status,
       coalesce(b.on_hand, a.on_hand) as on_hand, a.on_hand as on_hand_when_raised,
       coalesce(t.low_stock, p.low_stock_default) as threshold,
       (select max(l.occurred_at) from stock_ledger l where l.store_id = a.store_id and l.sku_id = a.sku_id
          and l.reason = 'sale') as last_sale_at,
       a.opened_at, a.acknowledged_at, a.acknowledged_by, a.resolved_at
from stock_alert a
join sku s on s.id = a.sku_id
left join stock_balance b on b.store_id = a.store_id and b.sku_id = a.sku_id
left join stock_threshold t on t.store_id = a.store_id and t.sku_id = a.sku_id
left join stock_policy p on p.store_id = a.store_id
where a.store_id = %(store)s
  and (%(kind)s::text is null or a.kind = %(kind)s)
  and (%(status)s::text is null or a.status = %(status)s)
  and (%(after_at)s::timestamptz is null or (a.opened_at, a.id) < (%(after_at)s, %(after_id)s))
order by a.opened_at desc, a.id desc
limit %(limit)s
"""

ACK: LiteralString = """
update stock_alert set status = 'acknowledged', acknowledged_at = now(), acknowledged_by = %(actor)s
where id = %(id)s and status = 'open'
returning id, store_id, sku_id, kind, status, acknowledged_at, acknowledged_by
"""

ALERT: LiteralString = "select id, store_id, status from stock_alert where id = %(id)s"
