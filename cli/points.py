"""`memberflow points`: balances and history, redeem and adjust by hand, the earning rules, expiry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console

from cli.output import print_table
from engine.errors import Invalid
from engine.files.yaml_budget import load_yaml
from engine.intake.records import problems_of

points_app = typer.Typer(help="Points (积分): ledger, balances, earning rules by segment, expiry.")
console = Console()


@points_app.command("balance")
def points_balance_of(member: str) -> None:
    """A member's balance and ledger, newest first."""
    from engine import clock
    from engine.db import session_scope
    from engine.rewards.points import history, member_id_of, points_balance

    with session_scope() as session:
        member_id = member_id_of(session, member)
        balance = points_balance(session, member_id, clock.now())
        entries = history(session, member_id)
    rows = [[e.created_at.isoformat(timespec="minutes"), e.kind, f"{e.points:+d}", e.reason,
             e.expires_at.date().isoformat() if e.expires_at else ""] for e in entries]  # fmt: skip
    print_table(console, ["when", "kind", "points", "reason", "expires"], rows)
    console.print(f"member {member}: {balance} points")


@points_app.command("redeem")
def points_redeem(
    member: str, points: int, reason: str, key: Annotated[str, typer.Option(help="Once per key (e.g. the till's id).")]
) -> None:
    """Spend a member's points; refused when the balance is short."""
    from engine import clock
    from engine.db import session_scope
    from engine.rewards.points import redeem

    with session_scope() as session:
        left = redeem(session, member_key=member, points=points, reason=reason, key=f"redeem:{key}", now=clock.now())
    console.print(f"member {member}: {left} points left")


@points_app.command("adjust")
def points_adjust(
    member: str, points: int, reason: str, key: Annotated[str, typer.Option(help="Once per key.")]
) -> None:
    """Correct a member's balance by hand (negative to take points away)."""
    from engine import clock
    from engine.db import session_scope
    from engine.rewards.points import adjust

    with session_scope() as session:
        now = adjust(session, member_key=member, points=points, reason=reason, key=f"adjust:{key}", now=clock.now())
    console.print(f"member {member}: {now} points")


@points_app.command("rules")
def points_rules(
    file: Annotated[Path | None, typer.Argument(help="YAML or JSON to save; without it, print the rules.")] = None,
) -> None:
    """Print the earning rules, or replace them from a file (per_yuan, starts_on, expire_days, segment_multipliers,
    point_value)."""
    from engine import clock
    from engine.db import session_scope
    from engine.intake.csv_import import read_shop_text
    from engine.rewards.points import PointsRules, load_rules, save_rules

    if file is None:
        with session_scope() as session:
            print(load_rules(session).model_dump_json(indent=2))
        return
    try:
        rules = PointsRules.model_validate(load_yaml(read_shop_text(file)))
    except (OSError, yaml.YAMLError) as exc:
        raise Invalid([f"{file}: cannot read it: {exc}"]) from None
    except ValidationError as exc:
        raise Invalid([f"{file}: {p}" for p in problems_of(exc)]) from None
    with session_scope() as session:
        save_rules(session, rules, clock.now())
    console.print(f"{file}: points rules saved")


@points_app.command("expire")
def points_expire() -> None:
    """Write off expired points and warn members whose points expire within 7 days (also runs daily)."""
    from engine import clock
    from engine.db import session_scope
    from engine.rewards.points import expire_points

    with session_scope() as session:
        report = expire_points(session, clock.now())
    print(json.dumps(report.model_dump()))
