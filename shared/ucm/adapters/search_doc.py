"""What both search adapters (PostgreSQL, OpenSearch) share: how a document is indexed, how a
query is read, and the ranking tiers, so both backends answer the same query the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ucm.text import normalize_code, pinyin_full, pinyin_initials, to_half_width

# Ranking tiers, best first. A hit scores its best tier (plus a small similarity tie-break
# in the fuzzy tiers), so an exact barcode always outranks a title that merely looks alike.
EXACT_CODE = 100.0
CODE_PREFIX = 80.0
TITLE_CONTAINS = 60.0  # the whole query text is in the title
TITLE_ALL_TERMS = 50.0  # every space-separated word is in the title
TITLE_SIMILAR = 40.0
INITIALS = 30.0  # kkkl → 可口可乐
PINYIN = 25.0  # kekou → 可口可乐

_PINYIN_QUERY = re.compile(r"(?=.*[a-z])[a-z0-9]+")
_FILTER_KEY = re.compile(r"[a-z_][a-z0-9_]*")
_NOT_FILTERS = frozenset({"id", "title", "codes"})  # searched, not filtered on


class InvalidDocument(ValueError):
    """A document without the fields search needs (id, title)."""


def code_key(code: str) -> str:
    """Codes compare without regard to width, spaces or letter case (``sku-1`` = ``SKU-1``)."""
    return normalize_code(code).upper()


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value if v is not None]
    return [str(value)]


@lru_cache(maxsize=65536)
def _word_pinyin(word: str, full: bool) -> str:
    return pinyin_full(word) if full else pinyin_initials(word)


def _pinyin_key(title: str, full: bool) -> str:
    """The title's pinyin key, word by word: product titles repeat a few thousand words
    (brands, product names, sizes), and pypinyin costs ~0.1 ms a call, so a reindex of a
    whole catalog computes each word once. Spaces are not part of a key, so this equals
    ``pinyin_full(title)`` / ``pinyin_initials(title)``."""
    return "".join(_word_pinyin(w, full) for w in title.split())


@dataclass(frozen=True)
class IndexedDoc:
    id: str
    title: str
    store_id: str | None
    codes: list[str]
    tags: list[str]
    pinyin: str
    initials: str
    doc: dict[str, Any]

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> IndexedDoc:
        doc_id, title = doc.get("id"), doc.get("title")
        if doc_id is None or str(doc_id) == "":
            raise InvalidDocument("search document needs an id")
        if not isinstance(title, str) or not title.strip():
            raise InvalidDocument(f"search document {doc_id!r} needs a title")
        store_id = doc.get("store_id")
        codes = dict.fromkeys(k for k in map(code_key, _strings(doc.get("codes"))) if k)  # dedupe, keep order
        return cls(
            id=str(doc_id),
            title=title.strip(),
            store_id=None if store_id is None else str(store_id),
            codes=list(codes),
            tags=_strings(doc.get("tags")),
            pinyin=_pinyin_key(title, full=True),
            initials=_pinyin_key(title, full=False),
            doc=dict(doc),
        )


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # trimmed, half-width; "" lists documents by title
    terms: list[str]  # the words of text
    code: str  # code_key(text)
    pinyin: str | None  # the text as a pinyin / initials key, when it can be one ("kkkl", "kekou")

    @classmethod
    def of(cls, text: str) -> ParsedQuery:
        clean = " ".join(to_half_width(text).split())
        compact = clean.replace(" ", "").lower()
        return cls(
            text=clean,
            terms=clean.split(),
            code=code_key(clean),
            pinyin=compact if _PINYIN_QUERY.fullmatch(compact) else None,
        )


def query_grams(text: str) -> list[str]:
    """The character pairs of each word of ``text`` (a one-character word stands for itself):
    a title containing ``text`` has all of them among its grams (``ucm_search_grams``)."""
    out: dict[str, None] = {}
    for word in text.lower().split():
        for g in ([word] if len(word) == 1 else [word[i:i + 2] for i in range(len(word) - 1)]):
            out[g] = None
    return list(out)


def filter_values(doc: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """The document's filterable fields: top-level strings, and lists of strings (a filter
    matches a list field when the list holds the value, e.g. a SKU's category path)."""
    out: dict[str, str | list[str]] = {}
    for k, v in doc.items():
        if k in _NOT_FILTERS or not _FILTER_KEY.fullmatch(k):
            continue
        if isinstance(v, str):
            out[k] = v
        elif isinstance(v, (list, tuple)):
            out[k] = [x for x in v if isinstance(x, str)]
    return out


def check_filters(filters: Mapping[str, str] | None) -> dict[str, str]:
    """Filters are field = value, on fields named in lower-case letters, digits and _."""
    out = dict(filters or {})
    for k, v in out.items():
        if not _FILTER_KEY.fullmatch(k) or not isinstance(v, str):
            raise ValueError(f"search filter must be field=text with a lower-case field name: {k!r}")
    return out


def check_limit(limit: int) -> int:
    if not 1 <= limit <= 1000:
        raise ValueError(f"search limit must be 1–1000, got {limit}")
    return limit
