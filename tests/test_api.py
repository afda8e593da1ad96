"""The public API at the package top (issue 14) and the application layer behind it, on the tiny pack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.application import PlanOptions, plan_pack, set_aside_note
from capacity_planner.workflow import run_plan

OPTIONS = PlanOptions(work_limit=5, seed=0, workers=1)


@pytest.fixture(scope="module")
def tiny() -> cp.PlanningPack:
    return cp.read_pack(Path(__file__).parent / "data" / "tiny")


def _with_planning_year_referrals(pack: cp.PlanningPack) -> cp.PlanningPack:
    """The tiny pack plus 5 + 2 referrals dated in its planning year (it starts Monday 2026-04-06)."""
    later = pd.DataFrame({"referral_date": pd.to_datetime(["2026-04-06", "2026-05-01"]),
                          "activity_id": ["2ww", "fu"], "priority": ["2ww", "routine"], "count": [5, 2]})
    referrals = pd.concat([pack.referrals, later.astype(pack.referrals.dtypes.to_dict())], ignore_index=True)
    return pack.replace(referrals=referrals)


def test_public_names() -> None:
    for name in ("read_pack", "size_demand", "plan", "write_meeting_pack", "run_scenarios", "review"):
        assert callable(getattr(cp, name)), name
    import capacity_planner.review.kpis  # noqa: F401  (loading a submodule must not replace cp.review)

    assert callable(cp.review)


def test_size_demand_cuts_history_at_the_plan_start(tiny: cp.PlanningPack) -> None:
    extended = _with_planning_year_referrals(tiny)
    sized = cp.size_demand(extended)
    # 5 + 2 = 7 referrals on or after 2026-04-06 are set aside; the sizing is the tiny pack's own.
    assert sized.set_aside == 7
    assert cp.size_demand(tiny).set_aside == 0
    pd.testing.assert_frame_equal(sized.requirements.table, cp.size_demand(tiny).requirements.table)
    assert set_aside_note(sized, dt.date(2026, 4, 5)) == [
        "7 referrals dated in the planning year were set aside (history ends 2026-04-05)."]
    # an earlier plan start sets aside the referrals from it: the 10 + 3 of 2026-01-19 and 2026-01-20 too
    assert cp.size_demand(extended, plan_start=dt.date(2026, 1, 19)).set_aside == 7 + 10 + 3


def test_plan_then_write_is_the_plan_command(tiny: cp.PlanningPack, tmp_path: Path) -> None:
    run = cp.plan(tiny, OPTIONS)
    assert run.plan.has_plan and run.out_dir is None and run.files == []
    written = cp.write_meeting_pack(run, tmp_path / "api")
    assert written.out_dir == tmp_path / "api"
    assert {f.name for f in written.files} >= {"allocation.csv", "summary.json", "report.html", "plan.xlsx"}
    command = run_plan(tiny, tmp_path / "command", work_limit=5, seed=0, workers=1)
    assert [f.relative_to(command.out_dir) for f in command.files] == \
        [f.relative_to(written.out_dir) for f in written.files]
    for name in ("allocation.csv", "gaps.csv", "clinicians.csv", "changes.csv", "requirements.csv",
                 "weekly_demand.csv", "gap_reasons.csv"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "command" / name).read_bytes(), name
    # the demand step's notes lead summary.json's notes; the run in memory is left as it was
    assert written.plan.summary.notes[: len(run.notes)] == run.notes
    assert plan_pack(tiny, OPTIONS).plan.tables["allocation"].equals(run.plan.tables["allocation"])


def test_review_through_the_api(tiny: cp.PlanningPack) -> None:
    result = cp.review(tiny)
    assert result.period.weeks > 0 and "total" in set(result.review["level"])


def test_meeting_pack_is_built_from_memory_and_equals_the_folder_read_back(
        tiny: cp.PlanningPack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """write_meeting_pack writes report.html and plan.xlsx from the run in memory (issue 14 item 2): no CSV,
    JSON or chart is read back; and the folder it writes, read by read_plan_dir (where a folder really is
    the input: review --plan, a report re-rendered), gives exactly the same meeting tables."""
    import capacity_planner._csv as csv_module
    import capacity_planner.report.meeting_pack as MP
    import capacity_planner.report.tables as T
    from capacity_planner.plan_summary import PlanSummary

    run = cp.plan(tiny, OPTIONS)

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the meeting pack read a file back")

    with monkeypatch.context() as patch:
        for module, name in ((T, "read_plan_dir"), (MP, "read_plan_dir"), (T, "read_text_csv"),
                             (csv_module, "read_text_csv"), (pd, "read_csv"), (PlanSummary, "from_json")):
            patch.setattr(module, name, no_reading)
        written = cp.write_meeting_pack(run, tmp_path / "plan")
    assert {f.name for f in written.files} >= {"report.html", "plan.xlsx", "spc_demand_2ww.png"}

    memory = T.build_meeting_data(tiny, T.plan_outputs(written.plan, run.demand))
    folder = T.build_meeting_data(tiny, T.read_plan_dir(tmp_path / "plan"))
    for name in ("requirements", "allocation", "gaps", "clinicians", "changes", "gap_reasons",
                 "weekly_demand"):
        pd.testing.assert_frame_equal(getattr(memory.outputs, name), getattr(folder.outputs, name))
    assert memory.outputs.summary == folder.outputs.summary
    for name in ("demand", "timetable", "changes", "clinicians", "settings_table", "defaults_table",
                 "solver_table", "levels_table"):
        pd.testing.assert_frame_equal(getattr(memory, name), getattr(folder, name))
    assert memory.headline == folder.headline and dict(memory.reasons) == dict(folder.reasons)
    assert MP.activity_order(memory) == MP.activity_order(folder)
