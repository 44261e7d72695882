"""Search on PostgreSQL (the embedded default of the search port): pg_trgm on titles, a
C-collated btree for exact and prefix barcode matches, and pinyin / initials columns.

Table ``search_document`` (migrations 0002, 0006). Chinese product words are mostly two
characters, shorter than a trigram, so title matches first look up the query's character
pairs in the ``grams`` GIN index (CJK bigrams, as OpenSearch's cjk analyzer) and then check
the ILIKE on those rows only. Filters match the generated ``facets`` array.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb
from typing_extensions import LiteralString

from ucm.adapters import search_doc as sd
from ucm.db import Database
from ucm.ports import SearchHit

_UPSERT: LiteralString = """
insert into search_document (kind, id, store_id, title, codes, tags, pinyin, initials, doc, updated_at)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())
on conflict (kind, id) do update
   set store_id = excluded.store_id, title = excluded.title, codes = excluded.codes,
       tags = excluded.tags, pinyin = excluded.pinyin, initials = excluded.initials,
       doc = excluded.doc, updated_at = now()
"""

_INSERT_CODES: LiteralString = """
insert into search_code (kind, id, code)
select %s, t.id, t.code from unnest(%s::text[], %s::text[]) as t (id, code)
on conflict do nothing
"""
# ids null: the whole kind.
_DELETE_CODES: LiteralString = """
delete from search_code where kind = %(kind)s and (%(ids)s::text[] is null or id = any (%(ids)s::text[]))
"""
_DELETE_DOCS: LiteralString = """
delete from search_document where kind = %(kind)s and (%(ids)s::text[] is null or id = any (%(ids)s::text[]))
"""

# One static statement: each branch is one ranking tier, switched off by its guard when it
# does not apply. psycopg sends an unnamed statement, which PostgreSQL plans with the
# parameter values as constants, so a false guard removes its branch and ^@ on the
# C-collated code column becomes a btree range scan. Title matches go through the grams
# index first (migration 0006); filters are the facets array (string or list fields).
_QUERY: LiteralString = """
with hits (id, score) as (
    select c.id, case when c.code = %(code)s::text then %(t_exact)s else %(t_prefix)s end
      from search_code c
     where %(code)s::text <> '' and c.kind = %(kind)s and c.code ^@ %(code)s::text
    union all
    select d.id, %(t_contains)s from search_document d
     where %(text)s::text <> '' and d.kind = %(kind)s and d.grams @> %(grams)s::text[]
       and d.title ilike %(contains)s
    union all
    select d.id, %(t_terms)s from search_document d
     where %(multi)s and d.kind = %(kind)s and d.grams @> %(grams)s::text[]
       and d.title ilike all (%(term_patterns)s::text[])
    union all
    select d.id, %(t_similar)s + similarity(d.title, %(text)s::text) from search_document d
     where %(text)s::text <> '' and d.kind = %(kind)s and d.title %% %(text)s::text
    union all
    select d.id, %(t_initials)s from search_document d
     where %(py)s::text is not null and d.kind = %(kind)s and d.initials like %(py_contains)s
    union all
    select d.id, %(t_pinyin)s from search_document d
     where %(py)s::text is not null and d.kind = %(kind)s and d.pinyin like %(py_contains)s
    union all
    select d.id, 0 from search_document d
     where %(text)s::text = '' and d.kind = %(kind)s and d.facets @> %(facets)s::text[]
), best as (
    select id, max(score) as score from hits group by id
)
select d.id, b.score, d.doc
  from best b
  join search_document d on d.kind = %(kind)s and d.id = b.id
 where (%(stores)s::text[] is null or d.store_id is null or d.store_id = any (%(stores)s::text[]))
   and d.facets @> %(facets)s::text[]
 order by b.score desc, similarity(d.title, %(text)s::text) desc, length(d.title), d.id
 limit %(limit)s
