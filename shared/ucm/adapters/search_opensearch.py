"""Search on OpenSearch / Alibaba Cloud Elasticsearch (the cloud adapter of the search port).

One index per kind behind the alias ``{prefix}-{kind}``; an index template (``{prefix}-*``)
gives titles the ``cjk`` analyzer (CJK bigrams, so the two-character 可乐 matches 可口可乐),
codes, store ids and the pinyin keys keyword fields. ``reindex`` builds a fresh index and
swaps the alias, so readers never see a half-built index.

Ranking follows the same tiers as the PostgreSQL adapter (``search_doc``): a ``dis_max`` of
constant-score tiers; inside a tier, as there, titles that start with the query (a small
constant boost), then titles with a word that starts with it, then shorter titles.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ucm.adapters import search_doc as sd
from ucm.ports import SearchHit

_INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9_.\-]*")
_TIE_BREAK_BOOST = 0.01  # keeps the word-start tie-break far below the gap between two tiers


def _wildcard_contains(text: str) -> str:
    return "*" + re.sub(r"([\\*?])", r"\\\1", text) + "*"


def _const(query: dict[str, Any], boost: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": boost}}


def _word_start(text: str) -> dict[str, Any]:
    """A small boost (far below the gap between two tiers): 2 units when the title starts with
    ``text``, 1 when one of its words does."""
    escaped = re.sub(r"([\\*?])", r"\\\1", text)
    return {"dis_max": {"queries": [
        _const({"wildcard": {"title.raw": {"value": escaped + "*", "case_insensitive": True}}}, 2 * _TIE_BREAK_BOOST),
        _const({"wildcard": {"title.raw": {"value": "* " + escaped + "*", "case_insensitive": True}}},
               _TIE_BREAK_BOOST),
    ]}}


def _contains(field: str, text: str) -> dict[str, Any]:
    return {"wildcard": {field: {"value": _wildcard_contains(text), "case_insensitive": True}}}


def template_body(prefix: str) -> dict[str, Any]:
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1},  # small indexes; one shard keeps scores comparable
            "mappings": {
                # f.*: the document's top-level string (and string list) fields, for equality
                # filters (brand, status, the category path …)
                "dynamic_templates": [{"filter_fields": {
                    "path_match": "f.*", "mapping": {"type": "keyword", "ignore_above": 1024}}}],
                "properties": {
                    "id": {"type": "keyword"},
                    "title": {"type": "text", "analyzer": "cjk", "fields": {"raw": {"type": "keyword"}}},
                    "title_len": {"type": "integer"},
                    "codes": {"type": "keyword"},
                    "store_id": {"type": "keyword"},
                    "tags": {"type": "keyword"},
                    "pinyin": {"type": "keyword"},
                    "initials": {"type": "keyword"},
                    "doc": {"type": "object", "enabled": False},  # returned as-is, not indexed
                    "f": {"type": "object", "dynamic": True},
                },
            },
        },
    }


def source_of(d: sd.IndexedDoc) -> dict[str, Any]:
    return {
        "id": d.id,
        "title": d.title,
        "title_len": len(d.title),
        "codes": d.codes,
        "store_id": d.store_id,
        "tags": d.tags,
        "pinyin": d.pinyin,
        "initials": d.initials,
        "doc": d.doc,
        # What PgSearch's facets hold: string fields, and string lists (a keyword field matches
        # a term when any of its values is that term, as a facet array contains it).
        "f": sd.filter_values(d.doc),
    }


def query_body(
    text: str, store_ids: Sequence[str] | None, filters: Mapping[str, str] | None, limit: int
) -> dict[str, Any]:
    q = sd.ParsedQuery.of(text)
    tiers: list[dict[str, Any]] = []
    if q.code:
        tiers += [_const({"term": {"codes": q.code}}, sd.EXACT_CODE),
                  _const({"prefix": {"codes": q.code}}, sd.CODE_PREFIX)]
    if q.text:
        similar = {"match": {"title": {"query": q.text, "minimum_should_match": "60%"}}}
        # The fuzzy tier orders its hits by how alike they are (BM25 on the title's bigrams),
        # as PgSearch's adds the trigram similarity: a misspelt name finds its product first.
        tiers += [_const(_contains("title.raw", q.text), sd.TITLE_CONTAINS),
                  {"bool": {"must": [_const(similar, sd.TITLE_SIMILAR)],
                            "should": [{"match": {"title": {"query": q.text, "boost": _TIE_BREAK_BOOST}}}]}}]
    if len(q.terms) > 1:
        tiers.append(_const({"bool": {"filter": [_contains("title.raw", t) for t in q.terms]}},
                            sd.TITLE_ALL_TERMS))
    if q.pinyin:
        tiers += [_const(_contains("initials", q.pinyin), sd.INITIALS),
                  _const(_contains("pinyin", q.pinyin), sd.PINYIN)]
    must: dict[str, Any] = {"dis_max": {"queries": tiers}} if tiers else {"match_all": {}}

    scope: list[dict[str, Any]] = [{"term": {f"f.{k}": v}} for k, v in sd.check_filters(filters).items()]
    if store_ids is not None:
        scope.append({"bool": {"minimum_should_match": 1, "should": [
            {"bool": {"must_not": {"exists": {"field": "store_id"}}}},
            {"terms": {"store_id": list(store_ids)}},
        ]}})
    return {
        "size": limit,
        "query": {"bool": {
            "must": [must],
            "should": [_word_start(q.text)] if q.text else [],
            "filter": scope,
        }},
        # As PgSearch: inside a tier, titles starting with the query, then with a word starting
        # with it, then shorter titles.
        # unmapped_type: an index built before title_len existed sorts until `ucm reindex sku`.
        "sort": [{"_score": "desc"}, {"title_len": {"order": "asc", "unmapped_type": "integer"}}, {"id": "asc"}],
        "_source": ["doc"],
    }


class OpenSearchSearch:
    adapter_name = "opensearch"

    def __init__(self, url: str, index_prefix: str = "ucm", *, timeout_s: float = 5.0) -> None:
        # Imported here: opensearch-py costs ~0.2 s to import, paid only where OS__URL is set.
        from opensearchpy import OpenSearch, helpers

        if not _INDEX_NAME.fullmatch(index_prefix):
            raise ValueError(f"index prefix must be lower-case letters, digits, _ . -: {index_prefix!r}")
        self.index_prefix = index_prefix
        self._client: Any = OpenSearch(hosts=[url], timeout=timeout_s, max_retries=1, retry_on_timeout=False)
        self._helpers: Any = helpers
        self._lock = threading.Lock()
        self._template_ready = False
        self._kinds_ready: set[str] = set()

    # -- indexes ---------------------------------------------------------------------------

    def alias(self, kind: str) -> str:
        name = f"{self.index_prefix}-{kind}"
        if not _INDEX_NAME.fullmatch(kind):
            raise ValueError(f"search kind must be lower-case letters, digits, _ . -: {kind!r}")
        return name

    def _ensure_template(self) -> None:
        if not self._template_ready:
            self._client.indices.put_index_template(name=f"{self.index_prefix}-search",
                                                    body=template_body(self.index_prefix))
            self._template_ready = True

    def _ensure_index(self, kind: str) -> str:
        alias = self.alias(kind)
        with self._lock:
            if kind in self._kinds_ready:
                return alias
            self._ensure_template()
            if not self._client.indices.exists_alias(name=alias):
                # A fixed first name: two instances racing here create one index, not two
                # behind one alias (which would have no write index).
                self._client.indices.create(index=f"{alias}-v0", body={"aliases": {alias: {}}},
                                            params={"ignore": 400})
            self._kinds_ready.add(kind)
        return alias

    def _indexes_behind(self, alias: str) -> list[str]:
        if not self._client.indices.exists_alias(name=alias):
            return []
        return list(self._client.indices.get_alias(name=alias))

    def _bulk(self, actions: Iterator[dict[str, Any]], refresh: str) -> None:
        self._helpers.bulk(self._client, actions, refresh=refresh, ignore_status=(404,))

    # -- the port --------------------------------------------------------------------------

    def upsert(self, kind: str, docs: Sequence[Mapping[str, Any]]) -> None:
        prepared = [sd.IndexedDoc.of(d) for d in docs]
        if not prepared:
            return
        alias = self._ensure_index(kind)
        self._bulk(({"_op_type": "index", "_index": alias, "_id": d.id, "_source": source_of(d)}
                    for d in prepared), refresh="wait_for")

    def delete(self, kind: str, ids: Sequence[str]) -> None:
        alias = self.alias(kind)
        if ids and self._indexes_behind(alias):
            self._bulk(({"_op_type": "delete", "_index": alias, "_id": i} for i in ids), refresh="wait_for")

    def query(
        self,
        kind: str,
        text: str,
        *,
        store_ids: Sequence[str] | None = None,
        filters: Mapping[str, str] | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        body = query_body(text, store_ids, filters, sd.check_limit(limit))
        result = self._client.search(index=self.alias(kind), body=body,
                                     params={"ignore_unavailable": "true", "allow_no_indices": "true"})
        return [SearchHit(id=h["_id"], score=float(h["_score"] or 0.0), doc=h["_source"]["doc"])
                for h in result["hits"]["hits"]]

    def reindex(self, kind: str, docs: Iterable[Mapping[str, Any]]) -> None:
        """Build a new index with ``docs`` (may be a generator: streamed to the bulk API),
        point the alias at it, drop the old index. A bad document leaves the alias alone."""
        alias = self.alias(kind)
        with self._lock:
            self._ensure_template()
        new = f"{alias}-v{time.time_ns()}"
        self._client.indices.create(index=new)
        try:
            self._bulk(({"_op_type": "index", "_index": new, "_id": d.id, "_source": source_of(d)}
                        for d in map(sd.IndexedDoc.of, docs)), refresh="true")
        except BaseException:
            self._client.indices.delete(index=new, params={"ignore": 404})
            raise
        old = self._indexes_behind(alias)
        actions = [{"remove": {"index": i, "alias": alias}} for i in old] + [{"add": {"index": new, "alias": alias}}]
        self._client.indices.update_aliases(body={"actions": actions})  # atomic swap
        for index in old:
            self._client.indices.delete(index=index, params={"ignore": 404})
        with self._lock:
            self._kinds_ready.add(kind)

    def drop(self, kind: str) -> None:
        """Delete every index behind the kind's alias."""
        for index in self._indexes_behind(self.alias(kind)):
            self._client.indices.delete(index=index, params={"ignore": 404})
        with self._lock:
            self._kinds_ready.discard(kind)

    def ping(self) -> None:
        self._client.info()  # raises with the reason; client.ping() would only say False

    def close(self) -> None:
        self._client.close()
