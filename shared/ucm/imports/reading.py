"""Reading an uploaded file into header + rows of text cells: CSV in UTF-8 (with or without
BOM) or GBK/GB18030 — what Excel on a Chinese Windows saves — and xlsx. Pure functions.

Cells come back as trimmed text; numbers from xlsx are rendered the way the user sees them
(a barcode stored as a number stays ``6901234567892``, not ``6.90123E+12``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

MAX_ROWS = 200_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # .xls (BIFF) and other legacy Office files


class FileError(ValueError):
    """The file cannot be read at all (job ``failed``) or holds no data (job ``invalid``)."""

    def __init__(self, code: str, message: str, *, status: str = "failed") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Table:
    """A sheet as read. The data rows are produced on demand (``rows()``, as often as needed):
    a 100,000-row CSV is kept as its text, not as a million cell objects."""

    format: str  # csv | xlsx
    encoding: str | None
    headers: list[str]
    total: int  # data rows (blank rows not counted)
    source: Callable[[], Iterator[list[str]]]  # every line of the sheet, from the top

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number in the file, cells) of each data row, blank rows left out."""
        header_seen = False
        for n, cells in enumerate(self.source(), start=1):
            if not any(cells):
                continue
            if header_seen:
                yield n, cells
            else:
                header_seen = True


def file_format(filename: str, data: bytes) -> str:
    """csv or xlsx, decided by content (a renamed file is read for what it is)."""
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(_OLE):
        raise FileError("imports.file.xls", "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再上传")
    if b"\x00" in data[:4096]:
        raise FileError("imports.file.type", "文件类型不对：只支持 CSV 和 Excel（.xlsx）文件")
    if filename.lower().endswith(".xlsx"):
        raise FileError("imports.file.corrupt", "Excel 文件已损坏或不完整，请重新保存后上传")
    return "csv"


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding). UTF-8 first (strict, so GBK bytes never pass as UTF-8), then GB18030,
    the superset of GBK and GB2312."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise FileError("imports.file.encoding", "无法识别文件编码：请将文件保存为 UTF-8 或 GBK 编码的 CSV") from None


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _table(fmt: str, encoding: str | None, source: Callable[[], Iterator[list[str]]]) -> Table:
    """Read the sheet once through: header, row count, limits (and a corrupt xlsx shows here)."""
    headers: list[str] | None = None
    total = 0
    for cells in source():
        if not any(cells):
            continue
        if headers is None:
            headers = list(cells)
            continue
        total += 1
        if total > MAX_ROWS:
            raise FileError("imports.file.too_many_rows", f"文件超过 {MAX_ROWS} 行，请拆分后分批导入")
    if headers is None:
        raise FileError("imports.file.empty", "文件是空的：第一行须为表头，下面是数据行", status="invalid")
    while headers and not headers[-1]:
        headers.pop()
    if not total:
        raise FileError("imports.file.no_rows", "文件中只有表头，没有数据行", status="invalid")
    return Table(fmt, encoding, headers, total, source)


def _csv_rows(text: str) -> Iterator[list[str]]:
    first = text[:4096].split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        yield [c.strip() for c in cells]


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileError("imports.file.corrupt", "Excel 文件已损坏或不是有效的 .xlsx 文件，请重新保存后上传") from exc
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            return
        for values in ws.iter_rows(values_only=True):
            yield [cell_text(v) for v in values]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileError("imports.file.corrupt", "Excel 文件已损坏或不是有效的 .xlsx 文件，请重新保存后上传") from exc
    finally:
        wb.close()


def read(filename: str, data: bytes) -> Table:
    if not data.strip():
        raise FileError("imports.file.empty", "文件是空的：第一行须为表头，下面是数据行", status="invalid")
    fmt = file_format(filename, data)
    if fmt == "xlsx":
        # openpyxl reads a sheet only front to back and slowly: read it once, keep the cells.
        cells = list(_xlsx_rows(data))
        return _table("xlsx", None, lambda: iter(cells))
    text, encoding = decode(data)
    return _table("csv", encoding, lambda: _csv_rows(text))