"""

_TIERS = {
    "t_exact": sd.EXACT_CODE,
    "t_prefix": sd.CODE_PREFIX,
    "t_contains": sd.TITLE_CONTAINS,
    "t_terms": sd.TITLE_ALL_TERMS,
    "t_similar": sd.TITLE_SIMILAR,
    "t_initials": sd.INITIALS,
    "t_pinyin": sd.PINYIN,
}


def _contains(text: str) -> str:
    """An ILIKE pattern matching ``text`` anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _last_per_id(docs: Sequence[Mapping[str, Any]]) -> list[sd.IndexedDoc]:
    return list({d.id: d for d in map(sd.IndexedDoc.of, docs)}.values())


_CHUNK = 1000


def _chunks(docs: Iterable[Mapping[str, Any]], n: int) -> Iterator[list[Mapping[str, Any]]]:
    it = iter(docs)
    while chunk := list(islice(it, n)):
        yield chunk


def _write(conn: Connection[DictRow], kind: str, docs: list[sd.IndexedDoc]) -> None:
    conn.cursor().executemany(_UPSERT, [
        (kind, d.id, d.store_id, d.title, d.codes, d.tags, d.pinyin, d.initials, Jsonb(d.doc, dumps=_json))
        for d in docs
    ])
    conn.execute(_DELETE_CODES, {"kind": kind, "ids": [d.id for d in docs]})
    pairs = [(d.id, code) for d in docs for code in d.codes]
    conn.execute(_INSERT_CODES, (kind, [p[0] for p in pairs], [p[1] for p in pairs]))


def _delete(conn: Connection[DictRow], kind: str, ids: list[str] | None) -> None:
    """Delete ``ids`` of ``kind`` (None: all of them)."""
    conn.execute(_DELETE_CODES, {"kind": kind, "ids": ids})
    conn.execute(_DELETE_DOCS, {"kind": kind, "ids": ids})


class PgSearch:
    adapter_name = "postgres"

    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert(self, kind: str, docs: Sequence[Mapping[str, Any]]) -> None:
        prepared = _last_per_id(docs)  # validates every document before writing any
        if prepared:
            with self._db.transaction() as uow:
                _write(uow.conn, kind, prepared)

    def delete(self, kind: str, ids: Sequence[str]) -> None:
        if ids:
            with self._db.transaction() as uow:
                _delete(uow.conn, kind, list(ids))

    def drop(self, kind: str) -> None:
        """Remove every document of ``kind``."""
        with self._db.transaction() as uow:
            _delete(uow.conn, kind, None)

    def reindex(self, kind: str, docs: Iterable[Mapping[str, Any]]) -> None:
        """Replace every document of ``kind`` at once: readers see the old set or the new one.
        ``docs`` may be a generator (a whole catalog is written chunk by chunk)."""
        with self._db.transaction() as uow:
            _delete(uow.conn, kind, None)
            for chunk in _chunks(docs, _CHUNK):
                _write(uow.conn, kind, _last_per_id(chunk))

    def query(
        self,
        kind: str,
        text: str,
        *,
        store_ids: Sequence[str] | None = None,
        filters: Mapping[str, str] | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        q = sd.ParsedQuery.of(text)
        params: dict[str, Any] = {
            **_TIERS,
            "kind": kind,
            "code": q.code,
            "text": q.text,
            "contains": _contains(q.text),
            "multi": len(q.terms) > 1,
            "term_patterns": [_contains(t) for t in q.terms],
            "py": q.pinyin,
            "py_contains": _contains(q.pinyin or ""),
            "stores": None if store_ids is None else list(store_ids),
            "grams": sd.query_grams(q.text),
            "facets": [f"{k}={v}" for k, v in sd.check_filters(filters).items()],
            "limit": sd.check_limit(limit),
        }
        # In the caller's transaction scope: RLS hides other stores' documents even if the
        # store_ids filter were wrong.
        with self._db.transaction() as uow:
            rows = uow.conn.execute(_QUERY, params).fetchall()
        return [SearchHit(id=r["id"], score=float(r["score"]), doc=r["doc"]) for r in rows]

    def ping(self) -> None:
        with self._db.connection() as conn:
            conn.execute("select 1 from search_document limit 1")

    def close(self) -> None:
        return None  # the Database belongs to whoever built this adapter
