"""A split's outcomes and secondary figures from rows, without a database (engine.ab.outcomes): the conversion
window in the shop's calendar days, the goal's property filter, revenue in the window, and per arm what the journey
sent, issued, granted and cost from each member's assignment on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from engine.ab.outcomes import (
    Assigned,
    JourneyActivity,
    JourneyCoupon,
    JourneyMessage,
    JourneyPoints,
    OutcomeRows,
    measure_outcomes,
    secondary,
)
from engine.journey.events import Goal, PropertyFilter

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 1, 2, tzinfo=UTC)  # 10:00 on 1 March in Shanghai
HOUR = timedelta(hours=1)
# An order of at least 100 within 1 day: through the end of 2 March in the shop's zone.
GOAL = Goal(event="order_placed", where=[PropertyFilter(property="amount", op="ge", value=100)], within_days=1)


def rows() -> OutcomeRows:
    return OutcomeRows(
        assigned=[
            Assigned(1, "M1", "split", "A", START),
            Assigned(2, "M2", "split", "B", START + 24 * HOUR),
            Assigned(3, "M3", "rest", None, START),
        ],
        events={
            1: [
                (START + HOUR, {"amount": 50}),  # too small for the goal
                (START + 25 * HOUR, {"amount": 300}),  # converts, but later than the next one
                (START + 20 * HOUR, {"amount": 150}),
            ],
            2: [
                (START, {"amount": 500}),  # before the assignment
                (datetime(2026, 3, 3, 16, tzinfo=UTC), {"amount": 500}),  # 00:00 on 4 March in Shanghai: too late
            ],
            3: [(START + 2 * HOUR, {"amount": 100})],
            9: [(START + HOUR, {"amount": 100})],  # a member the split never assigned
        },
        orders={
            1: [
                (START + HOUR, Decimal("50.00")),
                (START + 20 * HOUR, Decimal("150.00")),
                (datetime(2026, 3, 2, 16, 30, tzinfo=UTC), Decimal("70.00")),  # 00:30 on 3 March in Shanghai
            ],
            2: [(START, Decimal("999.00"))],
        },
    )


def test_a_member_converts_at_the_first_matching_event_inside_the_window() -> None:
    found = {o.member_key: o for o in measure_outcomes(rows(), GOAL, SHANGHAI)}

    assert list(found) == ["M1", "M2", "M3"]  # assignment order, the unassigned member 9 left out
    assert found["M1"].converted_at == START + 20 * HOUR
    assert found["M1"].revenue == Decimal("200.00")  # 50 + 150; the 70 falls on 3 March in Shanghai
    assert found["M2"].converted_at is None and found["M2"].revenue == Decimal(0)
    assert (found["M3"].group, found["M3"].arm, found["M3"].converted_at) == ("rest", None, START + 2 * HOUR)


def test_the_window_counts_calendar_days_in_the_zone_given() -> None:
    in_utc = {o.member_key: o for o in measure_outcomes(rows(), GOAL, ZoneInfo("UTC"))}

    assert in_utc["M1"].revenue == Decimal("270.00")  # 16:30 UTC on 2 March is still inside 2 March in UTC


def activity() -> JourneyActivity:
    return JourneyActivity(
        messages=[
            JourneyMessage(1, START + HOUR, "sent", True, False, "sms", Decimal("0.05")),
            JourneyMessage(1, START - HOUR, "sent", True, True, "email", Decimal(0)),  # before the assignment
            JourneyMessage(2, START + 25 * HOUR, "delivered", True, True, "email", Decimal("0.30")),  # email: free
            JourneyMessage(2, START + 26 * HOUR, "failed", False, False, "email", Decimal(0)),
            JourneyMessage(3, START + HOUR, "sent", True, True, "sms", Decimal("0.05")),  # held: no arm
        ],
        coupons=[
            JourneyCoupon(1, START + HOUR, Decimal("20.00"), redeemed=True),
            JourneyCoupon(1, START + 2 * HOUR, Decimal("10.00"), redeemed=False),
            JourneyCoupon(2, START, Decimal("20.00"), redeemed=True),  # before the assignment
        ],
        grants=[JourneyPoints(2, START + 25 * HOUR, 100), JourneyPoints(3, START + HOUR, 500)],
        point_value=Decimal("0.01"),
    )


def test_secondary_counts_what_each_arm_was_sent_issued_and_cost_from_assignment_on() -> None:
    found = measure_outcomes(rows(), GOAL, SHANGHAI)

    a, b, c = secondary(found, ["A", "B", "C"], activity())

    assert (a.arm, a.users, a.messages_sent, a.opened, a.clicked) == ("A", 1, 1, 1, 0)
    assert (a.coupons_issued, a.coupons_redeemed, a.redemption_rate) == (2, 1, 0.5)
    assert (a.revenue, a.cost) == (Decimal("200.00"), Decimal("20.05"))  # a redeemed 20 coupon and one SMS
    assert a.roi == float((Decimal("200.00") - Decimal("20.05")) / Decimal("20.05"))
    assert (b.users, b.messages_sent, b.opened, b.clicked, b.coupons_issued) == (1, 1, 1, 1, 0)
    assert (b.revenue, b.cost, b.roi, b.redemption_rate) == (Decimal("0.00"), Decimal("1.00"), -1.0, None)
    assert (c.users, c.messages_sent, c.cost, c.roi) == (0, 0, Decimal("0.00"), None)  # an arm nobody reached
