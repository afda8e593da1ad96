"""The checker's own reading of the SPA ceiling where 2-hour halves are offered (issue 13 items 5 and 8), on
plans built by hand, and an end-to-end `plan` on a small pack where the solver chooses halves.

docs/method.md, "SPA floor and ceiling": the ceiling is at least the floor rounded up to whole sessions of
the smallest SPA activity, or to *half* sessions where a half-slot SPA cell (of an SPA activity that needs
no room) may be the clinician's. A: 3 PAs, 42 weeks, SPA floor 1.5, 1-PA SPA sessions, no current plan, so
the ceiling is 1.5 PAs with halves offered and 2 PAs (two whole sessions) without."""

from __future__ import annotations

from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
from click.testing import CliRunner
from test_solver_helpers import activity, clinician, make_pack

from capacity_planner.cli import cli
from capacity_planner.pack.model import JobPlanCell, Slot
from capacity_planner.solver import check_plan

if TYPE_CHECKING:
    from pathlib import Path

SLOTS = (Slot("Mon", "AM", False), Slot("Mon", "PM", False), Slot("Tue", "AM", False))
ACTS = (activity("clinic", room_type="clinic_room"), activity("spa", "SPA"), activity("admin", "OTHER"))
SKILLS = [("A", "clinic"), ("A", "spa")]


def _rows(*cells: tuple[str, str, str, float, str, str]) -> pd.DataFrame:
    """A's allocation: (day, period, activity, pas, week, half), every cell 42 weeks unless on alternate
    weeks (21)."""
    return pd.DataFrame([{"clinician_id": "A", "day": d, "period": p, "activity_id": a, "pas": pas,
                          "weeks_per_year": 21.0 if week else 42.0, "week": week, "half": half}
                         for d, p, a, pas, week, half in cells])


TWO_WHOLE = _rows(("Mon", "AM", "spa", 1.0, "", ""), ("Mon", "PM", "spa", 1.0, "", ""))
ONE_AND_A_HALF = _rows(("Mon", "AM", "spa", 1.0, "", ""), ("Mon", "PM", "spa", 0.5, "", "1"))


def _ceiling_violations(pack: object, alloc: pd.DataFrame) -> list[str]:
    return [v for v in check_plan(pack, {"allocation": alloc}) if "SPA ceiling" in v]  # type: ignore[arg-type]


def test_half_a_session_above_the_half_session_ceiling_is_rejected() -> None:
    # Halves offered (floor 1.5 is not whole sessions of 1 PA): ceiling 1.5. Two whole SPA sessions are 2
    # PAs, half a session above it. A checker that still rounds to whole sessions reads 2 and passes it.
    pack = make_pack([clinician("A", 3, spa=1.5)], ACTS, SKILLS, slots=SLOTS)
    assert _ceiling_violations(pack, TWO_WHOLE) == ["A: 2 PAs of SPA, above the SPA ceiling of 1.5"]


def test_a_plan_at_the_half_session_ceiling_passes() -> None:
    # One weekly SPA session and SPA (2 h) with the other 2 hours empty: 1 + 0.5 = 1.5 PAs, the ceiling and
    # the floor; the same on alternate weeks (SPA week A, clinic week B: 1 + 21/42 = 1.5). Nothing else is
    # broken (3 PAs contracted, 1.5 or 2 planned).
    pack = make_pack([clinician("A", 3, spa=1.5)], ACTS, SKILLS, slots=SLOTS)
    assert check_plan(pack, {"allocation": ONE_AND_A_HALF}) == []
    alternate = _rows(("Mon", "AM", "spa", 1.0, "", ""), ("Mon", "PM", "spa", 0.5, "A", ""),
                      ("Mon", "PM", "clinic", 0.5, "B", ""))
    assert check_plan(pack, {"allocation": alternate}) == []


