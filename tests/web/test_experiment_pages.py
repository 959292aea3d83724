"""The A/B pages and API over recorded assignments: arms, lift bars, conversion over time, the SRM banner, the CSV."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.ab.splits import record_assignment
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.journey.store import publish
from engine.journey.validate import parse_journey
from engine.models import Member

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}
JOURNEY = {
    "id": "offer-test", "name": "券还是积分", "trigger": {"type": "manual"},
    "goal": {"event": "order_placed", "within_days": 14},
    "steps": [{"id": "offer", "type": "split", "arms": [
        {"name": "coupon", "control": True, "steps": [{"id": "t1", "type": "add_tag", "tag": "C"}]},
        {"name": "points", "steps": [{"id": "t2", "type": "add_tag", "tag": "P"}]}]}],
}  # fmt: skip


def assigned_shop(tmp_path: Path, coupon: int, points: int, buyers: dict[str, int]) -> None:
    """Members assigned by hand (coupon first, then points) three days ago; `buyers[arm]` of each arm then buy."""
    keys = [f"A{n:04d}" for n in range(coupon + points)]
    (tmp_path / "m.csv").write_text("member_id\n" + "".join(f"{k}\n" for k in keys))
    assert import_csv(tmp_path / "m.csv", "members").rejected == 0
    with session_scope() as session:
        published = publish(session, parse_journey(JOURNEY), now=clock.now())
    then = clock.now() - timedelta(days=3)
    arms = ["coupon"] * coupon + ["points"] * points
    orders = []
    with session_scope() as session:
        ids = {key: id_ for key, id_ in session.execute(select(col(Member.external_id), col(Member.id)))}
        for n, (key, arm) in enumerate(zip(keys, arms, strict=True)):
            record_assignment(session, published.journey_id, "offer", ids[key], n, "split", arm, then)
            first = 0 if arm == "coupon" else coupon
            if n - first < buyers[arm]:
                orders.append(f"O{key},{key},{(then + timedelta(days=1)).isoformat()},88\n")
    (tmp_path / "o.csv").write_text("order_id,member_id,placed_at,amount\n" + "".join(orders))
    assert import_csv(tmp_path / "o.csv", "orders").rejected == 0


async def test_the_results_page_shows_arms_lift_over_time_and_method(
    logged_in_client: AsyncTestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    client = logged_in_client
    assigned_shop(tmp_path, coupon=500, points=505, buyers={"coupon": 50, "points": 90})

    listing = await client.get("/experiments")
    page = await client.get("/experiments/offer-test/offer")
    api = await client.get("/api/journeys/offer-test/splits/offer", headers=AUTH)
    export = await client.get("/api/journeys/offer-test/splits/offer/members.csv", headers=AUTH)

    assert listing.status_code == 200 and 'href="/experiments/offer-test/offer"' in listing.text
    assert "<td>1,005</td>" in listing.text  # members assigned, written the page language's way
    assert page.status_code == 200, page.text
    assert 'id="srm"' not in page.text  # 500 vs 505 fits 1:1
    assert f"{(90 / 505) / (50 / 500) - 1:+.2%}" in page.text  # the points arm's lift over the coupon: +78.22%
    assert "17.82%" in page.text and "10.00%" in page.text  # the arms' conversion rates
    assert 'id="lift"' in page.text and "<polyline" in page.text and "Method:" in page.text
    body = api.json()
    points = body["analysis"]["comparisons"][0]
    assert (points["arm"], points["decision"]) == ("points", "win")
    assert [a["users"] for a in body["analysis"]["arms"]] == [500, 505]
    lines = export.text.splitlines()
    assert export.headers["content-type"].startswith("text/csv") and len(lines) == 1006
    assert sum(line.split(",")[4] == "1" for line in lines[1:]) == 140


async def test_a_sample_ratio_mismatch_is_shown_loudly(logged_in_client: AsyncTestClient, tmp_path: Path) -> None:  # type: ignore[type-arg]
    client = logged_in_client
    assigned_shop(tmp_path, coupon=600, points=400, buyers={"coupon": 60, "points": 40})

    page = await client.get("/experiments/offer-test/offer")

    assert 'id="srm"' in page.text and "SAMPLE-RATIO MISMATCH" in page.text


async def test_unknown_splits_are_named(client: AsyncTestClient, tmp_path: Path) -> None:  # type: ignore[type-arg]
    assigned_shop(tmp_path, coupon=10, points=10, buyers={"coupon": 0, "points": 0})

    missing = await client.get("/api/journeys/offer-test/splits/nope", headers=AUTH)
    not_split = await client.get("/api/journeys/offer-test/splits/t1", headers=AUTH)

    assert missing.status_code == 404 and "no block 'nope'" in missing.text
    assert not_split.status_code == 422 and "not a split" in not_split.text
