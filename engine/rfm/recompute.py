"""RFM recompute: read every member's order facts in one aggregate, score them, store the run, emit changes.

A run is one transaction: its scores, its `segment_changed` events and the pruning of old runs land together or
not at all. A run key names the request (the scheduled day, an API call), so a retried recompute returns the run
it already stored instead of storing a second one. The first run ever is the baseline and emits no changes.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import repeat
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text
from sqlmodel import Session, col

from engine import clock
from engine.db import id_batches, session_scope
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


LATER_SHARE = 0.05
"""Beyond this share of members with orders on or after `as_of` (a recompute as of a past date), every order is
checked against `as_of` in the aggregate itself."""
FIRST_ROWS = 20_000  # the rows that tell whether the aggregate may go without the upper bound


def member_values(session: Session, as_of: date, window_days: int | None, zone: ZoneInfo) -> MemberValues:
    """Recency (days from the last order's date in the shop's zone to `as_of`), frequency and spend per member.

    One aggregate over the orders that also answers the recency, read through the driver: a million result rows
    cost more in SQLAlchemy's row machinery than in the database. Orders on or after `as_of` do not count, but
    the usual run, as of today, meets few: the aggregate goes without comparing every order with `as_of`, and
    the members whose last order falls on or after it (recency ≤ 0) are summed again with the bound. When the
    first rows show many such members, it starts over with the bound for everyone.
    """
    facts = _OrderFacts(session, as_of, window_days, zone)
    rows = facts.unbounded()
    if rows is None:
        return MemberValues.of(facts.bounded())
    values = MemberValues.of(rows)
    later = values.recency <= 0
    if not later.any():
        return values
    again = facts.bounded(values.members[later].tolist())
    return values.without(later).plus(MemberValues.of(again))


Facts = list[tuple[int, int, int, int]]


class _OrderFacts:
    """The per-member aggregate over the orders inside the window, with or without the `as_of` bound."""

    def __init__(self, session: Session, as_of: date, window_days: int | None, zone: ZoneInfo) -> None:
        self.session = session
        self.until, self.since = analysis_bounds(as_of, window_days, zone)
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        if self.sqlite:  # naive UTC text: each instant moves by its zone's offset at the time, then to its day
            self.recency, self.recency_params = days_before_sql("max(placed_at)", as_of, zone, self.until), []
        else:  # PostgreSQL knows time zones
            self.recency = "CAST(%s AS date) - CAST(max(placed_at) AT TIME ZONE %s AS date)"
            self.recency_params = [as_of, zone.key]

    def unbounded(self) -> Facts | None:
        """Every member's facts counting orders on or after `as_of` too; None as soon as the first rows show that
        too many members have such orders."""
        cursor = self._cursor(bounded=False)
        try:
            first = list(cursor.fetchmany(FIRST_ROWS))
            if sum(1 for row in first if row[1] <= 0) > LATER_SHARE * len(first):
                return None
            return first + list(cursor.fetchall())
        finally:
            cursor.close()

    def bounded(self, members: list[int] | None = None) -> Facts:
        """The facts of every member, or of these, from orders before `as_of` only."""
        if members is None:
            return self._all(self._cursor(bounded=True))
        return [row for some in id_batches(members) for row in self._all(self._cursor(bounded=True, members=some))]

    def _cursor(self, *, bounded: bool, members: list[int] | None = None) -> Any:
        conditions, params = [], list(self.recency_params)
        for condition, instant in (("placed_at < ", self.until if bounded else None), ("placed_at >= ", self.since)):
            if instant is not None:
                conditions.append(condition + self.mark)
                params.append(_utc_text(instant) if self.sqlite else instant)
        if members is not None:
            conditions.append(f"member_id IN ({', '.join([self.mark] * len(members))})")
            params += members
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        cursor = self.session.connection().connection.cursor()
        cursor.execute(
            f"SELECT member_id, {self.recency}, count(*), CAST(ROUND(sum(amount) * 100) AS BIGINT) "  # noqa: S608
            f"FROM orders{where} GROUP BY member_id",
            params,
        )
        return cursor

    @staticmethod
    def _all(cursor: Any) -> Facts:
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()


def days_before_sql(instant: str, as_of: date, zone: ZoneInfo, until: datetime) -> str:
    """A SQLite expression: whole days from the local date in `zone` of `instant` (naive UTC text, before `until`)
    to `as_of`, in integers: the instant's Julian seconds plus the zone's offset then, floored to its Julian day.
    The offset is chosen by a CASE over the zone's changes, newest first (most orders are recent)."""
    changes = offset_changes(zone, until)
    cases = " ".join(f"WHEN {instant} >= '{_utc_text(start)}' THEN {offset}" for start, offset in reversed(changes[1:]))
    offset = f"CASE {cases} ELSE {changes[0][1]} END" if cases else str(changes[0][1])
    # julianday keeps milliseconds (23:59:59.9999 would round up a day): whole seconds, which midnights are
    julian_seconds = f"CAST(round(julianday(substr({instant}, 1, 19)) * 86400) AS INTEGER)"
    julian_day_number = as_of.toordinal() + 1_721_425  # `as_of`'s Julian day number
    return f"{julian_day_number} - ({julian_seconds} + {offset} + 43200) / 86400"


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=16)  # per zone and day: the daily run asks once a day
def offset_changes(zone: ZoneInfo, until: datetime) -> tuple[tuple[datetime, int], ...]:
    """(UTC instant, the zone's offset in seconds from then on), oldest first, from 1900 to `until`.

    Probed a week at a time, each change pinned to the second by bisection (a change undone within a week would
    go unseen: time zones have none); offsets before 1900 count as 1900's.
    """

    def offset(at: datetime) -> int:
        shift = at.astimezone(zone).utcoffset()
        return int(shift.total_seconds()) if shift is not None else 0

    changes = [(EARLIEST, offset(EARLIEST))]
    probe = EARLIEST
    while probe < until:
        following = probe + timedelta(days=7)
        if offset(following) == changes[-1][1]:
            probe = following
            continue
        before, after = probe, following  # the offset changes in (before, after]
        while after - before > timedelta(seconds=1):
            middle = (before + (after - before) / 2).replace(microsecond=0)
            if offset(middle) == changes[-1][1]:
                before = middle
            else:
                after = middle
        changes.append((after, offset(after)))
        probe = after
    return tuple(changes)


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


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
    started = clock.now()
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
        _emit_changes(session, run, changes, now or clock.now())
        run.segment_changes = len(changes)
    _prune(session, keep_runs)
    run.finished_at = clock.now()
    session.add(run)
    session.flush()
    return run


def _store_scores(session: Session, run_id: int, scored: Scored) -> None:
    """One row per member, written with the driver's bulk path (a million rows through the ORM would dominate)."""
    v = scored.values
    monetary = (v.monetary_cents / 100).tolist()
    rows = zip(repeat(run_id), v.members.tolist(), v.recency.tolist(), v.frequency.tolist(), monetary,
               scored.r, scored.f, scored.m, scored.segment8, scored.segment11)  # fmt: skip
    columns = "run_id, member_id, recency, frequency, monetary, r, f, m, segment8, segment11"
    cursor = session.connection().connection.cursor()
    try:
        if session.get_bind().dialect.name == "postgresql":
            with cursor.copy(f"COPY rfm_scores ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            insert = f"INSERT INTO rfm_scores ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
            cursor.executemany(insert, rows)  # type: ignore[arg-type]  # sqlite3 takes any iterable of rows
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
    as_of = as_of or clock.today(settings.shop_zone)
    with session_scope() as session:
        return recompute(
            session, as_of=as_of, zone=settings.shop_zone, run_key=run_key,
            window_days=window_days or settings.rfm_window_days, scheme=settings.rfm_scheme,
            keep_runs=settings.rfm_keep_runs,
        )  # fmt: skip
