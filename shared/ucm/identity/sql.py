"""Every SQL statement of the identity module, in one place."""

from __future__ import annotations

from typing_extensions import LiteralString

# --- catalog sync (run by the migrator) ------------------------------------------------------

UPSERT_PERMISSION: LiteralString = """
insert into permission (code, name, module) values (%s, %s, %s)
on conflict (code) do update set name = excluded.name, module = excluded.module
"""
UPSERT_BUILTIN_ROLE: LiteralString = """
insert into role (code, name, builtin, permissions) values (%s, %s, true, %s)
on conflict (code) do update set name = excluded.name, permissions = excluded.permissions, builtin = true
"""

# --- grants ----------------------------------------------------------------------------------

# A user's bindings with region scopes expanded to store ids. Runs in the system scope.
USER_GRANTS: LiteralString = """
select u.id, u.username, u.display_name, u.status, b.role_code, b.scope_type, b.scope_ids, r.permissions,
       case b.scope_type
           when 'stores' then b.scope_ids
           when 'regions' then array(select s.id from store s where s.region_id = any (b.scope_ids))
           else '{}'::text[]
       end as store_ids
from app_user u
left join role_binding b on b.user_id = u.id
left join role r on r.code = b.role_code
where u.id = %s
"""

SESSION_STATE: LiteralString = """
select revoked_at is null and refresh_expires_at > now() as live from auth_session where id = %s
"""

API_KEY_BY_PREFIX: LiteralString = """
select k.id, k.name, k.key_hash, k.permissions, k.scope_type, k.revoked_at,
       case k.scope_type
           when 'stores' then k.scope_ids
           when 'regions' then array(select s.id from store s where s.region_id = any (k.scope_ids))
           else '{}'::text[]
       end as store_ids
from api_key k where k.prefix = %s
"""
TOUCH_API_KEY: LiteralString = "update api_key set last_used_at = now() where id = %s"

# --- login and sessions ----------------------------------------------------------------------

USER_FOR_LOGIN: LiteralString = """
select id, username, display_name, password_hash, status, totp_secret, totp_enabled, failed_logins,
       locked_until, locked_until > now() as locked, must_change_password,
       exists (select 1 from role_binding b where b.user_id = app_user.id and b.role_code = 'hq_admin') as hq
from app_user where lower(username) = lower(%s) for update
"""
LOGIN_FAILED: LiteralString = """
update app_user set failed_logins = failed_logins + 1,
       locked_until = case when failed_logins + 1 >= %(max)s then now() + %(lock)s * interval '1 second'
                           else locked_until end
where id = %(id)s
returning failed_logins, locked_until > now() as locked
"""
LOGIN_OK: LiteralString = """
update app_user set failed_logins = 0, locked_until = null, last_login_at = now(), password_hash = %s where id = %s
"""
NEW_SESSION: LiteralString = """
insert into auth_session (user_id, refresh_hash, refresh_expires_at, source_ip, user_agent)
values (%s, %s, now() + %s * interval '1 second', %s, %s) returning id
"""
SESSION_BY_REFRESH: LiteralString = """
select s.id, s.user_id, s.revoked_at is null and s.refresh_expires_at > now() as live, u.status
from auth_session s join app_user u on u.id = s.user_id where s.refresh_hash = %s for update of s
"""
ROTATE_REFRESH: LiteralString = """
update auth_session set refresh_hash = %s, refresh_expires_at = now() + %s * interval '1 second', last_used_at = now()
where id = %s
"""
REVOKE_SESSION: LiteralString = "update auth_session set revoked_at = now() where id = %s and revoked_at is null"
REVOKE_USER_SESSIONS: LiteralString = """
update auth_session set revoked_at = now() where user_id = %s and revoked_at is null returning id
"""