def test_half_admin_floor_beside_whole_spa_floor_half_a_session_above() -> None:
    # A: SPA floor 0.5 (1-PA sessions): ceiling 0.5 with halves. A whole SPA session (1 PA) is rejected, SPA
    # (2 h) + admin (2 h) (0.5 + 0.5) passes.
    pack = make_pack([clinician("A", 3, spa=0.5)], ACTS, [*SKILLS, ("A", "admin")], slots=SLOTS)
    whole = _rows(("Mon", "AM", "spa", 1.0, "", ""))
    assert _ceiling_violations(pack, whole) == ["A: 1 PAs of SPA, above the SPA ceiling of 0.5"]
    halves = _rows(("Mon", "AM", "spa", 0.5, "", "1"), ("Mon", "AM", "admin", 0.5, "", "2"))
    assert check_plan(pack, {"allocation": halves}) == []


def test_a_current_spa_half_keeps_the_half_session_ceiling_without_alternate_weeks() -> None:
    # solver.alternate_weeks = false offers no new half-slot cells, but the current plan's SPA (2 h) on Mon
    # PM stays on offer, so the ceiling is still in half sessions: max(floor 1.5, current 1.5) = 1.5.
    now = [JobPlanCell("A", "Mon", "AM", "spa", 42.0), JobPlanCell("A", "Mon", "PM", "spa", 42.0, half="1")]
    pack = make_pack([clinician("A", 3, spa=1.5)], ACTS, SKILLS, slots=SLOTS, job_plans=now, alternate_weeks=False)
    assert _ceiling_violations(pack, TWO_WHOLE) == ["A: 2 PAs of SPA, above the SPA ceiling of 1.5"]
    assert _ceiling_violations(pack, ONE_AND_A_HALF) == []


def test_whole_sessions_where_no_spa_half_is_offered() -> None:
    # The ceiling stays 2 (whole sessions) where no half-slot SPA cell may be A's: with alternate weeks off
    # and no current half; with an SPA activity that needs a room (it cannot be a 2-hour half); with
    # working weeks odd in hundredths (41.99: no exact half); with every normal-time slot locked. Three
    # whole sessions (3 PAs) are still above it.
    locked = [JobPlanCell("A", d, p, "clinic", 42.0, locked=True) for d, p in (("Mon", "AM"), ("Mon", "PM"))]
    packs = [
        make_pack([clinician("A", 3, spa=1.5)], ACTS, SKILLS, slots=SLOTS, alternate_weeks=False),
        make_pack([clinician("A", 3, spa=1.5)], (ACTS[0], activity("spa", "SPA", room_type="office")), SKILLS,
                  slots=SLOTS),
        make_pack([clinician("A", 3, spa=1.5, weeks=41.99)], ACTS, SKILLS, slots=SLOTS),
        make_pack([clinician("A", 3, spa=1.5)], ACTS, SKILLS, slots=SLOTS[:2], job_plans=locked),
    ]
    three = _rows(("Mon", "AM", "spa", 1.0, "", ""), ("Mon", "PM", "spa", 1.0, "", ""),
                  ("Tue", "AM", "spa", 1.0, "", ""))
    for pack in packs[:3]:
        weeks = pack.clinicians[0].working_weeks
        two = TWO_WHOLE.assign(weeks_per_year=weeks)
        assert _ceiling_violations(pack, two) == [], pack
        assert _ceiling_violations(pack, three.assign(weeks_per_year=weeks)) == [
            "A: 3 PAs of SPA, above the SPA ceiling of 2"]
    # every slot locked to a clinic: the ceiling is read from the pack alone (2), whatever the plan holds
    assert _ceiling_violations(packs[3], TWO_WHOLE) == []


