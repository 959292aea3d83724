"""Rule-based tags: a marketer's rule "members for whom this condition holds carry this tag".

A rule is a tag plus a condition from the same registry journeys use (e.g. orders_in_last_days ≥ 3 in 30 days for
消费满3次, prefers_category 母婴, total_spend ≥ 5000, birthday_this_month, rfm_segment). Applying rules adds the tag
where the condition holds and removes it where it stopped holding, but only tags the rule itself added: a tag a
person gave by hand or by import stays. Every change records tag_added / tag_removed (engine.members.tags).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, col

from engine import clock
from engine.db import session_scope
from engine.errors import Invalid, NotFound
from engine.journey.events import known_event_types
from engine.journey.facts import MemberFacts
from engine.journey.registry import Condition
from engine.journey.validate import condition_problems, entry_condition_problems
from engine.limits import TagText
from engine.members.tags import add_tag, remove_tag
from engine.models import Member, MemberTag, Tag, TagRule, TagRuleFailure, table_of

PAGE = 500
MAX_REPORTED = 20  # failures a report spells out; all of them are in tag_rule_failures


class TagRuleSpec(BaseModel):
    """A rule as marketers write it (API, CLI, YAML)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # holds a condition (engine.journey.registry)

    tag: TagText = Field(min_length=1, max_length=64, description="e.g. 消费满3次")
    condition: Condition
    description: str | None = Field(None, max_length=200)
    active: bool = True


class RuleReport(BaseModel):
    members: int = 0
    added: int = 0
    removed: int = 0
    failed: int = Field(0, description="Rule applications skipped because they raised (see tag_rule_failures)")
    failures: list[str] = Field(default_factory=list, description=f"The first {MAX_REPORTED} of them, with reasons")


def rule_problems(spec: TagRuleSpec) -> list[str]:
    """What is wrong with a rule: its condition's own problems, and conditions a rule cannot answer."""
    problems = condition_problems(spec.condition, known_event_types())
    problems += [p.replace("which has not begun here; use it in a block", "which a rule has not")
                 for p in entry_condition_problems(spec.condition)]  # fmt: skip
    if spec.tag in _tags_in(spec.condition):
        problems.append(f"the rule for '{spec.tag}' asks about '{spec.tag}' itself, so it would never settle")
    return problems


def _all_parts(condition: Any) -> Iterable[Any]:
    for part in condition.parts():
        yield part
        yield from _all_parts(part)


def _tags_in(condition: Any) -> set[str]:
    found = {condition.tag} if condition.kind == "has_tag" else set()
    for part in _all_parts(condition):
        if part.kind == "has_tag":
            found.add(part.tag)
    return found


def save_rule(session: Session, spec: TagRuleSpec, now: datetime) -> TagRule:
    """Create or replace the rule for `spec.tag`; raises Invalid naming every problem."""
    if problems := rule_problems(spec):
        raise Invalid([f"tag rule '{spec.tag}': {p}" for p in problems])
    row = session.scalars(select(TagRule).where(col(TagRule.tag) == spec.tag)).first() or TagRule(
        tag=spec.tag, condition={}
    )
    row.condition = spec.condition.model_dump(mode="json", by_alias=True)
    row.description, row.active, row.updated_at = spec.description, spec.active, now
    session.add(row)
    session.flush()
    return row


def delete_rule(session: Session, tag: str) -> None:
    """Delete the rule for `tag` and its recorded failures (members keep the tag); NotFound if there is no rule."""
    session.execute(delete(TagRuleFailure).where(col(TagRuleFailure.tag) == tag))
    if not session.execute(delete(TagRule).where(col(TagRule.tag) == tag)).rowcount:  # type: ignore[attr-defined]
        raise NotFound([f"there is no rule for tag '{tag}'"])


def rules(session: Session, *, active_only: bool = False) -> list[TagRuleSpec]:
    """The stored rules that load (see `stored_rules` for the ones that no longer do)."""
    return stored_rules(session, active_only=active_only)[0]


