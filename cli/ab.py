"""`memberflow ab`: analyse A/B arms from counts in a file, or from a journey's split block over live data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from cli.output import print_table
from engine.ab.analysis import AnalysisRequest, AnalysisResult, analyze
from engine.errors import Invalid
from engine.intake.csv_import import read_shop_text
from engine.intake.records import problems_of

ab_app = typer.Typer(help="A/B tests: which arm won, with the statistics to trust it.")
console = Console()
errors = Console(stderr=True)


@ab_app.command("analyze")
def ab_analyze(
    file: Annotated[Path, typer.Argument(help="JSON: metric, control, alpha, sequential, weights, arms.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON (warnings go to stderr).")] = False,
) -> None:
    """Compare every arm with the control from counts (users and conversions, or users, sum and sum_squares)."""
    try:
        raw = json.loads(read_shop_text(file))
    except (OSError, ValueError) as exc:
        raise Invalid([f"{file}: cannot read it as JSON: {exc}"]) from None
    try:
        request = AnalysisRequest.model_validate(raw)
    except ValidationError as exc:
        raise Invalid([f"{file}: {problem.removeprefix('record ')}" for problem in problems_of(exc)]) from None
    show(analyze(request), as_json)


def show(result: AnalysisResult, as_json: bool) -> None:
    """The pinned JSON on stdout (warnings on stderr), or a table with the warnings and the method under it."""
    if as_json:
        print(json.dumps(result.pinned(), ensure_ascii=False))
        for warning in result.warnings:
            errors.print(f"warning: {warning}", highlight=False, soft_wrap=True)
        return
    if result.srm_mismatch:
        console.print(f"[bold red]SAMPLE-RATIO MISMATCH (p = {result.srm_p_value:.2g})[/bold red]")
    arms = [[arm.name, str(arm.users), f"{arm.mean:.6g}", f"{arm.variance:.6g}"] for arm in result.arms]
    print_table(console, ["arm", "users", "mean", "variance"], arms, f"{result.metric}, control {result.control}")
    several = len(result.comparisons) > 1
    columns = ["arm", "lift", f"{1 - result.alpha:.0%} CI", "p", *(["Holm p"] if several else []), "difference",
               "CI", "chance to win", "risk (control, arm)", "decision"]  # fmt: skip
    rows = [[
        c.arm, _pct(c.relative_lift, sign=True), _interval(c.relative_ci, pct=True), _num(c.p_value),
        *([_num(c.holm_p_value)] if several else []), _num(c.absolute_diff), _interval(c.absolute_ci),
        _pct(c.chance_to_win), "" if c.risk is None else f"{c.risk[0]:.2%}, {c.risk[1]:.2%}", c.decision,
    ] for c in result.comparisons]  # fmt: skip
    print_table(console, columns, rows)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    console.print(f"method: {result.method}", highlight=False)
    sys.stdout.flush()


def _pct(value: float | None, sign: bool = False) -> str:
    return "—" if value is None else (f"{value:+.2%}" if sign else f"{value:.2%}")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _interval(interval: tuple[float, float] | None, pct: bool = False) -> str:
    if interval is None:
        return "—"
    return f"[{interval[0]:+.2%}, {interval[1]:+.2%}]" if pct else f"[{interval[0]:.4g}, {interval[1]:.4g}]"


@ab_app.command("report")
def ab_report(
    journey: Annotated[str, typer.Argument(help="The journey's key.")],
    split_block: Annotated[str, typer.Argument(help="The split block's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON (warnings go to stderr).")] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write each member's arm, group and outcome to this CSV file.")
    ] = None,
    alpha: Annotated[float, typer.Option(min=0.0001, max=0.5, help="1 − confidence of the intervals.")] = 0.05,
    sequential: Annotated[bool, typer.Option(help="Confidence sequences: safe to look every day.")] = False,
) -> None:
    """The same analysis over live data: the split's arms, measured from each member's assignment."""
    from engine.ab.outcomes import write_outcomes_csv
    from engine.ab.splits import split_report
    from engine.db import session_scope

    with session_scope() as session:
        report, outcomes = split_report(session, journey, split_block, alpha, sequential)
    if csv_file is not None:
        with csv_file.open("w", encoding="utf-8", newline="") as handle:
            write_outcomes_csv(handle, outcomes)
    if not as_json:
        goal = report.conversion
        console.print(f"journey {journey}, split {split_block} ({report.mode}); conversion: {goal.event} within "
                      f"{goal.within_days} days of assignment", highlight=False)  # fmt: skip
        if report.decision is not None:
            decision = report.decision
            console.print(f"decided {decision['decided_at']}: {decision['winner']} — {decision['reason']}")
    show(report.analysis, as_json)
    if not as_json:
        headers = ["arm", "users", "sent", "opened", "clicked", "coupons", "核销率", "revenue", "cost", "ROI"]
        rows = [[row.arm, str(row.users), str(row.messages_sent), str(row.opened), str(row.clicked),
                 f"{row.coupons_redeemed}/{row.coupons_issued}", _pct(row.redemption_rate), str(row.revenue),
                 str(row.cost), _pct(row.roi)] for row in report.secondary]  # fmt: skip
        print_table(console, headers, rows, "secondary (shown, not decided on)")


@ab_app.command("holdout")
def ab_holdout(
    days: Annotated[int, typer.Option(min=1, help="Compare the orders of the last N days.")] = 30,
    metric: Annotated[str, typer.Option(help="conversion (bought at all) or revenue (per member).")] = "revenue",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON (warnings go to stderr).")] = False,
) -> None:
    """What the program of journeys adds: members outside the global holdout against those in it."""
    from engine import clock
    from engine.ab.holdout import holdout_request
    from engine.db import session_scope
    from engine.settings import get_settings

    if metric not in ("conversion", "revenue"):
        raise Invalid([f"--metric '{metric}' is not one of conversion, revenue"])
    percent = get_settings().global_holdout_percent
    with session_scope() as session:
        request = holdout_request(session, percent, days, clock.now(), metric)  # type: ignore[arg-type]
    if not as_json:
        console.print(f"global holdout {percent:g}% of members, orders of the last {days} days", highlight=False)
    show(analyze(request), as_json)
