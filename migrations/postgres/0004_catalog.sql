-- Catalog and prices (issue 4, plan §3.1, §9.1): categories, brands, SKUs with pack levels and
-- barcodes, images, price timelines with HQ guards, and the two-phase import pipeline.
--
-- Master data is HQ-wide (store_id null) or local to one store (a store's own fresh produce):
-- every table carrying a SKU's rows has store_id and is under RLS (shared_when_null).

create extension if not exists btree_gist;

-- Idempotency keys (API-CONVENTIONS: "a repeat returns the first result"), for every module's
-- creating writes. The response is stored in the transaction that did the work, so a repeat
-- either finds it or waits on the unique key until the first attempt commits or rolls back.
create table idempotency_key (
    actor      text not null,
    key        text not null,
    operation  text not null,
    request    text not null,                  -- hash of the request body: same key, other body → 422
    response   jsonb not null,
    created_at timestamptz not null default now(),
    primary key (actor, key)
);

create table category (
    id         text primary key default gen_random_uuid()::text,
    code       text not null unique,
    name       text not null,
    parent_id  text references category (id),
    -- materialized path of ids, '/root/child/…/self/': a subtree is one prefix scan, and
    -- moving a category rewrites its subtree's paths in one statement.
    path       text collate "C" not null unique,
    depth      integer not null,
    sort       integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version    integer not null default 1
);
create index category_parent on category (parent_id);
create unique index category_sibling_name on category (coalesce(parent_id, ''), name);

create table brand (
    id         text primary key default gen_random_uuid()::text,
    code       text not null unique,
    name       text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version    integer not null default 1
);
create unique index brand_name on brand (lower(name));

create table sku (
    id              text primary key default gen_random_uuid()::text,
    code            text not null unique,          -- the human SKU code (商品编码)
    store_id        text references store (id),    -- null: HQ-wide; else local to one store
    name            text not null,
    short_name      text not null default '',
    brand_id        text references brand (id),
    category_id     text not null references category (id),
    unit            text not null default '个',     -- base (selling) unit: 瓶, 个, kg …
    is_weighed      boolean not null default false,  -- sold by weight: fractional quantities
    plu             text unique,                     -- scale PLU for variable-weight labels
    tax_rate        numeric(5, 4) not null check (tax_rate >= 0 and tax_rate < 1),
    origin          text not null default '',
    shelf_life_days integer check (shelf_life_days is null or shelf_life_days >= 0),
    status          text not null default 'draft' check (status in ('draft', 'active', 'discontinued')),
    attributes      jsonb not null default '{}',
    import_job_id   text,                           -- the import that created it (rollback)
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    version         integer not null default 1
);
create index sku_category on sku (category_id);
create index sku_brand on sku (brand_id);
create index sku_store on sku (store_id);
create index sku_status on sku (status);
select ucm_protect_store_rows('sku', shared_when_null => true);

-- Pack levels above the base unit: 箱 = 24 瓶. The base unit itself is the SKU's unit.
create table sku_pack (
    id         text primary key default gen_random_uuid()::text,
    sku_id     text not null references sku (id) on delete cascade,
    store_id   text,
    name       text not null,
    quantity   numeric(12, 3) not null check (quantity > 0),  -- base units per pack
    created_at timestamptz not null default now(),
    unique (sku_id, name)
);
select ucm_protect_store_rows('sku_pack', shared_when_null => true);

-- A barcode belongs to one SKU (primary key), at one pack level (null: the base unit).
create table barcode (
    code       text collate "C" primary key,
    sku_id     text not null references sku (id) on delete cascade,
    pack_id    text references sku_pack (id) on delete cascade,
    store_id   text,
    kind       text not null check (kind in ('ean13', 'ean8', 'upca', 'internal')),
    created_at timestamptz not null default now()
);
create index barcode_sku on barcode (sku_id);
select ucm_protect_store_rows('barcode', shared_when_null => true);

create table sku_image (
    id           text primary key default gen_random_uuid()::text,
    sku_id       text not null references sku (id) on delete cascade,
    store_id     text,
    object_key   text not null unique,
    thumb_key    text not null,
    content_type text not null,
    size         bigint not null,
    width        integer not null,
    height       integer not null,
    position     integer not null,
    is_main      boolean not null default false,
    created_at   timestamptz not null default now()
);
create index sku_image_sku on sku_image (sku_id, position);
create unique index sku_image_one_main on sku_image (sku_id) where is_main;
select ucm_protect_store_rows('sku_image', shared_when_null => true);

-- Member tiers (the members module will own members; prices need the tier codes now).
create table member_tier (
    code text primary key,
    name text not null,
    rank integer not null unique
);
insert into member_tier (code, name, rank) values
    ('normal', '普通会员', 1), ('silver', '银卡会员', 2), ('gold', '金卡会员', 3);

-- Prices as a timeline. standard and member rows are in force from starts_at until the next
-- row of the same (sku, store, kind, tier) starts; temporary rows (markdowns) have an end and
-- must not overlap. Rows are never rewritten: a change is a new row, a scheduled change that
-- has not started can be cancelled (status), so the timeline is its own history.
create table price (
    id            text primary key default gen_random_uuid()::text,
    sku_id        text not null references sku (id) on delete cascade,
    store_id      text references store (id),  -- null: HQ-wide price list
    kind          text not null check (kind in ('standard', 'member', 'temporary')),
    tier          text references member_tier (code),  -- member prices: null = every member
    amount        numeric(12, 2) not null check (amount > 0),
    starts_at     timestamptz not null,
    ends_at       timestamptz,
    status        text not null default 'active' check (status in ('active', 'cancelled')),
    note          text not null default '',
    import_job_id text,
    created_by    text not null,
    created_at    timestamptz not null default now(),
    cancelled_by  text,
    cancelled_at  timestamptz,
    check ((kind = 'temporary') = (ends_at is not null)),
    check (ends_at is null or ends_at > starts_at),
    check (kind = 'member' or tier is null),
    exclude using gist (sku_id with =, (coalesce(store_id, '')) with =, (coalesce(tier, '')) with =,
                        tstzrange(starts_at, ends_at) with &&)
        where (status = 'active' and kind = 'temporary')
);
-- Lookup: the newest row that has started, per (sku, store, kind, tier).
create index price_lookup on price (sku_id, kind, store_id, starts_at desc) where status = 'active';
create unique index price_one_start on price (sku_id, coalesce(store_id, ''), kind, coalesce(tier, ''), starts_at)
    where status = 'active' and kind <> 'temporary';
select ucm_protect_store_rows('price', shared_when_null => true);

-- HQ's limits on store prices: a store's price must stay within
-- [HQ price × (1 − max_down_pct%), HQ price × (1 + max_up_pct%)]. store_id null: the default.
create table price_guard (
    id           text primary key default gen_random_uuid()::text,
    store_id     text references store (id),
    max_down_pct numeric(5, 2) not null check (max_down_pct between 0 and 100),
    max_up_pct   numeric(6, 2) not null check (max_up_pct >= 0),
    updated_by   text not null,
    updated_at   timestamptz not null default now(),
    version      integer not null default 1
);
create unique index price_guard_store on price_guard (coalesce(store_id, ''));
select ucm_protect_store_rows('price_guard', shared_when_null => true);
insert into price_guard (store_id, max_down_pct, max_up_pct, updated_by) values (null, 30, 20, 'system');

-- Saved list filters and column settings of the admin UI, per user.
create table user_view (
    id         text primary key default gen_random_uuid()::text,
    user_id    text not null references app_user (id) on delete cascade,
    page       text not null,
    name       text not null,
    state      jsonb not null,
    created_at timestamptz not null default now(),
    unique (user_id, page, name)
);
