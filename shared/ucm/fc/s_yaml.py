"""s.yaml (Serverless Devs ``edition: 3.0.0``, component ``fc3``) from the registry, and the
check that the committed s.yaml and the registry agree, function by function, trigger by
trigger, route by route (``ucm s-yaml`` writes it; a test runs ``differences``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ucm.fc.app import FunctionApp

FUNCTION_PREFIX = "ucm-"
RUNTIME = "python3.10"
LAYER = "ucm-shared"
HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# What a function reads from its environment in the cloud (see ucm.config).
CLOUD_ENV = [
    "DB__CONN", "REDIS__CONN", "CK__HTTP", "CK__DATABASE", "OS__URL", "KAFKA__BROKERS",
    "OSS__ENDPOINT", "OSS__PUBLIC_ENDPOINT", "OSS__BUCKET", "OSS__REGION", "OSS__ACCESS_KEY_ID",
    "OSS__ACCESS_KEY_SECRET", "APP__SECRET", "APP__ENV",
]


def trigger_name(kind: str, name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "-", f"{kind}-{name}")[:128]


def gateway_path(route_path: str) -> str:
    """The custom-domain route that sends a path prefix to its function."""
    seg = route_path.strip("/").split("/", 1)[0]
    return f"/{seg}" if route_path.strip("/") == seg and "{" not in seg else f"/{seg}/*"


def _triggers(app: FunctionApp) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if app.routes:
        out.append({"triggerName": "http", "triggerType": "http",
                    "triggerConfig": {"authType": "anonymous", "disableURLInternet": False,
                                      "methods": HTTP_METHODS}})
    for t in app.timers:
        out.append({"triggerName": trigger_name("timer", t.name), "triggerType": "timer",
                    "triggerConfig": {"cronExpression": t.cron, "enable": True, "payload": t.payload}})
    for o in app.oss:
        out.append({"triggerName": trigger_name("oss", o.name), "triggerType": "oss",
                    "sourceArn": "acs:oss:${vars.region}:${config('AccountID')}:${vars.bucket}",
                    "invocationRole": "${vars.ossTriggerRole}",
                    "triggerConfig": {"events": list(o.events),
                                      "filter": {"key": {"prefix": o.prefix, "suffix": o.suffix}}}})
    for k in app.kafka:
        for topic in k.topics:
            out.append({"triggerName": trigger_name("kafka", topic), "triggerType": "eventbridge",
                        "triggerConfig": {
                            "triggerEnable": True, "asyncInvocationType": False,
                            "eventSinkConfig": {"deliveryOption": {"mode": "event-streaming",
                                                                   "eventSchema": "CloudEvents"}},
                            "runOptions": {"mode": "event-streaming", "maximumTasks": 2, "errorsTolerance": "ALL",
                                           "retryStrategy": {"PushRetryStrategy": "BACKOFF_RETRY",
                                                             "MaximumRetryAttempts": 3},
                                           "batchWindow": {"CountBasedWindow": k.batch_size,
                                                           "TimeBasedWindow": k.batch_window_s}},
                            "eventSourceConfig": {"eventSourceType": "Kafka", "eventSourceParameters": {
                                "sourceKafkaParameters": {
                                    "RegionId": "${vars.region}", "InstanceId": "${vars.kafkaInstance}",
                                    "Topic": topic, "ConsumerGroup": f"fc-{app.name}",
                                    "OffsetReset": "earliest", "Network": "Default",
                                    "VpcId": "${vars.vpcId}", "VSwitchIds": "${vars.vSwitchId}",
                                    "SecurityGroupId": "${vars.securityGroupId}"}}}}})
    return out


def render(apps: Mapping[str, FunctionApp]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    routes: list[dict[str, Any]] = []
    for name in sorted(apps):
        app = apps[name]
        resources[name] = {"component": "fc3", "props": {
            "region": "${vars.region}",
            "functionName": FUNCTION_PREFIX + name,
            "description": app.description,
            "runtime": RUNTIME,
            "code": f"./functions/{name}",
            "handler": "index.handler",
            "memorySize": app.memory_mb,
            "timeout": app.timeout_s,
            "instanceConcurrency": 10 if app.routes else 1,
            "layers": ["${vars.layer}"],
            "role": "${vars.functionRole}",
            "environmentVariables": {v: "${env('" + v + "')}" for v in CLOUD_ENV},
            "vpcConfig": {"vpcId": "${vars.vpcId}", "vSwitchIds": ["${vars.vSwitchId}"],
                          "securityGroupId": "${vars.securityGroupId}"},
            "logConfig": "auto",
            "triggers": _triggers(app),
        }}
        for path in sorted({gateway_path(r.path) for r in app.routes}):
            methods = sorted({m for r in app.routes if gateway_path(r.path) == path for m in r.methods})
            routes.append({"path": path, "functionName": FUNCTION_PREFIX + name, "methods": methods})
    resources["api-domain"] = {"component": "fc3-domain", "props": {
        "region": "${vars.region}", "domainName": "${vars.apiDomain}", "protocol": "HTTP,HTTPS",
        "routeConfig": {"routes": routes}}}
    return {
        "edition": "3.0.0",
        "name": "ucm-backoffice",
        "access": "default",
        "vars": {
            "region": "cn-hangzhou",
            "layer": "${env('UCM_LAYER_ARN')}",
            "functionRole": "${env('UCM_FUNCTION_ROLE_ARN')}",
            "ossTriggerRole": "${env('UCM_OSS_TRIGGER_ROLE_ARN')}",
            "bucket": "${env('OSS__BUCKET')}",
            "kafkaInstance": "${env('UCM_KAFKA_INSTANCE_ID')}",
            "vpcId": "${env('UCM_VPC_ID')}",
            "vSwitchId": "${env('UCM_VSWITCH_ID')}",
            "securityGroupId": "${env('UCM_SECURITY_GROUP_ID')}",
            "apiDomain": "${env('UCM_API_DOMAIN')}",
        },
        "resources": resources,
    }


def _facts(doc: Mapping[str, Any]) -> set[tuple[str, ...]]:
    """What must agree: functions (code dir, handler), triggers (kind, name, key config), routes."""
    facts: set[tuple[str, ...]] = set()
    for key, res in (doc.get("resources") or {}).items():
        props = res.get("props") or {}
        if res.get("component") == "fc3":
            fn = str(props.get("functionName"))
            facts.add(("function", key, fn, str(props.get("code")), str(props.get("handler"))))
            for t in props.get("triggers") or []:
                cfg = t.get("triggerConfig") or {}
                detail = ""
                if t.get("triggerType") == "timer":
                    detail = str(cfg.get("cronExpression"))
                elif t.get("triggerType") == "oss":
                    f = (cfg.get("filter") or {}).get("key") or {}
                    detail = f"{sorted(cfg.get('events') or [])}|{f.get('prefix', '')}|{f.get('suffix', '')}"
                elif t.get("triggerType") == "eventbridge":
                    src = cfg.get("eventSourceConfig", {}).get("eventSourceParameters", {})
                    detail = str(src.get("sourceKafkaParameters", {}).get("Topic"))
                facts.add(("trigger", fn, str(t.get("triggerType")), str(t.get("triggerName")), detail))
        elif res.get("component") == "fc3-domain":
            for r in (props.get("routeConfig") or {}).get("routes") or []:
                facts.add(("route", str(r.get("path")), str(r.get("functionName")),
                           ",".join(sorted(r.get("methods") or []))))
    return facts


def differences(committed: Mapping[str, Any], apps: Mapping[str, FunctionApp]) -> list[str]:
    """Human-readable lines; empty when s.yaml and the registry agree."""
    want, have = _facts(render(apps)), _facts(committed)
    return ([f"missing in s.yaml: {f}" for f in sorted(want - have)]
            + [f"in s.yaml but not in the registry: {f}" for f in sorted(have - want)])
