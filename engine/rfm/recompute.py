"""RFM recompute: read every member's order facts in one aggregate, score them, store the run, emit changes.

A run is one transaction: its scores, its `segment_changed` events and the pruning of old runs land together or
not at all. A run key names the request (the scheduled day, an API call), so a retried recompute returns the run
it already stored instead of storing a second one. The first run ever is the baseline and emits no changes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import repeat
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text
from sqlmodel import Session, col

from engine.models import Event, Member, RfmRun, RfmScore, table_of
from engine.rfm.scoring import MemberValues, RfmScheme, Scored, score_members
from engine.rfm.segments import NO_PURCHASE
from engine.settings import Settings

PAGE = 20_000  # events per INSERT batch


def analysis_bounds(as_of: date, window_days: int | None, zone: ZoneInfo) -> tuple[datetime, datetime | None]:
    """(until, since) in UTC: orders placed before midnight of `as_of` in the shop's zone, and inside the window."""
    until = datetime.combine(as_of, time(), zone).astimezone(UTC)
    since = None if window_days is None else datetime.combine(as_of - timedelta(days=window_days), time(), zone)
    return until, (since.astimezone(UTC) if since else None)


def member_values(session: Session, as_of: date, window_days: int | None, zone: ZoneInfo) -> MemberValues:
    """Recency (days from the last order's date in the shop's zone to `as_of`), frequency and spend per member.

    One aggregate over the orders, read through the driver: a million result rows cost more in SQLAlchemy's row
    machinery than in the database.
    """
    until, since = analysis_bounds(as_of, window_days, zone)
    sqlite = session.get_bind().dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    bounds = [until] + ([since] if since else [])
    params: list[Any] = [
        b.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if sqlite else b for b in bounds
    ]
    window = f" AND placed_at >= {mark}" if since else ""
    # PostgreSQL knows time zones: it answers the recency itself; SQLite's naive UTC text is placed in Python.
    last = "max(placed_at)" if sqlite else "CAST(%s AS date) - CAST(max(placed_at) AT TIME ZONE %s AS date)"
    if not sqlite:
        params = [as_of, zone.key, *params]
    sql = (
        f"SELECT member_id, {last}, count(*), CAST(ROUND(sum(amount) * 100) AS BIGINT) FROM orders "  # noqa: S608
        f"WHERE placed_at < {mark}{window} GROUP BY member_id"
    )
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return MemberValues([], [], [], [])
    members, recency, counts, cents = (list(column) for column in zip(*rows, strict=True))
    if sqlite:
        days_before = DaysBefore(as_of, zone, sample=recency[0])
        recency = [days_before(t) for t in recency]
    return MemberValues(members, recency, counts, cents)


class DaysBefore:
    """Whole days from the local date of a UTC instant to `as_of`, by bisecting the local midnights before `as_of`.

    Exact across DST changes, and as fast as a lookup: instants are compared in the form the database returned them
    (SQLite's naive UTC text, or aware datetimes), with no parsing for the ten years before `as_of`.
    """

    YEARS = 10

    def __init__(self, as_of: date, zone: ZoneInfo, sample: datetime | str) -> None:
        self.as_of, self.zone = as_of, zone
        days = 366 * self.YEARS
        midnights = [
            datetime.combine(as_of - timedelta(days=k), time(), zone).astimezone(UTC) for k in range(days, -1, -1)
        ]
        self.as_text = isinstance(sample, str)
        self.midnights: list[Any] = (
            [m.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") for m in midnights]
            if self.as_text
            else midnights
        )
        self.days = days

    def __call__(self, instant: datetime | str) -> int:
        passed = bisect_right(self.midnights, instant)  # local midnights at or before the instant
        if passed:
            return self.days + 1 - passed
        return (self.as_of - _as_utc(instant).astimezone(self.zone).date()).days  # older than ten years


def _as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite keeps naive UTC text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
    scored = score_members(member_values(session, as_of, window_days, zone), scheme)
    previous = latest_run(session)
    members = session.scalar(select(func.count()).select_from(Member)) or 0
    run = RfmRun(
        run_key=run_key, as_of=as_of, window_days=window_days, scheme=scheme.model_dump(),
        members_scored=len(scored), no_purchase=members - len(scored),
        mean_r=scored.means[0], mean_f=scored.means[1], mean_m=scored.means[2],
        segments8=dict(Counter(scored.segment8)), segments11=dict(Counter(scored.segment11)),
        started_at=started, finished_at=started, segment_changes=0,
    )  # fmt: skip
    session.add(run)
    session.flush()
    assert run.id is not None
    _store_scores(session, run.id, scored)
    if previous is not None:
        assert previous.id is not None
        changes = changed_segments(session, previous.id, run.id)
        _emit_changes(session, run, changes, now or datetime.now(UTC))
        run.segment_changes = len(changes)
    _prune(session, keep_runs)
    run.finished_at = datetime.now(UTC)
    session.add(run)
    session.flush()
    return run


def _store_scores(session: Session, run_id: int, scored: Scored) -> None:
    """One row per member, written with the driver's bulk path (a million rows through the ORM would dominate)."""
    v = scored.values
    monetary = [c / 100 for c in v.monetary_cents]
    rows = list(zip(repeat(run_id), v.members, v.recency, v.frequency, monetary, scored.r, scored.f, scored.m,
               scored.segment8, scored.segment11))  # fmt: skip
    columns = "run_id, member_id, recency, frequency, monetary, r, f, m, segment8, segment11"
    cursor = session.connection().connection.cursor()
    try:
        if session.get_bind().dialect.name == "postgresql":
            with cursor.copy(f"COPY rfm_scores ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO rfm_scores ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)  # noqa: S608
    finally:
        cursor.close()


def changed_segments(session: Session, before: int, after: int) -> dict[int, tuple[str, str]]:
    """member → (old 8-segment, new 8-segment) between two stored runs, "no purchase" where a run did not score
    the member; a merge of the two runs' rows inside the database."""
    merge = text(
        "SELECT n.member_id, o.segment8, n.segment8 FROM rfm_scores n LEFT JOIN rfm_scores o "
        "ON o.run_id = :before AND o.member_id = n.member_id "
        "WHERE n.run_id = :after AND (o.segment8 IS NULL OR o.segment8 <> n.segment8) "
        "UNION ALL SELECT o.member_id, o.segment8, NULL FROM rfm_scores o LEFT JOIN rfm_scores n "
        "ON n.run_id = :after AND n.member_id = o.member_id WHERE o.run_id = :before AND n.member_id IS NULL"
    )
    rows = session.connection().execute(merge, {"before": before, "after": after})
    return {member: (old or NO_PURCHASE, new or NO_PURCHASE) for member, old, new in rows}


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
