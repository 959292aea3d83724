"""Values beyond their domain are refused at the edge, naming the field: the API (400/422) and the CLI (exit 1), for
journeys, tag rules, coupon templates, points rules and points by hand. Nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.models import CouponTemplate, Journey, PointsEntry, TagRule

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}


def count(model: type) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_journey_with_a_wait_of_a_billion_days_is_refused(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    journey = {"id": "slow", "name": "slow", "trigger": {"type": "manual"},
               "steps": [{"id": "wait", "type": "wait", "days": 1e9},
                         {"id": "check", "type": "if_else", "then": [{"id": "t", "type": "add_tag", "tag": "T"}],
                          "condition": {"kind": "days_since_last_order", "days": 1000000000000}}]}  # fmt: skip

    answer = await client.post("/api/journeys", json=journey, headers=AUTH)

    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        "wait: days must be at most 36500 (it is 1000000000.0)",
        "check: condition.days must be at most 36500 (it is 1000000000000)",
    ]
    assert count(Journey) == 0


async def test_a_tag_rule_counting_a_trillion_days_is_refused(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    rule = {"tag": "常客", "condition": {"kind": "orders_in_last_days", "days": 1000000000000, "count": 3}}

    answer = await client.put("/api/tag-rules/常客", json=rule, headers=AUTH)
    cli = CliRunner().invoke(app, ["tags", "set-rule", "常客", "--condition", json.dumps(rule["condition"])])

    assert answer.status_code == 400
    [problem] = answer.json()["problems"]
    assert "condition.orders_in_last_days.days" in problem and "36,500" in problem
    assert cli.exit_code == 1
    assert "condition.orders_in_last_days.days must be at most 36500 (it is '1000000000000')" in str(cli.exception)
    assert count(TagRule) == 0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"valid_until": "9999-12-31"}, "valid_until must be at most 2199-12-31"),
        (
            {"valid_days": 7, "amount_off": 1e30},
            "amount_off must be at most 999999999999.99",
        ),
    ],
)
async def test_a_coupon_valid_for_ever_or_worth_a_fortune_is_refused(
    client: AsyncTestClient,  # type: ignore[type-arg]
    body: dict[str, object],
    problem: str,
) -> None:
    template = {"name": "满100减20", "kind": "amount_off", "amount_off": 20} | body

    answer = await client.put("/api/coupons/templates/wb", json=template, headers=AUTH)

    assert answer.status_code == 400
    assert answer.json()["problems"] == [problem]
    assert count(CouponTemplate) == 0


def test_points_rules_and_points_by_hand_beyond_their_range_are_refused(tmp_path: Path) -> None:
    rules = tmp_path / "points.yaml"
    rules.write_text("per_yuan: 1\nexpire_days: 1000000000000\n", encoding="utf-8")
    members = tmp_path / "members.csv"
    members.write_text("member_id,name\nM1,一\n", encoding="utf-8")
    assert import_csv(members, "members").rejected == 0
    runner = CliRunner()

    saved = runner.invoke(app, ["points", "rules", str(rules)])
    adjusted = runner.invoke(app, ["points", "adjust", "M1", str(2**70), "gift", "--key", "k1"])
    redeemed = runner.invoke(app, ["points", "redeem", "M1", str(2**63), "till", "--key", "k2"])

    assert saved.exit_code == 1
    assert "expire_days must be at most 36500 (it is '1000000000000')" in str(saved.exception)
    assert adjusted.exit_code == 1
    assert f"an adjustment is at most 1000000000 points either way, not {2**70}" in str(adjusted.exception)
    assert redeemed.exit_code == 1
    assert f"redeem a number of points from 1 to 1000000000, not {2**63}" in str(redeemed.exception)
    assert count(PointsEntry) == 0