def stored_rules(session: Session, *, active_only: bool = False) -> tuple[list[TagRuleSpec], dict[str, str]]:
    """(the rules, by tag; tag → why it no longer loads) for rules stored before a range was enforced."""
    query = select(TagRule).order_by(col(TagRule.tag))
    if active_only:
        query = query.where(col(TagRule.active))
    loaded, broken = [], {}
    for row in session.scalars(query):
        try:
            loaded.append(TagRuleSpec.model_validate(
                {"tag": row.tag, "condition": row.condition, "description": row.description, "active": row.active}
            ))  # fmt: skip
        except ValidationError as exc:
            broken[row.tag] = "the stored rule no longer loads: " + "; ".join(_said(e) for e in exc.errors())
    return loaded, broken


def _said(error: Any) -> str:
    return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"


def apply_rules(session: Session, *, now: datetime | None = None, member_ids: list[int] | None = None) -> RuleReport:
    """Evaluate every active rule for these members (default: all), a page at a time; return what changed.

    A rule that raises for a member (or a stored rule that no longer loads) is skipped there and recorded in
    `tag_rule_failures` with the reason; every other rule and member is applied. Only the database being
    unreachable stops the whole run."""
    now = now or clock.now()
    active, broken = stored_rules(session, active_only=True)
    report = RuleReport()
    for tag, reason in broken.items():
        _record_failure(session, report, tag, None, reason, now)
    if not active:
        return report
    failing = _failing(session, [r.tag for r in active])
    if loads_again := [(tag, member_id) for tag, member_id in failing if member_id is None]:
        _forget_failures(session, loads_again)  # fixed since: the rule loads now
        failing.difference_update(loads_again)
    after = 0
    while True:
        query = select(Member).where(col(Member.id) > after).order_by(col(Member.id)).limit(PAGE)
        if member_ids is not None:
            query = query.where(col(Member.id).in_(member_ids))
        page = list(session.scalars(query))
        if not page:
            return report
        _apply_isolated(session, page, active, now, report, failing)
        after = page[-1].id or 0


def _apply_isolated(
    session: Session, page: list[Member], active: list[TagRuleSpec], now: datetime, report: RuleReport,
    failing: set[tuple[str, int | None]],
) -> None:  # fmt: skip
    """The page in one savepoint (the usual case, cheap); if anything in it raises, again one rule and member at a
    time, each in its own savepoint, so the failing ones are found, recorded and skipped."""
    try:
        with session.begin_nested():
            part = RuleReport()
            _apply_page(session, page, active, now, part)
        report.members, report.added, report.removed = (
            report.members + part.members, report.added + part.added, report.removed + part.removed
        )  # fmt: skip
    except (OperationalError, InterfaceError):
        raise  # the database is unreachable: nobody's rule is to blame
    except Exception:
        for member in page:
            report.members += 1
            facts = MemberFacts(session, member, now=now, entered_at=None)
            for rule in active:
                try:
                    with session.begin_nested():
                        held = _rule_tags(session, [member.id or 0], [rule.tag])
                        _apply_one(session, facts, rule, now, report, held)
                except (OperationalError, InterfaceError):
                    raise
                except Exception as exc:
                    _record_failure(session, report, rule.tag, member.id, f"{type(exc).__name__}: {exc}", now)
                    failing.discard((rule.tag, member.id))
    in_page = {m.id for m in page}
    if settled := [(tag, member_id) for tag, member_id in failing if member_id in in_page]:
        _forget_failures(session, settled)
        failing.difference_update(settled)


def _apply_page(
    session: Session, page: list[Member], active: list[TagRuleSpec], now: datetime, report: RuleReport
) -> None:
    held = _rule_tags(session, [m.id for m in page if m.id is not None], [r.tag for r in active])
    for member in page:
        report.members += 1
        facts = MemberFacts(session, member, now=now, entered_at=None)
        for rule in active:
            _apply_one(session, facts, rule, now, report, held)


