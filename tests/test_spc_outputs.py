"""The SPC charts in the outputs (issue 18 item 4): `demand` and `plan` write the XmR chart of weekly
demand per activity into the folder the run owns, `review` the XmR charts of sessions delivered a week;
report.html and review.html show them with alt text; --no-charts / --no-report skip them; chart titles
never carry a clinician's name when anonymising."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

import capacity_planner as cp
from capacity_planner.cli import cli
from capacity_planner.report.spc_chart import demand_history
from capacity_planner.workflow import activity_names

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"


def _history_activities(folder: Path) -> list[str]:
    weekly = pd.read_csv(folder / "weekly_demand.csv", dtype={"activity_id": str})
    return list(demand_history(weekly))


def test_demand_writes_an_xmr_chart_per_activity_with_history(tmp_path: Path) -> None:
    out = tmp_path / "demand"
    result = CliRunner().invoke(cli, ["demand", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    acts = _history_activities(out)
    assert acts  # the tiny pack has referral history
    assert sorted(p.name for p in (out / "charts").glob("spc_demand_*.png")) == sorted(
        f"spc_demand_{a}.png" for a in acts)
    # listed in the run's manifest, so a re-run may replace the folder
    manifest = json.loads((out / "capacity_planner_run.json").read_text(encoding="utf-8"))
    assert all(f"charts/spc_demand_{a}.png" in manifest["files"] for a in acts)


def test_demand_no_charts_writes_none(tmp_path: Path) -> None:
    out = tmp_path / "demand"
    result = CliRunner().invoke(cli, ["demand", str(TINY), "--out", str(out), "--no-charts"])
    assert result.exit_code == 0, result.output
    assert not (out / "charts").exists()


def test_review_writes_and_shows_the_delivered_xmr_charts(tmp_path: Path) -> None:
    out = tmp_path / "review"
    result = CliRunner().invoke(cli, ["review", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "charts" / "spc_delivered.png").is_file()
    page = (out / "review.html").read_text(encoding="utf-8")
    shown = len(list((out / "charts").glob("spc_delivered*.png")))
    assert page.count('alt="XmR chart of ') == shown
    assert "Is delivery stable?" in page

    out2 = tmp_path / "review2"
    result = CliRunner().invoke(cli, ["review", str(TINY), "--out", str(out2), "--no-charts"])
    assert result.exit_code == 0, result.output
    assert not (out2 / "charts").exists()
    assert "XmR chart" not in (out2 / "review.html").read_text(encoding="utf-8")


def test_chart_titles_are_scrubbed_of_clinician_names() -> None:
    pack = cp.read_pack(TINY)
    clinician = pack.clinicians[0]
    assert clinician.name
    acts = tuple(dataclasses.replace(a, name=f"{clinician.name}'s clinic") if i == 0 else a
                 for i, a in enumerate(pack.activities))
    named = pack.replace(activities=acts)
    plain = activity_names(named)
    hidden = activity_names(named, anonymise=True)
    first = acts[0].activity_id
    assert clinician.name in plain[first]
    assert clinician.name not in hidden[first]
    assert re.match(r"Clinician [A-Z?]+'s clinic", hidden[first])
