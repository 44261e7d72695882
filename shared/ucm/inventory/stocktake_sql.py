"""The stocktakes' SQL (ucm.inventory.stocktakes)."""

from __future__ import annotations

from typing_extensions import LiteralString

GET_SETTING: LiteralString = """
select approval_threshold, updated_by, updated_at, version from stocktake_setting
"""

# Nothing returned: stale version (or, under RLS, not the global scope).
SET_SETTING: LiteralString = """
update stocktake_setting
set approval_threshold = %(threshold)s, updated_by = %(actor)s, updated_at = now(), version = version + 1
where version = %(version)s
returning approval_threshold, updated_by, updated_at, version
"""

# The categories chosen, with their subtree prefixes (unknown ids give no row).
CATEGORY_PATHS: LiteralString = """
select id, path from category where id = any(%(ids)s::text[])
"""

# The header and its snapshot in one statement, so that both read the same committed state:
# the cut (the store's last ledger id) and on hand of every SKU in scope — each SKU with a
# balance row at the store, or active (HQ-wide or the store's own) — in the chosen subtrees.
# No row: the store is unknown or outside the caller's scope (RLS hides it).
CREATE: LiteralString = """
with st as (select id from store where id = %(store)s),
cut as (select coalesce(max(l.id), 0) as ledger_id from stock_ledger l where l.store_id = %(store)s),
head as (
    insert into stocktake (id, code, store_id, category_ids, note, snapshot_ledger_id, created_by)
    select %(id)s, %(code)s, st.id, %(cats)s::text[], %(note)s, cut.ledger_id, %(actor)s from st, cut
    returning id, snapshot_ledger_id
),
lines as (
    insert into stocktake_line (stocktake_id, store_id, sku_id, snapshot_qty)
    select head.id, %(store)s, s.id, coalesce(b.on_hand, 0)
    from head
    cross join sku s
    left join stock_balance b on b.store_id = %(store)s and b.sku_id = s.id
    where (s.store_id is null or s.store_id = %(store)s)
      and (b.sku_id is not null or s.status = 'active')
      and (cardinality(%(paths)s::text[]) = 0 or exists (
          select 1 from category c
          where c.id = s.category_id and c.path like any(array(select p || '%%' from unnest(%(paths)s::text[]) p))))
    returning 1
)
select head.id, head.snapshot_ledger_id, (select count(*) from lines) as lines from head
"""

_HEAD_COLUMNS: LiteralString = """
t.id, t.code, t.store_id, st.code as store_code, st.name as store_name, t.category_ids, t.status, t.note,
t.snapshot_at, t.snapshot_ledger_id, t.created_by, t.created_at, t.submitted_by, t.submitted_at, t.approved_by,
t.approved_at, t.cancelled_by, t.cancelled_at, t.variance_value, t.approval_threshold, t.updated_at, t.version
"""

GET: LiteralString = "select " + _HEAD_COLUMNS + """
from stocktake t join store st on st.id = t.store_id where t.id = %s
"""
GET_FOR_UPDATE: LiteralString = GET + " for update of t"
# Counting keeps the header shared, so that several scanners count at once while a submit waits.
GET_FOR_SHARE: LiteralString = GET + " for share of t"

LIST: LiteralString = "select " + _HEAD_COLUMNS + """
from stocktake t join store st on st.id = t.store_id
where (%(store)s::text is null or t.store_id = %(store)s)
  and (%(status)s::text is null or t.status = %(status)s)
  and (%(after_at)s::timestamptz is null or (t.created_at, t.id) < (%(after_at)s, %(after_id)s))
order by t.created_at desc, t.id desc
limit %(limit)s
"""

# Per stocktake: lines, counted, and the variance split into gains and losses.
TOTALS: LiteralString = """
select t.stocktake_id,
       count(*) as lines,
       count(*) filter (where t.counted_qty is not null) as counted,
       count(*) filter (where t.variance <> 0) as variance_lines,
       count(*) filter (where t.variance <> 0 and t.reason is null) as reasons_missing,
       coalesce(sum(t.variance) filter (where t.variance > 0), 0) as gain_qty,
       coalesce(-sum(t.variance) filter (where t.variance < 0), 0) as loss_qty
from stocktake_line t
where t.stocktake_id = any(%(ids)s::text[])
group by t.stocktake_id
"""

# The lines with a variance, for their value (price × |variance|) and the posting.
VARIANCES: LiteralString = """
select sku_id, variance from stocktake_line where stocktake_id = %s and variance <> 0 order by sku_id
"""

# SKUs that may be counted at the store (HQ-wide or its own) and whether they are in the
# stocktake's categories; a SKU not in the result is unknown there.
COUNTABLE: LiteralString = """
select s.id as sku_id, s.is_weighed,
       cardinality(%(paths)s::text[]) = 0 or c.path like any(array(select p || '%%' from unnest(%(paths)s::text[]) p))
           as in_scope
from sku s join category c on c.id = s.category_id
where s.id = any(%(skus)s::text[]) and (s.store_id is null or s.store_id = %(store)s)
"""

# SKU codes (a scanner file may carry the SKU code instead of a barcode).
SKU_BY_CODE: LiteralString = "select id, code from sku where code = any(%(codes)s::text[])"

