"""The catalog's SQL: categories, brands, SKUs, packs and barcodes, prices. RLS on sku, barcode,
sku_pack, sku_image and price limits every statement to what the caller may see."""

from typing_extensions import LiteralString

# --- categories ---------------------------------------------------------------------------------

LIST_CATEGORIES: LiteralString = """
select c.id, c.code, c.name, c.parent_id, c.depth, c.sort, c.version, c.path,
       (select array_agg(a.name order by a.depth) from category a where c.path ^@ a.path) as path_names,
       (select count(*) from sku s where s.category_id = c.id)::int as sku_count,
       (select count(*) from category k where k.parent_id = c.id)::int as child_count
from category c
order by c.path
"""
# Depth-first order by names rather than ids: sort each level by (sort, name).
GET_CATEGORY: LiteralString = "select id, code, name, parent_id, path, depth, sort, version from category where id = %s"
INSERT_CATEGORY: LiteralString = """
with new as (select gen_random_uuid()::text as id)
insert into category (id, code, name, parent_id, path, depth, sort)
select new.id, %(code)s, %(name)s, %(parent)s, coalesce(p.path, '/') || new.id || '/',
       coalesce(p.depth + 1, 1), %(sort)s
from new left join category p on p.id = %(parent)s
where %(parent)s::text is null or p.id is not null
on conflict do nothing
returning id
"""
UPDATE_CATEGORY: LiteralString = """
update category set name = %(name)s, sort = %(sort)s, updated_at = now(), version = version + 1
where id = %(id)s and version = %(version)s
returning id
"""
# Moving rewrites the path prefix (and depth) of the category and its whole subtree at once.
MOVE_CATEGORY: LiteralString = """
update category c
   set path = %(new_prefix)s || substr(c.path, length(%(old_prefix)s) + 1),
       depth = c.depth + %(depth_delta)s,
       parent_id = case when c.id = %(id)s then %(parent)s else c.parent_id end,
       updated_at = now()
 where c.path ^@ %(old_prefix)s
"""
CATEGORY_IN_USE: LiteralString = """
select exists (select 1 from category where parent_id = %(id)s) as children,
       exists (select 1 from sku where category_id = %(id)s) as skus
"""
SKUS_UNDER_CATEGORY: LiteralString = """
select id, store_id from sku where category_id in (select id from category where path ^@ %s)
"""
DELETE_CATEGORY: LiteralString = "delete from category where id = %s returning id, code, name, parent_id"

# --- brands -------------------------------------------------------------------------------------

LIST_BRANDS: LiteralString = """
select b.id, b.code, b.name, b.version,
       (select count(*) from sku s where s.brand_id = b.id)::int as sku_count
from brand b
where (%(q)s::text is null or b.name ilike %(q)s or b.code ilike %(q)s)
  and (%(after)s::text is null or b.code > %(after)s)
order by b.code
limit %(limit)s
"""
GET_BRAND: LiteralString = "select id, code, name, version from brand where id = %s"
INSERT_BRAND: LiteralString = """
insert into brand (code, name) values (%s, %s) on conflict do nothing returning id, code, name, version
"""
UPDATE_BRAND: LiteralString = """
update brand set name = %s, updated_at = now(), version = version + 1 where id = %s and version = %s
returning id, code, name, version
"""
SKUS_OF_BRAND: LiteralString = "select id, store_id from sku where brand_id = %s"
BRAND_IN_USE: LiteralString = "select exists (select 1 from sku where brand_id = %s) as used"
DELETE_BRAND: LiteralString = "delete from brand where id = %s returning id, code, name"

# --- SKUs ---------------------------------------------------------------------------------------

