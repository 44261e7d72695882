"""docker-compose.yml cannot run here (no Docker engine); its structure is checked instead."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from ucm.config import env_names

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_services_and_versions(compose: dict[str, Any]) -> None:
    svc = compose["services"]
    assert svc["postgres"]["image"].startswith("postgres:16")
    assert svc["redis"]["image"].startswith("redis:7")
    assert svc["clickhouse"]["image"] == "clickhouse/clickhouse-server:24.8"
    assert svc["opensearch"]["image"].startswith("opensearchproject/opensearch:2")
    assert svc["opensearch"]["environment"]["discovery.type"] == "single-node"
    assert svc["opensearch"]["environment"]["DISABLE_SECURITY_PLUGIN"] == "true"
    assert svc["minio"]["image"].startswith("minio/minio")
    assert "zookeeper" not in svc


def test_kafka_is_kraft(compose: dict[str, Any]) -> None:
    env = compose["services"]["kafka"]["environment"]
    assert "controller" in env["KAFKA_PROCESS_ROLES"]
    assert not any("ZOOKEEPER" in k for k in env)


def test_host_ports_do_not_clash(compose: dict[str, Any]) -> None:
    host_ports = [str(p).split(":")[0] for s in compose["services"].values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)), host_ports


def test_runner_env_names_match_settings(compose: dict[str, Any]) -> None:
    runner = compose["services"]["runner"]
    env = runner["environment"]
    known = set(env_names())
    assert set(env) <= known, set(env) - known
    for var in ("DB__CONN", "REDIS__CONN", "CK__HTTP", "OS__URL", "KAFKA__BROKERS", "OSS__ENDPOINT"):
        assert env.get(var), f"runner does not point {var} at its service"
    assert set(runner["depends_on"]) >= {"postgres", "redis", "clickhouse", "opensearch", "kafka"}


def test_runner_points_at_compose_hosts(compose: dict[str, Any]) -> None:
    env = compose["services"]["runner"]["environment"]
    assert "@postgres:5432" in env["DB__CONN"]
    assert env["KAFKA__BROKERS"] == "kafka:9092"
    assert env["CK__HTTP"].endswith("@clickhouse:8123")
    assert env["OS__URL"] == "http://opensearch:9200"
    assert env["OSS__ENDPOINT"] == "http://minio:9000"
    assert (ROOT / compose["services"]["runner"]["build"]["dockerfile"]).exists()
