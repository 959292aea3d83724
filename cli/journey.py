"""`memberflow journey`: check, publish, pause, resume, archive, enroll, sweep and a journey's campaign effect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.output import print_table
from engine.errors import Invalid, Unavailable
from engine.settings import get_settings

journey_app = typer.Typer(help="Journeys: check, publish, pause, resume, archive, enroll, sweep, effect.")
console = Console()
errors = Console(stderr=True)


@journey_app.command("schema")
def journey_schema_command() -> None:
    """Print the JSON Schema of a journey (blocks, conditions, triggers)."""
    from engine.journey.language import journey_schema

    print(json.dumps(journey_schema(), ensure_ascii=False, indent=2))


@journey_app.command("validate")
def journey_validate(file: Annotated[Path, typer.Argument(help="A journey in YAML or JSON.")]) -> None:
    """Check a journey as publishing would (templates, coupons, tags and event types of this shop included) and
    print every problem with its block id; exits 1 if there is any. Warnings do not change the exit code."""
    from engine.db import session_scope, upgrade
    from engine.journey.language import read_journey_file
    from engine.journey.store import check_against_shop

    raw = read_journey_file(file)
    upgrade(get_settings().sqlalchemy_url)
    with session_scope() as session:
        journey, problems, warnings = check_against_shop(session, raw)
    for problem in problems:
        errors.print(f"{file}: {problem}", highlight=False, soft_wrap=True)
    _print_warnings(str(file), [str(w) for w in warnings])
    if problems or journey is None:
        raise typer.Exit(1)
    console.print(f"{file}: journey {journey.key} is valid ({_count_blocks(journey)} blocks)", soft_wrap=True)


def _print_warnings(where: str, warnings: list[str]) -> None:
    for warning in warnings:
        errors.print(f"[yellow]warning:[/yellow] {where}: {warning}", highlight=False, soft_wrap=True)


@journey_app.command("publish")
def journey_publish(
    file: Annotated[Path, typer.Argument(help="A journey in YAML or JSON.")],
    status: Annotated[str, typer.Option(help="live, paused or draft after publishing.")] = "live",
) -> None:
    """Validate, compile and store a new version (unchanged content keeps its version), then make it `status`."""
    import asyncio

    from engine.journey.language import Status, read_journey_file
    from engine.journey.validate import parse_journey
    from workflows.control import publish_journey

    if status not in ("live", "paused", "draft"):
        raise Invalid([f"--status '{status}' is not one of live, paused, draft"])
    journey = parse_journey(read_journey_file(file))
    wanted: Status = status  # type: ignore[assignment]  # one of the three, checked above
    published = asyncio.run(
        with_temporal_client(lambda client: publish_journey(client, get_settings(), journey, wanted))
    )
    _print_warnings(str(file), published.warnings)
    version = f"version {published.version}" + ("" if published.new_version else " (unchanged)")
    console.print(f"journey {published.key}: {version}, {published.status}, plan {published.content_hash[:12]}")


@journey_app.command("pause")
def journey_pause(key: str) -> None:
    """Stop new entries; running members hold before their next action."""
    _change_status(key, "paused")


@journey_app.command("resume")
def journey_resume(key: str) -> None:
    """Let members in again and release the ones held."""
    _change_status(key, "live")


@journey_app.command("archive")
def journey_archive(key: str) -> None:
    """End the journey: running members leave cleanly, nobody new enters."""
    _change_status(key, "archived")


@journey_app.command("sweep")
def journey_sweep(key: str) -> None:
    """Run a schedule or birthday journey's sweep now (the day's occasion: nobody enters twice that day)."""
    import asyncio

    from workflows.control import sweep_now

    schedule = asyncio.run(with_temporal_client(lambda client: sweep_now(client, get_settings(), key)))
    console.print(f"journey {key}: sweep started ({schedule}); see it in Temporal's UI")


@journey_app.command("effect")
def journey_effect(
    key: str, as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False
) -> None:
    """Campaign effect: sent, opened, clicked, converted, revenue, cost and ROI, for the journey and each block."""
    from engine.analytics.campaign_effect import campaign_effect
    from engine.db import session_scope

    with session_scope() as session:
        rows = campaign_effect(session, key)
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    headers = ["block", "entered", "sent", "opened", "clicked", "skipped", "converted", "revenue", "cost", "ROI"]
    print_table(console, headers, [[r.block or "(journey)", str(r.entered), str(r.sent), str(r.opened), str(r.clicked),
                                    str(r.skipped), str(r.converted_members), str(r.revenue), str(r.cost),
                                    "" if r.roi is None else f"{r.roi:.1%}"] for r in rows])  # fmt: skip


@journey_app.command("enroll")
def journey_enroll(
    key: str,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="A CSV with a member_id column.")] = None,
    member: Annotated[list[str] | None, typer.Option(help="A member id; repeat for more.")] = None,
    where: Annotated[
        str | None,
        typer.Option(help='Every member a condition selects, as JSON: \'{"kind": "has_tag", "tag": "VIP"}\''),
    ] = None,
    occasion: Annotated[
        str, typer.Option(help="Names this enrollment; running it again enrolls nobody twice.")
    ] = "manual",
) -> None:
    """Enroll members into a live journey (manual trigger)."""
    import asyncio
    import csv

    from engine.db import session_scope
    from engine.journey.audience import enrollment_plan
    from workflows.enroll import enroll

    members = list(member or [])
    if csv_file is not None:
        from engine.intake.csv_import import text_encoding

        with csv_file.open(encoding=text_encoding(csv_file), newline="") as handle:
            members += [row["member_id"].strip() for row in csv.DictReader(handle) if row.get("member_id", "").strip()]
    with session_scope() as session:
        plan = enrollment_plan(session, key)
        if where is not None:
            members += _members_where(session, where)
    if not members:
        raise Invalid(["nobody to enroll: name members with --member, --csv FILE (a member_id column) or --where"])
    settings = get_settings()
    report = asyncio.run(
        with_temporal_client(lambda c: enroll(c, plan, members, occasion, task_queue=settings.temporal_task_queue))
    )
    console.print(f"journey {key}: {report.started} enrolled, {report.already_in} already in or done")


def _members_where(session: Any, where: str) -> list[str]:
    from pydantic import TypeAdapter, ValidationError

    from engine import clock
    from engine.journey.audience import members_where
    from engine.journey.registry import Condition

    try:
        condition = TypeAdapter(Condition).validate_python(json.loads(where))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise Invalid([f"--where is not a condition: {str(exc).splitlines()[0]}"]) from None
    return members_where(session, condition, clock.now(), named="--where")


def _change_status(key: str, status: str) -> None:
    import asyncio

    from workflows.control import change_status

    told = asyncio.run(with_temporal_client(lambda c: change_status(c, get_settings(), key, status)))  # type: ignore[arg-type]
    console.print(f"journey {key} is {status}; {len(told)} running members told")


async def with_temporal_client(work: Any) -> Any:
    from connectors.temporal import connect

    settings = get_settings()
    try:
        client = await connect(settings)
    except RuntimeError:
        raise Unavailable(
            [f"Temporal is not reachable at {settings.temporal_target}: start it with `memberflow up`"]
        ) from None
    return await work(client)


def _count_blocks(journey: Any) -> int:
    def count(blocks: list[Any]) -> int:
        return sum(1 + sum(count(seq) for _, seq in block.branches()) for block in blocks)

    return count(list(journey.steps))
