"""One bad event never blocks the others: an event Temporal refuses (a 5 MB property, too large for a signal) is
recorded with the reason, retried with backoff a bounded number of times, then set aside and listed by the API and
the CLI, while every other member's events reach their journeys, and the member's own later events too."""

from __future__ import annotations

import gc
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlmodel import col
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.db import session_scope
from engine.journey.event_delivery import DELIVERY_ATTEMPTS, delivery_backoff, pending_events
from engine.models import Event, EventDeliveryFailure, Member
from engine.settings import get_settings
from tests.workflows.conftest import Lane, free_port, load_members, publish_live, tags_of
from web.app import create_app
from workflows.event_delivery import TemporalUnreachable, dispatch_pending

pytestmark = [pytest.mark.database]
HUGE = 5_000_000  # characters: beyond the test server's 4 MB gRPC limit (the dev server refuses above 2 MB)
WAITING = {
    "id": "waiting", "name": "waiting", "trigger": {"type": "manual"},
    "steps": [{"id": "order", "type": "wait_for_event", "until": {"event": "order_placed"}, "timeout_days": 7,
               "happened": [{"id": "ordered", "type": "add_tag", "tag": "ORDERED"}],
               "timed_out": [{"id": "silent", "type": "add_tag", "tag": "SILENT"}]}],
}  # fmt: skip
THANKS = {
    "id": "thanks", "name": "thanks", "trigger": {"type": "event", "event": "order_placed"},
    "reentry": {"policy": "always"}, "steps": [{"id": "thank", "type": "add_tag", "tag": "THANKED"}],
}  # fmt: skip


def record_event(member: str, key: str, properties: dict[str, Any], at: datetime) -> int:
    """An order event as it was stored (e.g. before intake limited sizes), straight into the table."""
    with session_scope() as session:
        member_id = session.scalar(select(col(Member.id)).where(col(Member.external_id) == member))
        event = Event(member_id=member_id or 0, type="order_placed", properties=properties, occurred_at=at,
                      idempotency_key=key, recorded_at=at)  # fmt: skip
        session.add(event)
        session.flush()
        assert event.id is not None
        return event.id


def failure(event_id: int) -> EventDeliveryFailure | None:
    with session_scope() as session:
        return session.get(EventDeliveryFailure, event_id)


def dispatched(event_id: int) -> bool:
    with session_scope() as session:
        return session.scalar(select(col(Event.dispatched_at)).where(col(Event.id) == event_id)) is not None


async def test_a_refused_event_is_set_aside_and_the_others_arrive(worker: Lane, db: None, tmp_path: Path) -> None:
    load_members(tmp_path, "M1,一,,,,,,,,\nM2,二,,,,,,,,\nM3,三,,,,,,,,\n")
    _, waiting = publish_live(WAITING)
    publish_live(THANKS)
    runs = {member: await worker.start(waiting, member) for member in ("M1", "M2")}
    for member in runs:
        await worker.reached(waiting, member, "order")
    now = await worker.env.get_current_time()
    huge = record_event("M1", "huge", {"amount": 100, "note": "x" * HUGE}, now)
    for_m2 = record_event("M2", "m2", {"amount": 50}, now)
    for_m3 = record_event("M3", "m3", {"amount": 80}, now)

    await dispatch_pending(worker.client, get_settings())

    assert dispatched(for_m2) and dispatched(for_m3) and not dispatched(huge)
    await worker.reached(waiting, "M2", "ordered")  # (time stands still meanwhile: M1's run keeps waiting)
    assert "THANKED" in tags_of("M3")
    first = failure(huge)
    assert first is not None and first.attempts == 1 and first.set_aside_at is None
    assert first.reason.startswith("signal to journey/waiting/M1: Temporal answered ")
    size = len(json.dumps({"amount": 100, "note": "x" * HUGE}))
    assert first.reason.endswith(f"(the event's properties are {size:,} bytes)")
    assert first.retry_at == first.failed_at + delivery_backoff(1) == first.failed_at + timedelta(minutes=1)

    with session_scope() as session:
        assert huge not in [e.event_id for e in pending_events(session, clock.now())]  # not due before retry_at
    found = first
    for attempt in range(2, DELIVERY_ATTEMPTS + 1):
        assert found.retry_at == found.failed_at + delivery_backoff(attempt - 1)  # 1, 4, 16, 64 minutes
        with clock.pinned(found.retry_at + timedelta(seconds=1)):
            await dispatch_pending(worker.client, get_settings())
        again = failure(huge)
        assert again is not None and again.attempts == attempt
        found = again
    last = failure(huge)
    assert last is not None and last.retry_at is None and last.set_aside_at is not None
    with clock.pinned(last.failed_at + timedelta(days=30)), session_scope() as session:
        assert pending_events(session, clock.now()) == []  # set aside: not tried again by itself

    small = record_event("M1", "m1-small", {"amount": 20}, now)  # the member's next event is not held up
    await dispatch_pending(worker.client, get_settings())
    assert dispatched(small)
    await worker.reached(waiting, "M1", "ordered")
    assert [(await worker.result(run)).blocks for run in runs.values()] == [["order", "ordered"]] * 2

    async with AsyncTestClient(app=create_app()) as client:
        answer = await client.get("/api/events/undelivered", headers={"Authorization": "Bearer test-token"})
    assert answer.status_code == 200
    [listed] = answer.json()
    assert (listed["event_id"], listed["member_id"], listed["state"], listed["attempts"]) == (
        huge, "M1", "set aside", DELIVERY_ATTEMPTS,
    )  # fmt: skip
    assert listed["reason"] == last.reason
    shown = CliRunner().invoke(app, ["events", "undelivered", "--json"])
    assert shown.exit_code == 0, shown.output
    assert [(e["event_id"], e["state"]) for e in json.loads(shown.output)] == [(huge, "set aside")]

    put_back = CliRunner().invoke(app, ["events", "redeliver", str(huge)])
    assert put_back.exit_code == 0, put_back.output
    assert "1 event(s) will be delivered again" in put_back.output
    with session_scope() as session:
        assert huge in [e.event_id for e in pending_events(session, clock.now())]
    await dispatch_pending(worker.client, get_settings())  # M1's run has ended: no signal to send it any more
    assert dispatched(huge) and failure(huge) is None


async def test_temporal_out_of_reach_counts_against_no_event(db: None, tmp_path: Path) -> None:
    load_members(tmp_path, "M1,一,,,,,,,,\n")
    publish_live(THANKS)
    event = record_event("M1", "m1", {"amount": 20}, clock.now())
    nobody = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True, data_converter=pydantic_data_converter)

    with pytest.raises(TemporalUnreachable, match="Temporal did not answer"):
        await dispatch_pending(nobody, get_settings())

    assert failure(event) is None and not dispatched(event)
    del nobody  # let the client go now: its core crashes if it is still there when the interpreter exits
    gc.collect()
