-- Stocktakes (盘点, issue 5): a count against a snapshot while the store keeps trading (不停业盘点).
-- Create (snapshot of on hand) → counts (manual or scanner file) → submit → reasons for variances
-- (recount of selected lines possible) → approval (two people above HQ's threshold) → the variances
-- are posted as stocktake_gain / stocktake_loss ledger entries. See ucm/inventory/stocktakes.py.

-- HQ's setting, one row: above this variance value (money) a second person must approve.
create table stocktake_setting (
    id                 boolean primary key default true check (id),
    approval_threshold numeric(14, 2) not null default 500.00 check (approval_threshold >= 0),
    updated_by         text,
    updated_at         timestamptz not null default now(),
    version            integer not null default 1
);
insert into stocktake_setting default values;
-- Readable by everyone; only a caller with the global (HQ) scope may change it (the service
-- checks it too, this makes it hold for any code path).
alter table stocktake_setting enable row level security;
create policy setting_read on stocktake_setting for select using (true);
-- (ucm_store_visible(null) is true only for the global scope.)
create policy setting_hq_change on stocktake_setting for update
    using (ucm_store_visible(null)) with check (ucm_store_visible(null));

create table stocktake (
    id                 text primary key default gen_random_uuid()::text,
    code               text not null unique,             -- PD20261129-3F9A2C
    store_id           text not null references store (id),
    category_ids       text[] not null default '{}',     -- empty: the whole store; else these subtrees
    status             text not null default 'counting' check (status in (
                           'counting', 'review', 'approved', 'cancelled')),
    note               text not null default '',
    snapshot_at        timestamptz not null default now(),
    -- The store's last ledger id seen by the snapshot: the cut between "in the snapshot" and
    -- "moves after it" (stock of a SKU added later is the ledger sum up to here).
    snapshot_ledger_id bigint not null,
    created_by         text not null,
    created_at         timestamptz not null default now(),
    submitted_by       text,
    submitted_at       timestamptz,
    approved_by        text,
    approved_at        timestamptz,
    cancelled_by       text,
    cancelled_at       timestamptz,
    variance_value     numeric(14, 2),                   -- Σ |variance| × standard price, at approval
    approval_threshold numeric(14, 2),                   -- HQ's threshold applied at approval
    updated_at         timestamptz not null default now(),
    version            integer not null default 1
);
-- One open stocktake per store: a second one would count the same shelves against another cut.
create unique index stocktake_one_open on stocktake (store_id) where status in ('counting', 'review');
create index stocktake_list on stocktake (created_at desc, id desc);
create index stocktake_store on stocktake (store_id, created_at desc, id desc);
select ucm_protect_store_rows('stocktake');

create table stocktake_line (
    stocktake_id         text not null references stocktake (id),
    store_id             text not null,
    sku_id               text not null references sku (id),
    in_snapshot          boolean not null default true,  -- false: found on the shelf, added at its count
    snapshot_qty         numeric(14, 3) not null,        -- on hand at the snapshot
    counted_qty          numeric(14, 3) check (counted_qty >= 0),  -- null: not counted (yet, or again)
    counted_at           timestamptz,
    counted_by           text,
    count_ledger_id      bigint,                         -- the store's last ledger id seen by the count
    expected_qty         numeric(14, 3),                 -- on hand at the count
    moves_after_snapshot numeric(14, 3),                 -- expected_qty − snapshot_qty: trading netted out
    variance             numeric(14, 3),                 -- counted_qty − expected_qty
    reason               text check (reason in (
                             'damage', 'theft', 'expired', 'counting_error', 'receiving_error', 'other')),
    note                 text not null default '',
    recount              boolean not null default false, -- sent back for a recount in review
    recounts             integer not null default 0,
    primary key (stocktake_id, sku_id)
);
create index stocktake_line_uncounted on stocktake_line (stocktake_id) where counted_qty is null;
select ucm_protect_store_rows('stocktake_line');

-- A scanner file belongs to one stocktake: the job names its target (null for other kinds).
alter table import_job add column target_id text;