def _small_pack(folder: Path) -> None:
    """A: 10 PAs, B: 6 PAs, consultants, 42 weeks, SPA floor 1.5 and admin floor 0.5 each; clinic need
    504 = 12 x 42 session-weeks (set by the activities table), two clinic rooms in every weekday slot."""
    folder.mkdir()
    files = {
        "pack.toml": '[planning]\nname = "Halves chosen"\nstart = 2026-04-06\nservice_weeks = 52\n'
                     "weekday_true_supply = false\n",
        "clinicians.csv": "clinician_id,name,staff_group,contract,contracted_pas,min_spa_pas\n"
                          "A,Dr Ada Ames,consultant,consultant_2003,10,1.5\n"
                          "B,Dr Ben Bell,consultant,consultant_2003,6,1.5\n",
        "activities.csv": "activity_id,name,category,room_type,required_sessions_per_year,patients_per_session,"
                          "dna_rate\nclinic,Outpatient clinic,DCC,clinic_room,504,10,0.05\n"
                          "spa,Supporting professional activities,SPA,,,,\nadmin,Clinical administration,OTHER,,,,\n",
        "skills.csv": "clinician_id,activity_id,min_sessions_per_week\nA,clinic,\nA,spa,\nA,admin,0.5\n"
                      "B,clinic,\nB,spa,\nB,admin,0.5\n",
        "referrals.csv": "referral_date,activity_id,priority,count\n2026-01-05,clinic,routine,1\n",
        "rooms.csv": "room_type,day,period,available\n" + "".join(
            f"clinic_room,{d},{p},2\n" for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for p in ("AM", "PM")),
    }
    for name, text in files.items():
        (folder / name).write_text(text)


def test_plan_chooses_spa_and_admin_halves_and_every_output_shows_them(tmp_path: Path) -> None:
    # By hand: A's 10 PAs are 8 clinics (336), SPA 1 and one slot of SPA (2 h) + admin (2 h); B's 6 PAs are
    # 4 clinics (168), SPA 1 and one such slot: 504 met, nothing unassigned. Whole sessions would cost each
    # of them SPA 2 + admin 1, one clinic fewer (84 session-weeks unmet). Which half holds which activity
    # is the solver's choice; each clinician has exactly one split slot holding both.
    _small_pack(tmp_path / "pack")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["plan", str(tmp_path / "pack"), "--out", str(out), "--time-limit", "30",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    summary = pd.read_json(out / "summary.json", typ="series")
    assert summary["status"] == "optimal"
    assert summary["unmet_sessions_per_year"] == 0
    alloc = pd.read_csv(out / "allocation.csv", dtype=str, keep_default_na=False)
    halves = alloc[alloc["half"] != ""]
    timetable = []
    for cid, clinic_sessions in (("A", 8), ("B", 4)):
        mine = alloc[alloc["clinician_id"] == cid]
        assert (mine["activity_id"] == "clinic").sum() == clinic_sessions
        split = halves[halves["clinician_id"] == cid].sort_values("half")
        assert len({(r.day, r.period) for r in split.itertuples()}) == 1
        assert sorted(split["half"]) == ["1", "2"]
        assert sorted(split["activity_id"]) == ["admin", "spa"]
        assert set(split["pas"]) == {"0.5"} and set(split["weeks_per_year"]) == {"42.0"}
        assert set(split["week"]) == {""}
        whole_spa = mine[(mine["activity_id"] == "spa") & (mine["half"] == "")]
        assert list(whole_spa["pas"]) == ["1.0"]
        first, second = split["activity_id"]
        timetable.append(f"{first} (2 h) + {second} (2 h)")
    report = (out / "report.html").read_text()
    wb = openpyxl.load_workbook(out / "plan.xlsx")
    cells = [str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.value is not None]
    names = {"spa": "Supporting professional activities", "admin": "Clinical administration"}
    for text in timetable:
        assert text in report
        assert text in [str(c.value) for r in wb["Timetable"].iter_rows() for c in r]
        first, second = (names[t.split(" (2 h)")[0]] for t in text.split(" + "))
        assert any(v.startswith(f"{first} (2 h) / {second} (2 h)") for v in cells)  # the job-plan sheet
