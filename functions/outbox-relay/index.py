"""Outbox relay: publishes whatever the handlers' own after-commit publishing missed."""

from ucm.bootstrap import container
from ucm.fc.app import FunctionApp
from ucm.fc.events import TimerEvent

app = FunctionApp("outbox-relay", description="事件外发：补发未发送的 outbox 事件", timeout_s=60)


@app.schedule("0 * * * * *")
def sweep(ev: TimerEvent) -> dict[str, int]:
    return {"sent": container().relay.sweep()}


handler = app.handler