ME: LiteralString = """
select id, username, display_name, totp_enabled, must_change_password from app_user where id = %s
"""
PASSWORD_ROW: LiteralString = "select username, password_hash from app_user where id = %s for update"
SET_PASSWORD: LiteralString = """
update app_user set password_hash = %s, must_change_password = %s, updated_at = now(), version = version + 1
where id = %s
"""
SET_TOTP_SECRET: LiteralString = "update app_user set totp_secret = %s, totp_enabled = false where id = %s"
TOTP_ROW: LiteralString = "select totp_secret from app_user where id = %s for update"
ENABLE_TOTP: LiteralString = "update app_user set totp_enabled = true, updated_at = now() where id = %s"

# --- users and bindings ----------------------------------------------------------------------

BINDINGS_OF: LiteralString = """
select b.id as binding_id, b.user_id, b.role_code, r.name as role_name, b.scope_type, b.scope_ids
from role_binding b join role r on r.code = b.role_code
where b.user_id = any (%s) order by b.created_at, b.id
"""
# Users the caller may see: everyone for global scope; otherwise users none of whose bindings
# reach outside the caller's stores (the store table itself is under RLS here).
LIST_USERS: LiteralString = """
select u.id, u.username, u.display_name, u.status, u.last_login_at, u.created_at, u.version
from app_user u
where (
    %(all)s
    or (exists (select 1 from role_binding b where b.user_id = u.id)
        and not exists (
            select 1 from role_binding b
            where b.user_id = u.id
              and (b.scope_type = 'global'
                   or (b.scope_type = 'stores' and not b.scope_ids <@ array(select id from store))
                   or (b.scope_type = 'regions' and not b.scope_ids <@ %(regions)s::text[]))))
)
  and (%(q)s::text is null or u.username ilike %(q)s or u.display_name ilike %(q)s)
  and (%(status)s::text is null or u.status = %(status)s)
  and (%(id)s::text is null or u.id = %(id)s)
  and (%(after)s::text is null or u.username > %(after)s)
order by u.username
limit %(limit)s
"""
INSERT_USER: LiteralString = """
insert into app_user (username, display_name, password_hash, must_change_password)
values (%s, %s, %s, %s)
returning id, username, display_name, status, last_login_at, created_at, version
"""
USERNAME_TAKEN: LiteralString = "select 1 from app_user where lower(username) = lower(%s)"
UPDATE_USER: LiteralString = """
update app_user set display_name = %s, status = %s, updated_at = now(), version = version + 1
where id = %s and version = %s
returning id, username, display_name, status, last_login_at, created_at, version
"""
INSERT_BINDING: LiteralString = """
insert into role_binding (user_id, role_code, scope_type, scope_ids, granted_by)
values (%s, %s, %s, %s, %s) returning id
"""
DELETE_BINDING: LiteralString = """
delete from role_binding where id = %s and user_id = %s returning role_code, scope_type, scope_ids
"""

# --- roles -----------------------------------------------------------------------------------

LIST_PERMISSIONS: LiteralString = "select code, name, module from permission order by module, code"
LIST_ROLES: LiteralString = "select code, name, builtin, permissions, version from role order by builtin desc, code"
ROLE: LiteralString = "select code, name, builtin, permissions, version from role where code = %s"
INSERT_ROLE: LiteralString = """
insert into role (code, name, builtin, permissions) values (%s, %s, false, %s)
on conflict (code) do nothing returning code, name, builtin, permissions, version
"""
UPDATE_ROLE: LiteralString = """
update role set name = %s, permissions = %s, updated_at = now(), version = version + 1
where code = %s and version = %s and not builtin
returning code, name, builtin, permissions, version
"""
USERS_WITH_ROLE: LiteralString = "select distinct user_id from role_binding where role_code = %s"

# --- regions and stores (the store table is under RLS: these see the caller's stores) --------

