"""The global holdout against the program: counts per group from the members' orders, analysed like any split."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.ab.analysis import analyze
from engine.ab.assign import in_global_holdout
from engine.ab.holdout import holdout_request
from engine.db import session_scope
from engine.errors import Invalid
from engine.intake.csv_import import import_csv
from engine.settings import get_settings

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db"), pytest.mark.clock_sensitive]


def test_holdout_and_program_are_counted_from_the_orders_of_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"H{n:03d}" for n in range(200)]
    (tmp_path / "m.csv").write_text("member_id,registered_at\n" + "".join(f"{k},2024-01-01\n" for k in keys))
    assert import_csv(tmp_path / "m.csv", "members").rejected == 0
    now = clock.now()
    recent, old = (now - timedelta(days=3)).isoformat(), (now - timedelta(days=90)).isoformat()
    rows = [f"R{k},{k},{recent},{100 if in_global_holdout(k, 30) else 150}\n" for k in keys[::2]]
    rows += [f"X{k},{k},{old},999\n" for k in keys[1::2]]  # outside the window: not counted
    (tmp_path / "o.csv").write_text("order_id,member_id,placed_at,amount\n" + "".join(rows))
    assert import_csv(tmp_path / "o.csv", "orders").rejected == 0

    with session_scope() as session:
        revenue = holdout_request(session, 30, 30, now, "revenue")
        conversion = holdout_request(session, 30, 30, now, "conversion")

    held = [k for k in keys if in_global_holdout(k, 30)]
    held_buyers = [k for k in keys[::2] if k in held]
    program_buyers = [k for k in keys[::2] if k not in held]
    assert [(a.name, a.users) for a in revenue.arms] == [("holdout", len(held)), ("program", 200 - len(held))]
    assert [a.sum for a in revenue.arms] == [100 * len(held_buyers), 150 * len(program_buyers)]
    assert [a.sum_squares for a in revenue.arms] == [100**2 * len(held_buyers), 150**2 * len(program_buyers)]
    assert [a.conversions for a in conversion.arms] == [len(held_buyers), len(program_buyers)]
    assert revenue.control == "holdout" and revenue.weights == {"holdout": 30, "program": 70}
    assert analyze(revenue).comparisons[0].arm == "program"

    monkeypatch.setenv("GLOBAL_HOLDOUT_PERCENT", "30")
    get_settings.cache_clear()
    printed = CliRunner().invoke(app, ["ab", "holdout", "--json"])
    monkeypatch.undo()
    get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    assert '"control": "holdout"' in printed.stdout


def test_without_a_holdout_the_comparison_is_refused() -> None:
    with session_scope() as session, pytest.raises(Invalid, match="GLOBAL_HOLDOUT_PERCENT is 0"):
        holdout_request(session, 0, 30, clock.now(), "revenue")
