"""What EventBridge does in the cloud: consume each Kafka-triggered function's topics in its
own consumer group and hand batches to its entry point as CloudEvents; a batch is committed
only when the function succeeded, otherwise it is redelivered."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from ucm.fc.app import FunctionApp
from ucm.fc.delivery import cloudevent, invoke


class BatchFailed(RuntimeError):
    pass


class KafkaBridge:
    def __init__(self, brokers: str, group_prefix: str, apps: Mapping[str, FunctionApp]) -> None:
        self.brokers = brokers
        self.group_prefix = group_prefix
        self.apps = [a for a in apps.values() if a.kafka]
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        from ucm.adapters.kafka import ensure_topics

        topics = sorted({t for a in self.apps for trig in a.kafka for t in trig.topics})
        if topics:
            ensure_topics(self.brokers, topics)
        for app in self.apps:
            th = threading.Thread(target=self._run, args=(app,), name=f"kafka-{app.name}", daemon=True)
            th.start()
            self._threads.append(th)

    def _run(self, app: FunctionApp) -> None:
        from ucm.adapters.kafka import KafkaBatchConsumer, KafkaRecord

        topics = sorted({t for trig in app.kafka for t in trig.topics})
        batch_size = max(t.batch_size for t in app.kafka)
        consumer = KafkaBatchConsumer(self.brokers, f"{self.group_prefix}-{app.name}", topics)

        def handle(records: list[KafkaRecord]) -> None:
            event = [cloudevent(r.topic, r.value, key=r.key, partition=r.partition, offset=r.offset,
                                event_id=f"{r.topic}-{r.partition}-{r.offset}", timestamp_ms=r.timestamp_ms)
                     for r in records]
            result = invoke(app, event)
            if result.get("status") != 200:
                raise BatchFailed(str(result))

        try:
            consumer.run(handle, self.stop_event, max_records=batch_size)
        finally:
            consumer.close()

    def stop(self) -> None:
        self.stop_event.set()
        for th in self._threads:
            th.join(timeout=10)
