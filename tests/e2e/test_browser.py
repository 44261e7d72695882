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


def run_script(name: str, base_url: str, tmp: Path) -> dict[str, object]:
    env = {**os.environ, "CHROMIUM": CHROMIUM, "E2E_SCREENSHOT": str(tmp / f"{name}.png"),
           "E2E_SCREENSHOT_DIR": str(tmp), "E2E_ADMIN_USER": "admin", "E2E_ADMIN_PASSWORD": "Retail@2026",
           "E2E_STORE_CODE": "S001"}
    proc = subprocess.run(["node", str(ROOT / "tests" / "e2e" / f"{name}.mjs"), base_url], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
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
