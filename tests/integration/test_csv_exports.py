"""Both A/B exports (GET …/splits/{block}/members.csv and `memberflow ab report --csv`) write a member id that a
spreadsheet would run as a formula with a single quote in front, and everything else as it is."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.ab.splits import record_assignment
from engine.db import session_scope
from engine.journey.store import publish
from engine.journey.validate import parse_journey
from engine.models import Member
from web.app import create_app

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}
JOURNEY = {
    "id": "offer-test", "name": "券还是积分", "trigger": {"type": "manual"},
    "steps": [{"id": "offer", "type": "split", "arms": [
        {"name": "coupon", "control": True, "steps": [{"id": "t1", "type": "add_tag", "tag": "C"}]},
        {"name": "points", "steps": [{"id": "t2", "type": "add_tag", "tag": "P"}]}]}],
}  # fmt: skip
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "M-100"]
WRITTEN = ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\t=1",
           "M-100"]  # fmt: skip


@pytest.fixture
def assigned(db: None) -> None:
    """Members whose ids are formulas, each assigned an arm of the split."""
    with session_scope() as session:
        published = publish(session, parse_journey(JOURNEY), now=clock.now())
        for n, key in enumerate(HOSTILE):
            member = Member(external_id=key)
            session.add(member)
            session.flush()
            assert member.id is not None
            arm = ("coupon", "points")[n % 2]
            record_assignment(session, published.journey_id, "offer", member.id, n, "split", arm,
                              clock.now() - timedelta(days=1))  # fmt: skip


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app()) as test_client:
        yield test_client


def member_ids(text: str) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return sorted(row["member_id"] for row in rows)


@pytest.mark.usefixtures("assigned")
async def test_the_api_export_neutralises_formulas(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    export = await client.get("/api/journeys/offer-test/splits/offer/members.csv", headers=AUTH)

    assert export.status_code == 200
    assert member_ids(export.text) == sorted(WRITTEN)


@pytest.mark.usefixtures("assigned")
def test_the_cli_export_neutralises_formulas(tmp_path: Path) -> None:
    file = tmp_path / "members.csv"

    result = CliRunner().invoke(app, ["ab", "report", "offer-test", "offer", "--csv", str(file), "--json"])

    assert result.exit_code == 0, result.output
    assert member_ids(file.read_text(encoding="utf-8")) == sorted(WRITTEN)
