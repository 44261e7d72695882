"""Typed FC events: the real samples parse, both Kafka element forms, bad input is refused."""

from __future__ import annotations

import json

import pytest
from ucm.fc.events import MalformedEvent, decode, kind_of, parse_kafka, parse_oss, parse_timer

from tests.conftest import ROOT

EVENTS = ROOT / "tests" / "events"


def load(name: str) -> object:
    return decode((EVENTS / name).read_bytes())


def test_http_sample_is_http() -> None:
    assert kind_of(load("http.json")) == "http"


def test_timer_sample() -> None:
    ev = parse_timer(load("timer.json"))
    assert (ev.trigger_name, ev.payload, ev.trigger_time) == ("timer-trigger", "awesome-fc", "2023-12-26T07:49:00Z")


def test_oss_sample() -> None:
    [rec] = parse_oss(load("oss.json"))
    assert (rec.bucket, rec.key, rec.size, rec.event_name) == ("testbucket", "image/a.jpg", 122539,
                                                                "ObjectCreated:PutObject")
    assert rec.etag == "688A7BF4F233DC9C88A80BF985AB7329"


def test_oss_key_percent_encoded_is_decoded() -> None:
    ev = {"events": [{"eventName": "ObjectCreated:PutObject", "oss": {
        "bucket": {"name": "b"}, "object": {"key": "imports/%E5%95%86%E5%93%81.csv", "size": 1, "eTag": "x"}}}]}
    assert parse_oss(ev)[0].key == "imports/商品.csv"


def test_kafka_string_elements_sample() -> None:
    batch = parse_kafka(load("kafka-eventbridge-strings.json"))
    assert not batch.rejected
    [m] = batch.messages
    assert (m.topic, m.partition, m.offset, m.event_id) == ("HelloTopic", 9, 3, "1cb591f9-987e-41d9-b974-0342e9acb90a")
    with pytest.raises(MalformedEvent) as exc:  # a Python bytes repr is not our envelope
        m.envelope()
    assert exc.value.code == "fc.kafka.envelope"


def test_kafka_object_and_rawdata_forms() -> None:
    value = json.dumps({"id": "e1", "type": "stock.moved", "occurred_at": "2026-01-01T00:00:00+00:00",
                        "aggregate_id": "S1:K1", "data": {"qty_delta": "5"}})
    data = {"topic": "stock.moved", "partition": 1, "offset": 7, "timestamp": 1, "key": "S1:K1", "value": value}
    obj = {"specversion": "1.0", "id": "ce-1", "data": data}
    for event in ([obj], [data], [json.dumps(obj)]):
        batch = parse_kafka(event)
        assert [m.envelope().id for m in batch.messages] == ["e1"]


def test_kafka_bad_elements_are_rejected_not_fatal() -> None:
    good = {"data": {"topic": "t", "partition": 0, "offset": 1, "value": "{}"}}
    batch = parse_kafka([good, "{not json", 42, {"data": {"topic": "t"}}])
    assert len(batch.messages) == 1
    assert [code for _, code in ((i, e.code) for i, e in batch.rejected)] == ["fc.kafka.element"] * 3


@pytest.mark.parametrize(("raw", "code"), [
    (b"\xff\xfe", "fc.event.encoding"),
    (b"{not json", "fc.event.json"),
    (b'{"hello": 1}', "fc.event.unknown"),
    (b"42", "fc.event.unknown"),
])
def test_malformed_events(raw: bytes, code: str) -> None:
    with pytest.raises(MalformedEvent) as exc:
        kind_of(decode(raw))
    assert exc.value.code == code
