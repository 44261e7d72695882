"""Tables as files for people: CSV for Excel (UTF-8 with BOM, so Chinese headers open right)
and xlsx. Used by list exports and import error reports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for r in rows:
        w.writerow([_cell(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "Sheet1") -> bytes:
    from openpyxl import Workbook  # loaded on first export: it costs ~100 ms of import time

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(headers))
    for r in rows:
        # Text, not numbers: a barcode or a price must not turn into 6.9E+12 or 3.5.
        ws.append([str(_cell(v)) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(fmt: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "Sheet1") -> tuple[bytes, str]:
    """(file bytes, media type) for ``fmt`` "csv" or "xlsx"."""
    if fmt == "xlsx":
        return to_xlsx(headers, rows, sheet), XLSX_TYPE
    return to_csv(headers, rows), CSV_TYPE
