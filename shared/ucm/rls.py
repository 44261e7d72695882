"""Row-level security for store-scoped tables.

Adding a store-scoped table is one step in its migration, right after ``create table``:

    select ucm_protect_store_rows('stock_ledger');               -- rows of the caller's stores
    select ucm_protect_store_rows('price', shared_when_null => true)  -- + HQ-wide rows (store_id null)

The policies read the scope that ``ucm.db`` sets in every transaction (``app.scope_all``,
``app.store_ids``). The migrator refuses to finish while any table with a ``store_id``
column lacks row-level security (``unprotected``), so forgetting the step fails loudly.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import LiteralString

_UNPROTECTED: LiteralString = """
select c.relname as table_name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
where c.relkind in ('r', 'p')
  and not c.relrowsecurity
  and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'store_id'
               and not a.attisdropped)
       or c.relname = 'store')
order by 1
"""


def unprotected(conn: Any) -> list[str]:
    """Store-scoped tables (a ``store_id`` column, or the store table itself) without RLS."""
    return [r[0] if isinstance(r, tuple) else r["table_name"] for r in conn.execute(_UNPROTECTED).fetchall()]