# A SKU found on the shelf but not in the snapshot: its line, with on hand at the snapshot from
# the ledger (the sum up to the snapshot's cut).
ADD_FOUND: LiteralString = """
insert into stocktake_line (stocktake_id, store_id, sku_id, in_snapshot, snapshot_qty)
select %(id)s, %(store)s, u.sku_id, false,
       coalesce((select sum(l.qty_delta) from stock_ledger l
                 where l.store_id = %(store)s and l.sku_id = u.sku_id and l.id <= %(cut)s), 0)
from unnest(%(skus)s::text[]) as u(sku_id)
on conflict (stocktake_id, sku_id) do nothing
"""

# The counts themselves. Expected = on hand now (the balance as this statement sees it), so the
# moves since the snapshot are netted out whatever order concurrent moves commit in; the ledger
# cut is recorded beside it. "add" adds to the line's count (scans), "set" replaces it.
COUNT: LiteralString = """
with cut as (select coalesce(max(l.id), 0) as ledger_id from stock_ledger l where l.store_id = %(store)s),
c as (
    select u.sku_id, u.qty, coalesce(b.on_hand, 0) as on_hand, s.is_weighed
    from unnest(%(skus)s::text[], %(qtys)s::numeric[]) as u(sku_id, qty)
    join sku s on s.id = u.sku_id
    left join stock_balance b on b.store_id = %(store)s and b.sku_id = u.sku_id
)
update stocktake_line t
set counted_qty = case when %(add)s then coalesce(t.counted_qty, 0) + c.qty else c.qty end,
    counted_at = now(), counted_by = %(actor)s, count_ledger_id = cut.ledger_id, expected_qty = c.on_hand,
    moves_after_snapshot = c.on_hand - t.snapshot_qty,
    variance = case when %(add)s then coalesce(t.counted_qty, 0) + c.qty else c.qty end - c.on_hand
from c, cut
where t.stocktake_id = %(id)s and t.sku_id = c.sku_id
returning t.sku_id, c.is_weighed, t.snapshot_qty, t.counted_qty, t.expected_qty, t.variance
"""

# Variance lines still without a reason (approval refuses them).
REASONS_MISSING: LiteralString = """
select t.sku_id, s.code as sku_code, s.name as sku_name
from stocktake_line t join sku s on s.id = t.sku_id
where t.stocktake_id = %s and t.variance <> 0 and t.reason is null
order by s.code
"""

UNCOUNTED: LiteralString = """
select t.sku_id, s.code as sku_code, s.name as sku_name
from stocktake_line t join sku s on s.id = t.sku_id
where t.stocktake_id = %s and t.counted_qty is null
order by s.code
"""

MOVE_STATUS: LiteralString = """
update stocktake
set status = %(to)s, updated_at = now(), version = version + 1,
    submitted_by = case when %(to)s = 'review' then %(actor)s else submitted_by end,
    submitted_at = case when %(to)s = 'review' then now() else submitted_at end,
    approved_by = case when %(to)s = 'approved' then %(actor)s else approved_by end,
    approved_at = case when %(to)s = 'approved' then now() else approved_at end,
    cancelled_by = case when %(to)s = 'cancelled' then %(actor)s else cancelled_by end,
    cancelled_at = case when %(to)s = 'cancelled' then now() else cancelled_at end,
    variance_value = coalesce(%(value)s, variance_value),
    approval_threshold = coalesce(%(threshold)s, approval_threshold)
where id = %(id)s
returning version
"""

SET_REASONS: LiteralString = """
update stocktake_line t
set reason = u.reason, note = u.note
from unnest(%(skus)s::text[], %(reasons)s::text[], %(notes)s::text[]) as u(sku_id, reason, note)
where t.stocktake_id = %(id)s and t.sku_id = u.sku_id
returning t.sku_id
"""

RECOUNT: LiteralString = """
update stocktake_line
set counted_qty = null, counted_at = null, counted_by = null, count_ledger_id = null, expected_qty = null,
    moves_after_snapshot = null, variance = null, reason = null, note = '', recount = true,
    recounts = recounts + 1
where stocktake_id = %(id)s and sku_id = any(%(skus)s::text[])
returning sku_id
"""

LINES: LiteralString = """
select t.sku_id, s.code as sku_code, s.name as sku_name, s.unit, s.is_weighed, t.in_snapshot, t.snapshot_qty,
       t.counted_qty, t.counted_at, t.counted_by, t.count_ledger_id, t.expected_qty, t.moves_after_snapshot,
       t.variance, t.reason, t.note, t.recount, t.recounts
from stocktake_line t join sku s on s.id = t.sku_id
where t.stocktake_id = %(id)s
  and (%(only)s::text is null
       or (%(only)s = 'variance' and t.variance <> 0)
       or (%(only)s = 'uncounted' and t.counted_qty is null))
  and (%(q)s::text is null or s.code ilike %(q)s or s.name ilike %(q)s)
  and (%(after)s::text is null or s.code > %(after)s)
order by s.code
limit %(limit)s
"""

BUMP: LiteralString = """
update stocktake set version = version + 1, updated_at = now() where id = %s returning version
"""

# A count file's valid rows, summed per SKU (one row per scan is the usual scanner file).
IMPORTED_COUNTS: LiteralString = """
select data ->> 'sku_id' as sku_id, sum((data ->> 'quantity')::numeric) as quantity
from import_row where job_id = %s and action = 'update'
group by 1 order by 1
"""
