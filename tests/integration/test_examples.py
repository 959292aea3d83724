"""Every sample file under examples/ imports cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.intake.csv_import import import_csv

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
EXAMPLES = Path(__file__).parents[2] / "examples"


def test_example_members_and_orders_import_without_rejections() -> None:
    members = import_csv(EXAMPLES / "members.csv", "members")
    orders = import_csv(EXAMPLES / "orders.csv", "orders")

    assert (members.rejected, orders.rejected) == (0, 0)
    assert members.inserted == 40
    assert orders.inserted == sum(1 for _ in (EXAMPLES / "orders.csv").open(encoding="utf-8")) - 1
