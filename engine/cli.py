"""The `memberflow` command: run the system, import CSV files, manage the database and demo data."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine.cli_ab import ab_app
from engine.cli_coupons import coupons_app
from engine.cli_events import events_app
from engine.cli_messages import messages_app
from engine.cli_output import print_table
from engine.cli_points import points_app
from engine.cli_rfm import rfm_app
from engine.cli_tags import tags_app
from engine.cli_tokens import tokens_app
from engine.errors import InputError, SettingsError
from engine.settings import Settings, get_settings, mask_url

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
app = typer.Typer(
    help="memberflow: membership marketing automation (会员营销) on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Import members or orders from CSV files (re-importing a file changes nothing).")
db_app = typer.Typer(help="Database schema.")
demo_app = typer.Typer(help="Demo data: a believable shop, generated from a seed.")
app.add_typer(import_app, name="import")
app.add_typer(db_app, name="db")
journey_app = typer.Typer(help="Journeys: check, publish, pause, resume, archive, enroll, sweep, effect.")
app.add_typer(demo_app, name="demo")
app.add_typer(journey_app, name="journey")
app.add_typer(rfm_app, name="rfm")
app.add_typer(tags_app, name="tags")
app.add_typer(coupons_app, name="coupons")
app.add_typer(points_app, name="points")
app.add_typer(messages_app, name="messages")
app.add_typer(ab_app, name="ab")
app.add_typer(tokens_app, name="token")
app.add_typer(events_app, name="events")
console = Console()
errors = Console(stderr=True)


def main() -> None:
    """Run the command; a refusal prints its sentences (exit 2), an unexpected error its traceback (exit 1), each
    with secrets masked (Settings.mask)."""
    from sqlalchemy.exc import OperationalError

    from engine.logs import mask_secrets_in_logs

    try:
        with contextlib.suppress(SettingsError):  # a command that needs them says so below
            mask_secrets_in_logs(get_settings())
        app()
    except OperationalError as exc:
        settings = get_settings()
        reason = str(exc.orig or exc).strip().replace("\n", " ")
        database = mask_url(settings.database_url or settings.sqlalchemy_url)
        errors.print(f"[red]error:[/red] the database {database} answered: {settings.mask(reason)}", highlight=False,
                     soft_wrap=True)  # fmt: skip
        sys.exit(2)
    except SettingsError as exc:
        for problem in exc.problems:
            errors.print(f"[red]setting:[/red] {problem}", highlight=False)
        sys.exit(2)
    except InputError as exc:
        for problem in exc.problems:
            errors.print(f"[red]error:[/red] {problem}", highlight=False)
        sys.exit(2)
    except Exception:
        import traceback

        with contextlib.suppress(SettingsError):
            print(get_settings().mask(traceback.format_exc()), file=sys.stderr, end="")
            sys.exit(1)
        raise


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the tables to the newest schema."""
    from engine.db import upgrade

    upgrade(get_settings().sqlalchemy_url)
    console.print("database is up to date")


ENCODING_HELP = "The file's encoding, e.g. utf-8 or gb18030 (GBK); default: UTF-8 if it reads as such, else GB18030."


@import_app.command("members")
def import_members(
    file: Annotated[Path, typer.Argument(help="CSV with member_id,name,email,phone,birthday,…")],
    encoding: Annotated[str | None, typer.Option("--encoding", help=ENCODING_HELP)] = None,
) -> None:
    """Import members: member_id,name,email,phone,birthday,gender,city,timezone,registered_at,tags (tags a|b)."""
    _import(file, "members", encoding)


@import_app.command("orders")
def import_orders(
    file: Annotated[Path, typer.Argument(help="CSV with order_id,member_id,placed_at,amount,…")],
    encoding: Annotated[str | None, typer.Option("--encoding", help=ENCODING_HELP)] = None,
) -> None:
    """Import orders: order_id,member_id,placed_at,amount,category,channel,coupon_code (first four required)."""
    _import(file, "orders", encoding)


