"""`memberflow rfm`: recompute RFM scores and segments, and print what the latest run found."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from cli.output import print_table
from engine.errors import Invalid
from engine.limits import MAX_WINDOW_DAYS, check_day
from engine.settings import get_settings

rfm_app = typer.Typer(help="RFM: score members by recency, frequency and spend; 8 and 11 segments.")
console = Console()


@rfm_app.command("recompute")
def rfm_recompute(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Analysis date YYYY-MM-DD (orders before it count); default today.")
    ] = None,
    window_days: Annotated[
        int | None, typer.Option("--window-days", help="Only orders in the N days before --as-of; default all.")
    ] = None,
) -> None:
    """Score every member with orders now, store the run and emit segment_changed events."""
    from engine.rfm.recompute import recompute_for_shop

    day = _date(as_of) if as_of else None
    if window_days is not None and not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise Invalid([f"--window-days {window_days} is not between 1 and {MAX_WINDOW_DAYS:,} days"])
    run = recompute_for_shop(get_settings(), run_key=f"cli:{uuid.uuid4()}", as_of=day, window_days=window_days)
    took = (run.finished_at - run.started_at).total_seconds()
    console.print(
        f"RFM as of {run.as_of}: {run.members_scored} members scored, {run.no_purchase} without purchase, "
        f"{run.segment_changes} segment changes ({took:.1f} s)"
    )


@rfm_app.command("summary")
def rfm_summary(as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False) -> None:
    """What the latest run found: members scored, score means, members per segment."""
    from engine.db import session_scope
    from engine.rfm.report import summary

    with session_scope() as session:
        found = summary(session)
    if found is None:
        raise Invalid(["no RFM run yet: run `memberflow rfm recompute` first"])
    if as_json:
        print(json.dumps(found, ensure_ascii=False))
        return
    means = found["score_means"]
    console.print(
        f"RFM as of {found['as_of']}: {found['members_scored']} members scored; "
        f"mean R {means['r']:.2f}, F {means['f']:.2f}, M {means['m']:.2f}"
    )
    for title, key in (("8 segments", "segments8"), ("11 segments", "segments11")):
        print_table(console, ["segment", "members"], [[name, str(count)] for name, count in found[key].items()], title)


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid([f"--as-of '{text}' is not a date YYYY-MM-DD"]) from None
    try:
        return check_day(day, text)
    except ValueError as exc:
        raise Invalid([f"--as-of {exc}"]) from None
