"""The ingest API against the real database: auth, validation sentences, idempotency, batches, OpenAPI."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from engine.db import session_scope
from engine.models import Event, Order

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}


def count(model: type) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def test_the_api_needs_the_token(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    missing = await client.post("/api/members", json={"member_id": "M1"})
    wrong = await client.post("/api/members", json={"member_id": "M1"}, headers={"Authorization": "Bearer nope"})

    assert missing.status_code == 401
    assert missing.json() == {"problems": ["send the API token as 'Authorization: Bearer <token>'"]}
    assert wrong.status_code == 401
    assert wrong.json() == {"problems": ["the API token is not valid"]}


async def test_a_member_is_created_once_then_updated(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    body = {"member_id": "M1", "name": "张三", "email": "ZS@example.com", "tags": ["VIP"], "sms_consent": False}

    first = await client.post("/api/members", json=body, headers=AUTH)
    again = await client.post("/api/members", json=body, headers=AUTH)
    moved = await client.post("/api/members", json={"member_id": "M1", "city": "杭州"}, headers=AUTH)
    profile = await client.get("/api/members/M1", headers=AUTH)

    assert (first.status_code, first.json()["status"]) == (201, "inserted")
    assert (again.status_code, again.json()["status"]) == (200, "unchanged")
    assert (moved.status_code, moved.json()["status"]) == (200, "updated")
    shown = profile.json()
    assert shown["email"] == "zs@example.com" and shown["city"] == "杭州" and shown["tags"] == ["VIP"]
    assert shown["accepts_sms"] is False and shown["accepts_email"] is True
    assert shown["orders"] == 0


async def test_invalid_bodies_get_every_problem_in_a_sentence(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    single = await client.post(
        "/api/members", json={"member_id": "M1", "email": "nope", "birthday": "1990-02-30"}, headers=AUTH
    )
    batch = await client.post(
        "/api/orders",
        json=[{"order_id": "O1", "member_id": "M1", "placed_at": "2024-01-01", "amount": 5}, {"order_id": "O2"}],
        headers=AUTH,
    )
    unknown_field = await client.post("/api/members", json={"member_id": "M1", "colour": "red"}, headers=AUTH)

    assert single.status_code == 400
    assert single.json()["problems"] == [
        "email 'nope' is not an email address: an email address must have an @-sign",
        "birthday '1990-02-30' is not an ISO date such as 1990-02-28",
    ]
    assert batch.status_code == 400
    assert batch.json()["problems"] == [
        "item 1: member_id is required",
        "item 1: placed_at is required",
        "item 1: amount is required",
    ]
    assert unknown_field.status_code == 400
    assert unknown_field.json()["problems"] == ["colour extra inputs are not permitted"]
    assert count(Order) == 0  # an invalid batch writes nothing


async def test_orders_need_a_known_member_and_record_an_order_placed_event(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    await client.post("/api/members", json={"member_id": "M1"}, headers=AUTH)
    order = {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01T10:00", "amount": "599.00"}

    orphan = await client.post("/api/orders", json={**order, "member_id": "M404"}, headers=AUTH)
    created = await client.post("/api/orders", json=order, headers=AUTH)
    repeated = await client.post("/api/orders", json=order, headers=AUTH)

    assert orphan.status_code == 422
    assert orphan.json() == {"problems": ["member M404 does not exist"]}
    assert (created.status_code, repeated.status_code) == (201, 200)
    assert repeated.json()["status"] == "unchanged"
    with session_scope() as session:
        events = list(session.scalars(select(Event).where(Event.type == "order_placed")))
    assert len(events) == 1
    assert events[0].properties["amount"] == 599.0
    assert events[0].occurred_at.isoformat() == "2024-05-01T02:00:00+00:00"


async def test_a_batch_reports_each_item_and_keeps_the_good_ones(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    await client.post("/api/members", json=[{"member_id": "M1"}, {"member_id": "M2"}], headers=AUTH)
    orders = [
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": 10},
        {"order_id": "O2", "member_id": "M404", "placed_at": "2024-05-01", "amount": 10},
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": 10},
        {"order_id": "O1", "member_id": "M2", "placed_at": "2024-05-01", "amount": 10},
    ]

    response = await client.post("/api/orders", json=orders, headers=AUTH)

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("inserted", "updated", "unchanged", "rejected")} == {
        "inserted": 1, "updated": 0, "unchanged": 1, "rejected": 2,
    }  # fmt: skip
    assert [(r["key"], r["status"], r["reason"]) for r in body["results"]] == [
        ("O1", "inserted", None),
        ("O2", "rejected", "member M404 does not exist"),
        ("O1", "unchanged", None),
        ("O1", "rejected", "order_id O1 appeared before on item 0 with different content"),
    ]
    assert count(Order) == 1


async def test_events_are_recorded_once_per_idempotency_key(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    await client.post("/api/members", json={"member_id": "M1"}, headers=AUTH)
    event = {"member_id": "M1", "type": "coupon_viewed", "properties": {"coupon": "W20"}, "idempotency_key": "k-1"}

    first = await client.post("/api/events", json=event, headers=AUTH)
    replay = await client.post("/api/events", json=event, headers=AUTH)
    clash = await client.post("/api/events", json={**event, "properties": {"coupon": "W50"}}, headers=AUTH)
    bad_type = await client.post("/api/events", json={**event, "type": "Coupon Viewed"}, headers=AUTH)
    keyless = {"member_id": "M1", "type": "store_visit", "occurred_at": "2024-05-01T10:00:00+08:00"}
    keyless_twice = [await client.post("/api/events", json=keyless, headers=AUTH) for _ in range(2)]

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["status"] == "unchanged"
    assert clash.status_code == 409
    assert clash.json() == {"problems": ["idempotency key k-1 was already used for a different event"]}
    assert bad_type.status_code == 400
    assert bad_type.json()["problems"] == [
        "type 'Coupon Viewed' is not an event name: use lower-case letters, digits and _"
    ]
    assert [r.status_code for r in keyless_twice] == [201, 200]  # same content, same derived key
    with session_scope() as session:
        custom = session.scalar(select(func.count()).where(Event.type.in_(["coupon_viewed", "store_visit"])))  # type: ignore[attr-defined]
    assert custom == 2


async def test_members_are_listed_and_searched(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    await client.post(
        "/api/members",
        json=[{"member_id": f"M{i}", "name": "李" if i % 2 else "王", "city": "上海"} for i in range(1, 6)],
        headers=AUTH,
    )

    everyone = await client.get("/api/members", params={"limit": 2}, headers=AUTH)
    searched = await client.get("/api/members", params={"q": "李"}, headers=AUTH)
    missing = await client.get("/api/members/M404", headers=AUTH)

    assert everyone.json()["total"] == 5
    assert [m["member_id"] for m in everyone.json()["members"]] == ["M1", "M2"]
    assert searched.json()["total"] == 3
    assert missing.status_code == 404
    assert missing.json() == {"problems": ["member M404 does not exist"]}


async def test_openapi_schema_and_pages_are_served(logged_in_client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    client = logged_in_client
    await client.post("/api/members", json={"member_id": "M1", "name": "张三", "tags": ["VIP"]}, headers=AUTH)

    schema = await client.get("/schema/openapi.json", headers=AUTH)
    home = await client.get("/")
    members = await client.get("/members", params={"q": "张"})
    fragment = await client.get("/members", params={"q": "nobody"}, headers={"HX-Request": "true"})

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/members", "/api/orders", "/api/events", "/api/health"} <= set(paths)
    body = paths["/api/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    record = {"$ref": "#/components/schemas/OrderRecord"}
    assert body == {"oneOf": [record, {"type": "array", "items": record, "maxItems": 1000}]}  # one order or a list
    assert home.status_code == 200 and 'id="members-count">1<' in home.text
    assert "张三" in members.text and "VIP" in members.text and "<html" in members.text
    assert "<html" not in fragment.text and "0 members" in fragment.text
