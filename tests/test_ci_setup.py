"""The test run itself: property tests draw the same examples here and in CI (DEVELOPMENT.md, "Pinned test
environment")."""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path

import pytest
from hypothesis import settings

CONSTRAINTS = Path(__file__).resolve().parents[1] / "constraints.txt"


def pins() -> dict[str, str]:
    lines = CONSTRAINTS.read_text(encoding="utf-8").splitlines()
    return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))


@pytest.mark.skipif(os.environ.get("CP_HYPOTHESIS_PROFILE", "repro") != "repro",
                    reason="another Hypothesis profile was asked for")
def test_property_tests_are_derandomised_without_an_example_database() -> None:
    active = settings()
    assert active.derandomize
    assert active.database is None  # a local .hypothesis/ folder is never read or written
    assert active.deadline is None  # no timed examples


def test_the_installed_hypothesis_is_the_pinned_one() -> None:
    # Derandomised examples depend on the Hypothesis version: a venv with another one draws other examples
    # than CI. `make test` reinstalls from constraints.txt whenever that file changes.
    assert version("hypothesis") == pins()["hypothesis"], "run `make test` (it installs constraints.txt)"


def test_constraints_pin_every_dependency_of_the_test_environment() -> None:
    pinned = {name.lower().replace("_", "-") for name in pins()}
    wanted = {"hypothesis", "pytest", "pytest-xdist", "ortools", "numpy", "scipy", "pandas", "pyarrow",
              "matplotlib", "click", "openpyxl", "holidays", "pillow", "ruff", "mypy"}
    assert wanted <= pinned, sorted(wanted - pinned)
