"""Files the pipeline hands back: the error report and the empty template, as CSV (UTF-8 with
BOM, so Excel on Windows opens it in the right encoding) or xlsx."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from ucm.errors import bad_request
from ucm.imports.reading import XLSX_TYPE

ERROR_HEADERS = ("行号", "列", "值", "原因", "错误代码")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, name: str) -> tuple[bytes, str, str]:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(headers)
        w.writerows(rows)
        return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{name}.csv"
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(list(headers))
        for r in rows:
            ws.append(list(r))
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue(), XLSX_TYPE, f"{name}.xlsx"
    raise bad_request("imports.format", "format 须为 csv 或 xlsx")


def errors(lines: Sequence[tuple[int, str, str, str, str]], fmt: str, name: str) -> tuple[bytes, str, str]:
    # Row 0 is the file as a whole (a missing column); it reads better blank than as "0".
    rows = [("" if row_no == 0 else row_no, column, value, reason, code)
            for row_no, column, value, reason, code in lines]
    return table(ERROR_HEADERS, rows, fmt, name)
