"""Reading import files and mapping their headers: encodings, xlsx cells, bad files, header
recognition and saved mappings. Pure functions, no database."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from ucm.imports import mapping, reading
from ucm.imports.kinds import FieldSpec, RowIn

FIELDS = (
    FieldSpec("code", "商品编码", True, ("编码", "sku")),
    FieldSpec("name", "商品名称", True, ("品名",)),
    FieldSpec("shelf_life_days", "保质期(天)", False, ("保质期",)),
    FieldSpec("standard_price", "标准价", False, ("售价", "price")),
)
TEXT = "商品编码,商品名称,标准价\n690001,可口可乐 330ml,3.50\n690002,雪碧 330ml,3.00\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gbk"), "gb18030"),
    (TEXT.encode("gb2312"), "gb18030"),
    (TEXT.encode("gb18030"), "gb18030"),
])
def test_csv_encodings_are_detected(data: bytes, encoding: str) -> None:
    t = reading.read("商品.csv", data)
    assert (t.format, t.encoding, t.total) == ("csv", encoding, 2)
    assert t.headers == ["商品编码", "商品名称", "标准价"]
    assert list(t.rows()) == [(2, ["690001", "可口可乐 330ml", "3.50"]), (3, ["690002", "雪碧 330ml", "3.00"])]


def test_gbk_text_never_passes_as_utf8() -> None:
    # "饮料" in GBK happens to hold bytes that look like UTF-8 lead bytes; strict decoding refuses them.
    assert reading.decode("饮料/碳酸饮料".encode("gbk")) == ("饮料/碳酸饮料", "gb18030")


def test_blank_rows_are_skipped_but_row_numbers_stay_the_files() -> None:
    t = reading.read("a.csv", "编码,品名,\n\n  ,  \n690001, 可乐 ,\r\n".encode())
    assert t.headers == ["编码", "品名"]  # a trailing empty header cell is dropped
    assert list(t.rows()) == [(4, ["690001", "可乐", ""])]
    assert list(t.rows()) == list(t.rows()) and t.total == 1  # rows can be read again (two passes)


def test_tab_separated_text_is_read() -> None:
    t = reading.read("a.csv", "商品编码\t商品名称\n690001\t可乐, 罐装\n".encode())
    assert list(t.rows()) == [(2, ["690001", "可乐, 罐装"])]


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xlsx_cells_come_back_as_the_user_sees_them() -> None:
    data = _xlsx([["商品编码", "条码", "价格", "税率", "称重", "日期"],
                  [690001, 6901234567892, 3.5, 0.13, True, datetime(2026, 11, 29, 8, 30)],
                  [None, None, None, None, None, None],
                  ["A-01", 6.901234567892e12, 12.0, 1e-05, False, date(2026, 1, 2)]])
    t = reading.read("商品.xlsx", data)
    assert (t.format, t.encoding) == ("xlsx", None)
    assert list(t.rows()) == [(2, ["690001", "6901234567892", "3.5", "0.13", "是", "2026-11-29 08:30:00"]),
                      (4, ["A-01", "6901234567892", "12", "0.00001", "否", "2026-01-02 00:00:00"])]


@pytest.mark.parametrize(("filename", "data", "code", "status"), [
    ("a.xlsx", b"PK\x03\x04garbage", "imports.file.corrupt", "failed"),
    ("a.xlsx", b"just text, renamed", "imports.file.corrupt", "failed"),
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "imports.file.xls", "failed"),
    ("a.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "imports.file.type", "failed"),
    ("a.csv", b"", "imports.file.empty", "invalid"),
    ("a.csv", b"\n \n", "imports.file.empty", "invalid"),
    ("a.csv", "商品编码,商品名称\n".encode(), "imports.file.no_rows", "invalid"),
    ("a.xlsx", _xlsx([["商品编码", "商品名称"]]), "imports.file.no_rows", "invalid"),
])
def test_unreadable_files_say_why(filename: str, data: bytes, code: str, status: str) -> None:
    with pytest.raises(reading.FileError) as exc:
        reading.read(filename, data)
    assert (exc.value.code, exc.value.status) == (code, status)
    assert exc.value.message  # zh-CN, for the shop manager


def test_too_many_rows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    with pytest.raises(reading.FileError) as exc:
        reading.read("a.csv", b"a\n1\n2\n3\n")
    assert exc.value.code == "imports.file.too_many_rows"


# --- mapping ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "key"), [
    ("保质期（天）", "保质期(天)"), ("商品编码*", "商品编码"), (" 商 品 名 称 ", "商品名称"),
    ("Standard_Price", "standardprice"), ("ＳＫＵ", "sku"),
])
def test_header_key_ignores_width_case_spaces_and_marks(header: str, key: str) -> None:
    assert mapping.header_key(header) == key


def test_auto_mapping_recognises_chinese_english_and_variants() -> None:
    headers = ["SKU", "品名", "保质期（天）", "售价", "备注", ""]
    assert mapping.auto(headers, FIELDS) == {"SKU": "code", "品名": "name", "保质期（天）": "shelf_life_days",
                                             "售价": "standard_price", "备注": None}


def test_a_field_goes_to_the_first_column_claiming_it() -> None:
    assert mapping.auto(["商品编码", "编码"], FIELDS) == {"商品编码": "code", "编码": None}


def test_saved_mapping_wins_over_recognition() -> None:
    saved = {"货号": "code", "商品编码": None, "说明": "name"}
    assert mapping.auto(["货号", "商品编码", "说明"], FIELDS, saved) == {"货号": "code", "商品编码": None,
                                                                    "说明": "name"}
    # A saved target that does not exist (an older layout) is ignored, not trusted.
    assert mapping.auto(["货号"], FIELDS, {"货号": "no_such_field"}) == {"货号": None}


def test_check_lists_every_problem() -> None:
    problems = mapping.check({"价格": "standard_price", "售价": "standard_price", "别的": "nope", "不在": None},
                             ["价格", "售价", "别的"], FIELDS)
    assert problems == ["「价格」和「售价」都对应 标准价，只能保留一列", "「别的」对应的字段 nope 不存在",
                        "文件中没有名为「不在」的列", "缺少必填列：商品编码、商品名称"]
    assert mapping.check({"a": "code", "b": "name"}, ["a", "b"], FIELDS) == []


def test_apply_and_columns() -> None:
    cols: dict[str, str | None] = {"a": "code", "b": None, "c": "name"}
    rows = list(mapping.apply(cols, ["a", "b", "c"], [(2, ["690001", "x", "可乐"]), (3, ["690002"])]))
    assert rows == [RowIn(2, {"code": "690001", "name": "可乐"}), RowIn(3, {"code": "690002", "name": ""})]
    assert mapping.columns(cols) == {"code": "a", "name": "c"}
