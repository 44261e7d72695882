"""Headers → fields: the template's Chinese labels, English names and common variants are
recognised whatever their width, case, spacing or a trailing ``*`` (required mark)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from ucm.imports.kinds import FieldSpec, RowIn
from ucm.text import to_half_width

_NOISE = re.compile(r"[\s*_\-:：]+")


def header_key(header: str) -> str:
    """``"保质期（天）*"`` → ``"保质期(天)"``; ``"Standard Price"`` → ``"standardprice"``."""
    return _NOISE.sub("", to_half_width(header)).lower()


def synonyms(fields: Sequence[FieldSpec]) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in fields:
        for name in (f.label, f.field, *f.synonyms):
            out.setdefault(header_key(name), f.field)
    return out


def auto(headers: Sequence[str], fields: Sequence[FieldSpec],
         saved: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """header → field (None: ignored). A saved mapping wins over recognition; a field claimed by
    an earlier column is not given to a later one."""
    known = synonyms(fields)
    valid = {f.field for f in fields}
    saved_keys = {header_key(h): v for h, v in (saved or {}).items()}
    out: dict[str, str | None] = {}
    taken: set[str] = set()
    for h in headers:
        if not h:
            continue
        k = header_key(h)
        target = saved_keys[k] if k in saved_keys else known.get(k)
        if target is not None and (target not in valid or target in taken):
            target = None
        out[h] = target
        if target:
            taken.add(target)
    return out


def check(mapping: Mapping[str, str | None], headers: Sequence[str], fields: Sequence[FieldSpec]) -> list[str]:
    """Problems of a mapping as zh-CN sentences (empty: usable)."""
    problems: list[str] = []
    valid = {f.field: f for f in fields}
    seen: dict[str, str] = {}
    for h, target in mapping.items():
        if h not in headers:
            problems.append(f"文件中没有名为「{h}」的列")
        if target is None:
            continue
        if target not in valid:
            problems.append(f"「{h}」对应的字段 {target} 不存在")
        elif target in seen:
            problems.append(f"「{seen[target]}」和「{h}」都对应 {valid[target].label}，只能保留一列")
        seen[target] = h
    missing = [f.label for f in fields if f.required and f.field not in seen]
    if missing:
        problems.append(f"缺少必填列：{'、'.join(missing)}")
    return problems


def apply(mapping: Mapping[str, str | None], headers: Sequence[str],
          rows: Iterable[tuple[int, list[str]]]) -> Iterator[RowIn]:
    index = [(i, f) for i, h in enumerate(headers) if (f := mapping.get(h))]
    for row_no, cells in rows:
        n = len(cells)
        yield RowIn(row_no, {f: cells[i] if i < n else "" for i, f in index})


def columns(mapping: Mapping[str, str | None]) -> dict[str, str]:
    """field → header, for error messages that name the column as the user sees it."""
    return {f: h for h, f in mapping.items() if f}
