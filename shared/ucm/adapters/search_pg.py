"""Search on PostgreSQL (the embedded default of the search port): pg_trgm on titles, a
C-collated btree for exact and prefix barcode matches, and pinyin / initials columns.

Tables ``search_document`` (the documents, under RLS), ``search_code`` and ``search_match``
(what documents are matched on, without RLS so that their indexes serve; migrations 0002 and
0006). Chinese product words are mostly two characters, shorter than a trigram, so title
matches first look up the query's character pairs in the ``grams`` GIN index (CJK bigrams,
as OpenSearch's cjk analyzer) and then check the ILIKE on those rows only. Filters match the
``facets`` array (``field=value`` for string fields and each string of list fields).
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
from ucm.text import contains_pattern

# One statement per chunk of documents: rows travel as one JSON array.
_UPSERT: LiteralString = """
insert into search_document (kind, id, store_id, title, codes, tags, pinyin, initials, doc, updated_at)
select %(kind)s, t.id, t.store_id, t.title, t.codes, t.tags, t.pinyin, t.initials, t.doc, now()
  from jsonb_to_recordset(%(rows)s::jsonb) as t (id text, store_id text, title text, codes text[], tags text[],
                                                 pinyin text, initials text, doc jsonb)
on conflict (kind, id) do update
   set store_id = excluded.store_id, title = excluded.title, codes = excluded.codes,
       tags = excluded.tags, pinyin = excluded.pinyin, initials = excluded.initials,
       doc = excluded.doc, updated_at = now()
"""
_UPSERT_MATCH: LiteralString = """
insert into search_match (kind, id, title, pinyin, initials, shared, facets)
select %(kind)s, t.id, t.title, t.pinyin, t.initials, t.shared, t.facets
  from jsonb_to_recordset(%(rows)s::jsonb) as t (id text, title text, pinyin text, initials text, shared boolean,
                                                 facets text[])
on conflict (kind, id) do update
   set title = excluded.title, pinyin = excluded.pinyin, initials = excluded.initials, shared = excluded.shared,
       facets = excluded.facets
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
_DELETE_MATCH: LiteralString = """
delete from search_match where kind = %(kind)s and (%(ids)s::text[] is null or id = any (%(ids)s::text[]))
"""
_DELETE_DOCS: LiteralString = """
delete from search_document where kind = %(kind)s and (%(ids)s::text[] is null or id = any (%(ids)s::text[]))
"""

