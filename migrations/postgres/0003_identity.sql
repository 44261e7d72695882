-- Identity, access and store isolation: regions, stores, users, roles, bindings, sessions,
-- API keys; and row-level security on every store-scoped table.

-- The caller's scope, set per transaction by ucm.db (set_config(..., true)):
--   app.scope_all  'on' for global scope;  app.store_ids  comma-separated store ids.
-- A plain SQL function, so the planner inlines it into each policy (indexes stay usable).
create function ucm_store_visible(store text) returns boolean
language sql stable parallel safe as $$
    select coalesce(current_setting('app.scope_all', true), 'off') = 'on'
        or (store is not null
            and store = any (string_to_array(nullif(current_setting('app.store_ids', true), ''), ',')))
$$;

-- The one step that makes a table store-scoped (see ucm/rls.py):
--   select ucm_protect_store_rows('my_table');
-- shared_when_null: rows without a store (HQ-wide) are visible to everyone.
-- insert_any: any caller may append rows (audit: who did what is recorded whatever the scope).
create function ucm_protect_store_rows(
    tbl regclass, col name default 'store_id', shared_when_null boolean default false,
    insert_any boolean default false
) returns void language plpgsql as $$
declare
    visible text := format('ucm_store_visible(%I)', col);
begin
    if shared_when_null then
        visible := format('(%I is null or %s)', col, visible);
    end if;
    execute format('alter table %s enable row level security', tbl);
    execute format('drop policy if exists store_scope_read on %s', tbl);
    execute format('drop policy if exists store_scope_insert on %s', tbl);
    execute format('drop policy if exists store_scope_change on %s', tbl);
    execute format('drop policy if exists store_scope_delete on %s', tbl);
    execute format('create policy store_scope_read on %s for select using (%s)', tbl, visible);
    execute format('create policy store_scope_insert on %s for insert with check (%s)', tbl,
                   case when insert_any then 'true' else visible end);
    execute format('create policy store_scope_change on %s for update using (%s) with check (%s)', tbl, visible, visible);
    execute format('create policy store_scope_delete on %s for delete using (%s)', tbl, visible);
end $$;

-- Tables of the platform migration that carry a store.
select ucm_protect_store_rows('outbox');
select ucm_protect_store_rows('audit_log', insert_any => true);
select ucm_protect_store_rows('search_document', shared_when_null => true);

create table region (
    id         text primary key default gen_random_uuid()::text,
    code       text not null unique,
    name       text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version    integer not null default 1
);

create table store (
    id             text primary key default gen_random_uuid()::text,
    code           text not null unique,
    name           text not null,
    region_id      text references region (id),
    address        text not null default '',
    business_hours text not null default '07:00-23:00',
    status         text not null default 'active' check (status in ('active', 'preparing', 'closed')),
    timezone       text not null default 'Asia/Shanghai',
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    version        integer not null default 1
);
create index store_region on store (region_id);
-- A store is its own scope key.
select ucm_protect_store_rows('store', 'id');

create table app_user (
    id                   text primary key default gen_random_uuid()::text,
    username             text not null,
    display_name         text not null,
    password_hash        text not null,
    status               text not null default 'active' check (status in ('active', 'disabled')),
    must_change_password boolean not null default false,
    totp_secret          text,
    totp_enabled         boolean not null default false,
    failed_logins        integer not null default 0,
    locked_until         timestamptz,
    last_login_at        timestamptz,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    version              integer not null default 1
);
create unique index app_user_username on app_user (lower(username));

create table permission (
    code   text primary key,
    name   text not null,
    module text not null
);

create table role (
    code        text primary key,
    name        text not null,
    builtin     boolean not null default false,
    permissions text[] not null default '{}',
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    version     integer not null default 1
);

create table role_binding (
    id         text primary key default gen_random_uuid()::text,
    user_id    text not null references app_user (id) on delete cascade,
    role_code  text not null references role (code),
    scope_type text not null check (scope_type in ('global', 'regions', 'stores')),
    scope_ids  text[] not null default '{}',
    granted_by text not null,
    created_at timestamptz not null default now(),
    check ((scope_type = 'global') = (cardinality(scope_ids) = 0))
);
create index role_binding_user on role_binding (user_id);

-- A login session: the refresh token (hashed, rotated on use) and the access tokens minted
-- from it die together on logout.
create table auth_session (
    id                 text primary key default gen_random_uuid()::text,
    user_id            text not null references app_user (id) on delete cascade,
    refresh_hash       text not null unique,
    refresh_expires_at timestamptz not null,
    created_at         timestamptz not null default now(),
    last_used_at       timestamptz not null default now(),
    revoked_at         timestamptz,
    source_ip          text,
    user_agent         text
);
create index auth_session_user on auth_session (user_id);

create table api_key (
    id           text primary key default gen_random_uuid()::text,
    name         text not null,
    prefix       text not null unique,
    key_hash     text not null,
    permissions  text[] not null default '{}',
    scope_type   text not null check (scope_type in ('global', 'regions', 'stores')),
    scope_ids    text[] not null default '{}',
    created_by   text not null,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

create index audit_log_at on audit_log (at desc, id desc);