LIST_REGIONS: LiteralString = "select id, code, name, version from region order by code"
REGION_IDS: LiteralString = "select id from region where id = any (%s)"
INSERT_REGION: LiteralString = """
insert into region (code, name) values (%s, %s) on conflict (code) do nothing returning id, code, name, version
"""
UPDATE_REGION: LiteralString = """
update region set name = %s, updated_at = now(), version = version + 1 where id = %s and version = %s
returning id, code, name, version
"""
REGION_VERSION: LiteralString = "select version from region where id = %s"
REGION_IN_USE: LiteralString = """
select exists (select 1 from store where region_id = %(id)s)
    or exists (select 1 from role_binding where scope_type = 'regions' and %(id)s = any (scope_ids))
    or exists (select 1 from api_key where scope_type = 'regions' and %(id)s = any (scope_ids)) as used
"""
DELETE_REGION: LiteralString = "delete from region where id = %s returning id, code, name"

_STORE_COLUMNS: LiteralString = """s.id, s.code, s.name, s.region_id, r.name as region_name, s.address,
       s.business_hours, s.status, s.timezone, s.version"""
LIST_STORES: LiteralString = "select " + _STORE_COLUMNS + """
from store s left join region r on r.id = s.region_id
where (%(region)s::text is null or s.region_id = %(region)s)
  and (%(status)s::text is null or s.status = %(status)s)
  and (%(q)s::text is null or s.code ilike %(q)s or s.name ilike %(q)s)
  and (%(after)s::text is null or s.code > %(after)s)
order by s.code limit %(limit)s
"""
GET_STORE: LiteralString = "select " + _STORE_COLUMNS + """
from store s left join region r on r.id = s.region_id where s.id = %s
"""
VISIBLE_STORE_IDS: LiteralString = "select id from store where id = any (%s)"
INSERT_STORE: LiteralString = """
insert into store (code, name, region_id, address, business_hours, status, timezone)
values (%s, %s, %s, %s, %s, %s, %s) on conflict (code) do nothing returning id
"""
UPDATE_STORE: LiteralString = """
update store set name = %s, region_id = %s, address = %s, business_hours = %s, status = %s, timezone = %s,
       updated_at = now(), version = version + 1
where id = %s and version = %s returning id
"""

# --- API keys --------------------------------------------------------------------------------

LIST_API_KEYS: LiteralString = """
select id, name, prefix, permissions, scope_type, scope_ids, created_by, created_at, last_used_at, revoked_at
from api_key order by created_at desc, id
"""
INSERT_API_KEY: LiteralString = """
insert into api_key (name, prefix, key_hash, permissions, scope_type, scope_ids, created_by)
values (%s, %s, %s, %s, %s, %s, %s)
returning id, name, prefix, permissions, scope_type, scope_ids, created_by, created_at, last_used_at, revoked_at
"""
REVOKE_API_KEY: LiteralString = """
update api_key set revoked_at = now() where id = %s and revoked_at is null returning prefix
"""
API_KEY_EXISTS: LiteralString = "select prefix from api_key where id = %s"

# --- audit -----------------------------------------------------------------------------------

LIST_AUDIT: LiteralString = """
select id::text as id, at, actor, action, target_type, target_id, store_id, before, after, request_id, source_ip
from audit_log
where (%(actor)s::text is null or actor = %(actor)s)
  and (%(action)s::text is null or action like %(action)s)
  and (%(target_type)s::text is null or target_type = %(target_type)s)
  and (%(target_id)s::text is null or target_id = %(target_id)s)
  and (%(store)s::text is null or store_id = %(store)s)
  and (%(from)s::timestamptz is null or at >= %(from)s)
  and (%(to)s::timestamptz is null or at < %(to)s)
  and (%(after_at)s::timestamptz is null or (at, audit_log.id) < (%(after_at)s, %(after_id)s::bigint))
order by at desc, audit_log.id desc
limit %(limit)s
"""

# --- saved views: a user's named list filters and column settings, per page of the admin UI -----

LIST_VIEWS: LiteralString = """
select id, page, name, state, created_at from user_view where user_id = %s and page = %s order by name
"""
UPSERT_VIEW: LiteralString = """
insert into user_view (user_id, page, name, state) values (%s, %s, %s, %s)
on conflict (user_id, page, name) do update set state = excluded.state
returning id, page, name, state, created_at
"""
DELETE_VIEW: LiteralString = "delete from user_view where id = %s and user_id = %s returning id"
