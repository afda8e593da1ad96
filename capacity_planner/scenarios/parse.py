"""Scenario files read into :class:`~capacity_planner.scenarios.spec.Scenario` records.

The records live in :mod:`capacity_planner.scenarios.spec`; the per-key readers in
:mod:`capacity_planner.scenarios.keys`; the ``[sweep]`` expansion in :mod:`capacity_planner.scenarios.sweep`.
This module reads a whole document or file with them (the records never import their parsers).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from capacity_planner.errors import PackValidationError, Problem
from capacity_planner.scenarios.keys import parse_scenario
from capacity_planner.scenarios.spec import NAME_PATTERN, RESERVED_NAMES, Scenario
from capacity_planner.scenarios.sweep import expand_sweep

__all__ = ["ScenarioSource", "load_scenarios", "parse_scenario", "parse_scenarios", "resolve_scenarios"]


# ---- files ------------------------------------------------------------------------------------------
def parse_scenarios(document: Mapping[str, Any], source: str = "scenarios.toml") -> list[Scenario]:
    """Scenarios of a parsed TOML document (``[[scenario]]`` tables, then each ``[sweep]``).

    Raises
    ------
    PackValidationError
        Listing every problem (scenario, key, value).
    """
    problems: list[Problem] = []
    for k in document:
        if k not in ("scenario", "sweep"):
            problems.append(Problem(source, "unknown top-level key; expected [[scenario]] tables and an "
                                            "optional [sweep] table", column=k, value=str(document[k])))
    raw = document.get("scenario", [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        problems.append(Problem(source, "expected [[scenario]] tables", column="scenario"))
        raw = []
    scenarios: list[Scenario] = []
    for t in raw:
        s = parse_scenario(t, source, problems)
        if s is not None:
            scenarios.append(s)
    sweeps = document.get("sweep", [])
    for sw in [sweeps] if isinstance(sweeps, dict) else sweeps:
        if not isinstance(sw, dict):
            problems.append(Problem(source, "expected a [sweep] table", column="sweep"))
            continue
        scenarios += expand_sweep(sw, source, problems)
    _check_unique(scenarios, source, problems)
    if not scenarios and not problems:
        problems.append(Problem(source, "no scenarios: add [[scenario]] tables or a [sweep] table"))
    if problems:
        raise PackValidationError(problems, "the scenarios file")
    return scenarios


def _check_unique(scenarios: Sequence[Scenario], source: str, problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    for s in scenarios:
        key = s.name.casefold()
        if key in seen:
            problems.append(Problem(f"{source}, scenario {s.name!r}", "scenario names must be unique "
                                    "(ignoring case): each scenario gets its own output folder",
                                    column="name", value=s.name))
        seen[key] = s.name


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read and validate a scenarios file.

    Raises
    ------
    PackValidationError
        When the file is missing, is not valid TOML, or any scenario key is wrong; each
        :class:`~capacity_planner.errors.Problem` names the scenario, the key and the value.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise PackValidationError([Problem(str(p), f"cannot read the scenarios file: {why}")],
                                  "the scenarios file") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise PackValidationError([Problem(p.name, f"not valid TOML: {exc}",
                                           row=int(line.group(1)) if line else None)],
                                  "the scenarios file") from exc
    return parse_scenarios(document, p.name)


ScenarioSource = str | Path | Sequence[Scenario]


def resolve_scenarios(spec: ScenarioSource) -> list[Scenario]:
    """Scenarios from a file path or a sequence of :class:`Scenario` (checked for unique names)."""
    if isinstance(spec, str | Path):
        return load_scenarios(spec)
    scenarios = list(spec)
    problems: list[Problem] = []
    for s in scenarios:
        if not isinstance(s, Scenario):
            raise TypeError(f"expected Scenario records, got {type(s).__name__}")
        if s.name.casefold() in RESERVED_NAMES or not NAME_PATTERN.match(s.name):
            problems.append(Problem(f"scenarios, scenario {s.name!r}", "invalid or reserved scenario name",
                                    column="name", value=s.name))
    _check_unique(scenarios, "scenarios", problems)
    if problems:
        raise PackValidationError(problems, "the scenarios file")
    return scenarios