def _apply_one(
    session: Session, facts: MemberFacts, rule: TagRuleSpec, now: datetime, report: RuleReport,
    held: dict[tuple[int, str], str],
) -> None:  # fmt: skip
    member = facts.member
    holds = rule.condition.holds(facts)
    by_rule = held.get((member.id or 0, rule.tag))
    by = f"rule:{rule.tag}"
    if holds and by_rule is None:
        report.added += add_tag(session, member, rule.tag, source="rule", added_by=by, now=now)
    elif not holds and by_rule == "rule":
        report.removed += remove_tag(session, member, rule.tag, source="rule", added_by=by, now=now)


def _rule_tags(session: Session, member_ids: list[int], tags: list[str]) -> dict[tuple[int, str], str]:
    """(member, tag) → the source that gave it, for the rules' tags on these members."""
    rows = session.execute(
        select(col(MemberTag.member_id), col(Tag.name), col(MemberTag.source))
        .join(Tag, col(Tag.id) == col(MemberTag.tag_id))
        .where(col(MemberTag.member_id).in_(member_ids), col(Tag.name).in_(tags))
    )
    return {(member, tag): source for member, tag, source in rows}


# --- failures: recorded, reported, forgotten once the rule works again ------------------------------------------------


class RuleFailure(BaseModel):
    """A rule skipped for a member (or entirely, when `member_id` is None) because applying it raised."""

    tag: str
    member_id: str | None
    reason: str
    failures: int = Field(description="Applications in a row that failed")
    failed_at: datetime


def _record_failure(
    session: Session, report: RuleReport, tag: str, member_id: int | None, reason: str, now: datetime
) -> None:
    report.failed += 1
    if len(report.failures) < MAX_REPORTED:
        report.failures.append(f"rule '{tag}'" + (f", member #{member_id}" if member_id else "") + f": {reason}")
    table = table_of(TagRuleFailure)
    same = (table.c.tag == tag) & (table.c.member_id.is_(None) if member_id is None else table.c.member_id == member_id)
    updated = session.execute(
        update(table).where(same).values(reason=reason[:500], failures=table.c.failures + 1, failed_at=now)
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.execute(table.insert().values(tag=tag, member_id=member_id, reason=reason[:500], failures=1,
                                              failed_at=now))  # fmt: skip


def _failing(session: Session, tags: list[str]) -> set[tuple[str, int | None]]:
    table = table_of(TagRuleFailure)
    rows = session.execute(select(table.c.tag, table.c.member_id).where(table.c.tag.in_(tags)))
    return {(tag, member_id) for tag, member_id in rows}


def _forget_failures(session: Session, settled: Iterable[tuple[str, int | None]]) -> None:
    table = table_of(TagRuleFailure)
    for tag, member_id in settled:
        member = table.c.member_id.is_(None) if member_id is None else table.c.member_id == member_id
        session.execute(delete(table).where(table.c.tag == tag, member))


def rule_failures(session: Session, limit: int = 100) -> list[RuleFailure]:
    """The rules currently failing, by tag then member (a rule that no longer loads comes first for its tag)."""
    rows = session.execute(
        select(TagRuleFailure, col(Member.external_id))
        .outerjoin(Member, col(Member.id) == col(TagRuleFailure.member_id))
        .order_by(col(TagRuleFailure.tag), col(TagRuleFailure.member_id).is_not(None), col(Member.external_id))
        .limit(limit)
    )
    return [
        RuleFailure(tag=f.tag, member_id=member, reason=f.reason, failures=f.failures, failed_at=f.failed_at)
        for f, member in rows
    ]


RETAG_ON = frozenset({"order_placed", "signup", "segment_changed", "tag_added", "tag_removed"})


def members_to_retag(events: Iterable[tuple[int, str, dict[str, Any]]]) -> list[int]:
    """Members whose (member, type, properties) events may change a rule's answer; a rule's own tag changes are
    left out, so rules that read each other's tags cannot chase each other for ever."""
    return sorted(
        {member for member, kind, properties in events if kind in RETAG_ON and properties.get("source") != "rule"}
    )


def retag(member_ids: list[int]) -> RuleReport:
    """Apply the rules to these members now, in its own transaction."""
    if not member_ids:
        return RuleReport()
    with session_scope() as session:
        return apply_rules(session, member_ids=member_ids)
