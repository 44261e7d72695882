"""Configuration: unset = embedded defaults; a wrong value = one clear line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from ucm.config import ConfigError, env_names, load_settings

from tests.conftest import ROOT


def test_unset_means_embedded_defaults() -> None:
    s = load_settings({})
    assert (s.db.conn, s.redis.conn, s.ck.http, s.os.url, s.kafka.brokers, s.oss.endpoint) == (None,) * 6
    assert s.app.port == 8080


def test_cloud_values_are_read() -> None:
    s = load_settings({
        "DB__CONN": "postgresql://u:p@db:5432/retail", "REDIS__CONN": "redis:6379",
        "CK__HTTP": "http://clickhouse:8123", "OS__URL": "http://opensearch:9200",
        "KAFKA__BROKERS": "k1:9092, k2:9092", "OSS__ENDPOINT": "https://oss-cn-hangzhou.aliyuncs.com",
        "OSS__BUCKET": "ucm-prod",
    })
    assert s.db.conn == "postgresql://u:p@db:5432/retail"
    assert s.redis.conn == "redis://redis:6379"  # the plan's host:port form
    assert s.kafka.brokers == "k1:9092,k2:9092"
    assert s.oss.bucket == "ucm-prod"


@pytest.mark.parametrize(("var", "value"), [
    ("DB__CONN", "mysql://x@y/z"),
    ("REDIS__CONN", "not a url"),
    ("CK__HTTP", "clickhouse:8123"),
    ("OS__URL", "ftp://x"),
    ("KAFKA__BROKERS", "kafka"),
    ("OSS__ENDPOINT", "oss-cn-hangzhou"),
    ("OSS__BUCKET", "Bad_Bucket"),
    ("APP__PORT", "eighty"),
])
def test_wrong_value_names_the_variable(var: str, value: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings({var: value})
    msg = str(exc.value)
    assert msg.startswith(f"配置错误 {var}:")
    assert "\n" not in msg


def test_runner_fails_at_start_with_one_line() -> None:
    env = {**os.environ, "DB__CONN": "mysql://nope", "PYTHONPATH": f"{ROOT}/shared:{ROOT}"}
    proc = subprocess.run([sys.executable, "-m", "local"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("配置错误 DB__CONN:"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_env_names_cover_the_plan() -> None:
    names = set(env_names())
    assert {"DB__CONN", "REDIS__CONN", "CK__HTTP", "OS__URL", "KAFKA__BROKERS", "OSS__ENDPOINT",
            "OSS__BUCKET"} <= names


def test_production_needs_a_real_secret() -> None:
    with pytest.raises(ConfigError, match=r"^配置错误 APP__SECRET:"):
        load_settings({"APP__ENV": "prod"})
    assert load_settings({"APP__ENV": "prod", "APP__SECRET": "x" * 40}).app.secret == "x" * 40
