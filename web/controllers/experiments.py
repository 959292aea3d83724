"""The A/B pages analysts read: every split in use, and one split's results (arms, lift with its interval, conversion
over time, sample-ratio check, decision, method)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from engine import clock
from engine.ab.splits import conversion_over_time, split_report, splits_in_use
from engine.db import session_scope
from engine.settings import get_settings
from web.charts import PALETTE, interval_bars, polyline


class ExperimentPages(Controller):
    path = "/experiments"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self) -> Template:
        with session_scope() as session:
            splits = splits_in_use(session)
        return Template("experiments.html", context={"splits": splits})

    @get("/{key:str}/{block:str}", sync_to_thread=True)
    def results(self, key: FromPath[str], block: FromPath[str], sequential: FromQuery[bool] = False) -> Template:
        with session_scope() as session:
            report, outcomes = split_report(session, key, block, sequential=sequential)
        analysis = report.analysis
        arms = [arm.name for arm in analysis.arms]
        days = conversion_over_time(outcomes, arms, ZoneInfo(get_settings().shop_timezone), clock.now())
        top = max((rate or 0 for day in days for rate in day.rates.values()), default=0) * 1.1
        lines = [
            {"arm": arm, "colour": PALETTE[i % len(PALETTE)], "points": polyline([d.rates[arm] for d in days], top)}
            for i, arm in enumerate(arms)
        ]
        bars = interval_bars(
            [(c.arm, c.relative_lift, c.relative_ci) for c in analysis.comparisons
             if c.relative_lift is not None and c.relative_ci is not None]
        )  # fmt: skip
        return Template(
            "experiment.html",
            context={"report": report, "analysis": analysis, "bars": bars, "lines": lines, "days": days, "top": top,
                     "sequential": sequential},
        )  # fmt: skip
