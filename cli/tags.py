"""`memberflow tags`: manual tags, and the rules that tag members automatically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from cli.output import print_table
from engine import clock
from engine.errors import Invalid
from engine.intake.records import problems_of

tags_app = typer.Typer(help="Tags: add or remove by hand; rules that keep tags up to date (规则标签).")
console = Console()


@tags_app.command("add")
def tags_add(member: str, tag: str) -> None:
    """Give a member a tag by hand (kept even when no rule wants it)."""
    _by_hand(member, tag, adding=True, done="has it now", nothing="already had it")


@tags_app.command("remove")
def tags_remove(member: str, tag: str) -> None:
    """Take a tag off a member."""
    _by_hand(member, tag, adding=False, done="no longer has it", nothing="did not have it")


def _by_hand(member_key: str, tag: str, *, adding: bool, done: str, nothing: str) -> None:
    from engine.db import session_scope
    from engine.members.tags import tag_by_hand

    with session_scope() as session:
        changed = tag_by_hand(session, member_key, tag, adding=adding, source="cli", added_by="memberflow tags",
                              now=clock.now())  # fmt: skip
    console.print(f"member {member_key}, tag {tag}: {done if changed else nothing}")


@tags_app.command("load")
def tags_load(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: a list of {tag, condition, description}.")],
) -> None:
    """Create or replace the rules in a file; every problem in every rule is reported and nothing is saved."""
    from engine import clock
    from engine.db import session_scope
    from engine.files.spec_files import read_specs
    from engine.members.tag_rules import TagRuleSpec, rule_problems, save_rule

    specs = read_specs(file, TagRuleSpec, "rule")
    if problems := [f"{file}: rule '{s.tag}': {p}" for s in specs for p in rule_problems(s)]:
        raise Invalid(problems)
    with session_scope() as session:
        for spec in specs:
            save_rule(session, spec, clock.now())
    console.print(f"{file}: {len(specs)} tag rules saved")


@tags_app.command("set-rule")
def tags_set_rule(
    tag: str,
    condition: Annotated[str, typer.Option(help='JSON, e.g. \'{"kind": "total_spend", "op": "ge", "amount": 5000}\'')],
    description: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create or replace the rule for TAG."""
    from engine import clock
    from engine.db import session_scope
    from engine.members.tag_rules import TagRuleSpec, save_rule

    try:
        raw = json.loads(condition)
    except ValueError as exc:
        raise Invalid([f"--condition is not JSON: {exc}"]) from None
    try:
        spec = TagRuleSpec.model_validate({"tag": tag, "condition": raw, "description": description})
    except ValidationError as exc:
        raise Invalid([f"--condition is not a valid condition: {p}" for p in problems_of(exc)]) from None
    with session_scope() as session:
        save_rule(session, spec, clock.now())
    console.print(f"tag rule {tag} saved")


@tags_app.command("delete-rule")
def tags_delete_rule(tag: str) -> None:
    """Delete the rule for TAG (members keep the tag until removed)."""
    from engine.db import session_scope
    from engine.members.tag_rules import delete_rule

    with session_scope() as session:
        delete_rule(session, tag)
    console.print(f"tag rule {tag} deleted")


@tags_app.command("rules")
def tags_rules() -> None:
    """List the tag rules."""
    from engine.db import session_scope
    from engine.members.tag_rules import rules

    with session_scope() as session:
        found = rules(session)
    rows = [[spec.tag, "yes" if spec.active else "no", spec.condition.model_dump_json(by_alias=True),
             spec.description or ""] for spec in found]  # fmt: skip
    print_table(console, ["tag", "active", "condition", "description"], rows)


@tags_app.command("apply")
def tags_apply() -> None:
    """Apply every active rule to every member now."""
    from engine.db import session_scope
    from engine.members.tag_rules import apply_rules

    with session_scope() as session:
        report = apply_rules(session)
    console.print(f"tag rules: {report.members} members checked, {report.added} tags added, {report.removed} removed")
    if report.failed:
        console.print(f"{report.failed} rule application(s) failed and were skipped (memberflow tags failures):")
        for failure in report.failures:
            console.print(f"  {failure}")


@tags_app.command("failures")
def tags_failures(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Rules that failed for a member (or no longer load) the last time they were applied, with the reason."""
    from engine.db import session_scope
    from engine.members.tag_rules import rule_failures

    with session_scope() as session:
        found = rule_failures(session)
    if as_json:
        print(json.dumps([f.model_dump(mode="json") for f in found], ensure_ascii=False))
        return
    if not found:
        console.print("every rule applied to every member")
        return
    zone = clock.shop_zone()
    rows = [
        [
            f.tag,
            f.member_id or "(the rule)",
            str(f.failures),
            f"{f.failed_at.astimezone(zone):%Y-%m-%d %H:%M}",
            f.reason,
        ]
        for f in found
    ]
    print_table(console, ["tag", "member", "times in a row", f"last failed ({zone.key})", "reason"], rows)
