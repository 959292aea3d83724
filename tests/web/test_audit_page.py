"""The audit log an admin reads on /admin/audit: sign-ins, publishes (by whoever published) and settings changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from litestar.testing import AsyncTestClient

from engine import clock
from engine.access import audit
from engine.access.audit import Actor, acting_as
from engine.db import session_scope
from engine.journey.store import publish
from engine.journey.validate import parse_journey
from engine.rewards.points import load_rules, save_rules
from tests.login import sign_in
from web.app import create_app

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
JOURNEY = {"id": "audited", "name": "记录", "trigger": {"type": "manual"},
           "steps": [{"id": "t", "type": "add_tag", "tag": "SEEN"}]}  # fmt: skip


def test_a_publish_and_a_settings_change_are_recorded_by_whoever_acts() -> None:
    with acting_as(Actor(name="api:crm-sync", client="198.51.100.7")), session_scope() as session:
        publish(session, parse_journey(JOURNEY), now=clock.now())
        publish(session, parse_journey(JOURNEY), now=clock.now())  # unchanged: the same version, published again
    with acting_as(Actor(name="user:boss")), session_scope() as session:
        rules = load_rules(session)
        save_rules(session, rules.model_copy(update={"per_yuan": Decimal(2)}), clock.now())
        save_rules(session, rules.model_copy(update={"per_yuan": Decimal(2)}), clock.now())  # no change: no entry

    with session_scope() as session:
        found = audit.entries(session)

    assert [(e.action, e.actor, e.subject) for e in found] == [
        ("settings_changed", "user:boss", "points"),
        ("journey_published", "api:crm-sync", "audited"),
        ("journey_published", "api:crm-sync", "audited"),
    ]
    assert found[0].detail["changed"]["per_yuan"] == {"from": None, "to": "2"}  # the shop had no rules saved yet
    assert found[1].detail == {"version": 1, "new_version": False, "status": "live"}
    assert (
        found[2].detail == {"version": 1, "new_version": True, "status": "live"} and found[2].client == "198.51.100.7"
    )


def test_a_secret_setting_is_recorded_without_its_values() -> None:
    with session_scope() as session:
        audit.record_setting_change(session, "sms", {"sms_password": "old-secret", "sender": "A"},
                                    {"sms_password": "new-secret", "sender": "B"}, clock.now())  # fmt: skip
        found = audit.entries(session)

    assert found[0].detail == {"changed": {"sender": {"from": "A", "to": "B"}, "sms_password": "***"}}


async def test_the_admin_reads_the_log_and_can_filter_it() -> None:
    with acting_as(Actor(name="api:crm-sync")), session_scope() as session:
        publish(session, parse_journey(JOURNEY), now=clock.now())
    async with AsyncTestClient(app=create_app()) as client:
        admin = await sign_in(client, "admin")
        page = await client.get("/admin/audit")
        publishes = await client.get("/admin/audit", params={"action": "journey_published"})
        await sign_in(client, "analyst")
        refused = await client.get("/admin/audit")

    assert page.status_code == 200 and '<table id="audit">' in page.text
    rows = page.text.split("<tbody>")[1]
    assert rows.index(f"user:{admin.login}") < rows.index("api:crm-sync")  # newest first: the sign-in, then the publish
    assert "journey_published" in rows and "login" in rows and "(Asia/Shanghai)" in page.text
    assert "api:crm-sync" in publishes.text and f"user:{admin.login}" not in publishes.text.split("<tbody>")[1]
    assert refused.status_code == 403
