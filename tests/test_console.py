"""Solver progress in plain words (issue 17)."""

from __future__ import annotations

import pandas as pd
import pytest

from capacity_planner.console import budget_line, console_table, format_number, progress_words


@pytest.mark.parametrize(("level", "best", "bound", "words"), [
    ("unmet_rapid_access", 0.0, 0.0, "rapid-access demand: all met"),
    ("unmet_routine", 523.0, 510.0,
     "routine demand: 523 sessions a year short (priority-weighted), best possible >= 510"),
    ("unmet_routine", 12.5, 12.5, "routine demand: 12.5 sessions a year short (priority-weighted; proven the least)"),
    ("routine_floor", 0.0, 0.0, "routine floor: every routine activity kept at or above its floor"),
    ("routine_floor", 300.0, 0.0, "routine floor: 300 session-weeks a year below it, best possible >= 0"),
    ("routine_floor", 42.0, 42.0, "routine floor: 42 session-weeks a year below it (the rules leave no other way)"),
    ("unassigned_pas", 0.0, 0.0, "contracted time: all assigned"),
    ("unassigned_pas", 1.5, 0.5, "contracted time: 1.5 PA-weeks a year unassigned, best possible >= 0.5"),
    ("unassigned_pas", 84.0, 84.0, "contracted time: 84 PA-weeks a year unassigned (proven the least; reasons per clinician in clinicians.csv)"),
    ("cost", 25000.0, 20000.0, "extra cost: £25,000 a year (best possible >= £20,000)"),
    ("changes", 14.0, 14.0, "changes to current job plans: 14 sessions (proven the fewest)"),
    ("fairness", 0.131, 0.131, "spread of DCC time within staff groups: 13.1 points of contracted PAs (proven the least)"),
    ("fairness", 0.25, 0.1, "spread of DCC time within staff groups: 25.0 points of contracted PAs (best possible >= 10.0 points)"),
    ("fairness", 1.796, -0.831, "spread of DCC time within staff groups: 179.6 points of contracted PAs (best possible >= 0.0 points)"),
])
def test_progress_words(level: str, best: float, bound: float, words: str) -> None:
    assert progress_words(level, best, bound) == words


def test_plan_prints_progress_in_words(tmp_path, tiny_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from capacity_planner.cli import cli

    result = CliRunner().invoke(cli, ["plan", str(tiny_path), "--out", str(tmp_path / "o"), "--no-report",
                                      "--work-limit", "2", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "rapid-access demand: " in result.output and "solving unmet" not in result.output


@pytest.mark.parametrize(("value", "kind", "text"), [
    (25000.0, "money", "£25,000"), (-512.4, "money", "-£512"), (0.4, "money", "£0"), (1549.0, "count", "1,549"),
    (10.5, "count", "10.5"), (float("nan"), "count", "–"), (None, "money", "–"), (1.25, "pas", "1.25"),
    (2.0, "pas", "2"), ("optimal", "text", "optimal"),
])
def test_numbers_on_the_console(value: object, kind: str, text: str) -> None:
    assert format_number(value, kind) == text


def test_console_table_aligns_numbers_right_and_text_left() -> None:
    frame = pd.DataFrame({"scenario": ["baseline", "locum-2ww"], "unmet": [1549.0, 12.5], "cost": [0.0, -950.0],
                          "unused": [1, 2]})
    table = console_table(frame, {"scenario": ("scenario", "text"), "unmet": ("unmet", "count"),
                                  "cost": ("change in cost", "money"), "absent": ("never shown", "text")})
    assert table.splitlines() == [
        "scenario   unmet  change in cost",
        "baseline   1,549              £0",
        "locum-2ww   12.5           -£950",
    ]


def test_budget_line_in_words() -> None:
    assert budget_line(1, 3, 0.0, "feasible", 648.0, 0.0, 12.04) == (
        "[1/3] £0: 648 sessions a year unmet, £0 spent (feasible, 12.0 s)")
