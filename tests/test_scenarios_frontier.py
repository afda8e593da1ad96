"""Budget frontier: each point is the exact optimum within its budget (checked against an enumeration of
lever quantities), spend stays within budget, more money is never worse, files are written."""

from __future__ import annotations

import dataclasses
import itertools
import math
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.demand.pipeline import size_demand
from capacity_planner.scenarios import apply_scenario, parse_scenarios, run_frontier
from capacity_planner.scenarios import frontier as F
from capacity_planner.solver import Allowances, PurchasedSessions, check_plan, plan_allocation

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack

TINY = Path(__file__).parent / "data" / "tiny"
LOCUM = 950.0  # tests/data/tiny/costs.csv locum_session
RATE = {"A": 13_500.0, "B": 13_500.0, "S": 10_000.0}  # consultants: costs additional_pa; SAS: the assumed £10,000
HEADROOM = {"A": 2, "B": 6, "S": 2}  # max_pas 12 (B: the consultant default) less contracted PAs


@pytest.fixture(scope="module")
def busy() -> PlanningPack:
    """The tiny pack with follow-up clinics seeing one patient every two sessions: 684 sessions a year
    unmet, with locum sessions at £950; consultants A and B may work up to 12 PAs at £13,500 a year per
    additional PA, and S (SAS, no cost given: £10,000 assumed) up to 12."""
    [s] = parse_scenarios(tomllib.loads('[[scenario]]\nname = "x"\n'
                                        'patients_per_session = { set = 0.5, activities = ["fu"] }'))
    return apply_scenario(cp.read_pack(TINY), s).pack


def enumerated_optimum(pack: PlanningPack, budget: float) -> tuple[float, float]:
    """(least unmet sessions, its cost) within ``budget`` by enumerating every affordable whole number of
    additional PAs for A, B and S (sessions are 1 PA) and giving the rest of the budget to locum fu
    sessions, each solved *without* a budget constraint: the best of these is the budget optimum."""
    requirements = size_demand(pack).requirements
    best = (math.inf, math.inf)
    for extra in itertools.product(*(range(HEADROOM[c] + 1) for c in RATE)):
        left = budget - sum(n * RATE[c] for c, n in zip(RATE, extra, strict=True))
        if left < 0:
            continue
        # exactly these PAs: each clinician's max_pas is contracted PAs plus their number
        capped = pack.replace(clinicians=tuple(
            dataclasses.replace(c, max_pas=c.contracted_pas + dict(zip(RATE, extra, strict=True)).get(
                c.clinician_id, 0)) for c in pack.clinicians))
        allow = Allowances(additional_pas_per_clinician=24.0, purchased_sessions=(
            PurchasedSessions("fu", math.floor(left / LOCUM), LOCUM),))
        plan = plan_allocation(capped, requirements, seed=0, workers=1, time_limit_s=20, allowances=allow)
        assert check_plan(capped, plan.tables, requirements, allow, plan.summary.purchased_sessions) == []
        assert plan.status.value == "optimal"
        unmet = float(plan.gaps["gap_sessions_per_year"].clip(lower=0).sum())
        cost = plan.result.solution.additional_cost()  # type: ignore[union-attr]
        assert cost <= budget
        best = min(best, (unmet, cost))
    return best


def test_frontier_is_the_budget_optimum(busy: PlanningPack, tmp_path: Path) -> None:
    budgets = [60_000, 0, 9_500, 30_000, 1_000_000]
    df = run_frontier(busy, budgets, tmp_path, levers=["additional_pas", "locum:fu"], work_limit=10)
    assert list(df.columns) == list(F.FRONTIER_COLUMNS)
    assert df["budget"].tolist() == [0, 9_500, 30_000, 60_000, 1_000_000]
    assert (df["status"] == "optimal").all() and (df["reason"].fillna("") == "").all()
    assert (df["cost_used"] <= df["budget"] + 1e-6).all()
    assert (df["budget_left"] == (df["budget"] - df["cost_used"]).round(2)).all()
    assert df["unmet_sessions_per_year"].is_monotonic_decreasing
    zero = df.iloc[0]
    assert (zero["unmet_sessions_per_year"], zero["cost_used"], zero["levers_bought"]) == (684.0, 0.0, "nothing")
    # £9,500 buys 10 locum sessions (no clinician's additional PA fits): 10 fewer unmet sessions
    ten = df.iloc[1]
    assert (ten["locum_sessions_per_year"], ten["cost_used"], ten["unmet_sessions_per_year"]) == (10, 9500, 674)
    assert ten["levers_bought"] == "10 locum sessions of Follow-up clinic (£9,500)"  # in words, by name
    # why the rest was not bought: B, the one clinician with a free slot, does not do follow-ups; and the
    # £0 left pays for no locum session (£950)
    assert ten["levers_not_bought"] == (
        "additional PAs (0 of 10 a week of headroom): the clinicians with a free slot (Dr Ben Bell) are not "
        "skilled for the activities with unmet demand (Follow-up clinic); the £0 left buys nothing more (a "
        "locum session £950)")
    assert ten["sessions_closed_per_10k"] == pytest.approx(10 / 9_500 * 10_000, abs=1e-3)
    for budget in (30_000, 60_000):  # exact: an independent enumeration of lever quantities agrees
        row = df.set_index("budget").loc[budget]
        assert row["unmet_sessions_per_year"] == enumerated_optimum(busy, budget)[0], budget
    assert df.iloc[-1]["unmet_sessions_per_year"] == 0  # enough money closes the gap
    assert (tmp_path / "frontier.csv").is_file() and (tmp_path / "charts" / "frontier.png").is_file()
    assert pd.read_csv(tmp_path / "frontier.csv")["budget"].tolist() == df["budget"].tolist()


