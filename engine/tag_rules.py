"""Rule-based tags: a marketer's rule "members for whom this condition holds carry this tag".

A rule is a tag plus a condition from the same registry journeys use (e.g. orders_in_last_days ≥ 3 in 30 days for
消费满3次, prefers_category 母婴, total_spend ≥ 5000, birthday_this_month, rfm_segment). Applying rules adds the tag
where the condition holds and removes it where it stopped holding, but only tags the rule itself added: a tag a
person gave by hand or by import stays. Every change records tag_added / tag_removed (engine.tagging).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlmodel import Session, col

from engine import clock
from engine.errors import InputError
from engine.journey.events import known_event_types
from engine.journey.facts import MemberFacts
from engine.journey.validate import condition_problems, entry_condition_problems
from engine.models import Member, MemberTag, Tag, TagRule
from engine.tagging import add_tag, remove_tag
from nodes import Condition

PAGE = 500


class TagRuleSpec(BaseModel):
    """A rule as marketers write it (API, CLI, YAML)."""

    model_config = ConfigDict(extra="forbid")

    tag: str = Field(min_length=1, max_length=64, description="e.g. 消费满3次")
    condition: Condition
    description: str | None = Field(None, max_length=200)
    active: bool = True


class RuleReport(BaseModel):
    members: int = 0
    added: int = 0
    removed: int = 0


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
    """Create or replace the rule for `spec.tag`; raises InputError naming every problem."""
    if problems := rule_problems(spec):
        raise InputError([f"tag rule '{spec.tag}': {p}" for p in problems])
    row = session.scalars(select(TagRule).where(col(TagRule.tag) == spec.tag)).first() or TagRule(
        tag=spec.tag, condition={}
    )
    row.condition = spec.condition.model_dump(mode="json", by_alias=True)
    row.description, row.active, row.updated_at = spec.description, spec.active, now
    session.add(row)
    session.flush()
    return row


def delete_rule(session: Session, tag: str) -> bool:
    return bool(session.execute(delete(TagRule).where(col(TagRule.tag) == tag)).rowcount)  # type: ignore[attr-defined]


def rules(session: Session, *, active_only: bool = False) -> list[TagRuleSpec]:
    query = select(TagRule).order_by(col(TagRule.tag))
    if active_only:
        query = query.where(col(TagRule.active))
    return [
        TagRuleSpec.model_validate(
            {"tag": r.tag, "condition": r.condition, "description": r.description, "active": r.active}
        )
        for r in session.scalars(query)
    ]


def apply_rules(session: Session, *, now: datetime | None = None, member_ids: list[int] | None = None) -> RuleReport:
    """Evaluate every active rule for these members (default: all), a page at a time; return what changed."""
    now = now or clock.now()
    active = rules(session, active_only=True)
    report = RuleReport()
    if not active:
        return report
    after = 0
    while True:
        query = select(Member).where(col(Member.id) > after).order_by(col(Member.id)).limit(PAGE)
        if member_ids is not None:
            query = query.where(col(Member.id).in_(member_ids))
        page = list(session.scalars(query))
        if not page:
            return report
        _apply_page(session, page, active, now, report)
        after = page[-1].id or 0


def _apply_page(
    session: Session, page: list[Member], active: list[TagRuleSpec], now: datetime, report: RuleReport
) -> None:
    held = _rule_tags(session, [m.id for m in page if m.id is not None], [r.tag for r in active])
    for member in page:
        facts = MemberFacts(session, member, now=now, entered_at=None)
        report.members += 1
        for rule in active:
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


RETAG_ON = frozenset({"order_placed", "signup", "segment_changed", "tag_added", "tag_removed"})


def members_to_retag(events: Iterable[tuple[int, str, dict[str, Any]]]) -> list[int]:
    """Members whose (member, type, properties) events may change a rule's answer; a rule's own tag changes are
    left out, so rules that read each other's tags cannot chase each other for ever."""
    return sorted(
        {member for member, kind, properties in events if kind in RETAG_ON and properties.get("source") != "rule"}
    )


def retag(member_ids: list[int]) -> RuleReport:
    """Apply the rules to these members now, in its own transaction."""
    from engine.db import session_scope

    if not member_ids:
        return RuleReport()
    with session_scope() as session:
        return apply_rules(session, member_ids=member_ids)
