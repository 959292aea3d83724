"""`memberflow ab analyze` as a process: the pinned JSON it prints, equal to GrowthBook's figures, and a refusal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gbstats.models.statistics import ProportionStatistic  # type: ignore[import-untyped]

from tests.unit.test_ab_stats import arm, assert_agrees, gbstats_figures


def test_cli_prints_exactly_the_pinned_json(tmp_path: Path) -> None:
    file = tmp_path / "counts.json"
    counts = {"metric": "conversion", "control": "A", "alpha": 0.05, "sequential": False, "weights": {"A": 1, "B": 1},
              "arms": [arm("A", 10000, conversions=500), arm("B", 10000, conversions=560)]}  # fmt: skip
    file.write_text(json.dumps(counts))
    done = subprocess.run([sys.executable, "-m", "cli", "ab", "analyze", str(file), "--json"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    printed = json.loads(done.stdout)

    assert list(printed) == ["metric", "control", "srm_p_value", "srm_mismatch", "arms", "comparisons"]
    assert [list(arm) for arm in printed["arms"]] == [["name", "users", "mean", "variance"]] * 2
    assert list(printed["comparisons"][0]) == [
        "arm", "relative_lift", "relative_ci", "p_value", "absolute_diff", "absolute_ci", "absolute_p_value",
        "chance_to_win", "risk", "decision",
    ]  # fmt: skip
    theirs = gbstats_figures(ProportionStatistic(n=10000, sum=500), ProportionStatistic(n=10000, sum=560), 0.05, False)
    assert_agrees(printed["comparisons"][0], theirs)
    assert printed["comparisons"][0]["decision"] == "inconclusive"  # p ≈ 0.074

    bad = tmp_path / "bad.json"
    bad.write_text('{"metric": "clicks", "arms": []}')
    failed = subprocess.run([sys.executable, "-m", "cli", "ab", "analyze", str(bad)], capture_output=True, text=True)
    assert failed.returncode == 2 and "metric" in failed.stderr and "at least 2 items" in failed.stderr
