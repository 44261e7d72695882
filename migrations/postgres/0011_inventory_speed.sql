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
