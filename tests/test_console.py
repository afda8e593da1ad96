"""Solver progress in plain words (issue 17)."""

from __future__ import annotations

import pytest

from capacity_planner.console import progress_words


@pytest.mark.parametrize(("level", "best", "bound", "words"), [
    ("unmet_rapid_access", 0.0, 0.0, "rapid-access demand: all met"),
    ("unmet_routine", 523.0, 510.0,
     "routine demand: 523 sessions a year short (priority-weighted), best possible >= 510"),
    ("unmet_routine", 12.5, 12.5, "routine demand: 12.5 sessions a year short (priority-weighted; proven the least)"),
    ("unallocated_pas", 0.0, 0.0, "contracted PAs: all placed in the week"),
    ("unallocated_pas", 1.5, 0.5, "contracted PAs: 1.5 a week not placed, best possible >= 0.5"),
    ("cost", 25000.0, 20000.0, "extra cost: £25,000 a year (best possible >= £20,000)"),
    ("changes", 14.0, 14.0, "changes to current job plans: 14 sessions (proven the fewest)"),
    ("fairness", 2.5, 1.0, "spread of DCC PAs within staff groups: 2.5 PAs a week (best possible >= 1)"),
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
