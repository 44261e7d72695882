-- Reservations, stock alerts and their thresholds (issue 5, plan §9.2). Reservations are rows
-- with an expiry; stock_balance.reserved follows from them in the same statement (see
-- ucm/inventory/reservations_sql.py), and the invariant check holds the two together.

create table stock_reservation (
    id              text primary key default gen_random_uuid()::text,
    store_id        text not null references store (id),
    sku_id          text not null references sku (id),
    quantity        numeric(14, 3) not null check (quantity > 0),
    ref             text,                     -- e.g. the order id
    status          text not null default 'active'
                        check (status in ('active', 'released', 'consumed', 'expired')),
    expires_at      timestamptz not null,
    idempotency_key text not null,
    request         text not null,            -- hash of the request: same key, other request → 422
    actor           text not null,
    created_at      timestamptz not null default now(),
    ended_at        timestamptz,
    check ((status = 'active') = (ended_at is null)),
    -- one request (key) reserves each SKU once: its lines are one row per SKU
    unique (store_id, idempotency_key, sku_id)
);
-- The sweeper's scan (only active rows are indexed) and the invariant's sum per store × SKU.
create index stock_reservation_expiry on stock_reservation (expires_at) where status = 'active';
create index stock_reservation_active on stock_reservation (store_id, sku_id) include (quantity)
    where status = 'active';
create index stock_reservation_ref on stock_reservation (store_id, ref);
select ucm_protect_store_rows('stock_reservation');

-- Per store: the default low-stock threshold (null: no low-stock alerts unless a SKU has its
-- own) and after how many days without a sale a SKU on hand is a slow mover.
alter table stock_policy
    add column low_stock_default numeric(14, 3) check (low_stock_default >= 0),
    add column slow_mover_days   integer not null default 30 check (slow_mover_days between 1 and 365);

create table stock_threshold (
    store_id   text not null references store (id),
    sku_id     text not null references sku (id),
    low_stock  numeric(14, 3) not null check (low_stock >= 0),
    actor      text not null,
    updated_at timestamptz not null default now(),
    primary key (store_id, sku_id)
);
select ucm_protect_store_rows('stock_threshold');

create table stock_alert (
    id              text primary key default gen_random_uuid()::text,
    store_id        text not null references store (id),
    sku_id          text not null references sku (id),
    kind            text not null check (kind in ('low_stock', 'slow_mover', 'negative')),
    status          text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
    on_hand         numeric(14, 3) not null,  -- when raised (refreshed while the alert stays open)
    threshold       numeric(14, 3),           -- low_stock: the threshold that applied
    last_sale_at    timestamptz,              -- slow_mover: the last sale seen (null: none on record)
    opened_at       timestamptz not null default now(),
    acknowledged_at timestamptz,
    acknowledged_by text,
    resolved_at     timestamptz,
    check ((status = 'resolved') = (resolved_at is not null))
);
-- One unresolved alert per store × SKU × kind: raising again refreshes it.
create unique index stock_alert_one_open on stock_alert (store_id, sku_id, kind) where status <> 'resolved';
create index stock_alert_store on stock_alert (store_id, status, kind, opened_at desc);
select ucm_protect_store_rows('stock_alert');

-- "Allow and flag": a balance that goes below zero opens a `negative` alert in the same
-- transaction as the move, and one back at or above zero resolves it. The WHEN clauses are
-- evaluated without calling the function, so ordinary moves (sign unchanged) pay nothing.
create function stock_negative_flag() returns trigger language plpgsql as $$
begin
    if new.on_hand < 0 then
        insert into stock_alert (store_id, sku_id, kind, on_hand)
        values (new.store_id, new.sku_id, 'negative', new.on_hand)
        on conflict (store_id, sku_id, kind) where status <> 'resolved' do update set on_hand = excluded.on_hand;
    else
        update stock_alert set status = 'resolved', resolved_at = now(), on_hand = new.on_hand
        where store_id = new.store_id and sku_id = new.sku_id and kind = 'negative' and status <> 'resolved';
    end if;
    return null;
end $$;
create trigger stock_balance_went_negative after insert on stock_balance
    for each row when (new.on_hand < 0) execute function stock_negative_flag();
create trigger stock_balance_sign_changed after update of on_hand on stock_balance
    for each row when ((new.on_hand < 0) <> (old.on_hand < 0)) execute function stock_negative_flag();

-- The last sale of a store × SKU (alerts list, slow movers): an index-only backward scan of
-- sale rows alone; it costs an index entry on sale lines only.
create index stock_ledger_sales on stock_ledger (store_id, sku_id, occurred_at) where reason = 'sale';
