"""The A/B pages analysts read: every split in use, and one split's results (arms, lift with its interval, conversion
over time, sample-ratio check, decision, method)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from engine import clock
from engine.ab.charts import results_chart
from engine.ab.splits import split_report, splits_in_use
from web.dependencies import SessionDep, SettingsDep


class ExperimentPages(Controller):
    path = "/experiments"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, session: SessionDep) -> Template:
        return Template("experiments.html", context={"splits": splits_in_use(session)})

    @get("/{key:str}/{block:str}", sync_to_thread=True)
    def results(
        self, session: SessionDep, settings: SettingsDep, key: FromPath[str], block: FromPath[str],
        sequential: FromQuery[bool] = False,
    ) -> Template:  # fmt: skip
        report, outcomes = split_report(session, key, block, sequential=sequential)
        chart = results_chart(report.analysis, outcomes, settings.shop_zone, clock.now())
        return Template(
            "experiment.html",
            context={"report": report, "analysis": report.analysis, "sequential": sequential, **dict(chart)},
        )
