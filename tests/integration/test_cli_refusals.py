"""The `memberflow` command tells each refusal (engine.errors) as one `error: …` line per problem on stderr and exits 2,
whatever its type; nothing else is printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]


def memberflow(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *arguments], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip


def test_a_refusal_is_one_error_line_per_problem_and_exit_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- {tag: A, condition: {kind: total_spend, op: ge, amount: -1}}\n"
                     "- {tag: B, condition: {kind: total_spend, op: ge, amount: -2}}\n", encoding="utf-8")  # fmt: skip

    unknown = memberflow("tags", "add", "M404", "VIP")  # NotFound, from the shared member lookup
    bad = memberflow("tags", "load", str(rules))  # Invalid, with a problem in each rule

    assert (unknown.returncode, unknown.stdout, unknown.stderr) == (2, "", "error: member M404 does not exist\n")
    assert (bad.returncode, bad.stderr.splitlines()) == (2, [
        f"error: {rules}: rule {n}.condition.total_spend.amount: Input should be greater than or equal to 0"
        for n in (0, 1)
    ])  # fmt: skip


def test_memberflow_refuses_to_start_with_invalid_settings() -> None:
    env = {**os.environ, "SHOP_TIMEZONE": "Mars/Olympus", "TEMPORAL_DEV_PORT": "70000"}

    result = subprocess.run([sys.executable, "-m", "cli", "up"], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "setting: SHOP_TIMEZONE 'Mars/Olympus' is not an IANA time zone name" in result.stderr
    assert "setting: TEMPORAL_DEV_PORT 70000 is not a TCP port between 1 and 65535." in result.stderr
    assert "Traceback" not in result.stderr
