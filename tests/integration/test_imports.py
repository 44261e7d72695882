"""The import pipeline end to end, against real PostgreSQL and the local object store: files
land in the bucket, the imports function's real FC entry point parses them (OSS event), and the
HTTP routes preview, commit and roll back. No mocks."""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from ucm import bootstrap, context
from ucm.catalog.barcodes import gtin_check_digit
from ucm.db import Database, UnitOfWork
from ucm.fc import delivery
from ucm.fc.discovery import load_functions
from ucm.fc.testing import Client, HttpResult
from ucm.imports import reading

from tests.conftest import container_for
from tests.integration.identity_world import World, uniq, world

HEADERS = ["商品编码", "商品名称", "品牌", "类目", "单位", "税率", "条码", "箱规", "箱条码", "标准价", "会员价",
           "促销价", "促销开始", "促销结束"]


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    container_for(db, tmp_path_factory.mktemp("imports"))
    yield world(db, load_functions()["system-api"])
    bootstrap.reset(None)


@pytest.fixture(scope="module")
def imp(w: World) -> Client:
    return Client(load_functions()["imports"])


class Ref:
    """Categories and brands of this module (unique names: the database is shared by modules)."""

    def __init__(self, db: Database) -> None:
        tag = uuid.uuid4().hex[:6]
        self.root = f"饮料{tag}"
        self.brand = f"农夫山泉{tag}"
        self.brand_code = f"B{tag}"
        with db.transaction(context.system("test")) as uow:
            root = uow.one("insert into category (code, name, path, depth) values (%s, %s, '/x/', 1) returning id",
                           (f"C{tag}", self.root))
            assert root is not None
            uow.execute("update category set path = '/' || id || '/' where id = %s", (root["id"],))
            for code, name in ((f"C{tag}01", "碳酸饮料"), (f"C{tag}02", "饮用水")):
                row = uow.one("insert into category (code, name, parent_id, path, depth)"
                              " values (%s, %s, %s, %s, 2) returning id",
                              (code, name, root["id"], f"/{root['id']}/{code}/"))
                assert row is not None
                uow.execute("update category set path = %s where id = %s",
                            (f"/{root['id']}/{row['id']}/", row["id"]))
            uow.execute("insert into brand (code, name) values (%s, %s)", (self.brand_code, self.brand))
        self.water = f"{self.root}/饮用水"
        self.soda_code = f"C{tag}01"


@pytest.fixture(scope="module")
def ref(w: World) -> Ref:
    return Ref(w.db)


def ean(prefix: str = "69") -> str:
    body = prefix + "".join(random.choice("0123456789") for _ in range(12 - len(prefix)))
    return body + gtin_check_digit(body)


def code() -> str:
    return f"T{uuid.uuid4().hex[:10]}"


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig", headers: list[str] | None = None) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([headers or HEADERS, *rows])
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], headers: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers or HEADERS)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(ref: Ref, sku: str, *, name: str = "农夫山泉 550ml", barcode: str = "", price: str = "2.00",
        member: str = "", pack: str = "", pack_barcode: str = "", category: str | None = None,
        promo: tuple[str, str, str] = ("", "", "")) -> list[str]:
    return [sku, name, ref.brand, category or ref.water, "瓶", "13%", barcode, pack, pack_barcode, price, member,
            *promo]


def days(n: int) -> str:
    """A date n days from today, as typed in a file."""
    return (date.today() + timedelta(days=n)).isoformat()


def upload(w: World, imp: Client, data: bytes, filename: str = "商品.csv", who: str | None = None,
           store_id: str | None = None, mapping_id: str | None = None) -> dict[str, Any]:
    """Create the job, put the file where the presigned URL points, and let OSS notify the
    imports function (its real FC entry point); returns the job as the API shows it."""
    ctype = reading.XLSX_TYPE if filename.endswith(".xlsx") else "text/csv"
    r = call(w, imp, "POST", "/imports", who or w.admin_user, {"kind": "sku", "filename": filename,
                                                               "content_type": ctype, "store_id": store_id,
                                                               "mapping_id": mapping_id})
    assert r.status_code == 201, r.text
    up = r.json()["upload"]
    assert up["method"] == "PUT" and up["key"] == f"imports/{r.json()['job']['id']}/{filename}"
    objects = bootstrap.container().objects
    info = objects.put(up["key"], data, ctype)
    out = imp.events.oss(objects.bucket, up["key"], size=info.size, etag=info.etag)
    assert out == {"status": 200, "handled": 1}, out
    return job(w, imp, r.json()["job"]["id"], who)


