-- The import pipeline (plan §9.1), shared by every module that imports files (SKUs now, prices
-- and stock lists later): a job per uploaded file, its parsed rows, and the changes a commit
-- made so that it can be rolled back as a whole.

-- Two-phase import (plan §9.1): upload → parse, map and validate (import_row) → preview →
-- commit in one transaction (import_change keeps each entity's before-image) → rollback.
-- store_id: the store the import acts for (its prices become that store's prices); null = HQ.
create table import_job (
    id             text primary key default gen_random_uuid()::text,
    kind           text not null,             -- what the file holds: sku, …
    store_id       text references store (id),
    filename       text not null,
    object_key     text not null unique,
    content_type   text not null,
    status         text not null default 'awaiting_upload' check (status in (
                       'awaiting_upload', 'parsing', 'invalid', 'ready', 'committing', 'committed',
                       'failed', 'rolling_back', 'rolled_back', 'cancelled')),
    object_etag    text,                      -- the object version parsed (OSS redelivers)
    encoding       text,
    headers        text[] not null default '{}',
    mapping        jsonb not null default '{}',     -- header → field
    mapping_id     text,
    total_rows     integer not null default 0,
    processed_rows integer not null default 0,
    counts         jsonb not null default '{}',     -- {"create": n, "update": n, "unchanged": n, "error": n}
    message        text not null default '',
    created_by     text not null,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    committed_by   text,
    committed_at   timestamptz,
    rolled_back_by text,
    rolled_back_at timestamptz,
    version        integer not null default 1
);
create index import_job_created on import_job (created_at desc, id desc);
create index import_job_kind_status on import_job (kind, status);
select ucm_protect_store_rows('import_job');

-- Rows carry no store_id of their own: they are reached through their job, which is under RLS.
create table import_row (
    job_id         text not null references import_job (id) on delete cascade,
    row_no         integer not null,                  -- the row number as the user sees it in the file
    action         text not null check (action in ('create', 'update', 'unchanged', 'error')),
    key            text not null default '',          -- the SKU code
    data           jsonb not null,                    -- the normalised values (update: merged with current)
    diff           jsonb not null default '{}',       -- field → [old, new]
    errors         jsonb not null default '[]',       -- [{"column", "field", "code", "message", "value"}]
    entity_id      text,                              -- update: the row it changes
    entity_version integer,                           -- … and its version when validated (stale check)
    primary key (job_id, row_no)
);
create index import_row_action on import_row (job_id, action, row_no);

-- One before-image per entity the commit touched: rollback restores them set-wise.
-- before null: created by the import (rollback deletes it); after holds at least the version
-- the import left, so rollback can refuse when the entity changed since.
create table import_change (
    job_id    text not null references import_job (id) on delete cascade,
    seq       bigint generated always as identity,
    entity    text not null,                   -- sku (with its packs and barcodes), …
    entity_id text not null,
    before    jsonb,
    after     jsonb,
    primary key (job_id, seq)
);
create index import_change_entity on import_change (entity, entity_id);

create table import_mapping (
    id         text primary key default gen_random_uuid()::text,
    kind       text not null,
    name       text not null,
    columns    jsonb not null,                 -- header → field
    created_by text not null,
    created_at timestamptz not null default now(),
    unique (kind, name)
);

-- Rolling an import back deletes SKUs and packs set-wise; the foreign keys' cascades then look
-- rows up by these columns, which 0004 indexes only partially (price) or not at all (pack_id):
-- without them each deleted row costs a scan of the whole table.
-- (They belong with 0004_catalog.sql; once there, these two lines go.)
create index if not exists barcode_pack on barcode (pack_id) where pack_id is not null;
create index if not exists price_sku on price (sku_id);
