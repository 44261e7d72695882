-- Transfers between stores (调拨, issue 5): created at the source, shipped (transfer_out there,
-- in transit at the destination), received in one or more receipts (transfer_in there, in transit
-- reduced), closed with the outstanding quantity recorded as a discrepancy. See
-- ucm/inventory/transfers.py.

-- A transfer is seen by both stores' callers, so it cannot use ucm_protect_store_rows (one
-- column): the policies below admit a caller who has EITHER store in scope. Which side may act
-- is decided by the service (and, for the one cross-store write, by stock_transfer_ship below).
create function ucm_transfer_visible(from_store text, to_store text) returns boolean
language sql stable parallel safe as $$
    select ucm_store_visible(from_store) or ucm_store_visible(to_store)
$$;

create function ucm_protect_transfer_rows(tbl regclass) returns void language plpgsql as $$
begin
    execute format('alter table %s enable row level security', tbl);
    execute format('create policy transfer_read on %s for select using (ucm_transfer_visible(from_store_id, to_store_id))', tbl);
    execute format('create policy transfer_insert on %s for insert with check (ucm_transfer_visible(from_store_id, to_store_id))', tbl);
    execute format('create policy transfer_change on %s for update using (ucm_transfer_visible(from_store_id, to_store_id))'
                   ' with check (ucm_transfer_visible(from_store_id, to_store_id))', tbl);
end $$;

-- Human-readable codes: TR20261129-0001, numbered per Shanghai day across the chain.
create table stock_transfer_counter (
    day  date primary key,
    last integer not null
);

create table stock_transfer (
    id              text primary key default gen_random_uuid()::text,
    code            text not null unique,
    from_store_id   text not null references store (id),
    to_store_id     text not null references store (id),
    status          text not null default 'created' check (status in (
                        'created', 'shipped', 'partially_received', 'received', 'closed', 'cancelled')),
    note            text not null default '',
    idempotency_key text,
    request         text not null,            -- hash of the create body: same key, other body → 422
    created_by      text not null,
    created_at      timestamptz not null default now(),
    shipped_by      text,
    shipped_at      timestamptz,
    closed_by       text,
    closed_at       timestamptz,
    cancelled_by    text,
    cancelled_at    timestamptz,
    updated_at      timestamptz not null default now(),
    version         integer not null default 1,
    check (from_store_id <> to_store_id),
    unique (from_store_id, idempotency_key),
    unique (id, from_store_id, to_store_id)   -- lines and receipts carry both stores (their RLS)
);
create index stock_transfer_from on stock_transfer (from_store_id, created_at desc, id desc);
create index stock_transfer_to on stock_transfer (to_store_id, created_at desc, id desc);
create index stock_transfer_list on stock_transfer (created_at desc, id desc);
select ucm_protect_transfer_rows('stock_transfer');

create table stock_transfer_line (
    transfer_id        text not null,
    from_store_id      text not null,
    to_store_id        text not null,
    sku_id             text not null references sku (id),
    qty_requested      numeric(14, 3) not null check (qty_requested > 0),
    qty_shipped        numeric(14, 3) not null default 0 check (qty_shipped >= 0),
    qty_received       numeric(14, 3) not null default 0 check (qty_received >= 0),
    qty_lost           numeric(14, 3) not null default 0 check (qty_lost >= 0),  -- written off at close
    discrepancy_reason text check (discrepancy_reason in ('damaged', 'short', 'over', 'wrong_item', 'other')),
    discrepancy_note   text not null default '',
    primary key (transfer_id, sku_id),
    foreign key (transfer_id, from_store_id, to_store_id)
        references stock_transfer (id, from_store_id, to_store_id)
);
create index stock_transfer_line_in_transit on stock_transfer_line (to_store_id, sku_id);
select ucm_protect_transfer_rows('stock_transfer_line');

-- One row per receipt (partial receipts are several); lines: [{sku_id, qty, discrepancy_reason,
-- note}]. The key is unique per transfer, so a repeated receipt finds the first one.
create table stock_transfer_receipt (
    id              text primary key default gen_random_uuid()::text,
    transfer_id     text not null,
    from_store_id   text not null,
    to_store_id     text not null,
    idempotency_key text not null,
    request         text not null,
    move_id         text references stock_move (id),
    lines           jsonb not null,
    actor           text not null,
    created_at      timestamptz not null default now(),
    unique (transfer_id, idempotency_key),
    foreign key (transfer_id, from_store_id, to_store_id)
        references stock_transfer (id, from_store_id, to_store_id)
);
select ucm_protect_transfer_rows('stock_transfer_receipt');

-- "Does this store exist and take transfers?" for a caller who may not have it in scope (a
-- source store sending to another region): answers that and nothing else.
create function ucm_store_accepts_transfer(p_store text) returns boolean
language sql stable security definer set search_path = public, pg_temp as $$
    select exists (select 1 from store where id = p_store and status = 'active')
$$;

-- The ship transition, the one write of a transfer into the other store's rows: the source's
-- caller marks it shipped and the shipped quantities go in transit at the destination, whose
-- balance rows RLS would hide from that caller. It acts only on a transfer still 'created', at
-- the version given, of a source store the caller has in scope, so it applies at most once and
-- for nobody else. Returns the SKUs whose in transit changed (the service ships at least one
-- line, so no row means nothing happened: stale version, wrong state or not the source's caller).
create function stock_transfer_ship(p_transfer text, p_version integer, p_actor text)
returns table (sku_id text)
language sql volatile security definer set search_path = public, pg_temp as $$
    with t as (
        update stock_transfer
        set status = 'shipped', shipped_by = p_actor, shipped_at = now(), updated_at = now(),
            version = version + 1
        where id = p_transfer and version = p_version and status = 'created' and ucm_store_visible(from_store_id)
        returning id, to_store_id
    ), b as (
        insert into stock_balance as sb (store_id, sku_id, in_transit)
        select t.to_store_id, l.sku_id, l.qty_shipped
        from t join stock_transfer_line l on l.transfer_id = t.id
        where l.qty_shipped > 0
        order by l.sku_id
        on conflict (store_id, sku_id) do update
            set in_transit = sb.in_transit + excluded.in_transit, updated_at = now()
        returning sb.sku_id
    )
    select b.sku_id from b
$$;

-- The two stores' names of a transfer the caller sees: a store manager is shown the other
-- store's name on transfers it is party to, and nothing about stores it has no transfer with.
create function ucm_transfer_store_names(p_transfer text)
returns table (from_store_code text, from_store_name text, to_store_code text, to_store_name text)
language sql stable security definer set search_path = public, pg_temp as $$
    select f.code, f.name, d.code, d.name
    from stock_transfer t join store f on f.id = t.from_store_id join store d on d.id = t.to_store_id
    where t.id = p_transfer and ucm_transfer_visible(t.from_store_id, t.to_store_id)
$$;
