"""Timer triggers: FC's 6-field cron (seconds first) and @every, fired through the entry point."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from ucm.fc.app import FunctionApp
from ucm.fc.events import TimerEvent

from local.scheduler import Scheduler, next_run


def test_six_field_cron_has_seconds_first() -> None:
    at = datetime(2026, 11, 29, 8, 0, 10, tzinfo=timezone.utc)
    assert next_run("0 * * * * *", at) == datetime(2026, 11, 29, 8, 1, 0, tzinfo=timezone.utc)
    assert next_run("*/15 * * * * *", at) == datetime(2026, 11, 29, 8, 0, 15, tzinfo=timezone.utc)
    assert next_run("0 0 18 * * *", at) == datetime(2026, 11, 29, 18, 0, 0, tzinfo=timezone.utc)


def test_every() -> None:
    at = datetime(2026, 11, 29, 8, 0, 0, tzinfo=timezone.utc)
    assert next_run("@every 4m", at) == datetime(2026, 11, 29, 8, 4, 0, tzinfo=timezone.utc)


def test_scheduler_invokes_timer_functions() -> None:
    app = FunctionApp("test-timer", register=False)
    fired: list[TimerEvent] = []
    done = threading.Event()

    @app.schedule("@every 1s", payload='{"k": 1}')
    def tick(ev: TimerEvent) -> int:
        fired.append(ev)
        if len(fired) >= 2:
            done.set()
        return len(fired)

    sched = Scheduler({"test-timer": app})
    sched.start()
    try:
        assert done.wait(5)
    finally:
        sched.stop()
    assert [e.trigger_name for e in fired[:2]] == ["tick", "tick"]
    assert fired[0].payload == '{"k": 1}'
