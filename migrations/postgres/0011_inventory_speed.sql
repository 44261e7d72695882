-- Stock moves in one statement (ucm/inventory/sql.py, MOVE): the statement itself refuses a move
-- that must not be written (store not visible, unknown SKU, fractional count, idempotency key
-- taken, insufficient stock) by raising this error, so that its claim, balances, ledger rows,
-- audit row and events roll back together, whether it runs in a transaction of its own (one
-- round trip, committed at the pipeline's sync) or inside a caller's transaction. The message is
-- the problem's code; the detail is JSON for the answer (the SKUs concerned). moves.py turns it
-- into the HTTP problem.
create function ucm_refuse_move(problem text, detail jsonb) returns boolean
language plpgsql volatile as $$
begin
    raise exception using errcode = 'UC422', message = problem, detail = coalesce(detail::text, '');
end $$;

-- A move row's store needs no foreign key check: the move statement inserts it only for the store
-- it has just read (visible under RLS), and stores are closed, never deleted (no route deletes
-- one; stock_ledger has never had the key either). The check took a key-share lock on the one
-- store row with every move, so concurrent writers of a store shared that row through
-- multixacts: ≈ 12 % of a move's database CPU with 16 writers (bench.inventory_moves).
alter table stock_move drop constraint stock_move_store_id_fkey;
