"""Running memberflow: `memberflow up` (everything on the embedded defaults), `worker` and `web`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from cli.demo import shop_today
from cli.journey import with_temporal_client
from engine.errors import Conflict, Invalid
from engine.settings import Settings, get_settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
console = Console()
errors = Console(stderr=True)


def worker() -> None:
    """Run a Temporal worker for memberflow's workflows (run several for more throughput)."""
    import asyncio

    from workflows.worker import run_worker

    asyncio.run(run_worker(get_settings()))


def web() -> None:
    """Serve the web app and the API."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "web.app:create_app", factory=True, host=settings.web_host, port=settings.web_port, log_level="info",
        timeout_graceful_shutdown=10,  # a stop (or `up` dying) ends it within seconds, open connections or not
    )  # fmt: skip


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
        raise Conflict([f"memberflow up (process {other.pid}) already serves {settings.var_dir} at {other.web_url}"])
    _ports_must_be_free(settings)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    token = _first_api_token(settings)
    admin = _first_admin()
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
            from engine.messages.message_log import keep_caught_mail

            catcher = start_catcher(settings.smtp_host, settings.smtp_port, keep=keep_caught_mail)
            console.print(f"SMTP catcher on {settings.smtp_host}:{settings.smtp_port}: emails show on /outbox")
        env = dict(os.environ)
        if settings.embedded_temporal:
            console.print(f"starting the Temporal dev server on 127.0.0.1:{settings.temporal_dev_port} …")
            children.append(start_dev_server(settings))
            env["TEMPORAL_ADDRESS"] = settings.temporal_target
        me = [sys.executable, "-m", "cli"]
        children.append(subprocess.Popen([*me, "worker"], env=env, preexec_fn=die_with_parent()))
        children.append(subprocess.Popen([*me, "web"], env=env, preexec_fn=die_with_parent()))
        wait_for_port(settings.web_host, settings.web_port, timeout=60, process=children[-1])
        record_serving(settings.var_dir, settings.temporal_target, f"http://{settings.web_host}:{settings.web_port}")
        _publish_examples_once(settings)
        console.print(f"[bold]memberflow is up[/bold]: http://{settings.web_host}:{settings.web_port}")
        if settings.embedded_temporal:
            console.print(f"Temporal UI: http://127.0.0.1:{settings.temporal_ui_port}")
        console.print(token, soft_wrap=True, highlight=False)  # to the terminal only: never kept in clear
        console.print(admin, soft_wrap=True, highlight=False)  # likewise: only the password's argon2 hash is kept
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
    from engine.access.api_tokens import first_token
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


def _first_admin() -> str:
    """The line `up` shows about signing in: on a shop without users, the demo admin made now, with its password
    shown this once."""
    from engine.access.users import first_admin
    from engine.clock import now
    from engine.db import session_scope

    with session_scope() as session:
        made = first_admin(session, now())
    if made is None:
        return "Web admin: sign in with your account (`memberflow user list`; `memberflow user add` makes more)"
    login, password = made
    return (f"Web admin: {login}  password: {password}   (shown once: store it; `memberflow user set-password "
            f"{login}` changes it)")  # fmt: skip


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
        raise Invalid(problems)


def _load_demo_once(settings: Settings) -> None:
    from engine.db import session_scope
    from engine.demo import load_demo
    from engine.members.shop_counts import shop_counts

    with session_scope() as session:
        empty = shop_counts(session).members == 0
    if empty and settings.demo_members:
        console.print(f"empty database: loading a demo shop of {settings.demo_members} members …")
        saved_members, saved_orders = load_demo(settings.demo_members, today=shop_today(settings))
        console.print(f"demo shop: {saved_members} members, {saved_orders} orders")
        _demo_rules_and_segments(settings)


def _demo_rules_and_segments(settings: Settings) -> None:
    """The demo shop's tag rules (examples/rules), points rules (examples/rewards) and a first RFM run, so segments
    and rule tags show at once."""
    from cli.points import points_rules
    from cli.tags import tags_load
    from engine.db import session_scope
    from engine.members.tag_rules import apply_rules
    from engine.rfm.recompute import recompute_for_shop

    tags_load(EXAMPLES / "rules" / "tag-rules.yaml")
    points_rules(EXAMPLES / "rewards" / "points.yaml")
    run = recompute_for_shop(settings, run_key=f"demo-{shop_today(settings)}")
    with session_scope() as session:
        report = apply_rules(session)
    console.print(f"RFM: {run.members_scored} members scored; tag rules added {report.added} tags")


def _example_rewards_and_messages_once() -> None:
    """The coupon templates (examples/rewards) and message templates (examples/messages) the example journeys use,
    those the shop does not have yet; a template the marketer changed stays as they left it."""
    from engine import clock
    from engine.db import session_scope
    from engine.files.spec_files import read_specs
    from engine.messages import templates
    from engine.rewards import coupons

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
    from engine.journey.language import read_journey_file
    from engine.journey.validate import parse_journey
    from engine.models import Journey
    from workflows.control import publish_journey

    with session_scope() as session:
        existing = set(session.scalars(select(col(Journey.key))))
    journeys = [parse_journey(read_journey_file(path)) for path in sorted(EXAMPLES.glob("*.yaml"))]
    missing = [journey for journey in journeys if journey.key not in existing]

    async def publish_all(client: Any) -> list[Any]:
        return [await publish_journey(client, settings, journey, "live") for journey in missing]

    for published in asyncio.run(with_temporal_client(publish_all)) if missing else []:
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