# The full SKU as the API shows it, for a set of ids (kept in the order asked for by the caller).
SKU_DETAILS: LiteralString = """
select s.id, s.code, s.store_id, s.name, s.short_name, s.brand_id, b.name as brand_name,
       s.category_id, c.name as category_name,
       (select array_agg(a.name order by a.depth) from category a where c.path ^@ a.path) as category_path,
       s.unit, s.is_weighed, s.plu, s.tax_rate, s.origin, s.shelf_life_days, s.status, s.attributes,
       coalesce((select json_agg(json_build_object('id', p.id, 'name', p.name, 'quantity', p.quantity)
                                 order by p.quantity, p.name)
                 from sku_pack p where p.sku_id = s.id), '[]') as packs,
       coalesce((select json_agg(json_build_object('code', bc.code, 'kind', bc.kind, 'pack_name', p.name)
                                 order by p.quantity nulls first, bc.code)
                 from barcode bc left join sku_pack p on p.id = bc.pack_id where bc.sku_id = s.id), '[]') as barcodes,
       (select json_build_object('id', i.id, 'object_key', i.object_key, 'thumb_key', i.thumb_key)
          from sku_image i where i.sku_id = s.id and i.is_main) as main_image,
       s.import_job_id, s.created_at, s.updated_at, s.version
from sku s
join category c on c.id = s.category_id
left join brand b on b.id = s.brand_id
where s.id = any (%(ids)s::text[])
"""
# The list without a search text: filters, then keyset order on code or updated_at.
_SKU_FILTERS: LiteralString = """
select s.id, s.code, s.updated_at
from sku s
where (%(store)s::text is null or s.store_id is null or s.store_id = %(store)s)
  and (%(status)s::text is null or s.status = %(status)s)
  and (%(brand)s::text is null or s.brand_id = %(brand)s)
  and (%(category_path)s::text is null
       or s.category_id in (select id from category where path ^@ %(category_path)s))
  and (%(barcode)s::text is null or s.id in (select sku_id from barcode where code = %(barcode)s))
"""
LIST_SKU_IDS: LiteralString = _SKU_FILTERS + """
  and (%(after_code)s::text is null or s.code > %(after_code)s)
order by s.code
limit %(limit)s
"""
LIST_SKU_IDS_RECENT: LiteralString = _SKU_FILTERS + """
  and (%(after_at)s::timestamptz is null or (s.updated_at, s.id) < (%(after_at)s, %(after_id)s))
order by s.updated_at desc, s.id desc
limit %(limit)s
"""
CATEGORY_EXISTS: LiteralString = "select 1 from category where id = %s"
BRAND_EXISTS: LiteralString = "select 1 from brand where id = %s"
SKU_HEAD: LiteralString = "select id, code, store_id, version from sku where id = %s"
INSERT_SKU: LiteralString = """
insert into sku (code, store_id, name, short_name, brand_id, category_id, unit, is_weighed, plu, tax_rate,
                 origin, shelf_life_days, status, attributes)
values (%(code)s, %(store_id)s, %(name)s, %(short_name)s, %(brand_id)s, %(category_id)s, %(unit)s,
        %(is_weighed)s, %(plu)s, %(tax_rate)s, %(origin)s, %(shelf_life_days)s, %(status)s, %(attributes)s)
returning id
"""
UPDATE_SKU: LiteralString = """
update sku set code = %(code)s, name = %(name)s, short_name = %(short_name)s, brand_id = %(brand_id)s,
       category_id = %(category_id)s, unit = %(unit)s, is_weighed = %(is_weighed)s, plu = %(plu)s,
       tax_rate = %(tax_rate)s, origin = %(origin)s, shelf_life_days = %(shelf_life_days)s,
       status = %(status)s, attributes = %(attributes)s, updated_at = now(), version = version + 1
where id = %(id)s and version = %(version)s
returning id
"""
BATCH_STATUS: LiteralString = """
update sku set status = %(status)s, updated_at = now(), version = version + 1
where id = any (%(ids)s::text[]) and status <> %(status)s
returning id, store_id
"""
VISIBLE_SKUS: LiteralString = "select id, store_id from sku where id = any (%s::text[])"
DELETE_PACKS: LiteralString = "delete from sku_pack where sku_id = %s"
DELETE_BARCODES: LiteralString = "delete from barcode where sku_id = %s"
INSERT_PACK: LiteralString = """
insert into sku_pack (sku_id, store_id, name, quantity) values (%s, %s, %s, %s) returning id
"""
INSERT_BARCODE: LiteralString = """
insert into barcode (code, sku_id, pack_id, store_id, kind) values (%s, %s, %s, %s, %s)
on conflict do nothing returning code
"""
# Who holds a barcode, whatever the caller's scope (for the error message only).
BARCODE_OWNER: LiteralString = "select s.code, s.name from barcode b join sku s on s.id = b.sku_id where b.code = %s"
# Scanned codes (``scans.resolve``): product and pack barcodes (a pack stands for its quantity of
# base units), and the PLUs of scale labels (the label carries the weight or the price).
SCANNED_BARCODES: LiteralString = """
select b.code, b.sku_id, p.name as pack_name, coalesce(p.quantity, 1) as per
from barcode b left join sku_pack p on p.id = b.pack_id
where b.code = any(%(codes)s::text[])
"""
SCANNED_PLUS: LiteralString = "select plu, id as sku_id from sku where plu = any(%(plus)s::text[])"

# --- prices -------------------------------------------------------------------------------------

