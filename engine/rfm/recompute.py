"""RFM recompute: read every member's order facts in one aggregate, score them, store the run, emit changes.

A run is one transaction: its scores, its `segment_changed` events and the pruning of old runs land together or
not at all. A run key names the request (the scheduled day, an API call), so a retried recompute returns the run
it already stored instead of storing a second one. The first run ever is the baseline and emits no changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select
from sqlalchemy.types import NullType
from sqlmodel import Session, col

from engine.models import Event, Member, Order, RfmRun, RfmScore, table_of
from engine.rfm.scoring import MemberScore, MemberValues, RfmScheme, Scored, score_members
from engine.rfm.segments import NO_PURCHASE
from engine.settings import Settings

PAGE = 20_000  # rows per INSERT batch


def analysis_bounds(as_of: date, window_days: int | None, zone: ZoneInfo) -> tuple[datetime, datetime | None]:
    """(until, since) in UTC: orders placed before midnight of `as_of` in the shop's zone, and inside the window."""
    until = datetime.combine(as_of, time(), zone).astimezone(UTC)
    since = None if window_days is None else datetime.combine(as_of - timedelta(days=window_days), time(), zone)
    return until, (since.astimezone(UTC) if since else None)


def member_values(session: Session, as_of: date, window_days: int | None, zone: ZoneInfo) -> Iterator[MemberValues]:
    """Recency (days from the last order's date in the shop's zone to `as_of`), frequency and spend per member."""
    until, since = analysis_bounds(as_of, window_days, zone)
    placed = col(Order.placed_at)
    query = select(
        col(Order.member_id),
        func.max(placed, type_=NullType()),  # raw values: 1M rows parse faster here than through the column type
        func.count(),
        func.sum(col(Order.amount), type_=NullType()),
    ).where(placed < until)
    if since is not None:
        query = query.where(placed >= since)
    for member, last, count, total in session.execute(query.group_by(col(Order.member_id))):
        last_date = _as_utc(last).astimezone(zone).date()
        yield MemberValues(member, (as_of - last_date).days, int(count), _cents(total))


def _as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite keeps naive UTC text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _cents(total: float | Decimal | int) -> int:
    if isinstance(total, Decimal):
        return int(total.scaleb(2).to_integral_value())
    return round(total * 100)  # SQLite sums floating point: round back to whole cents


def find_run(session: Session, run_key: str) -> RfmRun | None:
    return session.scalars(select(RfmRun).where(col(RfmRun.run_key) == run_key)).first()


def latest_run(session: Session) -> RfmRun | None:
    return session.scalars(select(RfmRun).order_by(col(RfmRun.id).desc()).limit(1)).first()


def recompute(
    session: Session,
    *,
    as_of: date,
    zone: ZoneInfo,
    run_key: str,
    window_days: int | None = None,
    scheme: RfmScheme | None = None,
    keep_runs: int = 14,
    now: datetime | None = None,
) -> RfmRun:
    """Score every member with orders, store the run and its changes; the same `run_key` returns the stored run."""
    if (done := find_run(session, run_key)) is not None:
        return done
    started = datetime.now(UTC)
    scheme = scheme or RfmScheme()
    scored = score_members(list(member_values(session, as_of, window_days, zone)), scheme)
    previous = latest_run(session)
    members = session.scalar(select(func.count()).select_from(Member)) or 0
    run = RfmRun(
        run_key=run_key, as_of=as_of, window_days=window_days, scheme=scheme.model_dump(),
        members_scored=len(scored.scores), no_purchase=members - len(scored.scores),
        mean_r=scored.means[0], mean_f=scored.means[1], mean_m=scored.means[2],
        segments8=_count(s.segment8 for s in scored.scores), segments11=_count(s.segment11 for s in scored.scores),
        started_at=started, finished_at=started, segment_changes=0,
    )  # fmt: skip
    session.add(run)
    session.flush()
    assert run.id is not None
    _store_scores(session, run.id, scored)
    if previous is not None:
        assert previous.id is not None
        changes = segment_changes(_segments_of(session, previous.id), scored)
        _emit_changes(session, run, changes, now or datetime.now(UTC))
        run.segment_changes = len(changes)
    _prune(session, keep_runs)
    run.finished_at = datetime.now(UTC)
    session.add(run)
    session.flush()
    return run


def _count(names: Iterator[str]) -> dict[str, int]:
    return dict(Counter(names))


def segment_changes(before: dict[int, str], scored: Scored) -> dict[int, tuple[str, str]]:
    """member → (old 8-segment, new 8-segment) for every member whose segment differs; unscored is "no purchase"."""
    after = {s.member: s.segment8 for s in scored.scores}
    changed = {m: (before.get(m, NO_PURCHASE), new) for m, new in after.items() if before.get(m, NO_PURCHASE) != new}
    changed.update({m: (old, NO_PURCHASE) for m, old in before.items() if m not in after})
    return changed


def _store_scores(session: Session, run_id: int, scored: Scored) -> None:
    table = table_of(RfmScore)
    rows = [_score_row(run_id, s) for s in scored.scores]
    for start in range(0, len(rows), PAGE):
        session.execute(insert(table), rows[start : start + PAGE])


def _score_row(run_id: int, s: MemberScore) -> dict[str, Any]:
    return {
        "run_id": run_id, "member_id": s.member, "recency": s.recency, "frequency": s.frequency,
        "monetary": Decimal(s.monetary_cents).scaleb(-2), "r": s.r, "f": s.f, "m": s.m,
        "segment8": s.segment8, "segment11": s.segment11,
    }  # fmt: skip


def _segments_of(session: Session, run_id: int) -> dict[int, str]:
    rows = session.execute(
        select(col(RfmScore.member_id), col(RfmScore.segment8)).where(col(RfmScore.run_id) == run_id)
    )
    return dict(rows.all())


def _emit_changes(session: Session, run: RfmRun, changes: dict[int, tuple[str, str]], now: datetime) -> None:
    """One `segment_changed` event per member, keyed by the run so a member hears of each run once."""
    rows = [
        {"member_id": member, "type": "segment_changed",
         "properties": {"from": old, "to": new, "scheme": "8", "as_of": run.as_of.isoformat(), "run": run.id},
         "occurred_at": now, "idempotency_key": f"segment_changed:{run.run_key}:{member}", "recorded_at": now}
        for member, (old, new) in sorted(changes.items())
    ]  # fmt: skip
    for start in range(0, len(rows), PAGE):
        session.execute(insert(table_of(Event)), rows[start : start + PAGE])


def _prune(session: Session, keep_runs: int) -> None:
    """Keep per-member scores of the newest `keep_runs` runs; run summaries stay for ever."""
    kept: list[int] = session.scalars(select(col(RfmRun.id)).order_by(col(RfmRun.id).desc()).limit(keep_runs)).all()  # type: ignore[assignment]
    if len(kept) == keep_runs:
        table = table_of(RfmScore)
        session.execute(delete(table).where(table.c.run_id < min(kept)))


def recompute_for_shop(
    settings: Settings, *, run_key: str, as_of: date | None = None, window_days: int | None = None
) -> RfmRun:
    """Recompute with the shop's settings: as of today in the shop's zone, its window, cut points and retention."""
    from engine.db import session_scope

    as_of = as_of or datetime.now(settings.shop_zone).date()
    with session_scope() as session:
        return recompute(
            session, as_of=as_of, zone=settings.shop_zone, run_key=run_key,
            window_days=window_days or settings.rfm_window_days, scheme=settings.rfm_scheme,
            keep_runs=settings.rfm_keep_runs,
        )  # fmt: skip
