-- Where a transfer may go. A store manager sees only their own store under RLS, yet must pick
-- the destination of a transfer: this answers the active stores' code and name (what is on the
-- transfer slip) and nothing else — no address, staff or figures.
create function ucm_transfer_destinations() returns table (id text, code text, name text, region_id text)
language sql stable security definer set search_path = public, pg_temp as $$
    select id, code, name, region_id from store where status = 'active' order by code
$$;
