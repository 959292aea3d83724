"""Coupons end to end on the database: templates from a file, codes issued once, orders redeeming them through the
importer with every refusal recorded, and the report reproduced by hand from the rows."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.models import Coupon, CouponRedemption, Event, Member
from engine.rewards.coupons import Issued, coupon_report, issue_coupon
from engine.settings import get_settings

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db"), pytest.mark.clock_sensitive]
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def shop(tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text("member_id,name\nA,甲\nB,乙\nC,丙\n", encoding="utf-8")
    assert import_csv(members, "members").rejected == 0
    loaded = CliRunner().invoke(app, ["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")])
    assert loaded.exit_code == 0, loaded.output


def give(template: str, member: str, occasion: str = "1", days_ago: int = 10) -> Issued:
    with session_scope() as session:
        member_id = session.scalar(select(col(Member.id)).where(col(Member.external_id) == member))
        assert member_id is not None
        return issue_coupon(
            session, template_key=template, member_id=member_id, idempotency_key=f"test:{template}:{member}:{occasion}",
            now=clock.now() - timedelta(days=days_ago), zone=get_settings().shop_zone,
        )  # fmt: skip


def orders(tmp_path: Path, name: str, rows: str) -> None:
    file = tmp_path / name
    file.write_text("order_id,member_id,placed_at,amount,coupon_code\n" + rows, encoding="utf-8")
    assert import_csv(file, "orders").rejected == 0


def day(n: int) -> str:
    return (clock.now() - timedelta(days=n)).isoformat()


def redemptions() -> dict[str, tuple[str, str]]:
    """order external id → (outcome, reason)"""
    from engine.models import Order

    with session_scope() as session:
        rows = session.execute(
            select(col(Order.external_id), col(CouponRedemption.outcome), col(CouponRedemption.reason)).join(
                Order, col(Order.id) == col(CouponRedemption.order_id)
            )
        )
        return {order: (outcome, reason) for order, outcome, reason in rows}


def test_a_code_is_issued_once_per_key_and_a_new_occasion_gets_a_new_one(shop: None) -> None:
    first = give("winback-20", "A")
    again = give("winback-20", "A")
    other = give("winback-20", "A", occasion="2")

    assert first.code is not None and first.code.startswith("WB")
    assert again.code == first.code
    assert other.code not in (None, first.code)
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Coupon)) == 2


def test_a_budget_stops_issuing_once_spent(shop: None, tmp_path: Path) -> None:
    file = tmp_path / "small.yaml"
    file.write_text(
        "- {key: tiny, name: 小预算, kind: amount_off, amount_off: 40, valid_days: 7, budget: 100}\n", encoding="utf-8"
    )
    assert CliRunner().invoke(app, ["coupons", "load", str(file)]).exit_code == 0

    given = [give("tiny", member) for member in "ABC"]

    assert [g.code is not None for g in given] == [True, True, False]
    assert given[2].reason == "the budget of tiny (100) is spent"


def test_orders_redeem_codes_and_every_refusal_is_recorded_with_its_reason(shop: None, tmp_path: Path) -> None:
    a = give("winback-20", "A").code
    b = give("winback-20", "B").code
    late = give("winback-20", "C", days_ago=30).code  # valid 14 days after the day of issue: over by now
    orders(
        tmp_path, "orders.csv",
        f"o1,A,{day(5)},150,{a}\n"  # redeems
        f"o2,A,{day(4)},150,{a}\n"  # the same code again
        f"o3,C,{day(4)},150,{b}\n"  # B's code
        f"o4,B,{day(4)},99,{b}\n"  # below the minimum spend of 100
        f"o5,C,{day(3)},150,{late}\n"  # expired
        f"o6,B,{day(3)},100,NOSUCHCODE\n"
        f"o7,B,{day(2)},100,\n",  # no code: nothing to decide
    )  # fmt: skip

    decided = redemptions()

    assert {order: outcome for order, (outcome, _) in decided.items()} == {
        "o1": "redeemed", "o2": "used", "o3": "foreign", "o4": "minimum", "o5": "expired", "o6": "unknown",
    }  # fmt: skip
    assert decided["o4"][1] == "order amount 99.00 is below the minimum spend 100 of 满100减20"
    assert decided["o6"][1] == "no coupon has the code NOSUCHCODE"
    with session_scope() as session:
        redeemed = session.execute(select(col(Coupon.code)).where(col(Coupon.redeemed_at).is_not(None))).scalars()
        assert list(redeemed) == [a]
        events = session.scalars(select(col(Event.properties)).where(col(Event.type) == "coupon_redeemed")).all()
        assert [e["code"] for e in events] == [a]


def test_importing_the_same_orders_again_redeems_nothing_twice(shop: None, tmp_path: Path) -> None:
    a = give("winback-20", "A").code
    rows = f"o1,A,{day(5)},150,{a}\no2,B,{day(5)},150,{a}\n"
    orders(tmp_path, "orders.csv", rows)
    before = redemptions()
    orders(tmp_path, "orders.csv", rows)

    assert redemptions() == before
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(CouponRedemption)) == 2


def test_the_report_is_the_rows_counted_by_hand(shop: None, tmp_path: Path) -> None:
    codes = [give("winback-20", m).code for m in "ABC"] + [give("birthday-gift", "A").code]
    orders(
        tmp_path, "orders.csv",
        f"o1,A,{day(5)},150.50,{codes[0]}\no2,B,{day(5)},300,{codes[1]}\n"
        f"o3,A,{day(4)},10,{codes[3]}\no4,A,{day(3)},200,{codes[2]}\n",
    )  # fmt: skip

    result = CliRunner().invoke(app, ["coupons", "report", "--json"])
    report = {row["template"]: row for row in json.loads(result.output)}

    assert result.exit_code == 0, result.output
    winback = report["winback-20"]
    assert (winback["issued"], winback["redeemed"], winback["rejected"]) == (3, 2, 1)  # o4 used C's code
    assert winback["redemption_rate"] == pytest.approx(2 / 3)
    assert Decimal(winback["attributed_revenue"]) == Decimal("450.50")
    assert Decimal(winback["cost"]) == Decimal("40.00")  # two redeemed × face value 20
    gift = report["birthday-gift"]
    assert (gift["issued"], gift["redeemed"], Decimal(gift["cost"]), Decimal(gift["attributed_revenue"])) == (
        1, 1, Decimal("88.00"), Decimal("10.00"),
    )  # fmt: skip
    assert report["winback-50"]["issued"] == 0 and report["winback-50"]["redemption_rate"] == 0
    with session_scope() as session:
        assert [r.template for r in coupon_report(session)] == sorted(report)


def test_a_bad_template_file_names_every_problem_and_saves_nothing(shop: None, tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(
        "- {key: ok, name: 好, kind: amount_off, amount_off: 5, valid_days: 7}\n"
        "- {key: pct, name: 折, kind: percent_off, valid_days: 7}\n"
        "- {key: gift, name: 礼, kind: gift, gift: 杯子, face_value: 5}\n"
        "- {key: Bad Key, name: 坏, kind: amount_off, amount_off: 5, valid_days: 7}\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(app, ["coupons", "load", str(file)])
    listed = CliRunner().invoke(app, ["coupons", "templates"])

    said = str(result.exception)
    assert result.exit_code != 0
    assert "template 1: Value error, a percent_off coupon needs percent_off; a percent_off coupon needs face_value" in (
        said
    )
    assert "template 3.key: String should match pattern" in said
    assert "template 2: Value error, give valid_days (after issue) or valid_until (a fixed last day)" in said
    assert " ok " not in listed.output


async def test_the_api_defines_issues_redeems_and_reports(shop: None) -> None:
    from litestar.testing import AsyncTestClient

    from web.app import create_app

    auth = {"Authorization": "Bearer test-token"}
    template = {"name": "满50减5", "kind": "amount_off", "amount_off": 5, "min_spend": 50, "valid_days": 3,
                "code_prefix": "API", "budget": 10}  # fmt: skip
    async with AsyncTestClient(app=create_app()) as api:
        saved = await api.put("/api/coupons/templates/api-5", json=template, headers=auth)
        bad = await api.put("/api/coupons/templates/api-6", json=template | {"kind": "gift"}, headers=auth)
        issued = await api.post("/api/coupons/templates/api-5/issue", json={"member_id": "A", "occasion": "x"},
                                headers=auth)  # fmt: skip
        again = await api.post("/api/coupons/templates/api-5/issue", json={"member_id": "A", "occasion": "x"},
                               headers=auth)  # fmt: skip
        nobody = await api.post("/api/coupons/templates/api-5/issue", json={"member_id": "Z", "occasion": "x"},
                                headers=auth)  # fmt: skip
        await api.post("/api/coupons/templates/api-5/issue", json={"member_id": "B", "occasion": "x"}, headers=auth)
        over = await api.post("/api/coupons/templates/api-5/issue", json={"member_id": "C", "occasion": "x"},
                              headers=auth)  # fmt: skip
        code = issued.json()["code"]
        order = {"order_id": "api-o1", "member_id": "A", "placed_at": clock.now().isoformat(), "amount": "60",
                 "coupon_code": code}  # fmt: skip
        posted = await api.post("/api/orders", json=order, headers=auth)
        reused = await api.post("/api/orders", headers=auth, json=[
            order | {"order_id": "api-o2"}, {k: v for k, v in order.items() if k != "coupon_code"} | {"order_id": "o3"},
        ])  # fmt: skip
        report = await api.get("/api/coupons/report", headers=auth)

    assert saved.status_code == 200 and saved.json()["key"] == "api-5"
    assert bad.status_code == 400 and "a gift coupon needs gift" in bad.text
    assert issued.status_code == 201 and code.startswith("API")
    assert again.json()["code"] == code
    assert nobody.status_code == 404 and nobody.json()["problems"] == ["member Z does not exist"]
    assert over.status_code == 409 and over.json()["problems"] == ["the budget of api-5 (10) is spent"]
    assert posted.status_code == 201, posted.text
    assert posted.json()["coupon"] == {"code": code, "outcome": "redeemed", "reason": posted.json()["coupon"]["reason"]}
    second, plain = reused.json()["results"]  # the till learns at once that the code was used already
    assert (second["key"], second["coupon"]["outcome"]) == ("api-o2", "used") and code in second["coupon"]["reason"]
    assert (plain["key"], plain["coupon"]) == ("o3", None)
    row = next(r for r in report.json() if r["template"] == "api-5")
    assert (row["issued"], row["redeemed"], row["attributed_revenue"]) == (2, 1, "60.00")
