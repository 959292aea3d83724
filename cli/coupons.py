"""`memberflow coupons`: coupon templates, issuing by hand, and the redemption report (核销)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.output import print_table
from engine.errors import Invalid

coupons_app = typer.Typer(help="Coupons: templates, codes issued to members, redemption report (核销率).")
console = Console()


@coupons_app.command("load")
def coupons_load(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: a list of coupon templates.")],
) -> None:
    """Create or replace the templates in a file; every problem is reported and nothing is saved."""
    from engine import clock
    from engine.db import session_scope
    from engine.files.spec_files import read_specs
    from engine.rewards.coupons import CouponSpec, save_template

    specs = read_specs(file, CouponSpec, "template")
    if duplicates := sorted({s.key for s in specs if sum(t.key == s.key for t in specs) > 1}):
        raise Invalid([f"{file}: template key {key} is defined twice" for key in duplicates])
    with session_scope() as session:
        changed = sum(save_template(session, spec, clock.now()) for spec in specs)
    console.print(f"{file}: {len(specs)} coupon templates, {changed} new or changed")


@coupons_app.command("templates")
def coupons_templates() -> None:
    """List the coupon templates."""
    from engine.db import session_scope
    from engine.rewards.coupons import templates

    with session_scope() as session:
        found = templates(session)
    rows = []
    for spec in found:
        valid = f"{spec.valid_days} days" if spec.valid_days else f"{spec.valid_from or ''}…{spec.valid_until}"
        budget = str(spec.budget or "")
        rows.append([spec.key, spec.name, spec.kind, str(spec.min_spend), valid, str(spec.cost), budget])
    print_table(console, ["key", "name", "kind", "min spend", "validity", "face value", "budget"], rows)


@coupons_app.command("issue")
def coupons_issue(
    template: str, member: str, occasion: Annotated[str, typer.Option(help="Issue once per occasion.")]
) -> None:
    """Issue a coupon to a member by hand (service desk, compensation); once per --occasion."""
    from engine import clock
    from engine.db import session_scope
    from engine.rewards.coupons import issue_by_hand
    from engine.settings import get_settings

    with session_scope() as session:
        issued = issue_by_hand(
            session, template_key=template, member_key=member, occasion=occasion, source="manual", now=clock.now(),
            zone=get_settings().shop_zone,
        )  # fmt: skip
    console.print(f"{member}: {issued.name} {issued.code}, valid until {issued.expires_at}")


@coupons_app.command("report")
def coupons_report(as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False) -> None:
    """Per template: issued, redeemed, redemption rate (核销率), attributed revenue, cost."""
    from engine.db import session_scope
    from engine.rewards.coupons import coupon_report

    with session_scope() as session:
        report = coupon_report(session)
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in report], ensure_ascii=False))
        return
    rows = [[r.template, r.name, str(r.issued), str(r.redeemed), f"{r.redemption_rate:.1%}", str(r.attributed_revenue),
             str(r.cost), str(r.rejected)] for r in report]  # fmt: skip
    print_table(console, ["template", "name", "issued", "redeemed", "核销率", "revenue", "cost", "rejected"], rows)
