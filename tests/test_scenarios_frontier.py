"""Budget frontier: spend within budget, never worse with more money, the levers bought, files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.pack.model import PlanningPack
from capacity_planner.scenarios import apply_scenario, parse_scenarios, run_frontier
from capacity_planner.scenarios.frontier import FRONTIER_COLUMNS, Lever, candidate_settings, top_ups

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture(scope="module")
def busy() -> PlanningPack:
    """The tiny pack with follow-up clinics seeing one patient every two sessions: 648 sessions a year
    unmet, with locum follow-up sessions at £950 and consultant additional PAs at £13,500."""
    [s] = parse_scenarios(tomllib.loads('[[scenario]]\nname = "x"\n'
                                        'patients_per_session = { set = 0.5, activities = ["fu"] }'))
    return apply_scenario(cp.read_pack(TINY), s).pack


def test_frontier_spends_within_budget_and_improves_with_money(busy: PlanningPack, tmp_path: Path) -> None:
    budgets = [60_000, 0, 10_000, 30_000, 1_000_000]
    df = run_frontier(busy, budgets, tmp_path, time_limit_s=5)
    assert list(df.columns) == list(FRONTIER_COLUMNS)
    assert df["budget"].tolist() == [0, 10_000, 30_000, 60_000, 1_000_000]
    assert (df["status"] == "optimal").all()
    assert (df["cost_used"] <= df["budget"] + 1e-6).all()
    assert (df["budget_left"] == (df["budget"] - df["cost_used"]).round(2)).all()
    assert df["unmet_sessions_per_year"].is_monotonic_decreasing
    zero = df.iloc[0]
    assert (zero["unmet_sessions_per_year"], zero["cost_used"], zero["levers_bought"]) == (648.0, 0.0, "nothing")
    # £10,000 buys 10 locum sessions at £950 (an additional PA costs £13,500): 10 fewer unmet sessions
    ten = df.iloc[1]
    assert (ten["locum_sessions_per_year"], ten["cost_used"], ten["unmet_sessions_per_year"]) == (10, 9500, 638)
    assert ten["levers_bought"] == "locum fu 10 sessions (£9,500)"
    assert df.iloc[-1]["unmet_sessions_per_year"] == 0  # enough money closes the gap
    for name in ("frontier.csv", "frontier_candidates.csv", "charts/frontier.png"):
        assert (tmp_path / name).is_file()
    tried = pd.read_csv(tmp_path / "frontier_candidates.csv")
    assert tried.groupby("budget")["chosen"].sum().tolist() == [1] * 5
    assert (tried["cost_used"].dropna() >= 0).all()


def test_one_lever_only(busy: PlanningPack, tmp_path: Path) -> None:
    df = run_frontier(busy, [0, 9_500, 20_000], tmp_path, levers=["locum:fu"], time_limit_s=5)
    assert df["locum_sessions_per_year"].tolist() == [0, 10, 21]
    assert df["additional_pas"].tolist() == [0, 0, 0]
    assert df["unmet_sessions_per_year"].tolist() == [648, 638, 627]
    with pytest.raises(ValueError, match="unknown lever"):
        run_frontier(busy, [0], tmp_path, levers=["bribes"])
    with pytest.raises(ValueError, match=">= 0"):
        run_frontier(busy, [-1], tmp_path)


def test_candidate_settings_fit_the_budget() -> None:
    levers = [Lever("additional_pas", 12_000, 12_000 / 42, 2.0, 1 / 120), Lever("locum:fu", 900, 900, 50, 1.0),
              Lever("wli:new", 600, 600, 30, 1.0)]
    settings = candidate_settings(levers, levers, 40_000)
    assert len(settings) == len(set(settings)) == 1 + 3 + 3
    for s in settings:
        assert sum(c * lv.rate for (_, c), lv in zip(s, levers, strict=True)) <= 40_000 + 1e-6
    # merit order: additional PAs (£286 a session-week) up to their useful 2 PAs, then WLI, then locum
    assert settings[0] == (("additional_pas", 2.0), ("locum:fu", 0.0), ("wli:new", 26.0))
    # top-up: the locum cap was not all used, so it is lowered to what was bought and the rest goes to
    # each lever the plan did not use or used up to its cap
    more = top_ups(levers, levers, (("additional_pas", 0.0), ("locum:fu", 40.0), ("wli:new", 0.0)),
                   {"fu": 10.0}, 40_000)
    assert more == [(("additional_pas", 310 / 120), ("locum:fu", 10.0), ("wli:new", 0.0)),
                    (("additional_pas", 0.0), ("locum:fu", 10.0), ("wli:new", 51.0))]
