"""End-to-end tests of the command line with click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from capacity_planner import __version__
from capacity_planner._files import MANIFEST_NAME
from capacity_planner.cli import cli
from capacity_planner.pack.read import read_pack


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.output, f"{name} --help has no example"
        assert f"capacity-planner {name}" in result.output, name
        assert command.help


def test_validate_tiny_pack_prints_summary(tiny_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tiny_path)])
    assert result.exit_code == 0, result.output
    assert "is a valid planning pack" in result.output
    assert "team: 4 clinicians" in result.output
    assert "planning year from 2026-04-06" in result.output


@pytest.mark.slow
def test_validate_embedded_sample_without_arguments() -> None:
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "is a valid planning pack" in result.output


def test_convert_folder_to_workbook_and_back(tmp_path: Path, tiny_path: Path) -> None:
    runner = CliRunner()
    xlsx = tmp_path / "tiny.xlsx"
    result = runner.invoke(cli, ["convert", str(tiny_path), "--to", str(xlsx)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["convert", str(xlsx), "--to", str(tmp_path / "back"), "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert read_pack(tmp_path / "back").differences(read_pack(tiny_path)) == []


def test_convert_bad_pack_writes_nothing(tmp_path: Path) -> None:
    bad = Path(__file__).parent / "data" / "bad" / "wrong_type"
    result = CliRunner().invoke(cli, ["convert", str(bad), "--to", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 2
    assert not (tmp_path / "out.xlsx").exists()
    assert list(tmp_path.iterdir()) == []


def test_unexpected_error_is_one_line_exit_1_and_traceback_with_debug(tmp_path: Path, tiny_path: Path,
                                                                       monkeypatch: object) -> None:
    import capacity_planner.pack.write as write_mod

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(write_mod, "write_pack", boom)  # type: ignore[attr-defined]
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", str(tiny_path), "--to", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "error: RuntimeError: disk on fire (run with --debug for the traceback)" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["--debug", "convert", str(tiny_path), "--to", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "Traceback" in result.output


@pytest.mark.slow
def test_plan_end_to_end_on_the_embedded_sample(tmp_path: Path) -> None:
    """`plan` with no PACK: demand, allocation and meeting pack; outputs have the DESIGN.md columns and
    the plan passes the independent checker."""
    import json

    import pandas as pd

    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.read import sample_pack
    from capacity_planner.solver.checker import check_plan

    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["plan", "--out", str(out), "--work-limit", "20", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    for name in ("requirements.csv", "weekly_demand.csv", "allocation.csv", "gaps.csv", "clinicians.csv",
                 "changes.csv", "summary.json", "report.html", "plan.xlsx"):
        assert (out / name).is_file(), name
    gaps = pd.read_csv(out / "gaps.csv")
    assert list(gaps.columns) == ["activity_id", "required_sessions_per_year", "current_sessions_per_year",
                                  "planned_sessions_per_year", "gap_sessions_per_year", "gap_dcc_hours_per_year"]
    two_week_wait = gaps.set_index("activity_id").loc["2ww"]
    assert two_week_wait["current_sessions_per_year"] < two_week_wait["required_sessions_per_year"]
    assert two_week_wait["gap_sessions_per_year"] == 0  # the rules allow closing the rapid-access gap
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    ids = {"clinician_id": str, "activity_id": str}
    tables = {name: pd.read_csv(out / f"{name}.csv", dtype=ids) for name in ("allocation", "clinicians", "gaps")}
    requirements = Requirements.read_csv(out / "requirements.csv")
    assert check_plan(sample_pack(), tables, requirements) == []


@pytest.mark.slow
def test_plan_is_reproducible(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("a", "b"):
        result = runner.invoke(cli, ["plan", "--out", str(tmp_path / name), "--no-report", "--seed", "3",
                                     "--workers", "1", "--work-limit", "20"])
        assert result.exit_code == 0, result.output
    for f in ("allocation.csv", "gaps.csv", "clinicians.csv", "changes.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_demand_with_only_activities_and_referrals(tmp_path: Path, tiny_path: Path) -> None:
    import shutil

    pack = tmp_path / "pack"
    pack.mkdir()
    for f in ("activities.csv", "referrals.csv", "pack.toml"):
        shutil.copy(tiny_path / f, pack / f)
    result = CliRunner().invoke(cli, ["demand", str(pack), "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "requirements.csv").is_file()
    assert (tmp_path / "d" / "weekly_demand.csv").is_file()


@pytest.mark.slow
def test_review_and_backtest_on_the_embedded_sample(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["review", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "r").iterdir()} == {"review.csv", "kpis.csv", "review.html",
                                                        "charts", MANIFEST_NAME}
    assert (tmp_path / "r" / "charts" / "spc_delivered.png").is_file()  # the XmR chart of delivery
    result = runner.invoke(cli, ["backtest", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "backtest.csv").is_file()
    # pooled per origin (labelled) and overall, with the issue-12 scores beside the naive baselines
    assert "2026-04-06" in result.output and "pinball_ratio" in result.output and "interval_95" in result.output


def test_review_period_outside_the_year_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["review", "--out", str(tmp_path / "r"), "--from", "2020-01-06",
                                      "--to", "2020-03-29"])
    assert result.exit_code == 2
    assert "not inside the planning year" in result.output
    assert not (tmp_path / "r").exists()


def test_scenarios_and_frontier_on_the_tiny_pack(tmp_path: Path, tiny_path: Path) -> None:
    import pandas as pd

    spec = tmp_path / "options.toml"
    spec.write_text('[[scenario]]\nname = "locum-2ww"\nlocum = { "2ww" = 20 }\n\n'
                    '[[scenario]]\nname = "ben-leaves"\nremove_clinicians = ["B"]\n')
    runner = CliRunner()
    result = runner.invoke(cli, ["scenarios", str(tiny_path), str(spec), "--out", str(tmp_path / "s"),
                                 "--work-limit", "5"])
    # ben-leaves cannot staff the MDT: the sweep finishes the others, prints the reason, exits 4.
    assert result.exit_code == 4, result.output
    assert "scenario ben-leaves failed (infeasible): mdt on Tue-PM needs at least 2 clinicians" in result.output
    table = pd.read_csv(tmp_path / "s" / "comparison.csv").set_index("scenario")
    assert list(table.index) == ["baseline", "locum-2ww", "ben-leaves"]
    assert (tmp_path / "s" / "comparison.html").is_file()
    result = runner.invoke(cli, ["frontier", str(tiny_path), "--budgets", "0,20000", "--out",
                                 str(tmp_path / "f"), "--work-limit", "5"])
    assert result.exit_code == 0, result.output
    frontier = pd.read_csv(tmp_path / "f" / "frontier.csv")
    assert len(frontier) == 2 and (frontier["cost_used"] <= frontier["budget"]).all()
    assert "levers bought" in result.output and "frontier.csv" in result.output
    # progress as each budget is solved, and numbers as a planner reads them (issue 17 item 5)
    assert "[1/2] £0: " in result.output and "[2/2] £20,000: " in result.output
    assert "£20,000" in result.output.split("budget a year", 1)[1]


def test_frontier_bad_levers_or_budgets_exit_2_writing_nothing(tmp_path: Path, tiny_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["frontier", str(tiny_path), "--budgets", "0,1000", "--levers",
                                 "locum:fu,bribes,wli:xray", "--out", str(tmp_path / "f")])
    assert result.exit_code == 2, result.output
    assert "unknown lever 'bribes'" in result.output and "xray is not an activity" in result.output
    result = runner.invoke(cli, ["frontier", str(tiny_path), "--budgets", "0,lots", "--out", str(tmp_path / "f")])
    assert result.exit_code == 2 and "expected numbers such as 0,25000,50000" in result.output
    assert not (tmp_path / "f").exists()


def test_bad_scenario_file_exits_2_naming_scenario_key_and_value(tmp_path: Path, tiny_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text('[[scenario]]\nname = "oops"\ndna_rate = "lots"\n')
    result = CliRunner().invoke(cli, ["scenarios", str(tiny_path), str(spec), "--out", str(tmp_path / "s")])
    assert result.exit_code == 2, result.output
    assert "The scenarios file has 1 problem(s) to fix" in result.output
    assert "oops" in result.output and "dna_rate" in result.output and "lots" in result.output
    assert not (tmp_path / "s").exists()


def test_plan_whose_rules_cannot_hold_exits_3_with_reasons(tmp_path: Path, tiny_path: Path) -> None:
    """B (consultant) on 2 contracted PAs keeps a locked MDT session and needs the 1.5-PA SPA floor."""
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(tiny_path, pack)
    clinicians = pack / "clinicians.csv"
    clinicians.write_text(clinicians.read_text().replace("B,Dr Ben Bell,consultant,,6,", "B,Dr Ben Bell,consultant,,2,"))
    result = CliRunner().invoke(cli, ["plan", str(pack), "--out", str(tmp_path / "out"), "--time-limit", "5"])
    assert result.exit_code == 3, result.output
    assert "B: locked sessions 1 PA + SPA floor 1.5 PAs exceed 2 contracted PAs" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("budgets", ["nan", "inf", "0,1e400", "-inf"])
def test_frontier_budgets_that_are_not_finite_exit_2(tmp_path: Path, tiny_path: Path, budgets: str) -> None:
    """Session 16 fuzz: nan, inf and 1e400 (which reads as inf) passed the ``>= 0`` check and ended in
    exit 1 (a ValueError from run_frontier)."""
    result = CliRunner().invoke(cli, ["frontier", str(tiny_path), "--budgets", budgets, "--out",
                                      str(tmp_path / "f")])
    assert result.exit_code == 2, result.output
    assert "expected one or more budgets >= 0" in result.output and "--debug" not in result.output
    assert not (tmp_path / "f").exists()


@pytest.mark.parametrize(("budgets", "clash"), [("£1,000", "£1,000"), ("0,£2,500", "£2,500"),
                                                ("1,000,2,000", "1,000"), ("0,500", "0,500")])
def test_frontier_budgets_with_a_thousands_separator_exit_2(tmp_path: Path, tiny_path: Path, budgets: str,
                                                            clash: str) -> None:
    """Session 16 fuzz: ``--budgets £1,000`` was read as two budgets, £1 and £0, with exit 0. A group of
    three digits right after a short number is refused, naming it and both ways to say what was meant."""
    result = CliRunner().invoke(cli, ["frontier", str(tiny_path), "--budgets", budgets, "--out",
                                      str(tmp_path / "f")])
    assert result.exit_code == 2, result.output
    assert f"'{clash}' looks like a number with a thousands separator" in " ".join(result.output.split())
    assert not (tmp_path / "f").exists()


def test_frontier_budgets_read_as_written() -> None:
    """Separate budgets with a space after the comma, underscores and a pound sign are read as meant."""
    from capacity_planner.cli import parse_budgets

    assert parse_budgets("0, 500, £25_000,100000") == [0.0, 500.0, 25000.0, 100000.0]
    assert parse_budgets("0,25000,50000,100000") == [0.0, 25000.0, 50000.0, 100000.0]
