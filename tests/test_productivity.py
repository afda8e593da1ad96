"""Productivity per staff group (issue 19 item 3): demand is turned into sessions at the current job plans'
staff-group mix of patients per session (docs/method.md, "Productivity per staff group")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import capacity_planner as cp
from capacity_planner.demand.productivity import mix_patients_per_session

TINY = Path(__file__).parent / "data" / "tiny"


def _pack(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "pack"
    shutil.copytree(TINY, path)
    (path / "productivity.csv").write_text("activity_id,staff_group,patients_per_session\n" + rows)
    return path


def test_follow_ups_sized_at_the_current_mix(tmp_path: Path) -> None:
    # The tiny pack's follow-up clinic sees 12 patients a session; today S (SAS, 42 weeks) runs one on Monday
    # afternoon and nurse N (Agenda for Change, 45 weeks) one on Thursday morning. If N's clinic sees 6, the
    # mix is (42 x 12 + 45 x 6) / 87 = 774 / 87 = 8.8966 patients a session, so follow-ups need 12 / 8.8966
    # = 1.3488 times the sessions.
    plain = cp.read_pack(TINY)
    mixed = cp.read_pack(_pack(tmp_path, "fu,nurse,6\n"))
    pps, note = mix_patients_per_session(mixed, mixed.activity("fu"))
    assert pps == pytest.approx(774 / 87)
    assert note == ("fu: sized at 8.9 patients a session, the current job plans' mix of staff groups (nurse 6 "
                    "(52%), sas 12 (48%) of its session-weeks; productivity table)")
    before = cp.size_demand(plain).requirements.table.set_index("activity_id")
    after_run = cp.size_demand(mixed)
    after = after_run.requirements.table.set_index("activity_id")
    assert after.loc["fu", "sessions_per_year"] == pytest.approx(before.loc["fu", "sessions_per_year"] * 12 * 87 / 774)
    assert after.loc["2ww", "sessions_per_year"] == pytest.approx(before.loc["2ww", "sessions_per_year"])
    assert note in after_run.notes


def test_no_override_for_the_groups_in_the_plan_changes_nothing(tmp_path: Path) -> None:
    mixed = cp.read_pack(_pack(tmp_path, "fu,consultant,20\n2ww,nurse,3\n"))  # nobody of these groups runs them
    for aid in ("fu", "2ww"):
        assert mix_patients_per_session(mixed, mixed.activity(aid)) == (mixed.activity(aid).patients_per_session,
                                                                        None)


def test_bad_productivity_rows_exit_2(tmp_path: Path) -> None:
    with pytest.raises(cp.PackValidationError) as err:
        cp.read_pack(_pack(tmp_path, "fu,nurse,0\nfoo,nurse,4\nfu,robot,4\n"))
    text = str(err.value)
    assert "productivity.csv, row 2, column patients_per_session: value '0'" in text
    assert "productivity.csv, row 3, column activity_id: value 'foo'" in text
    assert "productivity.csv, row 4, column staff_group: value 'robot'" in text
