"""RFM reaching journeys: a recompute that moves a member into 重要挽留客户 starts the winback journey, whose
conditions then read the member's scores and the segment changes since entry."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.journey.language import read_journey_file
from engine.journey.plan import Plan
from engine.models import Event
from engine.rfm.recompute import recompute
from engine.settings import get_settings
from tests.workflows.conftest import Lane, load_members, publish_live, tags_of
from workflows.event_delivery import dispatch_pending

pytestmark = [pytest.mark.database]
EXAMPLE = Path(__file__).parents[2] / "examples" / "important-winback.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_orders(tmp_path: Path, name: str, rows: str) -> None:
    path = tmp_path / name
    path.write_text("order_id,member_id,placed_at,amount\n" + rows, encoding="utf-8")
    assert import_csv(path, "orders").rejected == 0


def rfm_run(as_of: date, key: str) -> dict[int, str]:
    """Recompute; return the segment_changed events this run emitted, event id → "from→to"."""
    with session_scope() as session:
        run = recompute(session, as_of=as_of, zone=SHANGHAI, run_key=key)
        rows = session.execute(
            select(col(Event.id), col(Event.properties)).where(
                col(Event.type) == "segment_changed", col(Event.idempotency_key).startswith(f"segment_changed:{key}:")
            )
        )
        moves = {event: f"{p['from']}→{p['to']}" for event, p in rows}
        assert run.segment_changes == len(moves)
        return moves


@pytest.fixture
def big_spender_goes_quiet(worker: Lane, tmp_path: Path) -> tuple[Plan, str]:
    """X spent 5000 once; Y buys small and often. On 1 Mar both last bought on 24 Feb: X is 重要发展客户 (recent,
    rare, big). By 11 Mar Y bought again and X did not: X falls to 重要挽留客户 (not recent, rare, big).

    The winback journey is live throughout; returns its plan and the occasion of X's entry."""
    _, plan = publish_live(read_journey_file(EXAMPLE))
    load_members(tmp_path, "X,大客户,,,,,,,,\nY,常客,,,,,,,,\n")
    add_orders(
        tmp_path, "orders.csv", "x1,X,2026-02-24,5000\n" + "".join(f"y{i},Y,2026-02-{20 + i},100\n" for i in range(5))
    )
    assert rfm_run(date(2026, 3, 1), "day-1") == {}  # the baseline run emits nothing
    add_orders(tmp_path, "more.csv", "y9,Y,2026-03-04,100\n")
    moves = rfm_run(date(2026, 3, 11), "day-2")
    assert list(moves.values()) == ["重要发展客户→重要挽留客户"]
    return plan, f"event-{next(iter(moves))}"


async def test_becoming_important_to_win_back_starts_the_journey_and_a_comeback_is_seen(
    worker: Lane, tmp_path: Path, big_spender_goes_quiet: tuple[Plan, str]
) -> None:
    plan, occasion = big_spender_goes_quiet
    await dispatch_pending(worker.client, get_settings())
    await worker.reached(plan, "X", "mark", occasion)
    handle = worker.handle(plan, "X", occasion)
    add_orders(tmp_path, "again.csv", "x2,X,2026-03-12,300\n")  # dated before entry: not the goal
    assert rfm_run(date(2026, 3, 13), "day-3") != {}  # X is back: 重要挽留客户 → a more valuable segment

    result = await worker.result(handle)

    assert result.blocks == ["mark", "big-spender", "personal-call", "a-week", "moved-on", "won-back", "unmark"]
    assert tags_of("X") >= {"专属回访", "挽留成功"}
    assert "重要挽留" not in tags_of("X")
    assert tags_of("Y") == set()  # Y never changed segment: never entered


async def test_a_member_still_at_risk_after_a_week_takes_the_other_branch(
    worker: Lane, big_spender_goes_quiet: tuple[Plan, str]
) -> None:
    plan, occasion = big_spender_goes_quiet
    await dispatch_pending(worker.client, get_settings())

    result = await worker.result(worker.handle(plan, "X", occasion))

    assert result.blocks == ["mark", "big-spender", "personal-call", "a-week", "moved-on", "not-yet", "unmark"]
    assert "挽留未果" in tags_of("X")