# The price of each SKU at a store at a moment, for a member tier (null: not a member): the
# candidates of each rule, store rows before HQ-wide rows. One index range scan per candidate;
# a SKU the caller may not see gives no row.
EFFECTIVE_PRICES: LiteralString = """
select i.sku_id,
       st.id as standard_id, st.amount as standard_amount, st.store_id as standard_store,
       mb.id as member_id, mb.amount as member_amount, mb.store_id as member_store, mb.tier as member_tier,
       tp.id as temporary_id, tp.amount as temporary_amount, tp.store_id as temporary_store,
       tp.ends_at as temporary_ends_at
from unnest(%(ids)s::text[]) as i (sku_id)
join sku s on s.id = i.sku_id  -- only SKUs the caller may see (RLS)
left join lateral (
    select p.id, p.amount, p.store_id from price p
     where p.sku_id = i.sku_id and p.kind = 'standard' and p.status = 'active' and p.starts_at <= %(at)s
       and (p.store_id = %(store)s or p.store_id is null)
     order by p.store_id nulls last, p.starts_at desc limit 1) st on true
left join lateral (
    select p.id, p.amount, p.store_id, p.tier from price p
     where %(tier)s::text is not null
       and p.sku_id = i.sku_id and p.kind = 'member' and p.status = 'active' and p.starts_at <= %(at)s
       and (p.store_id = %(store)s or p.store_id is null) and (p.tier = %(tier)s or p.tier is null)
     order by p.store_id nulls last, p.tier nulls last, p.starts_at desc limit 1) mb on true
left join lateral (
    select p.id, p.amount, p.store_id, p.ends_at from price p
     where p.sku_id = i.sku_id and p.kind = 'temporary' and p.status = 'active'
       and p.starts_at <= %(at)s and p.ends_at > %(at)s
       and (p.store_id = %(store)s or p.store_id is null) and (p.tier is null or p.tier = %(tier)s)
     order by p.store_id nulls last, p.starts_at desc limit 1) tp on true
"""
# The HQ-wide standard price in force at a moment: the base of the store price guard.
HQ_STANDARD_AT: LiteralString = """
select amount from price
where sku_id = %s and kind = 'standard' and status = 'active' and store_id is null and starts_at <= %s
order by starts_at desc limit 1
"""
# The standard price in force for a store (its own, else HQ's) at a moment.
STANDARD_AT: LiteralString = """
select amount from price
where sku_id = %(sku)s and kind = 'standard' and status = 'active' and starts_at <= %(at)s
  and (store_id = %(store)s or store_id is null)
order by store_id nulls last, starts_at desc limit 1
"""
PRICE_GUARD: LiteralString = """
select store_id, max_down_pct, max_up_pct from price_guard
where store_id = %s or store_id is null order by store_id nulls last limit 1
"""
LIST_PRICE_GUARDS: LiteralString = """
select g.id, g.store_id, s.code as store_code, s.name as store_name, g.max_down_pct, g.max_up_pct,
       g.updated_by, g.updated_at, g.version
from price_guard g left join store s on s.id = g.store_id
order by g.store_id nulls first, s.code
"""
UPSERT_PRICE_GUARD: LiteralString = """
insert into price_guard (store_id, max_down_pct, max_up_pct, updated_by) values (%s, %s, %s, %s)
on conflict (coalesce(store_id, '')) do update
   set max_down_pct = excluded.max_down_pct, max_up_pct = excluded.max_up_pct,
       updated_by = excluded.updated_by, updated_at = now(), version = price_guard.version + 1
returning id, store_id, max_down_pct, max_up_pct, updated_by, updated_at, version
"""
INSERT_PRICE: LiteralString = """
insert into price (sku_id, store_id, kind, tier, amount, starts_at, ends_at, note, created_by)
values (%(sku)s, %(store)s, %(kind)s, %(tier)s, %(amount)s, %(starts_at)s, %(ends_at)s, %(note)s, %(actor)s)
returning id, sku_id, store_id, kind, tier, amount, starts_at, ends_at, status, note, created_by, created_at
"""
PRICE_TIMELINE: LiteralString = """
select id, sku_id, store_id, kind, tier, amount, starts_at, ends_at, status, note, created_by, created_at,
       cancelled_by, cancelled_at, import_job_id
from price
where sku_id = %(sku)s and (store_id is null or store_id = %(store)s)
order by starts_at, created_at
"""
GET_PRICE: LiteralString = """
select id, sku_id, store_id, kind, tier, amount, starts_at, ends_at, status, note, created_by, created_at
from price where id = %s for update
"""
CANCEL_PRICE: LiteralString = """
update price set status = 'cancelled', cancelled_by = %s, cancelled_at = now() where id = %s
returning id, sku_id, store_id, kind, tier, amount, starts_at, ends_at, status, note, created_by, created_at
"""
END_PRICE_NOW: LiteralString = """
update price set ends_at = now() where id = %s
returning id, sku_id, store_id, kind, tier, amount, starts_at, ends_at, status, note, created_by, created_at
"""
MEMBER_TIERS: LiteralString = "select code, name, rank from member_tier order by rank"
# Everything that can be in force now or later for one SKU, in every store (the cached price
# sheet): per (store, kind, tier) the row in force now and the scheduled ones; markdowns not over.
PRICE_SHEET: LiteralString = """
select s.store_id as sku_store_id, p.id, p.store_id, p.kind, p.tier, p.amount, p.starts_at, p.ends_at
from sku s
left join price p on p.sku_id = s.id and p.status = 'active' and (p.ends_at is null or p.ends_at > %(now)s)
 and not exists (select 1 from price n
                  where n.sku_id = p.sku_id and n.status = 'active' and n.kind = p.kind and p.kind <> 'temporary'
                    and n.store_id is not distinct from p.store_id and n.tier is not distinct from p.tier
                    and n.starts_at > p.starts_at and n.starts_at <= %(now)s)
where s.id = %(sku)s
"""