# One static statement: each branch is one ranking tier, switched off by its guard when it
# does not apply. psycopg sends an unnamed statement, which PostgreSQL plans with the
# parameter values as constants, so a false guard removes its branch and ^@ on the
# C-collated code column becomes a btree range scan.
#
# Candidates come from search_code and search_match, which have no RLS, so their indexes
# serve (migration 0006): title words through the grams index, then ILIKE on those rows;
# filters through the facets index. Only the best ``overfetch`` candidates are joined to
# search_document, where RLS and the store filter apply. When fewer than ``limit`` rows come
# back from a full set of candidates, the adapter asks again with no cap: the result is exact.
_QUERY: LiteralString = """
with hits (id, score, sim, title) as (
    select c.id, case when c.code = %(code)s::text then %(t_exact)s else %(t_prefix)s end, 0, null
      from search_code c
     where %(code)s::text <> '' and c.kind = %(kind)s and c.code ^@ %(code)s::text
       and (%(unscoped)s or exists (select from search_match m where m.kind = c.kind and m.id = c.id
                                    and (m.shared or m.facets && %(store_facets)s::text[])
                                    and m.facets @> %(facets)s::text[]))
    union all
    select m.id, %(t_contains)s,
           case when m.title ilike %(starts)s then 2 when m.title ilike %(word_starts)s then 1 else 0 end, m.title
      from search_match m
     where %(text)s::text <> '' and m.kind = %(kind)s and m.grams @> %(grams)s::text[]
       and (%(grams_exact)s or m.title ilike %(contains)s)
       and (%(any_store)s or m.shared or m.facets && %(store_facets)s::text[]) and m.facets @> %(facets)s::text[]
    union all
    select m.id, %(t_terms)s,
           case when m.title ilike %(starts)s then 2 when m.title ilike %(word_starts)s then 1 else 0 end, m.title
      from search_match m
     where %(multi)s and m.kind = %(kind)s and m.grams @> %(grams)s::text[]
       and m.title ilike all (%(term_patterns)s::text[])
       and (%(any_store)s or m.shared or m.facets && %(store_facets)s::text[]) and m.facets @> %(facets)s::text[]
    union all
    select m.id, %(t_similar)s + similarity(m.title, %(text)s::text), 0, m.title from search_match m
     where %(fuzzy)s and m.kind = %(kind)s and m.title %% %(text)s::text
       and (%(any_store)s or m.shared or m.facets && %(store_facets)s::text[]) and m.facets @> %(facets)s::text[]
    union all
    select m.id, %(t_initials)s, 0, m.title from search_match m
     where %(py)s::text is not null and m.kind = %(kind)s and m.initials like %(py_contains)s
       and (%(any_store)s or m.shared or m.facets && %(store_facets)s::text[]) and m.facets @> %(facets)s::text[]
    union all
    select m.id, %(t_pinyin)s, 0, m.title from search_match m
     where %(py)s::text is not null and m.kind = %(kind)s and m.pinyin like %(py_contains)s
       and (%(any_store)s or m.shared or m.facets && %(store_facets)s::text[]) and m.facets @> %(facets)s::text[]
    union all
    select m.id, 0, 0, m.title from search_match m
     where %(text)s::text = '' and m.kind = %(kind)s
       and (%(any_store)s or m.shared or m.facets && %(store_facets)s::text[]) and m.facets @> %(facets)s::text[]
), ranked as (
    select id, max(score) as score, max(sim) as sim, length(max(title)) as len
      from hits
     group by id
     order by 2 desc, 3 desc, 4, 1
     limit %(overfetch)s
)
select r.id, r.score, d.doc, (select count(*) from ranked) as ranked
  from ranked r
  join search_document d
    on d.kind = %(kind)s and d.id = r.id
   and (%(stores)s::text[] is null or d.store_id is null or d.store_id = any (%(stores)s::text[]))
 order by r.score desc, r.sim desc, r.len, r.id
 limit %(limit)s
"""
# Inside a tier: titles that start with the query, then titles with a word that starts with
# it, then shorter titles (the plain product before its variants: 可口可乐 330ml before
# 可口可乐 零度 500ml). A per-row similarity() would cost ~4 µs × thousands of rows for a
# common word; the fuzzy tier's own score already holds its similarity. A code hit
# carries no title (a lookup per hit): hits found only by code go by id within their tier.
# Candidates are narrowed to the caller's stores with the store_id facet before ranking.

_TIERS = {
    "t_exact": sd.EXACT_CODE,
    "t_prefix": sd.CODE_PREFIX,
    "t_contains": sd.TITLE_CONTAINS,
    "t_terms": sd.TITLE_ALL_TERMS,
    "t_similar": sd.TITLE_SIMILAR,
    "t_initials": sd.INITIALS,
    "t_pinyin": sd.PINYIN,
}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _last_per_id(docs: Sequence[Mapping[str, Any]]) -> list[sd.IndexedDoc]:
    return list({d.id: d for d in map(sd.IndexedDoc.of, docs)}.values())


_CHUNK = 1000
# Candidates ranked beyond the limit, for the ones the caller may not see (other stores' own SKUs).
_OVERFETCH = 100


def _chunks(docs: Iterable[Mapping[str, Any]], n: int) -> Iterator[list[Mapping[str, Any]]]:
    it = iter(docs)
    while chunk := list(islice(it, n)):
        yield chunk