def call(w: World, imp: Client, method: str, path: str, who: str | None, body: Any = None,
         query: dict[str, str] | None = None) -> HttpResult:
    headers = {"Authorization": f"Bearer {w.token(who)}"} if who else {}
    return imp.http.request(method, path, json_body=body, headers=headers, query=query)


def job(w: World, imp: Client, job_id: str, who: str | None = None) -> dict[str, Any]:
    r = call(w, imp, "GET", f"/imports/{job_id}", who or w.admin_user)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def rows(w: World, imp: Client, job_id: str, action: str | None = None) -> list[dict[str, Any]]:
    q = {"limit": "500", **({"action": action} if action else {})}
    r = call(w, imp, "GET", f"/imports/{job_id}/rows", w.admin_user, query=q)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def commit(w: World, imp: Client, j: dict[str, Any], who: str | None = None) -> HttpResult:
    return call(w, imp, "POST", f"/imports/{j['id']}/commit", who or w.admin_user, {"version": j["version"]})


def q(db: Database, sql: str, *params: Any) -> list[dict[str, Any]]:
    with db.transaction(context.system("test")) as uow:
        return uow.all(sql, params)  # type: ignore[arg-type]


def skus(db: Database, *codes: str) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in q(db, "select * from sku where code = any(%s)", list(codes))}


def barcodes_of(db: Database, sku_code: str) -> set[str]:
    return {r["code"] for r in q(db, "select b.code from barcode b join sku s on s.id = b.sku_id where s.code = %s",
                                 sku_code)}


def prices_of(db: Database, sku_code: str) -> list[dict[str, Any]]:
    return q(db, "select p.kind, p.amount, p.store_id, p.status, p.import_job_id from price p join sku s"
                 " on s.id = p.sku_id where s.code = %s order by p.created_at, p.kind", sku_code)


# --- reading files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "reported"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                    ("gbk", "gb18030")])
def test_csv_encodings(w: World, imp: Client, ref: Ref, encoding: str, reported: str) -> None:
    c = code()
    j = upload(w, imp, csv_bytes([row(ref, c, name="康师傅 冰红茶 500ml", barcode=ean())], encoding))
    assert j["status"] == "ready", j
    assert j["encoding"] == reported
    assert j["mapping"]["商品编码"] == "code" and j["mapping"]["标准价"] == "standard_price"
    assert rows(w, imp, j["id"])[0]["data"]["name"] == "康师傅 冰红茶 500ml"


def test_xlsx_with_numeric_cells(w: World, imp: Client, ref: Ref) -> None:
    c, bc = code(), ean()
    # Excel keeps barcodes and prices as numbers; they must come back as typed.
    data = xlsx_bytes([[c, "可口可乐 330ml", ref.brand, ref.water, "罐", 0.13, int(bc), "箱=24", None, 3.5, 3]])
    j = upload(w, imp, data, "商品.xlsx")
    assert j["status"] == "ready", j
    assert j["encoding"] == "xlsx"
    d = rows(w, imp, j["id"])[0]["data"]
    assert d["barcodes"] == [{"code": bc, "kind": "ean13"}]
    assert (d["tax_rate"], d["standard_price"], d["member_price"]) == ("0.13", "3.50", "3.00")
    assert d["pack"] == {"name": "箱", "quantity": "24"}