def _import(file: Path, kind: str, encoding: str | None) -> None:
    from engine.db import upgrade
    from engine.importer import count_rows, import_csv

    assert kind in ("members", "orders")
    upgrade(get_settings().sqlalchemy_url)
    total = count_rows(file) if file.is_file() else 0
    columns = (TextColumn(f"{file.name}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=False) as progress:
        task = progress.add_task("import", total=total)
        report = import_csv(
            file,
            kind,  # type: ignore[arg-type]
            encoding=encoding,
            on_progress=lambda line: progress.update(task, completed=min(line, total)),
        )
    if report.encoding != "UTF-8":
        errors.print(f"{file.name}: read as {report.encoding}", highlight=False)
    for line in report.problem_lines():
        errors.print(line, highlight=False, soft_wrap=True)
    console.print(
        f"{kind}: {report.inserted} inserted, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected} rejected"
    )
    if report.rejected:
        raise typer.Exit(1)


@demo_app.command("load")
def demo_load(
    members: Annotated[int | None, typer.Option(help="How many members (default: DEMO_MEMBERS).")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same shop.")] = 7,
) -> None:
    """Generate the demo shop and save it (safe to run again: it upserts)."""
    from engine.db import upgrade
    from engine.demo import load_demo

    settings = get_settings()
    upgrade(settings.sqlalchemy_url)
    saved_members, saved_orders = load_demo(members or settings.demo_members, seed=seed, today=_shop_today(settings))
    console.print(f"demo shop: {saved_members} members, {saved_orders} orders")


@demo_app.command("csv")
def demo_csv(
    directory: Annotated[Path, typer.Argument(help="Where to write members.csv and orders.csv.")],
    members: Annotated[int, typer.Option()] = 5000,
    seed: Annotated[int, typer.Option()] = 7,
    max_orders: Annotated[int | None, typer.Option(help="Stop after this many orders.")] = None,
) -> None:
    """Write the demo shop as the two CSV files the importer reads."""
    from engine.demo import write_csv

    paths = write_csv(directory, members=members, seed=seed, today=_shop_today(get_settings()), max_orders=max_orders)
    console.print("wrote " + " and ".join(str(p) for p in paths))


def _shop_today(settings: Settings) -> date:
    from engine import clock

    return clock.today(settings.shop_zone)


@journey_app.command("schema")
def journey_schema_command() -> None:
    """Print the JSON Schema of a journey (blocks, conditions, triggers)."""
    import json

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

    from engine.journey.language import parse_journey, read_journey_file
    from workflows.control import publish_journey

    if status not in ("live", "paused", "draft"):
        raise InputError([f"--status '{status}' is not one of live, paused, draft"])
    journey = parse_journey(read_journey_file(file))
    published = asyncio.run(_with_client(lambda client: publish_journey(client, get_settings(), journey, status)))  # type: ignore[arg-type]
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

    schedule = asyncio.run(_with_client(lambda client: sweep_now(client, get_settings(), key)))
    console.print(f"journey {key}: sweep started ({schedule}); see it in Temporal's UI")


@journey_app.command("effect")
def journey_effect(
    key: str, as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False
) -> None:
    """Campaign effect: sent, opened, clicked, converted, revenue, cost and ROI, for the journey and each block."""
    from engine.campaigns import campaign_effect
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
    from engine.journey.store import live_plan
    from workflows.enroll import enroll

    members = list(member or [])
    if csv_file is not None:
        from engine.importer import text_encoding

        with csv_file.open(encoding=text_encoding(csv_file), newline="") as handle:
            members += [row["member_id"].strip() for row in csv.DictReader(handle) if row.get("member_id", "").strip()]
    with session_scope() as session:
        journey, plan = live_plan(session, key)
        if where is not None:
            members += _members_where(session, where)
    if not members:
        raise InputError(["nobody to enroll: name members with --member, --csv FILE (a member_id column) or --where"])
    if journey.status != "live":
        raise InputError([f"journey {key} is {journey.status}; only live journeys take new members"])
    settings = get_settings()
    report = asyncio.run(
        _with_client(lambda c: enroll(c, plan, members, occasion, task_queue=settings.temporal_task_queue))
    )
    console.print(f"journey {key}: {report.started} enrolled, {report.already_in} already in or done")


def _members_where(session: Any, where: str) -> list[str]:
    import json

    from pydantic import TypeAdapter, ValidationError

    from engine import clock
    from engine.journey.audience import members_matching
    from engine.journey.store import event_types_in_use, shop_data
    from engine.journey.validate import condition_problems
    from nodes import Condition

    try:
        condition = TypeAdapter(Condition).validate_python(json.loads(where))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise InputError([f"--where is not a condition: {str(exc).splitlines()[0]}"]) from None
    if problems := condition_problems(condition, event_types_in_use(session), shop_data(session)):
        raise InputError([f"--where: {problem}" for problem in problems])
    return members_matching(session, condition, clock.now())


def _change_status(key: str, status: str) -> None:
    import asyncio

    from workflows.control import change_status

    told = asyncio.run(_with_client(lambda c: change_status(c, get_settings(), key, status)))  # type: ignore[arg-type]
    console.print(f"journey {key} is {status}; {len(told)} running members told")


async def _with_client(work: Any) -> Any:
    from connectors.temporal import connect

    settings = get_settings()
    try:
        client = await connect(settings)
    except RuntimeError:
        raise InputError(
            [f"Temporal is not reachable at {settings.temporal_target}: start it with `memberflow up`"]
        ) from None
    return await work(client)


def _count_blocks(journey: Any) -> int:
    def count(blocks: list[Any]) -> int:
        return sum(1 + sum(count(seq) for _, seq in block.branches()) for block in blocks)

    return count(list(journey.steps))


@app.command("worker")
def worker() -> None:
    """Run a Temporal worker for memberflow's workflows (run several for more throughput)."""
    import asyncio

    from workflows.worker import run_worker

    asyncio.run(run_worker(get_settings()))


@app.command("web")
def web() -> None:
    """Serve the web app and the API."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "web.app:create_app", factory=True, host=settings.web_host, port=settings.web_port, log_level="info",
        timeout_graceful_shutdown=10,  # a stop (or `up` dying) ends it within seconds, open connections or not
    )  # fmt: skip


@app.command("up")
def up() -> None:
    """Start everything on the embedded defaults: Temporal dev server, worker and web app. Ctrl-C stops all.

    The three run as child processes that die with this one however it ends (a parent-death signal; they also
    share its process group). While it runs, VAR_DIR/up.json says where it serves, for other commands."""
    from connectors.children import die_with_parent
    from connectors.temporal import start_dev_server, wait_for_port
    from engine.db import upgrade
    from engine.serving import forget_serving, record_serving, serving

    settings = get_settings()
    if (other := serving(settings.var_dir)) is not None:
        raise InputError([f"memberflow up (process {other.pid}) already serves {settings.var_dir} at {other.web_url}"])
    _ports_must_be_free(settings)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    token = _first_api_token(settings)
    _load_demo_once(settings)
    _example_rewards_and_messages_once()

    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal went away
        signal.signal(sig, stop)
    catcher = None
    try:
        if _runs_catcher(settings):
            from connectors.mail_catcher import start_catcher

            catcher = start_catcher(settings.smtp_host, settings.smtp_port)
            console.print(f"SMTP catcher on {settings.smtp_host}:{settings.smtp_port}: emails show on /outbox")
        env = dict(os.environ)
        if settings.embedded_temporal:
            console.print(f"starting the Temporal dev server on 127.0.0.1:{settings.temporal_dev_port} …")
            children.append(start_dev_server(settings))
            env["TEMPORAL_ADDRESS"] = settings.temporal_target
        me = [sys.executable, "-m", "engine.cli"]
        children.append(subprocess.Popen([*me, "worker"], env=env, preexec_fn=die_with_parent()))
        children.append(subprocess.Popen([*me, "web"], env=env, preexec_fn=die_with_parent()))
        wait_for_port(settings.web_host, settings.web_port, timeout=60, process=children[-1])
        record_serving(settings.var_dir, settings.temporal_target, f"http://{settings.web_host}:{settings.web_port}")
        _publish_examples_once(settings)
        console.print(f"[bold]memberflow is up[/bold]: http://{settings.web_host}:{settings.web_port}")
        if settings.embedded_temporal:
            console.print(f"Temporal UI: http://127.0.0.1:{settings.temporal_ui_port}")
        console.print(token, soft_wrap=True, highlight=False)  # to the terminal only: never kept in clear
        console.print("Ctrl-C stops everything")
        while not stopping:
            if any(child.poll() is not None for child in children):
                errors.print("[red]a memberflow process exited; stopping the others[/red]")
                break
            time.sleep(0.5)
    finally:
        forget_serving(settings.var_dir)
        _stop_all(children)
        if catcher is not None:
            catcher.stop()
    console.print("memberflow stopped")


def _first_api_token(settings: Settings) -> str:
    """The line `up` shows about API tokens: the first token, made now and shown this once, on a shop without one."""
    from engine.api_tokens import first_token
    from engine.clock import now
    from engine.db import session_scope

    from_environment = bool(settings.api_token.get_secret_value())
    with session_scope() as session:
        made = first_token(session, now(), settings.var_dir / "api-token", make=not from_environment)
    if made is not None:
        return f"API token: {made}   (shown once: store it; `memberflow token create NAME` makes more)"
    if from_environment:
        return "API token: API_TOKEN from the environment, or one made with `memberflow token create NAME`"
    return "API token: one made earlier (`memberflow token list`; `memberflow token create NAME` makes another)"


def _runs_catcher(settings: Settings) -> bool:
    return settings.smtp_catcher and settings.smtp_host in ("127.0.0.1", "localhost")


def _ports_must_be_free(settings: Settings) -> None:
    """Refuse to start beside another server rather than silently talk to it."""
    import socket

    wanted = {"WEB_PORT": settings.web_port}
    if _runs_catcher(settings):
        wanted["SMTP_PORT"] = settings.smtp_port
    if settings.embedded_temporal:
        wanted |= {"TEMPORAL_DEV_PORT": settings.temporal_dev_port, "TEMPORAL_UI_PORT": settings.temporal_ui_port}
    problems = []
    for name, port in wanted.items():
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                problems.append(f"port {port} ({name}) is already in use: stop what uses it or set {name}")
    if problems:
        raise InputError(problems)


def _load_demo_once(settings: Settings) -> None:
    from engine.db import session_scope
    from engine.demo import load_demo
    from engine.stats import shop_counts

    with session_scope() as session:
        empty = shop_counts(session).members == 0
    if empty and settings.demo_members:
        console.print(f"empty database: loading a demo shop of {settings.demo_members} members …")
        saved_members, saved_orders = load_demo(settings.demo_members, today=_shop_today(settings))
        console.print(f"demo shop: {saved_members} members, {saved_orders} orders")
        _demo_rules_and_segments(settings)


def _demo_rules_and_segments(settings: Settings) -> None:
    """The demo shop's tag rules (examples/rules), points rules (examples/rewards) and a first RFM run, so segments
    and rule tags show at once."""
    from engine.cli_points import points_rules
    from engine.cli_tags import tags_load
    from engine.db import session_scope
    from engine.rfm.recompute import recompute_for_shop
    from engine.tag_rules import apply_rules

    tags_load(EXAMPLES / "rules" / "tag-rules.yaml")
    points_rules(EXAMPLES / "rewards" / "points.yaml")
    run = recompute_for_shop(settings, run_key=f"demo-{_shop_today(settings)}")
    with session_scope() as session:
        report = apply_rules(session)
    console.print(f"RFM: {run.members_scored} members scored; tag rules added {report.added} tags")


def _example_rewards_and_messages_once() -> None:
    """The coupon templates (examples/rewards) and message templates (examples/messages) the example journeys use,
    those the shop does not have yet; a template the marketer changed stays as they left it."""
    from engine import clock, coupons
    from engine.db import session_scope
    from engine.messages import templates
    from engine.spec_files import read_specs

    coupon_specs = read_specs(EXAMPLES / "rewards" / "coupons.yaml", coupons.CouponSpec, "template")
    message_specs = read_specs(EXAMPLES / "messages" / "templates.yaml", templates.TemplateSpec, "template")
    with session_scope() as session:
        have = coupons.template_keys(session)
        added = [c.key for c in coupon_specs if c.key not in have and coupons.save_template(session, c, clock.now())]
        missing = [m for m in message_specs if templates.find_template(session, m.key) is None]
        added += [m.key for m in missing if templates.save_template(session, m)]
    if added:
        console.print(f"example templates: {', '.join(added)}")


def _publish_examples_once(settings: Settings) -> None:
    """Publish the example journeys (examples/*.yaml) that this shop has never had; never touch existing ones,
    so a journey the marketer paused, archived or changed stays as they left it."""
    import asyncio

    from sqlalchemy import select
    from sqlmodel import col

    from engine.db import session_scope
    from engine.journey.language import parse_journey, read_journey_file
    from engine.models import Journey
    from workflows.control import publish_journey

    with session_scope() as session:
        existing = set(session.scalars(select(col(Journey.key))))
    journeys = [parse_journey(read_journey_file(path)) for path in sorted(EXAMPLES.glob("*.yaml"))]
    missing = [journey for journey in journeys if journey.key not in existing]

    async def publish_all(client: Any) -> list[Any]:
        return [await publish_journey(client, settings, journey, "live") for journey in missing]

    for published in asyncio.run(_with_client(publish_all)) if missing else []:
        console.print(f"example journey {published.key} is live (version {published.version})")


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    """Web and worker first (they drain), the Temporal server last; anything stuck after 15 s is killed."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


if __name__ == "__main__":
    main()