def test_one_lever_only(busy: PlanningPack, tmp_path: Path) -> None:
    df = run_frontier(busy, [0, 9_500, 20_000], tmp_path, levers=["locum:fu"], work_limit=10)
    assert df["locum_sessions_per_year"].tolist() == [0, 10, 21]  # floor(20,000 / 950) = 21
    assert df["additional_pas"].tolist() == [0, 0, 0]
    assert df["unmet_sessions_per_year"].tolist() == [684, 674, 663]


def test_bad_levers_and_budgets(busy: PlanningPack, tmp_path: Path) -> None:
    assert F.lever_problems(busy, ["additional_pas", "locum", "wli:fu"]) == []
    assert F.lever_problems(busy, ["bribes", "locum:xray"]) == [
        "unknown lever 'bribes': expected additional_pas, locum, wli, locum:<activity> or wli:<activity>",
        "lever 'locum:xray': xray is not an activity of the pack (activities: 2ww, fu, mdt, spa)"]
    with pytest.raises(ValueError, match="unknown lever"):
        run_frontier(busy, [0], tmp_path, levers=["bribes"])
    with pytest.raises(ValueError, match="no wli_session cost"):
        run_frontier(busy, [0], tmp_path, levers=["wli:fu"])
    with pytest.raises(ValueError, match=">= 0"):
        run_frontier(busy, [-1], tmp_path)


def test_a_point_cut_short_never_makes_the_frontier_worse(busy: PlanningPack, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A solve stopped by its work limit may come out worse than a smaller budget's plan, which is also
    within the larger budget: the frontier keeps that plan and says why."""
    real = F._solve

    def cut_short(pack: PlanningPack, requirements: Any, allowances: Allowances, *args: Any) -> Any:
        point = real(pack, requirements, allowances, *args)
        if allowances.max_extra_cost == 20_000:  # pretend the 20k solve stopped early with a poor plan
            return dataclasses.replace(point, status="feasible", objective=(0.0, 10_000.0))
        return point

    monkeypatch.setattr(F, "_solve", cut_short)
    df = run_frontier(busy, [0, 9_500, 20_000], tmp_path, levers=["locum:fu"], work_limit=10)
    last = df.iloc[-1]
    assert (last["unmet_sessions_per_year"], last["cost_used"], last["status"]) == (674, 9_500, "optimal")
    assert last["reason"].startswith("kept the plan of the £9,500 budget: the solve at this budget stopped")


def test_rules_that_cannot_hold_are_explained_as_in_plan(tmp_path: Path) -> None:
    """A's locked MDT and SPA floor cannot fit in 2 PAs: the frontier fails like `plan` (exit code 3 on the
    command line) with the same reason, and writes nothing."""
    from capacity_planner.errors import InfeasiblePlanError

    [s] = parse_scenarios(tomllib.loads('[[scenario]]\nname = "x"\ncontracted_pas = { A = 2 }'))
    pack = apply_scenario(cp.read_pack(TINY), s).pack
    with pytest.raises(InfeasiblePlanError) as err:
        run_frontier(pack, [0, 1_000], tmp_path / "f", work_limit=10)
    assert err.value.exit_code == 3
    assert "A: locked sessions 1 PA + SPA floor 1.5 PAs exceed 2 contracted PAs" in err.value.reasons
    assert not (tmp_path / "f").exists()
