"""`memberflow rfm summary --json` against a reference computed independently with pandas, on a public data set.

The data: CDNOW, 69,659 purchases by 23,570 customers of an online CD shop from January 1997 to June 1998
(Fader & Hardie), as shipped in the `Lifetimes` package. The reference implements the pinned rules straight from
the issue text, with pandas' own ranking, and shares no code with engine/rfm.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from engine.intake.csv_import import import_csv

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]

AS_OF = "1998-07-01"

# Segment rules as the issue pins them, typed again here so the reference is not the code under test.
EIGHT = {"HHH": "重要价值客户", "HLH": "重要发展客户", "LHH": "重要保持客户", "LLH": "重要挽留客户",
         "HHL": "一般价值客户", "HLL": "一般发展客户", "LHL": "一般保持客户", "LLL": "一般挽留客户"}  # fmt: skip
ELEVEN_SPEC = """
Champions: 555 554 545 544 455 445 454
Loyal: 543 444 435 355 354 345 344 335
Potential Loyalist: 553 551 552 541 542 533 532 531 452 451 442 441 431 453 433 432 423 353 352 351 342 341 333 323
Recent: 512 511 422 421 412 411 311
Promising: 525 524 523 522 521 515 514 513 425 424 413 414 415 315 314 313
Needs Attention: 535 534 443 434 343 334 325 324
About to Sleep: 331 321 312 221 213
At Risk: 255 254 245 244 253 252 243 242 235 234 225 224 153 152 145 143 142 135 134 133 125 124
Can't Lose Them: 155 154 144 214 215 115 114 113
Hibernating: 332 322 231 241 251 233 232 223 222 132 123 122 212 211
Lost: 111 112 121 131 141 151
"""
ELEVEN = {code: line.split(":")[0] for line in ELEVEN_SPEC.strip().splitlines() for code in line.split(":")[1].split()}


def cdnow() -> pd.DataFrame:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "the Lifetimes package is a test dependency"
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"
    frame = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def reference(orders: pd.DataFrame, as_of: str) -> dict[str, object]:
    """The pinned rules, from the issue text, in pandas."""
    before = orders[orders["date"] < pd.Timestamp(as_of)]
    per = before.groupby("customer_id").agg(last=("date", "max"), f=("date", "size"), m=("dollar_value", "sum"))
    per["recency"] = (pd.Timestamp(as_of) - per["last"]).dt.days
    per["m"] = per["m"].round(2)
    n = len(per)
    # 1 + floor(5 × (members strictly lower) / N); rank(method="min") - 1 counts the members strictly lower
    per["F"] = 1 + (5 * (per["f"].rank(method="min") - 1) // n).astype(int)
    per["M"] = 1 + (5 * (per["m"].rank(method="min") - 1) // n).astype(int)
    per["R"] = 1 + (5 * (per["recency"].rank(method="min", ascending=False) - 1) // n).astype(int)
    means = {d: per[d].mean() for d in "RFM"}
    high = {d: per[d].map(lambda s, d=d: "H" if s >= means[d] else "L") for d in "RFM"}
    per["s8"] = (high["R"] + high["F"] + high["M"]).map(EIGHT)
    per["s11"] = (per["R"].astype(str) + per["F"].astype(str) + per["M"].astype(str)).map(ELEVEN)
    return {
        "as_of": as_of,
        "members_scored": n,
        "score_means": {"r": means["R"], "f": means["F"], "m": means["M"]},
        "segments8": {name: int((per["s8"] == name).sum()) for name in EIGHT.values()},
        "segments11": {name: int((per["s11"] == name).sum()) for name in dict.fromkeys(ELEVEN.values())},
    }


def test_the_summary_matches_an_independent_reference_on_cdnow(tmp_path: Path) -> None:
    orders = cdnow()
    members_csv = tmp_path / "members.csv"
    members_csv.write_text("member_id\n" + "\n".join(sorted(set(orders["customer_id"]))) + "\n\n", encoding="utf-8")
    orders_csv = tmp_path / "orders.csv"
    pd.DataFrame({
        "order_id": [f"cd{i}" for i in range(len(orders))],
        "member_id": orders["customer_id"],
        "placed_at": orders["date"].dt.strftime("%Y-%m-%d"),
        "amount": orders["dollar_value"].map(lambda v: f"{v:.2f}"),
    }).to_csv(orders_csv, index=False)  # fmt: skip
    assert import_csv(members_csv, "members").rejected == 0
    assert import_csv(orders_csv, "orders").rejected == 0
    runner = CliRunner()

    recomputed = runner.invoke(app, ["rfm", "recompute", "--as-of", AS_OF])
    printed = runner.invoke(app, ["rfm", "summary", "--json"])

    assert recomputed.exit_code == 0, recomputed.output
    assert printed.exit_code == 0, printed.output
    ours = json.loads(printed.output)
    expected = reference(orders, AS_OF)
    assert ours["members_scored"] == expected["members_scored"] == 23_570
    assert ours["segments8"] == expected["segments8"]
    assert ours["segments11"] == expected["segments11"]
    assert ours["score_means"] == pytest.approx(expected["score_means"], abs=1e-12)
    assert ours["as_of"] == AS_OF
    assert sum(ours["segments8"].values()) == sum(ours["segments11"].values()) == 23_570
