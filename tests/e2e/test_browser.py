"""Browser test: Debian chromium driven by playwright-core (node), against the real runner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Runner

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    assert (ROOT / "ui" / "dist" / "index.html").exists(), "build the UI first: (cd ui && npm ci && npm run build)"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install chromium"
    assert shutil.which("node"), "node is needed to drive the browser (playwright-core)"
    r = Runner(tmp_path_factory.mktemp("e2e") / "data")
    r.wait_ready()
    yield r
    r.stop()


def run_script(name: str, base_url: str, tmp: Path, timeout_s: float = 120) -> dict[str, object]:
    env = {**os.environ, "CHROMIUM": CHROMIUM, "E2E_SCREENSHOT": str(tmp / f"{name}.png"),
           "E2E_SCREENSHOT_DIR": str(tmp), "E2E_ADMIN_USER": "admin", "E2E_ADMIN_PASSWORD": "Retail@2026",
           "E2E_STORE_CODE": "S001"}
    proc = subprocess.run(["node", str(ROOT / "tests" / "e2e" / f"{name}.mjs"), base_url], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout_s)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = [line for line in proc.stdout.splitlines() if line.startswith("{")][-1]
    result = json.loads(last)
    assert isinstance(result, dict)
    return result


@pytest.mark.e2e
def test_dashboard_shows_health(runner: Runner, tmp_path: Path) -> None:
    result = run_script("health", runner.url, tmp_path)
    assert result["ok"] is True
    assert "正常" in str(result["status_text"])
    assert (tmp_path / "health.png").stat().st_size > 10_000


@pytest.mark.e2e
def test_store_manager_sees_only_their_store(runner: Runner, tmp_path: Path) -> None:
    """Log in as HQ, create a store manager of S001, log in as them: the store switcher offers
    S001 only and the system menu is hidden; back as HQ, the audit log shows the creation."""
    result = run_script("identity", runner.url, tmp_path)
    assert result["ok"] is True
    seen = result["stores_seen"]
    assert isinstance(seen, list) and len(seen) == 1 and "上海徐汇店" in str(seen[0])
    assert "menu-system-users" not in str(result["manager_system_menu"])  # no user admin for them
    assert result["audit_found"] is True
    # The API agrees with what the browser showed: the new manager sees exactly one store.
    import httpx

    login = httpx.post(f"{runner.url}/auth/login", json={"username": result["username"], "password": "Store@2026x"})
    me = httpx.get(f"{runner.url}/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert [s["code"] for s in me.json()["stores"]] == ["S001"]


@pytest.mark.e2e
def test_catalog_import_wizard(runner: Runner, tmp_path: Path) -> None:
    """Upload a CSV with a bad barcode check digit → the errors step names row, column and reason;
    the fixed file previews 2 新增, commits, and the product list finds both products by name."""
    from typing import Any, cast

    result = cast(dict[str, Any], run_script("catalog_import", runner.url, tmp_path))
    assert result["ok"] is True
    errors = result["error_rows"]
    assert isinstance(errors, list) and len(errors) == 1
    assert errors[0]["row"] == "2" and errors[0]["column"] == "条码"  # header is row 1
    assert result["bad_barcode"] in errors[0]["text"] and "校验" in errors[0]["text"]
    assert result["status_after_bad"] == "invalid"
    assert result["counts"] == {"create": 2, "update": 0, "unchanged": 0}
    assert sorted(result["preview_keys"]) == sorted(result["codes"])
    assert "新增 2 个" in str(result["done_text"])
    assert set(result["codes"]) <= set(result["listed"])
    assert result["names"][0] in str(result["row_text"])
    assert result["not_found"] == []
    # The API agrees: both SKUs exist with the fixed barcode, written by one import job.
    import httpx

    login = httpx.post(f"{runner.url}/auth/login", json={"username": "admin", "password": "Retail@2026"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for code in result["codes"]:
        found = httpx.get(f"{runner.url}/catalog/sku", params={"q": code}, headers=headers).json()["items"]
        sku = next(s for s in found if s["code"] == code)
        assert sku["import_job_id"]
        assert all(b["code"] != result["bad_barcode"] for b in sku["barcodes"])


@pytest.mark.e2e
def test_catalog_temporary_price(runner: Runner, tmp_path: Path) -> None:
    """On a product's page add a temporary store price with start/end: the timeline shows it as
    待生效, and 价格查询 inside the window answers with it (rule 临时价), before it the standard."""
    from typing import Any, cast

    result = cast(dict[str, Any], run_script("catalog_price", runner.url, tmp_path))
    assert result["ok"] is True
    timeline = result["timeline"]
    assert timeline["amount"] == "7.50" and timeline["state"] == "scheduled"
    assert "¥7.50" in timeline["text"] and "待生效" in timeline["text"]
    assert [(r["amount"], r["store_id"]) for r in result["api_rows"]] == [("7.50", result["store_id"])]
    start, end = result["window"]
    assert result["api_rows"][0]["starts_at"].startswith(start.replace(" ", "T"))
    assert result["api_rows"][0]["ends_at"].startswith(end.replace(" ", "T"))
    assert result["quote"]["rule"] == "temporary" and result["quote"]["amount"] == "7.50"
    assert result["quote"]["rule_text"] == "临时价"
    assert result["before"] == {"rule": "standard", "amount": "10.00"}


@pytest.mark.e2e
def test_inventory_receive_transfer_stocktake(runner: Runner, tmp_path: Path) -> None:
    """In the UI as the demo admin: receive goods at S001 (scanner +1 per scan), transfer part to
    S002 and ship, receive there, count less at a stocktake, give a reason, approve; the move
    result, the transfer, 库存总览 at both stores and 库存流水 show the same numbers, and so does
    the API. A scanner's file imported into a stocktake counts the rows of one product summed; a
    kg product is adjusted by decimals and an impossible damage is refused; the store managers of
    either store see only their side's transfer actions."""
    from typing import Any, cast

    import httpx

    result = cast(dict[str, Any], run_script("inventory", runner.url, tmp_path, timeout_s=240))
    assert result["ok"] is True, result
    received, sent, counted = (result["quantities"][k] for k in ("received", "sent", "counted"))
    assert (result["scanned_twice"], result["scan_lines"]) == ("2", 1)  # the second scan added to its line
    receipt = result["after_receipt"]
    assert receipt["on_hand"] == str(received) and f"现有库存 {received}" in receipt["text"]
    assert (result["shipped_line"], result["prefilled"], result["received_line"]) == (str(sent),) * 3
    stock = result["stock"]
    left = received - sent

    def shown(row: dict[str, str], on_hand: int, in_transit: int) -> None:
        assert (row["on_hand"], row["in_transit"], row["ats"]) == (str(on_hand), str(in_transit),
                                                                   str(on_hand + in_transit)), row
        # the numbers are on the page itself: 现有 已预留 在途 可售
        assert f"{on_hand} 0 {in_transit} {on_hand + in_transit}" in row["text"], row["text"]

    shown(stock["from_in_transit"], left, 0)
    shown(stock["to_in_transit"], 0, sent)
    shown(stock["from_after"], left, 0)
    shown(stock["to_after"], sent, 0)
    shown(stock["to_counted"], counted, 0)
    review = result["stocktake"]["review"]
    assert (review["expected"], review["counted"], review["variance"]) == (str(sent), str(counted),
                                                                           str(counted - sent))
    assert f"盘亏数量 {counted - sent}" in result["stocktake"]["totals_text"]
    assert "差异金额 ¥10.00" in result["stocktake"]["totals_text"]  # 2 × ¥5.00 standard price
    # 库存流水 opened from the overview row, newest first
    assert result["ledger_to_query"] == {"store_id": result["to_store_id"], "sku_id": result["sku_id"]}
    assert [(r["reason"], r["delta"], r["after"]) for r in result["ledger_to"]] == [
        ("stocktake_loss", str(counted - sent), str(counted)), ("transfer_in", str(sent), str(sent))]
    assert "盘亏" in result["ledger_to"][0]["text"] and "调拨入库" in result["ledger_to"][1]["text"]
    assert [(r["reason"], r["delta"], r["after"]) for r in result["ledger_from"]] == [
        ("transfer_out", str(-sent), str(left)), ("purchase_receipt", str(received), str(received))]
    assert "采购收货" in result["ledger_from"][1]["text"] and f"+{received}" in result["ledger_from"][1]["text"]
    assert result["scanner_file"] == {"rows": 4, "counted": "5"}  # three single scans + a row of 2
    # kg: exact decimals both ways; a damage beyond the stock is refused and writes nothing
    from decimal import Decimal

    kg = result["weighed"]
    assert kg["delta"] == "-1.250" and Decimal(kg["on_hand"]) == Decimal(kg["before"]) - Decimal("1.25")
    assert kg["refused"]["code"] == "inventory.insufficient_stock" and f"现有 {kg['on_hand']}" in kg["refused"]["text"]
    assert kg["after_refusal"] == kg["on_hand"]
    # Each store manager sees only their side's actions: the source ships (or cancels), the
    # destination receives (or closes); the destination's overview then counts the one received.
    sides = result["sides"]
    no_actions = {"ship": False, "receive": False, "cancel": False, "close": False}
    assert sides["source_created"] == {**no_actions, "ship": True, "cancel": True}
    assert sides["source_shipped"] == no_actions
    assert sides["dest_shipped"] == {**no_actions, "receive": True, "close": True}
    shown(sides["dest_stock"], counted + 1, 0)
    assert result["not_found"] == []
    # the browser logs the refused damage (422) and nothing else
    assert [e for e in result["console_errors"] if "status of 422" not in e] == []
    assert len(result["console_errors"]) == 1
    # The API agrees with what the pages showed.
    login = httpx.post(f"{runner.url}/auth/login", json={"username": "admin", "password": "Retail@2026"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for store, on_hand in ((result["from_store_id"], left - 1), (result["to_store_id"], counted + 1)):
        items = httpx.get(f"{runner.url}/inventory/stock", params={"store_id": store, "sku_id": result["sku_id"]},
                          headers=headers).json()["items"]
        assert [(i["on_hand"], i["in_transit"], i["reserved"]) for i in items] == [(on_hand, 0, 0)]


@pytest.mark.e2e
def test_stock_import_and_stock_as_of(runner: Runner, tmp_path: Path) -> None:
    """库存导入 as the demo admin: the stock template, a counted list with an unknown product code
    → the error names row and column; the fixed file previews on hand now → counted, commits, and
    库存总览 shows the counted quantity (a row click opens its ledger); 历史时点 at a minute before
    the import shows the old quantity, and the API agrees with both."""
    from typing import Any, cast

    import httpx

    result = cast(dict[str, Any], run_script("stock_import", runner.url, tmp_path, timeout_s=240))
    assert result["ok"] is True, result
    assert result["template_header"].split(",")[:3] == ["门店编码", "商品编码", "库存数量"]
    assert "多个门店" in result["scope_text"]
    errors = result["error_rows"]
    assert [(e["row"], e["column"]) for e in errors] == [("3", "商品编码")]  # header is row 1
    assert result["unknown_code"] in errors[0]["text"] and "不存在" in errors[0]["text"]
    assert result["status_after_bad"] == "invalid"
    old, counted, code = result["old"], result["counted"], result["sku"]["code"]
    assert result["counts"] == {"update": 1, "unchanged": 1}
    preview = result["preview"]
    assert (preview["key"], preview["now"], preview["counted"]) == (f"{result['store_code']}:{code}", str(old),
                                                                     str(counted))
    assert f"{old} → {counted}" in preview["text"] and f"+{counted - old}" in preview["text"]
    assert "调整 1 个" in result["done_text"]
    assert result["now_shown"]["on_hand"] == str(counted) and str(counted) in result["now_shown"]["text"]
    assert result["ledger_query"] == {"store_id": result["store_id"], "sku_id": result["sku"]["id"]}
    assert result["banner_text"] == f"显示 {result['before_text']} 的库存（由流水汇总）"
    assert result["at_param"].endswith("+08:00")
    assert result["past"]["on_hand"] == str(old)
    assert result["back_on_hand"] == str(counted)
    assert result["not_found"] == []
    assert result["console_errors"] == []
    # The API agrees: on hand now is the count, and at the moment picked it was the old quantity.
    login = httpx.post(f"{runner.url}/auth/login", json={"username": "admin", "password": "Retail@2026"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    q = {"store_id": result["store_id"], "sku_id": result["sku"]["id"]}
    now = httpx.get(f"{runner.url}/inventory/stock", params=q, headers=headers).json()["items"]
    assert [i["on_hand"] for i in now] == [counted]
    then = httpx.get(f"{runner.url}/inventory/stock-as-of", params={**q, "at": result["at_param"]},
                     headers=headers).json()["items"]
    assert [i["on_hand"] for i in then] == [old]
