-- Inventory core (issue 5, plan §3.2, §9.2, §12): an append-only stock ledger per store × SKU,
-- balances written in the same statement as the ledger rows, idempotent moves, and the
-- negative-stock policy enforced by the database (see ucm/inventory/sql.py, APPLY).

-- Per store: refuse moves that would take on hand below zero (the default, also when no row
-- exists), or allow them (the balance goes negative and shows as such). Sales are never refused.
create table stock_policy (
    store_id       text primary key references store (id),
    negative_stock text not null default 'refuse' check (negative_stock in ('refuse', 'allow')),
    updated_at     timestamptz not null default now()
);
select ucm_protect_store_rows('stock_policy');

create table stock_balance (
    store_id   text not null references store (id),
    sku_id     text not null references sku (id),
    on_hand    numeric(14, 3) not null default 0,
    reserved   numeric(14, 3) not null default 0,
    in_transit numeric(14, 3) not null default 0,
    updated_at timestamptz not null default now(),
    primary key (store_id, sku_id)
);
create index stock_balance_sku on stock_balance (sku_id);
select ucm_protect_store_rows('stock_balance');

-- One row per accepted move; the idempotency key is unique per store, so a repeat (even a
-- concurrent one: it waits on the unique index) finds the first move instead of applying again.
create table stock_move (
    id              text primary key default gen_random_uuid()::text,
    store_id        text not null references store (id),
    idempotency_key text not null,
    request         text not null,            -- hash of the move: same key, other move → 422
    reason          text not null,
    ref             text,
    actor           text not null,
    created_at      timestamptz not null default now(),
    unique (store_id, idempotency_key)
);
select ucm_protect_store_rows('stock_move');

create table stock_ledger (
    id            bigint generated always as identity primary key,
    store_id      text not null,
    sku_id        text not null,
    qty_delta     numeric(14, 3) not null check (qty_delta <> 0),
    reason        text not null check (reason in (
                      'purchase_receipt', 'supplier_return', 'customer_return', 'damage', 'stocktake_gain',
                      'stocktake_loss', 'transfer_out', 'transfer_in', 'sale', 'sale_refund', 'adjustment')),
    reason_code   text,
    note          text not null default '',
    move_id       text not null references stock_move (id),
    actor         text not null,
    occurred_at   timestamptz not null default now(),
    on_hand_after numeric(14, 3) not null,
    check (reason <> 'adjustment' or reason_code is not null)
);
-- Stock as of T: the sum of qty_delta per store × SKU up to T, an index-only scan.
create index stock_ledger_as_of on stock_ledger (store_id, sku_id, occurred_at) include (qty_delta);
create index stock_ledger_store_id on stock_ledger (store_id, id desc);
create index stock_ledger_move on stock_ledger (move_id);
select ucm_protect_store_rows('stock_ledger');

-- Append-only, like audit_log: no row policy lets the app role change or remove a row, and a
-- trigger refuses it for everyone, the owner included. A mistake is a compensating entry.
drop policy store_scope_change on stock_ledger;
drop policy store_scope_delete on stock_ledger;
create function stock_ledger_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'stock_ledger is append-only: correct a mistake with a compensating entry'
        using errcode = 'insufficient_privilege';
end $$;
create trigger stock_ledger_no_update before update or delete on stock_ledger
    for each row execute function stock_ledger_immutable();
create trigger stock_ledger_no_truncate before truncate on stock_ledger
    for each statement execute function stock_ledger_immutable();
