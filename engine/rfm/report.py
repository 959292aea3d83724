"""What a run found, in the pinned summary shape; and the same counts recomputed from the stored score rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from engine.models import RfmRun, RfmScore
from engine.rfm.recompute import latest_run
from engine.rfm.segments import SEGMENT8_NAMES, SEGMENT11_NAMES


def summary(session: Session, run: RfmRun | None = None) -> dict[str, Any] | None:
    """The summary of a run (default: the latest), or None before the first run:

    {"as_of": "YYYY-MM-DD", "members_scored": N, "score_means": {"r", "f", "m"}, "segments8": {…}, "segments11": {…}}
    Every segment name is listed, with 0 when empty, in the order the schemes name them.
    """
    run = run or latest_run(session)
    if run is None:
        return None
    return {
        "as_of": run.as_of.isoformat(),
        "members_scored": run.members_scored,
        "score_means": {"r": run.mean_r, "f": run.mean_f, "m": run.mean_m},
        "segments8": {name: run.segments8.get(name, 0) for name in SEGMENT8_NAMES},
        "segments11": {name: run.segments11.get(name, 0) for name in SEGMENT11_NAMES},
    }


def stored_segment_counts(session: Session, run_id: int, scheme: str) -> dict[str, int]:
    """Members per segment counted from the run's score rows: `SELECT segment8, count(*) … GROUP BY segment8`."""
    column = col(RfmScore.segment8) if scheme == "8" else col(RfmScore.segment11)
    rows = session.execute(select(column, func.count()).where(col(RfmScore.run_id) == run_id).group_by(column))
    return {str(name): int(count) for name, count in rows}