def test_full_width_codes_and_stray_spaces(w: World, imp: Client, ref: Ref) -> None:
    c, bc = code(), ean()
    wide = c.upper().translate({ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789ABCDEF"})
    spaced_bc = f" {bc[:4]} {bc[4:]} ".translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    j = upload(w, imp, csv_bytes([row(ref, f" {wide} ", barcode=spaced_bc, price="１２.５０")]))
    assert j["status"] == "ready", j
    r = rows(w, imp, j["id"])[0]
    assert r["key"] == c.upper() and r["data"]["barcodes"][0]["code"] == bc
    assert r["data"]["standard_price"] == "12.50"


def test_english_headers(w: World, imp: Client, ref: Ref) -> None:
    c = code()
    headers = ["Code", "Name", "Brand", "Category", "Unit", "Tax Rate", "Barcodes", "Standard Price"]
    j = upload(w, imp, csv_bytes([[c, "Evian 500ml", ref.brand_code, ref.water, "瓶", "0.13", ean(), "6.5"]],
                                 headers=headers))
    assert j["status"] == "ready", j
    assert j["mapping"] == {"Code": "code", "Name": "name", "Brand": "brand", "Category": "category",
                            "Unit": "unit", "Tax Rate": "tax_rate", "Barcodes": "barcodes",
                            "Standard Price": "standard_price"}
    assert rows(w, imp, j["id"])[0]["data"]["brand_name"] == ref.brand


def test_saved_mapping(w: World, imp: Client, ref: Ref) -> None:
    headers = ["货品ID", "货品全称", "分类路径", "税点", "零售单价"]
    data = csv_bytes([[code(), "怡宝 555ml", ref.water, "13", "1.80"]], headers=headers)
    j = upload(w, imp, data)
    assert j["status"] == "invalid"
    assert "缺少必填列" in j["message"] and "商品编码" in j["message"]
    mapping = {"货品ID": "code", "货品全称": "name", "分类路径": "category", "税点": "tax_rate",
               "零售单价": "standard_price"}
    name = uniq("ERP导出")
    r = call(w, imp, "PUT", f"/imports/{j['id']}/mapping", w.admin_user, {"mapping": mapping, "save_as": name})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready" and r.json()["mapping"] == mapping
    saved = [m for m in call(w, imp, "GET", "/imports/mappings", w.admin_user, query={"kind": "sku"}).json()
             if m["name"] == name]
    assert len(saved) == 1 and saved[0]["columns"] == mapping
    # The next file of the same layout is mapped by the saved mapping from the start.
    again = upload(w, imp, csv_bytes([[code(), "怡宝 1.5L", ref.water, "13", "3.00"]], headers=headers),
                   mapping_id=saved[0]["id"])
    assert again["status"] == "ready", again
    bad = call(w, imp, "PUT", f"/imports/{j['id']}/mapping", w.admin_user, {"mapping": {"货品ID": "code"}})
    assert bad.status_code == 400 and bad.json()["code"] == "imports.mapping.invalid"
    assert call(w, imp, "DELETE", f"/imports/mappings/{saved[0]['id']}", w.admin_user).status_code == 204
    assert call(w, imp, "DELETE", f"/imports/mappings/{saved[0]['id']}", w.admin_user).status_code == 404


# --- bad input -----------------------------------------------------------------------------------------


def test_every_bad_row_is_reported_and_nothing_is_written(w: World, imp: Client, ref: Ref) -> None:
    taken = ean()
    owner = code()
    j0 = upload(w, imp, csv_bytes([row(ref, owner, barcode=taken, promo=("1.50", days(1), days(7)))]))
    assert commit(w, imp, j0).status_code == 200
    dup, bad_check = ean(), ean()
    bad_check = bad_check[:-1] + str((int(bad_check[-1]) + 1) % 10)
    codes = [code() for _ in range(9)]
    file_rows = [
        row(ref, codes[0], barcode=dup),                                  # 2: duplicate barcode in the file
        row(ref, codes[1], barcode=dup),                                  # 3: … and its twin
        row(ref, codes[2], barcode=taken),                                # 4: barcode of another SKU
        row(ref, codes[3], barcode=bad_check),                            # 5: wrong check digit
        row(ref, codes[4], category=f"{ref.root}/不存在的类目"),            # 6: unknown category
        row(ref, codes[5], price="-3"),                                   # 7: negative price
        row(ref, codes[6], price="两块"),                                  # 8: not a number
        row(ref, codes[7], price="5.00", member="6.00"),                  # 9: member price above standard
        row(ref, codes[8], barcode=ean()),                                # 10: a good row
        row(ref, codes[0], barcode=ean()),                                # 11: duplicate code in the file
        row(ref, owner, promo=("1.20", days(5), days(9))),                # 12: overlaps the running markdown
        row(ref, codes[8] + "X", promo=("1.20", days(3), "")),            # 13: markdown without an end
    ]
    j = upload(w, imp, csv_bytes(file_rows))
    assert j["status"] == "invalid", j
    assert j["counts"] == {"create": 1, "update": 0, "unchanged": 0, "error": 11}
    assert j["total_rows"] == 12 and j["processed_rows"] == 12
    errors = {r["row_no"]: r["errors"] for r in rows(w, imp, j["id"], "error")}
    codes_by_row = {n: {e["code"] for e in errs} for n, errs in errors.items()}
    assert codes_by_row == {
        2: {"catalog.barcode.duplicate", "imports.duplicate_code"}, 3: {"catalog.barcode.duplicate"},
        4: {"catalog.barcode.duplicate"}, 5: {"catalog.barcode.check_digit"}, 6: {"catalog.category.unknown"},
        7: {"catalog.price.not_positive"}, 8: {"catalog.price.invalid"},
        9: {"catalog.price.member_above_standard"}, 11: {"imports.duplicate_code"},
        12: {"catalog.price.overlap"}, 13: {"catalog.price.temporary"},
    }
    assert errors[12][0]["column"] == "促销开始" and "¥1.50" in errors[12][0]["message"]
    assert errors[13][0]["column"] == "促销结束"
    e4 = errors[4][0]
    assert (e4["column"], e4["field"], e4["value"]) == ("条码", "barcodes", taken)
    assert owner in e4["message"]
    assert errors[9][0]["column"] == "会员价" and "不能高于标准价" in errors[9][0]["message"]
    # Nothing can be committed, and nothing was written.
    r = commit(w, imp, j)
    assert r.status_code == 422 and r.json()["code"] == "imports.not_ready"
    assert skus(w.db, *codes) == {}
    assert q(w.db, "select count(*) as n from barcode where code = any(%s)", [dup, bad_check]) == [{"n": 0}]
    # The error report lists every error: row, column, value, reason.
    rep = call(w, imp, "GET", f"/imports/{j['id']}/errors", w.admin_user, query={"format": "csv"})
    assert rep.status_code == 200 and rep.headers["content-type"].startswith("text/csv")
    assert rep.body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(rep.body.decode("utf-8-sig"))))
    assert lines[0] == ["行号", "列", "值", "原因", "错误代码"]
    assert len(lines) - 1 == sum(len(e) for e in errors.values())
    assert ["5", "条码", bad_check] == lines[[ln[0] for ln in lines].index("5")][:3]
    xl = call(w, imp, "GET", f"/imports/{j['id']}/errors", w.admin_user, query={"format": "xlsx"})
    assert xl.status_code == 200
    ws = load_workbook(io.BytesIO(xl.body), read_only=True).worksheets[0]
    sheet = [[("" if v is None else str(v)) for v in r] for r in ws.iter_rows(values_only=True)]
    assert sheet == lines


