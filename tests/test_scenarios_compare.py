"""The comparison row's split of the fall in unmet demand by source (capacity_planner.scenarios.compare),
worked by hand on the tiny pack with a new post and made-up plan tables (no solve)."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.scenarios import apply_scenario, parse_scenarios
from capacity_planner.scenarios.compare import plan_metrics

TINY = Path(__file__).parent / "data" / "tiny"
POST = "new-consultant-1"


@pytest.mark.parametrize("weekday_true", [False, True])
def test_new_post_sessions_count_an_alternate_week_cell_as_half(weekday_true: bool) -> None:
    """A new consultant post (42 working weeks) with a weekly follow-up clinic on Tuesday and a week-B one
    on Thursday (allocation.csv: ``week`` B, ``weeks_per_year`` 21) supplies 42 + 21 = 63 session-weeks a
    year of follow-ups, the alternate-week cell "supplying W_c/2 session-weeks" as the plan counts it
    (capacity_planner.solver.alternate); a 2-hour half of SPA supplies nothing with demand. Weekday-true
    (the default): the Tuesday cell supplies the Tuesdays of the planning year less the contract's leave,
    52 - 8.4 = 43.6, 44 in whole sessions (no bank holiday falls on a Tuesday or Thursday), the Thursday
    one half of that, 22 (capacity_planner.solver.supply.cell_supply; docs/method.md,
    "Weekday-true supply"). The comparison once counted the week-B cell as a weekly one (84; 88)."""
    [s] = parse_scenarios(tomllib.loads('[[scenario]]\nname = "post"\nrecruit = { consultant = 1 }'))
    pack = cp.read_pack(TINY)
    pack = pack.replace(settings=replace(pack.settings, weekday_true_supply=weekday_true))
    spack = apply_scenario(pack, s)
    assert spack.new_post_ids == {POST}
    gaps = pd.DataFrame({"activity_id": ["2ww", "fu", "mdt", "spa"],
                         "required_sessions_per_year": [100.0, 200.0, 0.0, 0.0],
                         "current_sessions_per_year": [100.0, 100.0, 0.0, 0.0],
                         "gap_sessions_per_year": [0.0, 10.0, 0.0, 0.0],
                         "gap_dcc_hours_per_year": [0.0, 40.0, 0.0, 0.0]})
    allocation = pd.DataFrame({"clinician_id": [POST] * 4, "day": ["Tue", "Thu", "Wed", "Wed"],
                               "period": ["AM", "AM", "PM", "PM"], "activity_id": ["fu", "fu", "spa", "spa"],
                               "pas": [1.0, 0.5, 0.5, 0.5], "weeks_per_year": [42.0, 21.0, 42.0, 42.0],
                               "week": ["", "B", "", ""], "half": ["", "", "1", "2"]})
    clinicians = pd.DataFrame({"clinician_id": [POST], "staff_group": ["consultant"], "apa_pas": [0.0],
                               "dcc_pas": [1.5], "spa_pas": [1.0]})
    requirements = pd.DataFrame({"activity_id": ["2ww", "fu"], "rapid_access": [True, False]})
    summary = SimpleNamespace(bought_sessions={}, additional_pas=0.0, changed_sessions=0)
    row = plan_metrics(spack, {"gaps": gaps, "allocation": allocation, "clinicians": clinicians},
                       summary, requirements)  # type: ignore[arg-type]
    tuesday = 44.0 if weekday_true else 42.0  # 52 Tuesdays less 8.4 weeks of leave, whole sessions
    assert row["added_sessions_new_posts_per_year"] == pytest.approx(1.5 * tuesday)
    # the fall in unmet demand (100 - 10) less the new post's sessions is the redistribution
    assert row["added_sessions_redistribution_per_year"] == pytest.approx(90 - 1.5 * tuesday)
