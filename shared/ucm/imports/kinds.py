"""What a kind of import (SKUs, …) plugs into the pipeline: its columns, and set-wise
validation, commit and rollback against the database. The pipeline owns files, jobs, rows,
progress and status; a kind owns the meaning of the rows."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ucm.db import UnitOfWork
from ucm.errors import bad_request

Progress = Callable[[int, str], None]  # (rows done, what is happening) — reported to pollers
# Opens another transaction (its own connection, the job's scope) for lookups that may run
# beside the main one.
Reader = Callable[[], AbstractContextManager[UnitOfWork]]


@dataclass(frozen=True)
class FieldSpec:
    field: str
    label: str  # the Chinese header of the template
    required: bool = False
    synonyms: tuple[str, ...] = ()  # other headers meaning the same column (English, common variants)
    example: str = ""


@dataclass
class CellError:
    column: str  # the header in the file ("" for the row as a whole)
    field: str
    code: str
    message: str
    value: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"column": self.column, "field": self.field, "code": self.code, "message": self.message,
                "value": self.value}


@dataclass
class RowIn:
    """One data row after mapping: field → cell text, and field → the header it came from."""

    row_no: int
    values: dict[str, str]


@dataclass
class RowOut:
    row_no: int
    action: str  # create | update | unchanged | error
    key: str
    data: dict[str, Any]
    diff: dict[str, list[Any]] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    entity_id: str | None = None
    entity_version: int | None = None


@dataclass(frozen=True)
class Job:
    """What a kind needs to know about the job it works for."""

    id: str
    kind: str
    store_id: str | None
    created_by: str
    columns: dict[str, str]  # field → header in the file (for error messages)
    target_id: str | None = None  # the document the file belongs to (a stocktake's counts), if any


@dataclass
class Outcome:
    """What a commit or rollback did: how many entities, for the job's audit row."""

    counts: dict[str, int]


class Kind(Protocol):
    name: str
    label: str
    read_permission: str
    write_permission: str
    fields: Sequence[FieldSpec]

    def validate(self, uow: UnitOfWork, job: Job, rows: Callable[[], Iterator[RowIn]],
                 progress: Progress, reader: Reader | None = None) -> Iterator[list[RowOut]]:
        """Every row's action, normalised data, field diff and errors (all of them, not the
        first), yielded chunk by chunk so that memory stays flat whatever the file's size.
        ``rows()`` produces the file's rows again from the top (a kind may pass over them twice,
        e.g. to find duplicates across the whole file first). ``reader``, when given, may serve
        read-only lookups beside ``uow``."""
        ...

    def commit(self, uow: UnitOfWork, job: Job, progress: Progress) -> Outcome:
        """Write the job's create/update rows (in ``import_row``) set-wise in ``uow``; record
        before-images in ``import_change``, audit, and emit events."""
        ...

    def rollback(self, uow: UnitOfWork, job: Job, progress: Progress) -> Outcome:
        """Undo the commit from ``import_change``; raise ``Problem`` 409 when something changed since."""
        ...


@runtime_checkable
class Targeted(Protocol):
    """A kind whose files belong to one document (a stocktake's count file): the job names it."""

    def check_target(self, uow: UnitOfWork, store_id: str | None, target_id: str | None) -> None:
        """Raise ``Problem`` when the job may not target ``target_id`` (missing, unknown, not open)."""
        ...


# Kinds are imported on first use: the module of a kind pulls in its domain (catalog, …).
_KINDS = {"sku": "ucm.catalog.sku_import", "stocktake_count": "ucm.inventory.stocktake_import",
          "stock": "ucm.inventory.stock_import"}
_loaded: dict[str, Kind] = {}


def names() -> tuple[str, ...]:
    return tuple(_KINDS)


def get(name: str) -> Kind:
    if name not in _KINDS:
        raise bad_request("imports.kind", f"不支持的导入类型：{name}", f"可选：{', '.join(_KINDS)}")
    if name not in _loaded:
        _loaded[name] = importlib.import_module(_KINDS[name]).KIND
    return _loaded[name]
