"""``capacity-planner template``: a workbook people can fill (instructions, settings, frozen headers,
widths, drop-downs, a job-plan grid) that reads back as the same pack (issue 17)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import openpyxl
import pytest
from click.testing import CliRunner

from capacity_planner.cli import cli
from capacity_planner.intake.template import write_template
from capacity_planner.pack.read import read_pack, validate_pack

if TYPE_CHECKING:
    from pathlib import Path


def test_template_round_trips_the_pack(tiny_path: Path, tmp_path: Path) -> None:
    pack = read_pack(tiny_path)
    again = read_pack(write_template(pack, tmp_path / "tiny.xlsx"))
    # Every table and setting reads back the same; the grid lists job-plan cells clinician by clinician,
    # so only their order, and which of them were defaults, can differ.
    assert set(pack.differences(again)) <= {"job_plans", "defaults_applied"}
    assert sorted(map(repr, pack.job_plans)) == sorted(map(repr, again.job_plans))
    extra = set(map(repr, again.defaults_applied)) - set(map(repr, pack.defaults_applied))
    # A's Mon AM cell said "false" (not locked) and S's Mon PM cell 42 weeks (S's working weeks): the grid
    # writes no suffix for a value equal to its default, so they read back as defaults - the same values.
    assert extra == {"DefaultApplied(table='job_plans', key='A|Mon|AM', column='locked', value=False, "
                     "reason='not locked')",
                     "DefaultApplied(table='job_plans', key='S|Mon|PM', column='weeks_per_year', value=42.0, "
                     "reason='runs every working week of the clinician (half of them for a week A / week B "
                     "cell)')"}
    assert set(map(repr, pack.defaults_applied)) <= set(map(repr, again.defaults_applied))


def test_template_layout(tiny_path: Path, tmp_path: Path) -> None:
    path = write_template(read_pack(tiny_path), tmp_path / "tiny.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:5] == ["instructions", "settings", "clinicians", "activities", "skills"]
    assert wb.sheetnames[5] == "job_plan_grid" and "job_plans" not in wb.sheetnames
    text = "\n".join(str(c.value) for c in wb["instructions"]["A"])
    assert "dna_rate (optional): share of booked patients who do not attend" in text
    assert "'; locked'" in text and "7%" in text
    settings = {r[0].value: r[1].value for r in wb["settings"].iter_rows(min_row=2)}
    assert settings["planning.start"].date().isoformat() == "2026-04-06" and settings["solver.seed"] is None
    ws = wb["job_plans" if "job_plans" in wb.sheetnames else "job_plan_grid"]
    header = [c.value for c in ws[1]]
    # one column per slot of the pack's slots table, in its order
    assert header == ["clinician_id", "name", "Mon AM", "Mon PM", "Tue AM", "Tue PM", "Wed AM", "Wed PM",
                      "Thu AM", "Thu PM", "Fri AM", "Fri PM", "Tue EVE"]
    rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=2)}
    assert rows["A"][header.index("Tue PM")] == "mdt; locked"
    assert rows["S"][header.index("Mon PM")] == "fu"  # 42 weeks = S's working weeks: no suffix
    assert ws.freeze_panes == "C2"
    act = wb["activities"]
    assert act.freeze_panes == "A2" and act.column_dimensions["B"].width >= len("Two-week-wait clinic")
    formulas = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in act.data_validations.dataValidation}
    acts = [c.value for c in act[1]]
    col = openpyxl.utils.get_column_letter
    assert formulas[f"{col(acts.index('category') + 1)}2"] == '"DCC,SPA,ANR,ED,ONCALL,OTHER"'
    assert formulas[f"{col(acts.index('rapid_access') + 1)}2"] == '"true,false"'
    assert formulas[f"{col(acts.index('follow_up_activity') + 1)}2"] == "=activities!$A$2:$A$5000"
    skills = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in wb["skills"].data_validations.dataValidation}
    assert skills == {"A2": "=clinicians!$A$2:$A$5000", "B2": "=activities!$A$2:$A$5000"}
    grid = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert grid == ["=clinicians!$A$2:$A$5000", "=activities!$A$2:$A$5000"]
    days = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in wb["slots"].data_validations.dataValidation}
    assert days["A2"] == '"Mon,Tue,Wed,Thu,Fri,Sat,Sun"' and days["B2"] == '"AM,PM,EVE"'


def test_a_filled_grid_reads_as_job_plans_and_its_mistakes_name_the_slot(tiny_path: Path,
                                                                           tmp_path: Path) -> None:
    path = write_template(read_pack(tiny_path), tmp_path / "tiny.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["job_plan_grid"]
    header = [c.value for c in ws[1]]
    n_row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "N")
    ws.cell(n_row, header.index("Fri AM") + 1, "fu; 21 weeks; locked")
    wb.save(path)
    cells = {(c.clinician_id, c.day, c.period): c for c in read_pack(path).job_plans}
    assert cells[("N", "Fri", "AM")].weeks_per_year == 21 and cells[("N", "Fri", "AM")].locked
    ws.cell(n_row, header.index("Fri PM") + 1, "fu; lockd")
    wb.save(path)
    errors = [str(p) for p in validate_pack(path) if p.severity == "error"]
    assert errors == [f"sheet 'job_plan_grid' of tiny.xlsx, row {n_row}, column Fri PM: value 'fu; lockd': "
                      "'lockd' not understood: after the activity write '; locked' or '; 21 weeks'"]


def test_job_plans_given_twice_is_refused(tiny_path: Path, tmp_path: Path) -> None:
    path = write_template(read_pack(tiny_path), tmp_path / "tiny.xlsx")
    wb = openpyxl.load_workbook(path)
    long = wb.create_sheet("job_plans")
    long.append(["clinician_id", "day", "period", "activity_id"])
    long.append(["A", "Fri", "AM", "fu"])
    wb.save(path)
    errors = [p for p in validate_pack(path) if p.severity == "error"]
    assert [(p.source, p.message) for p in errors] == [
        ("sheets 'job_plans' and 'job_plan_grid' of tiny.xlsx",
         "the job plans are given twice; keep only one of these sheets")]


def test_empty_template_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "mine.xlsx"
    runner = CliRunner()
    result = runner.invoke(cli, ["template", "--empty", "--out", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert [c.value for c in wb["job_plan_grid"][1]] == ["clinician_id", "name", "Mon AM", "Mon PM", "Tue AM",
                                                         "Tue PM", "Wed AM", "Wed PM", "Thu AM", "Thu PM",
                                                         "Fri AM", "Fri PM"]
    # the rota and quorum columns are there to fill (issue 13: the empty template had no requirements sheet)
    assert [c.value for c in wb["requirements"][1]] == ["activity_id", "sessions_per_week", "day", "period",
                                                        "min_clinicians", "rota_size", "share_of_weeks",
                                                        "unpredictable_pas"]
    checked = runner.invoke(cli, ["validate", str(out)])
    assert checked.exit_code == 2
    assert "sheet 'requirements' of mine.xlsx: the table has a header but no data rows; it is ignored" in (
        checked.output)
    assert "sheet 'clinicians' of mine.xlsx: the table has a header but no data rows" in checked.output
    assert "instructions" not in checked.output  # the instructions sheet is not a table: no warning
    refused = runner.invoke(cli, ["template", "--out", str(tmp_path / "mine.csv")])
    assert refused.exit_code == 2 and "give a name ending in .xlsx" in refused.output  # the input: not 1


@pytest.mark.slow
def test_template_of_the_embedded_sample_plans_like_the_sample(tmp_path: Path) -> None:
    from capacity_planner.pack.read import sample_pack

    sample = sample_pack()
    again = read_pack(write_template(sample, tmp_path / "sample.xlsx"), purpose="plan")
    assert set(sample.differences(again)) <= {"job_plans", "defaults_applied"}
    assert sorted(map(repr, sample.job_plans)) == sorted(map(repr, again.job_plans))


def test_alternate_week_cells_have_their_own_grid_columns_and_read_back(tiny_path: Path, tmp_path: Path) -> None:
    """A slot on alternate weeks (job_plans.week A / B, issue 13) used to share one grid cell, so week B
    overwrote week A and the template lost a session. Each week now has its own column after the slot's,
    and a cell at half the working weeks (the default for a week A / B cell) is written without a suffix."""
    import dataclasses

    from capacity_planner.pack.model import JobPlanCell

    pack = read_pack(tiny_path)
    first = pack.job_plans[0]
    working = next(c.working_weeks for c in pack.clinicians if c.clinician_id == first.clinician_id)
    halves = (JobPlanCell(first.clinician_id, first.day, first.period, first.activity_id, working / 2, None, "A"),
              JobPlanCell(first.clinician_id, first.day, first.period, pack.job_plans[1].activity_id,
                          working / 2, True, "B"))
    labelled = dataclasses.replace(pack, job_plans=halves + pack.job_plans[1:])
    path = write_template(labelled, tmp_path / "weeks.xlsx")
    header = [c.value for c in openpyxl.load_workbook(path)["job_plan_grid"][1]]
    slot = f"{first.day} {first.period}"
    at = header.index(slot)
    assert header[at + 1:at + 3] == [f"{slot} week A", f"{slot} week B"]
    again = read_pack(path)
    key = (first.clinician_id, first.day, first.period)
    cells = sorted((j.week, j.activity_id, j.weeks_per_year, bool(j.locked)) for j in again.job_plans
                   if (j.clinician_id, j.day, j.period) == key)
    assert cells == [("A", first.activity_id, working / 2, False),
                     ("B", pack.job_plans[1].activity_id, working / 2, True)]


def test_two_hour_halves_have_their_own_grid_columns_and_read_back(tiny_path: Path, tmp_path: Path) -> None:
    """A slot in 2-hour halves (job_plans.half 1 / 2, issue 13 item 5) has a grid column per half after the
    slot's, ``Wed AM half 1`` and ``Wed AM half 2``, every week (no weeks suffix at the working weeks), and
    reads back as the same two rows."""
    import dataclasses

    from capacity_planner.pack.model import Activity, JobPlanCell

    pack = read_pack(tiny_path)
    spa = next(j for j in pack.job_plans if j.activity_id == "spa")  # A Wed AM spa
    working = next(c.working_weeks for c in pack.clinicians if c.clinician_id == spa.clinician_id)
    halves = (dataclasses.replace(spa, weeks_per_year=working, half="1"),
              JobPlanCell(spa.clinician_id, spa.day, spa.period, "admin", working, None, None, "2"))
    rest = tuple(j for j in pack.job_plans if j is not spa)
    halved = dataclasses.replace(pack, job_plans=halves + rest,
                                 activities=(*pack.activities, Activity("admin", "OTHER")))
    path = write_template(halved, tmp_path / "halves.xlsx")
    header = [c.value for c in openpyxl.load_workbook(path)["job_plan_grid"][1]]
    slot = f"{spa.day} {spa.period}"
    at = header.index(slot)
    assert header[at + 1:at + 3] == [f"{slot} half 1", f"{slot} half 2"]
    again = read_pack(path)
    key = (spa.clinician_id, spa.day, spa.period)
    cells = sorted((j.half, j.week, j.activity_id, j.weeks_per_year) for j in again.job_plans
                   if (j.clinician_id, j.day, j.period) == key)
    assert cells == [("1", None, "spa", working), ("2", None, "admin", working)]


def test_template_out_without_xlsx_suffix_exits_2_writing_nothing(tmp_path: Path) -> None:
    """Session 16 fuzz: ``template --out name`` (no .xlsx) ended in exit 1, the code of an unexpected
    failure; a wrong --out is the user's input, refused with exit 2 like an existing workbook."""
    result = CliRunner().invoke(cli, ["template", "--empty", "--out", str(tmp_path / "my_service")])
    assert result.exit_code == 2, result.output
    assert "give a name ending in .xlsx" in result.output
    assert list(tmp_path.iterdir()) == []