def _facets(d: sd.IndexedDoc) -> list[str]:
    """``field=value`` of each filterable value; the store always (it scopes the candidates)."""
    out = {f"{k}={v}" for k, vs in sd.filter_values(d.doc).items() for v in ([vs] if isinstance(vs, str) else vs)}
    if d.store_id is not None:
        out.add(f"store_id={d.store_id}")
    return sorted(out)


def _write(conn: Connection[DictRow], kind: str, docs: list[sd.IndexedDoc]) -> None:
    if not docs:
        return
    rows = [{"id": d.id, "store_id": d.store_id, "title": d.title, "codes": d.codes, "tags": d.tags,
             "pinyin": d.pinyin, "initials": d.initials, "doc": d.doc} for d in docs]
    conn.execute(_UPSERT, {"kind": kind, "rows": Jsonb(rows, dumps=_json)})
    match = [{"id": d.id, "title": d.title, "pinyin": d.pinyin, "initials": d.initials,
              "shared": d.store_id is None, "facets": _facets(d)} for d in docs]
    conn.execute(_UPSERT_MATCH, {"kind": kind, "rows": Jsonb(match, dumps=_json)})
    conn.execute(_DELETE_CODES, {"kind": kind, "ids": [d.id for d in docs]})
    pairs = [(d.id, code) for d in docs for code in d.codes]
    conn.execute(_INSERT_CODES, (kind, [p[0] for p in pairs], [p[1] for p in pairs]))


def _delete(conn: Connection[DictRow], kind: str, ids: list[str] | None) -> None:
    """Delete ``ids`` of ``kind`` (None: all of them)."""
    conn.execute(_DELETE_CODES, {"kind": kind, "ids": ids})
    conn.execute(_DELETE_MATCH, {"kind": kind, "ids": ids})
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
        n = sd.check_limit(limit)
        facets = [f"{k}={v}" for k, v in sd.check_filters(filters).items()]
        params: dict[str, Any] = {
            **_TIERS,
            "kind": kind,
            "code": q.code,
            "text": q.text,
            "contains": contains_pattern(q.text),
            "starts": contains_pattern(q.text)[1:],
            "word_starts": "% " + contains_pattern(q.text)[1:],
            "multi": len(q.terms) > 1,
            # Two characters or fewer share at most one trigram with a title that does not
            # contain them: the fuzzy tier could only find what the contains tier found.
            # A number is a code or a size, never a misspelt title.
            "fuzzy": len(q.text) > 2 and not q.text.isdigit(),
            "term_patterns": [contains_pattern(t) for t in q.terms],
            "py": q.pinyin,
            "py_contains": contains_pattern(q.pinyin or ""),
            "stores": None if store_ids is None else list(store_ids),
            "limit": n,
            "overfetch": n + _OVERFETCH,
            "grams": sd.query_grams(q.text),
            # One word of one or two characters: its gram is in a title's grams exactly when
            # the title contains it, so the ILIKE would only repeat the index's answer.
            "grams_exact": len(q.terms) == 1 and len(q.text) <= 2,
            "facets": facets,
            "any_store": store_ids is None,
            "store_facets": [f"store_id={s}" for s in store_ids or ()],
            "unscoped": not facets and store_ids is None,
        }
        # In the caller's transaction scope: RLS hides other stores' documents even if the
        # store_ids filter were wrong.
        with self._db.transaction() as uow:
            rows = uow.conn.execute(_QUERY, params).fetchall()
            if len(rows) < n and (not rows or rows[0]["ranked"] == params["overfetch"]):
                # The caller may not see enough of the best candidates: rank them all.
                rows = uow.conn.execute(_QUERY, {**params, "overfetch": None}).fetchall()
        return [SearchHit(id=r["id"], score=float(r["score"]), doc=r["doc"]) for r in rows]

    def ping(self) -> None:
        with self._db.connection() as conn:
            conn.execute("select 1 from search_document limit 1")

    def close(self) -> None:
        return None  # the Database belongs to whoever built this adapter
