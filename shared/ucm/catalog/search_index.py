"""SKUs in the search port (kind ``sku``): the documents, their refresh on ``sku.updated``,
the full reindex, and the query the catalog list uses.

A SKU document: ``title`` = name (+ short name when it adds words), ``codes`` = barcodes and
the SKU code (exact and prefix match), and filter fields ``brand_id``, ``category_ids`` (the
category and all its ancestors, so filtering on a category finds its whole subtree),
``status`` and ``store_id`` (None: HQ-wide, visible to every store).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from typing_extensions import LiteralString

from ucm import context
from ucm.db import Database, UnitOfWork
from ucm.ports import Search

KIND = "sku"

# One statement for any number of SKUs. category.path is '/root/…/self/': its ids are the
# category and its ancestors.
_DOCUMENTS: LiteralString = """
select s.id, s.code, s.store_id, s.name, s.short_name, s.brand_id, s.category_id, s.status,
       string_to_array(btrim(c.path, '/'), '/') as category_ids,
       coalesce(b.codes, '{}') as barcodes
  from sku s
  join category c on c.id = s.category_id
  left join (select sku_id, array_agg(code::text order by code) as codes
               from barcode where sku_id = any (%(ids)s::text[]) group by sku_id) b on b.sku_id = s.id
 where s.id = any (%(ids)s::text[])
 order by s.id
"""

_IDS_AFTER: LiteralString = """
select id from sku where (%(after)s::text is null or id > %(after)s) order by id limit %(n)s
"""


def _title(name: str, short_name: str) -> str:
    short = short_name.strip()
    return name if not short or short in name else f"{name} {short}"


def _document(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "title": _title(r["name"], r["short_name"]),
        "codes": [*r["barcodes"], r["code"]],
        "code": r["code"],
        "store_id": r["store_id"],
        "brand_id": r["brand_id"],
        "category_id": r["category_id"],
        "category_ids": list(r["category_ids"]),
        "status": r["status"],
    }


def sku_documents(uow: UnitOfWork, sku_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The search documents of the SKUs among ``sku_ids`` that exist (and ``uow`` sees)."""
    if not sku_ids:
        return []
    return [_document(r) for r in uow.all(_DOCUMENTS, {"ids": list(sku_ids)})]


def refresh(uow: UnitOfWork, search: Search, sku_ids: Sequence[str]) -> None:
    """Bring the documents of ``sku_ids`` up to date: upsert the SKUs that exist, delete the
    ones that are gone (deleted, or an import rolled back). Idempotent."""
    ids = list(dict.fromkeys(sku_ids))
    docs = sku_documents(uow, ids)
    search.upsert(KIND, docs)
    present = {d["id"] for d in docs}
    search.delete(KIND, [i for i in ids if i not in present])


def _all_documents(db: Database, batch: int, counter: list[int]) -> Iterator[dict[str, Any]]:
    after: str | None = None
    while True:
        with db.transaction() as uow:
            ids = [r["id"] for r in uow.all(_IDS_AFTER, {"after": after, "n": batch})]
            docs = sku_documents(uow, ids)
        if not ids:
            return
        counter[0] += len(docs)
        yield from docs
        after = ids[-1]


def reindex_all(db: Database, search: Search, batch: int = 2000) -> int:
    """Rebuild the whole ``sku`` kind from the database; returns the number of documents.
    Readers keep the old index until the new one is complete."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    counter = [0]
    # Every SKU of every store, whoever runs it: a scoped caller would otherwise rebuild the
    # index with only the SKUs they can see and drop the rest.
    with context.use(context.system("catalog-reindex", context.current().trace_id)):
        search.reindex(KIND, _all_documents(db, batch, counter))
    return counter[0]


def search_sku_ids(
    search: Search,
    text: str,
    *,
    store_ids: Sequence[str] | None = None,
    brand_id: str | None = None,
    category_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[str]:
    """SKU ids matching ``text`` (name, pinyin, initials, barcode, code), best first.
    ``store_ids`` None: every store the caller sees; else HQ-wide SKUs and those stores' local
    ones. ``category_id`` includes its subtree."""
    scope = context.current().scope
    if not scope.all_stores:
        # Bounded by the caller's own scope here, not only by RLS: OpenSearch has no RLS.
        store_ids = sorted(scope.store_ids if store_ids is None else set(store_ids) & scope.store_ids)
    filters: dict[str, str] = {}
    if brand_id is not None:
        filters["brand_id"] = brand_id
    if category_id is not None:
        filters["category_ids"] = category_id
    if status is not None:
        filters["status"] = status
    return [h.id for h in search.query(KIND, text, store_ids=store_ids, filters=filters, limit=limit)]
