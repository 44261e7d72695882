"""The embedded events adapter: the relay hands events straight to the Kafka-triggered
functions of this process, through their real FC entry point (a CloudEvents batch), so the
code path is the one the cloud runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ucm.ports import Event


class DeliveryFailed(RuntimeError):
    pass


class InProcessPublisher:
    adapter_name = "in-process"

    def publish(self, events: Sequence[Event]) -> None:
        from ucm.fc import delivery

        by_topic: dict[str, list[Event]] = defaultdict(list)
        for e in events:  # keep the outbox order within each topic
            by_topic[e.type].append(e)
        for topic, batch in by_topic.items():
            for result in delivery.deliver(topic, batch):
                if result.get("status") != 200:
                    raise DeliveryFailed(f"{topic}: {result}")

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None
