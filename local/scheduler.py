"""Timer triggers on their cron (FC's 6-field form, UTC), invoking the function's entry point
with a real timer event."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from croniter import croniter
from ucm.fc.app import FunctionApp, TimerTrigger
from ucm.fc.delivery import invoke, timer_event

log = logging.getLogger(__name__)
_EVERY = re.compile(r"^@every\s+(\d+)([smh])$")


def next_run(cron: str, after: datetime) -> datetime:
    m = _EVERY.match(cron.strip())
    if m:
        unit = {"s": 1, "m": 60, "h": 3600}[m.group(2)]
        return after + timedelta(seconds=int(m.group(1)) * unit)
    nxt: datetime = croniter(cron, after, second_at_beginning=True).get_next(datetime)
    return nxt


class Scheduler:
    def __init__(self, apps: Mapping[str, FunctionApp]) -> None:
        self.jobs: list[tuple[FunctionApp, TimerTrigger]] = [(a, t) for a in apps.values() for t in a.timers]
        self.stop_event = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="timers", daemon=True)

    def start(self) -> None:
        if self.jobs:
            self._thread.start()

    def _loop(self) -> None:
        now = datetime.now(timezone.utc)
        due = {i: next_run(t.cron, now) for i, (_, t) in enumerate(self.jobs)}
        while not self.stop_event.is_set():
            now = datetime.now(timezone.utc)
            for i, (app, trig) in enumerate(self.jobs):
                if due[i] <= now:
                    try:
                        invoke(app, timer_event(trig.name, trig.payload))
                    except Exception:
                        log.exception("timer invocation failed", extra={"fields": {"function": app.name}})
                    due[i] = next_run(trig.cron, now)
            wait = min(due.values()) - datetime.now(timezone.utc)
            self.stop_event.wait(max(0.05, min(wait.total_seconds(), 1.0)))

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
