"""Record validation without a database: what is accepted, how times are read, and the sentences for the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from engine.records import EventRecord, MemberRecord, OrderRecord, problems_of

SHANGHAI = {"zone": ZoneInfo("Asia/Shanghai")}


def problems(model: type[MemberRecord | OrderRecord | EventRecord], data: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data, context=SHANGHAI)
    return problems_of(raised.value)


def test_a_bare_date_is_midnight_in_the_shop_time_zone() -> None:
    order = OrderRecord.model_validate(
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": "10"}, context=SHANGHAI
    )

    assert order.placed_at.astimezone(UTC) == datetime(2024, 4, 30, 16, 0, tzinfo=UTC)


def test_an_offset_in_the_value_wins_over_the_shop_time_zone() -> None:
    order = OrderRecord.model_validate(
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01T10:00:00+09:00", "amount": 10}, context=SHANGHAI
    )

    assert order.placed_at.astimezone(UTC) == datetime(2024, 5, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("小程序", "mini-program"), ("mini_program", "mini-program"), ("门店", "store"), ("Online", "online")],
)
def test_channels_are_normalised(given: str, stored: str) -> None:
    order = OrderRecord.model_validate(
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": 1, "channel": given},
        context=SHANGHAI,
    )

    assert order.channel == stored


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("-0.01", "amount '-0.01' is negative"),
        ("12.345", "amount '12.345' has more than two decimal places"),
        ("12,50", "amount '12,50' is not a number"),
        ("NaN", "amount 'NaN' is not a number"),
        ("1e13", "amount '1e13' is too large for one order"),
    ],
)
def test_bad_amounts_are_named(amount: str, problem: str) -> None:
    data = {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": amount}

    assert problems(OrderRecord, data) == [problem]


def test_amounts_keep_cents_exactly() -> None:
    order = OrderRecord.model_validate(
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": "0.10"}, context=SHANGHAI
    )

    assert order.amount == Decimal("0.10")


def test_every_member_problem_is_reported_at_once() -> None:
    data = {"member_id": " ", "email": "x@", "gender": "robot", "timezone": "Mars/Base", "birthday": "1990-02-30"}

    assert problems(MemberRecord, data) == [
        "member_id is required",
        "email 'x@' is not an email address",
        "birthday '1990-02-30' is not an ISO date such as 1990-02-28",
        "gender 'robot' is not one of female, male, other",
        "timezone 'Mars/Base' is not an IANA time zone name such as Asia/Shanghai",
    ]


def test_explicit_nulls_are_accepted_and_count_as_given() -> None:
    member = MemberRecord.model_validate({"member_id": "M1", "name": None, "city": None, "email": None})

    assert member.name is None
    assert {"name", "city", "email"} <= member.model_fields_set


def test_tags_from_a_csv_cell_are_split_trimmed_and_deduplicated() -> None:
    member = MemberRecord.model_validate({"member_id": "M1", "tags": "VIP| 新客 |VIP||"})

    assert member.tags == ["VIP", "新客"]


def test_an_event_without_a_key_gets_a_stable_one_from_its_content() -> None:
    data = {"member_id": "M1", "type": "store_visit", "properties": {"store": "徐汇"}, "occurred_at": "2024-05-01"}

    first = EventRecord.model_validate(data, context=SHANGHAI).key()
    again = EventRecord.model_validate(dict(reversed(list(data.items()))), context=SHANGHAI).key()
    other = EventRecord.model_validate({**data, "occurred_at": "2024-05-02"}, context=SHANGHAI).key()

    assert first == again
    assert first != other
    assert first.startswith("store_visit:M1:")
