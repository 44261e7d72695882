"""s.yaml and the function registry agree, function by function, trigger by trigger."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from ucm.fc import s_yaml
from ucm.fc.app import FunctionApp
from ucm.fc.discovery import function_dirs, load_functions

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def apps() -> dict[str, FunctionApp]:
    return load_functions()


def test_committed_s_yaml_matches_registry(committed: dict[str, Any], apps: dict[str, FunctionApp]) -> None:
    assert s_yaml.differences(committed, apps) == []


def test_every_function_folder_is_registered_and_deployed(committed: dict[str, Any],
                                                           apps: dict[str, FunctionApp]) -> None:
    folders = {p.name for p in function_dirs()}
    assert folders == set(apps)
    fc3 = {k for k, r in committed["resources"].items() if r["component"] == "fc3"}
    assert fc3 == folders
    assert committed["edition"] == "3.0.0"
    for name in fc3:
        props = committed["resources"][name]["props"]
        assert props["code"] == f"./functions/{name}" and props["handler"] == "index.handler"
        assert props["layers"] == ["${vars.layer}"]


def test_a_trigger_missing_from_s_yaml_is_reported(committed: dict[str, Any], apps: dict[str, FunctionApp]) -> None:
    broken = copy.deepcopy(committed)
    broken["resources"]["outbox-relay"]["props"]["triggers"] = []
    diffs = s_yaml.differences(broken, apps)
    assert len(diffs) == 1 and diffs[0].startswith("missing in s.yaml") and "outbox-relay" in diffs[0]


def test_a_function_only_in_s_yaml_is_reported(committed: dict[str, Any], apps: dict[str, FunctionApp]) -> None:
    extra = copy.deepcopy(committed)
    extra["resources"]["ghost"] = copy.deepcopy(extra["resources"]["uploads"])
    extra["resources"]["ghost"]["props"]["functionName"] = "ucm-ghost"
    diffs = s_yaml.differences(extra, apps)
    assert diffs and all(d.startswith("in s.yaml but not in the registry") for d in diffs)


def test_a_route_missing_from_the_domain_is_reported(committed: dict[str, Any], apps: dict[str, FunctionApp]) -> None:
    broken = copy.deepcopy(committed)
    routes = broken["resources"]["api-domain"]["props"]["routeConfig"]["routes"]
    routes[:] = [r for r in routes if r["path"] != "/health"]
    assert any("/health" in d for d in s_yaml.differences(broken, apps))


def test_kafka_triggers_one_per_topic(committed: dict[str, Any]) -> None:
    triggers = committed["resources"]["events-etl"]["props"]["triggers"]
    topics = [t["triggerConfig"]["eventSourceConfig"]["eventSourceParameters"]["sourceKafkaParameters"]["Topic"]
              for t in triggers]
    assert "stock.moved" in topics and len(topics) == len(set(topics))