@pytest.mark.parametrize(("filename", "data", "status", "fragment"), [
    ("商品.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "failed", "文件类型不对"),
    ("商品.xlsx", b"PK\x03\x04 this is no workbook", "failed", "已损坏"),
    ("商品.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "failed", ".xls"),
    ("商品.csv", "商品编码,商品名称,类目,税率\n".encode(), "invalid", "没有数据行"),
    ("商品.csv", b"", "invalid", "空"),
])
def test_unreadable_files(w: World, imp: Client, filename: str, data: bytes, status: str, fragment: str) -> None:
    j = upload(w, imp, data, filename)
    assert j["status"] == status and fragment in j["message"], j
    rep = call(w, imp, "GET", f"/imports/{j['id']}/errors", w.admin_user, query={"format": "csv"})
    assert fragment in rep.body.decode("utf-8-sig")


def test_wrong_file_type_is_refused_up_front(w: World, imp: Client) -> None:
    r = call(w, imp, "POST", "/imports", w.admin_user, {"kind": "sku", "filename": "价目表.pdf",
                                                        "content_type": "application/pdf"})
    assert r.status_code == 400 and r.json()["code"] == "imports.invalid"
    assert {e["field"] for e in r.json()["errors"]} == {"filename", "content_type"}


# --- preview, commit, rollback ----------------------------------------------------------------------------


def outbox(db: Database, job_id: str) -> list[dict[str, Any]]:
    return q(db, "select aggregate_id, store_id, payload from outbox where topic = 'sku.updated'"
                 " and payload->>'import_job_id' = %s", job_id)


def test_commit_preview_update_and_rollback(w: World, imp: Client, ref: Ref) -> None:
    a, b, c = code(), code(), code()
    bc_a, bc_b, bc_c, case_a = ean(), ean(), ean(), ean()
    promo = ("2.50", days(1), days(3))  # a markdown from tomorrow through the day after next
    j1 = upload(w, imp, csv_bytes([row(ref, a, barcode=bc_a, pack="箱=24", pack_barcode=case_a, member="1.80"),
                                   row(ref, b, barcode=bc_b, name="农夫山泉 1.5L", price="4.00"),
                                   row(ref, c, barcode=bc_c, name="百岁山 570ml", price="3.00", promo=promo)]))
    assert j1["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    preview = rows(w, imp, j1["id"], "create")
    assert preview[0]["diff"]["name"] == [None, "农夫山泉 550ml"] and preview[0]["action"] == "create"
    r = commit(w, imp, j1)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "committed" and done["committed_at"] and done["processed_rows"] == 3
    got = skus(w.db, a, b, c)
    assert set(got) == {a, b, c} and got[a]["import_job_id"] == j1["id"] and got[a]["store_id"] is None
    assert got[a]["tax_rate"] == Decimal("0.13") and got[a]["version"] == 1
    assert barcodes_of(w.db, a) == {bc_a, case_a}
    assert q(w.db, "select p.name, p.quantity, b.code from sku_pack p join barcode b on b.pack_id = p.id"
                   " where p.sku_id = %s", got[a]["id"]) == [{"name": "箱", "quantity": Decimal("24.000"),
                                                              "code": case_a}]
    assert sorted((p["kind"], p["amount"], p["store_id"], p["import_job_id"]) for p in prices_of(w.db, a)) == [
        ("member", Decimal("1.80"), None, j1["id"]), ("standard", Decimal("2.00"), None, j1["id"])]
    markdown = q(w.db, "select p.amount, p.starts_at::date as starts, p.ends_at::date as ends from price p"
                       " join sku s on s.id = p.sku_id where s.code = %s and p.kind = 'temporary'", c)
    assert markdown == [{"amount": Decimal("2.50"), "starts": date.today() + timedelta(days=1),
                         "ends": date.today() + timedelta(days=4)}]
    events = outbox(w.db, j1["id"])
    assert sorted(e["aggregate_id"] for e in events) == sorted(got[k]["id"] for k in (a, b, c))
    assert all(set(e["payload"]) == {"sku_id", "changed_fields", "ts", "import_job_id"} for e in events)
    assert "name" in events[0]["payload"]["changed_fields"]
    audit = q(w.db, "select action, target_id, after from audit_log where action in ('imports.commit',"
                    " 'catalog.sku.import') and (target_id = %s or after->>'import_job_id' = %s)", j1["id"], j1["id"])
    assert sorted(x["action"] for x in audit) == ["catalog.sku.import"] * 3 + ["imports.commit"]

    # Second file: a renamed, b repriced with new barcodes, c unchanged, d new.
    d, bc_b2, bc_d = code(), ean(), ean()
    j2 = upload(w, imp, csv_bytes([row(ref, a, barcode=bc_a, name="农夫山泉 饮用天然水 550ml", pack="箱=24",
                                       pack_barcode=case_a, member="1.80"),
                                   row(ref, b, barcode=f"{bc_b};{bc_b2}", name="农夫山泉 1.5L", price="4.50"),
                                   row(ref, c, barcode=bc_c, name="百岁山 570ml", price="3.00", promo=promo),
                                   row(ref, d, barcode=bc_d, name="景田 560ml")]))
    assert j2["counts"] == {"create": 1, "update": 2, "unchanged": 1, "error": 0}, j2
    diffs = {r["key"]: r["diff"] for r in rows(w, imp, j2["id"], "update")}
    assert diffs == {a: {"name": ["农夫山泉 550ml", "农夫山泉 饮用天然水 550ml"]},
                     b: {"barcodes": [[bc_b], sorted([bc_b, bc_b2])], "standard_price": ["4.00", "4.50"]}}
    assert commit(w, imp, j2).status_code == 200
    after = skus(w.db, a, b, c, d)
    assert after[a]["name"] == "农夫山泉 饮用天然水 550ml" and after[a]["version"] == 2
    assert after[c]["version"] == 1  # unchanged rows are not written
    assert barcodes_of(w.db, b) == {bc_b, bc_b2}
    std_b = [p for p in prices_of(w.db, b) if p["kind"] == "standard"]
    assert [p["amount"] for p in std_b] == [Decimal("4.00"), Decimal("4.50")]
    assert len(prices_of(w.db, a)) == 2  # same prices: no new rows
    assert {e["aggregate_id"] for e in outbox(w.db, j2["id"])} == {after[k]["id"] for k in (a, b, d)}

    # Rolling back the second import restores a and b and removes d.
    r = call(w, imp, "POST", f"/imports/{j2['id']}/rollback", w.admin_user)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rolled_back" and r.json()["rolled_back_at"]
    back = skus(w.db, a, b, c, d)
    assert set(back) == {a, b, c}
    assert back[a]["name"] == "农夫山泉 550ml" and back[a]["version"] == 3
    assert barcodes_of(w.db, b) == {bc_b} and barcodes_of(w.db, a) == {bc_a, case_a}
    assert [(p["amount"], p["status"]) for p in prices_of(w.db, b) if p["kind"] == "standard"] == [
        (Decimal("4.00"), "active"), (Decimal("4.50"), "cancelled")]
    assert len([e for e in outbox(w.db, j2["id"])]) == 3 + 3
    assert q(w.db, "select count(*) as n from audit_log where action = 'imports.rollback' and target_id = %s",
             j2["id"]) == [{"n": 1}]
    again = call(w, imp, "POST", f"/imports/{j2['id']}/rollback", w.admin_user)
    assert again.status_code == 422 and again.json()["code"] == "imports.not_committed"


def test_rollback_refused_after_a_later_edit(w: World, imp: Client, ref: Ref) -> None:
    a = code()
    j = upload(w, imp, csv_bytes([row(ref, a, barcode=ean())]))
    assert commit(w, imp, j).status_code == 200
    with w.db.transaction(context.system("test")) as uow:  # an edit through the catalog after the import
        uow.execute("update sku set name = '手工修改', version = version + 1 where code = %s", (a,))
    r = call(w, imp, "POST", f"/imports/{j['id']}/rollback", w.admin_user)
    assert r.status_code == 409 and r.json()["code"] == "imports.rollback.changed_since", r.text
    assert a in r.json()["detail"]
    assert job(w, imp, j["id"])["status"] == "committed"
    assert skus(w.db, a)[a]["name"] == "手工修改"


def test_commit_needs_the_current_version_and_a_ready_job(w: World, imp: Client, ref: Ref) -> None:
    j = upload(w, imp, csv_bytes([row(ref, code(), barcode=ean())]))
    r = call(w, imp, "POST", f"/imports/{j['id']}/commit", w.admin_user, {"version": j["version"] - 1})
    assert r.status_code == 409 and r.json()["code"] == "common.version_conflict"
    r = call(w, imp, "POST", f"/imports/{j['id']}/cancel", w.admin_user)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert rows(w, imp, j["id"]) == []
    r = commit(w, imp, job(w, imp, j["id"]))
    assert r.status_code == 422 and r.json()["code"] == "imports.not_ready"


def test_commit_is_refused_when_a_sku_changed_after_the_preview(w: World, imp: Client, ref: Ref) -> None:
    a = code()
    assert commit(w, imp, upload(w, imp, csv_bytes([row(ref, a, barcode=ean())]))).status_code == 200
    j = upload(w, imp, csv_bytes([row(ref, a, name="新名称")]))
    assert j["counts"]["update"] == 1
    with w.db.transaction(context.system("test")) as uow:
        uow.execute("update sku set version = version + 1 where code = %s", (a,))
    r = commit(w, imp, j)
    assert r.status_code == 409 and r.json()["code"] == "imports.stale"
    after = job(w, imp, j["id"])
    assert after["status"] == "ready" and "重新校验" in after["message"]
    assert skus(w.db, a)[a]["name"] == "农夫山泉 550ml"


def test_a_commit_cut_off_by_the_function_timeout_can_be_retried(w: World, imp: Client, ref: Ref) -> None:
    a = code()
    j = upload(w, imp, csv_bytes([row(ref, a, barcode=ean())]))
    # What a commit killed at FC's timeout leaves: the status moved, the transaction rolled back.
    with w.db.transaction(context.system("test")) as uow:
        uow.execute("update import_job set status = 'committing', updated_at = now() - interval '11 minutes'"
                    " where id = %s", (j["id"],))
    back = job(w, imp, j["id"])
    assert back["status"] == "ready" and "中断" in back["message"]
    assert commit(w, imp, back).status_code == 200
    assert set(skus(w.db, a)) == {a}
    # A step still running (recent progress) is left alone.
    with w.db.transaction(context.system("test")) as uow:
        uow.execute("update import_job set status = 'rolling_back', updated_at = now() where id = %s", (j["id"],))
    assert job(w, imp, j["id"])["status"] == "rolling_back"


# --- store imports and scope -----------------------------------------------------------------------------


def test_store_import(w: World, imp: Client, ref: Ref) -> None:
    hq_sku, bc = code(), ean()
    assert commit(w, imp, upload(w, imp, csv_bytes([row(ref, hq_sku, barcode=bc, price="5.00")]))).status_code == 200
    manager = w.user("store_manager", "stores", [w.store_a])
    local = code()
    j = upload(w, imp, csv_bytes([row(ref, hq_sku, barcode=bc, price="5.50"),            # a store price
                                  row(ref, local, name="自制豆浆 300ml", barcode=ean("20"))]),  # a local SKU
               who=manager, store_id=w.store_a)
    assert j["status"] == "ready" and j["store_id"] == w.store_a, j
    r = commit(w, imp, j, manager)
    assert r.status_code == 200, r.text
    got = skus(w.db, hq_sku, local)
    assert got[local]["store_id"] == w.store_a and got[hq_sku]["store_id"] is None
    assert [(p["amount"], p["store_id"]) for p in prices_of(w.db, hq_sku) if p["kind"] == "standard"] == [
        (Decimal("5.00"), None), (Decimal("5.50"), w.store_a)]
    assert {e["store_id"] for e in outbox(w.db, j["id"])} == {w.store_a}
    # Master data of an HQ SKU cannot change from a store; a price outside the HQ guard is refused.
    bad = upload(w, imp, csv_bytes([row(ref, hq_sku, name="改名", barcode=bc, price="5.50"),
                                    row(ref, code(), barcode=ean(), price="3.00"),
                                    ]), who=manager, store_id=w.store_a)
    bad_rows = {r["key"]: r for r in rows(w, imp, bad["id"], "error")}
    assert [e["code"] for e in bad_rows[hq_sku]["errors"]] == ["imports.sku.hq_only"]
    guard = upload(w, imp, csv_bytes([row(ref, hq_sku, barcode=bc, price="9.99")]), who=manager, store_id=w.store_a)
    assert [e["code"] for e in rows(w, imp, guard["id"], "error")[0]["errors"]] == ["catalog.price.guard"]
    # HQ jobs need global scope; another store's job is out of reach.
    r = call(w, imp, "POST", "/imports", manager, {"kind": "sku", "filename": "a.csv", "content_type": "text/csv"})
    assert r.status_code == 403 and r.json()["code"] == "imports.hq_only"
    r = call(w, imp, "POST", "/imports", manager, {"kind": "sku", "filename": "a.csv", "content_type": "text/csv",
                                                   "store_id": w.store_b})
    assert r.status_code == 404
    hq_job = upload(w, imp, csv_bytes([row(ref, code(), barcode=ean())]))
    assert call(w, imp, "GET", f"/imports/{hq_job['id']}", manager).status_code == 404
    listed = call(w, imp, "GET", "/imports", manager, query={"limit": "500"}).json()["items"]
    assert {x["store_id"] for x in listed} == {w.store_a}


def test_reading_needs_permission(w: World, imp: Client) -> None:
    viewer = w.user("bi_viewer", "stores", [w.store_a])  # may read SKUs, may not upload
    r = call(w, imp, "POST", "/imports", viewer, {"kind": "sku", "filename": "a.csv", "content_type": "text/csv",
                                                  "store_id": w.store_a})
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
    assert call(w, imp, "GET", "/imports", None).status_code == 401


# --- the trigger, progress, templates ---------------------------------------------------------------------


def test_oss_redelivery_and_the_notify_path(w: World, imp: Client, ref: Ref) -> None:
    r = call(w, imp, "POST", "/imports", w.admin_user, {"kind": "sku", "filename": "商品.csv",
                                                        "content_type": "text/csv"})
    j = r.json()["job"]
    assert j["status"] == "awaiting_upload" and j["total_rows"] == 0 and j["processed_rows"] == 0
    key = r.json()["upload"]["key"]
    objects = bootstrap.container().objects
    info = objects.put(key, csv_bytes([row(ref, code(), barcode=ean()), row(ref, code(), barcode=ean())]),
                       "text/csv")
    # A redelivery while this object is being read is dropped (the run under way finishes it) …
    with w.db.transaction(context.system("test")) as uow:
        uow.execute("update import_job set status = 'parsing', object_etag = %s where id = %s", (info.etag, j["id"]))
    assert imp.events.oss(objects.bucket, key, size=info.size, etag=info.etag) == {"status": 200, "handled": 1}
    assert job(w, imp, j["id"])["total_rows"] == 0
    # … unless that run died long ago: then the file is read again.
    with w.db.transaction(context.system("test")) as uow:
        uow.execute("update import_job set updated_at = now() - interval '5 minutes' where id = %s", (j["id"],))
    # What OSS does when the object lands: every function whose filter matches is invoked.
    results = delivery.notify_object_created(objects.bucket, key, info.size, info.etag)
    assert results == [{"status": 200, "handled": 1}]
    first = job(w, imp, j["id"])
    assert first["status"] == "ready" and (first["total_rows"], first["processed_rows"]) == (2, 2)
    assert first["fields"][0] == {"field": "code", "label": "商品编码", "required": True}
    assert commit(w, imp, first).status_code == 200
    # OSS delivers at least once: a redelivery leaves the committed job alone.
    assert imp.events.oss(objects.bucket, key, size=info.size, etag=info.etag) == {"status": 200, "handled": 1}
    later = job(w, imp, j["id"])
    assert later["status"] == "committed" and later["version"] == first["version"] + 2
    # An object under imports/ that no job expects is ignored.
    assert imp.events.oss(objects.bucket, "imports/nobody/x.csv", size=1, etag="E") == {"status": 200, "handled": 1}


def test_progress_is_visible_while_a_long_step_runs(w: World, imp: Client, ref: Ref) -> None:
    """Progress is written on its own short transactions: a poller sees it mid-commit, while
    the commit's own transaction is still open (the spy reads on another connection)."""
    from ucm.imports import kinds

    n = 300
    j = upload(w, imp, csv_bytes([row(ref, code(), barcode=ean()) for _ in range(n)]))
    assert (j["total_rows"], j["processed_rows"], j["counts"]["create"]) == (n, n, n)
    seen: list[tuple[str, int, str]] = []
    kind = kinds.get("sku")
    real = kind.commit

    def observed(uow: UnitOfWork, info: kinds.Job, progress: kinds.Progress) -> kinds.Outcome:
        def spy(done: int, message: str) -> None:
            progress(done, message)
            polled = q(w.db, "select status, processed_rows, message from import_job where id = %s", j["id"])[0]
            seen.append((polled["status"], polled["processed_rows"], polled["message"]))
        return real(uow, info, spy)

    kind.commit = observed  # type: ignore[method-assign, assignment]
    try:
        assert commit(w, imp, j).status_code == 200
    finally:
        kind.commit = real  # type: ignore[method-assign]
    assert seen[0] == ("committing", 0, "正在写入商品…")
    assert seen[1] == ("committing", n, "正在写入包装与条码…")
    assert job(w, imp, j["id"])["processed_rows"] == n


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_reads_back_as_a_valid_file(w: World, imp: Client, ref: Ref, fmt: str) -> None:
    r = call(w, imp, "GET", "/imports/template", w.admin_user, query={"kind": "sku", "format": fmt})
    assert r.status_code == 200
    table = reading.read(f"t.{fmt}", r.body)
    assert table.headers[:3] == ["商品编码", "商品名称", "简称"] and table.total == 1
    # The example row itself imports (with this module's category and brand).
    cells = dict(zip(table.headers, next(table.rows())[1], strict=True))
    cells.update({"商品编码": code(), "类目": ref.water, "品牌": ref.brand, "条码": ean(), "箱条码": ean()})
    j = upload(w, imp, csv_bytes([list(cells.values())], headers=list(cells)))
    assert j["status"] == "ready", rows(w, imp, j["id"])
    assert set(j["mapping"].values()) == {f["field"] for f in j["fields"]}
