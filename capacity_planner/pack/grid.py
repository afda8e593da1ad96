"""The job plans as a grid (the ``job_plan_grid`` sheet of the input template, issue 17): one row per
clinician, one column per weekly slot (``Mon AM`` ...), each cell the activity done there.

A cell may add ``; locked`` (the cell must stay) and ``; N weeks`` (weeks a year when not every working
week), e.g. ``fu; locked; 21 weeks``. A slot worked on alternate weeks of a two-week cycle
(``job_plans.week`` A / B) has its own columns, ``Mon AM week A`` and ``Mon AM week B``, placed after
``Mon AM`` and written only when a clinician has such a cell; their weeks default to half the clinician's
working weeks, as in ``job_plans``. A slot in 2-hour halves (``job_plans.half`` 1 / 2, SPA or admin every
week) likewise has ``Mon AM half 1`` and ``Mon AM half 2``, whose weeks default to the working weeks.

:func:`job_plan_grid` writes the long table as the grid (for :mod:`capacity_planner.intake.template`);
:func:`read_job_plan_grid` turns the grid sheet, read as cells by the workbook reader
(:mod:`capacity_planner.pack.raw`), back into job-plan rows, each problem naming the grid's row and slot
column. A weeks or locked cell that equals its default (the clinician's working weeks, not locked) is
written without a suffix and read back as that default.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from capacity_planner.errors import Problem

if TYPE_CHECKING:
    from capacity_planner.pack import model as M
    from capacity_planner.pack.raw import RawTable

INSTRUCTIONS_SHEET = "instructions"  # the template's first sheet, skipped by the reader
GRID_SHEET = "job_plan_grid"
_SLOT = re.compile(r"^\s*([A-Za-z]+)\s*[-_ ]\s*([A-Za-z]+)(?:\s+week\s*([ABab]))?(?:\s+half\s*([12]))?\s*$")
_WEEKS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:weeks?|wks?|w)\s*$", re.IGNORECASE)


def job_plan_grid(pack: M.PlanningPack, job_plans: pd.DataFrame) -> pd.DataFrame:
    """The job plans as a grid: one row per clinician, one column per slot (``Mon AM``), cells as text."""
    given = (job_plans["week"] if "week" in job_plans.columns else pd.Series(None, index=job_plans.index))
    halves = (job_plans["half"] if "half" in job_plans.columns else pd.Series(None, index=job_plans.index))
    labels = [w if w in ("A", "B") else (f"half {h}" if h in ("1", "2") else None)
              for w, h in zip(given.astype(object), halves.astype(object), strict=True)]
    slots = [f"{s.day} {s.period}" for s in pack.slots]
    for day, period in zip(job_plans["day"], job_plans["period"], strict=True):
        if f"{day} {period}" not in slots:
            slots.append(f"{day} {period}")
    week_cells = {(d, p, w) for d, p, w in zip(job_plans["day"], job_plans["period"], labels, strict=True)
                  if w is not None}
    for day, period, week in sorted(week_cells):
        second = week in ("B", "half 2")
        slots.insert(slots.index(f"{day} {period}") + (2 if second else 1), _column(day, period, week))
    weeks_of = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    names = {c.clinician_id: c.name for c in pack.clinicians}
    ids = [c.clinician_id for c in pack.clinicians]
    ids += [c for c in dict.fromkeys(job_plans["clinician_id"]) if c not in names]
    grid = pd.DataFrame({"clinician_id": ids, "name": [names.get(c) for c in ids]})
    for slot in slots:
        grid[slot] = pd.Series([None] * len(ids), dtype=object)
    position = {c: i for i, c in enumerate(ids)}
    for row, week in zip(job_plans.to_dict("records"), labels, strict=True):
        text = str(row["activity_id"])
        if row.get("locked") is True or row.get("locked") is np.True_:
            text += "; locked"
        weeks, working = row.get("weeks_per_year"), weeks_of.get(row["clinician_id"])
        default = working if week in (None, "half 1", "half 2") or working is None else working / 2
        if weeks is not None and pd.notna(weeks) and weeks != default:
            text += f"; {float(weeks):g} weeks"
        grid.loc[position[row["clinician_id"]], _column(row["day"], row["period"], week)] = text
    if grid["name"].isna().all():
        grid = grid.drop(columns=["name"])
    return grid


def _column(day: str, period: str, week: str | None) -> str:
    """The grid column of a slot, ``Mon AM``, of one week of it on alternate weeks, ``Mon AM week A``
    (``week`` "A"), or of one of its 2-hour halves, ``Mon AM half 1`` (``week`` "half 1")."""
    if week is None:
        return f"{day} {period}"
    return f"{day} {period} {week}" if week.startswith("half") else f"{day} {period} week {week}"


def read_job_plan_grid(table: RawTable, problems: list[Problem]) -> RawTable | None:
    """The ``job_plan_grid`` sheet, read as a table of cells (``table``, named ``job_plans``), as job-plan
    rows (clinician_id, day, period, activity_id, weeks_per_year, locked, week, half), each keeping the grid's
    Excel row; problems name the slot column."""
    source = table.source
    frame = table.frame
    if "clinician_id" not in frame.columns:
        problems.append(Problem(source, "needs a 'clinician_id' column (then one column per slot, such as "
                                "'Mon AM')", 1, "clinician_id"))
        return None
    slots: list[tuple[str, str, str, str | None]] = []
    for col in frame.columns:
        if col in ("clinician_id", "name"):
            continue
        match = _SLOT.match(col)
        if match is None:
            problems.append(Problem(source, "not a slot: expected a day and a period such as 'Mon AM' or "
                                    "'Tue PM', one week of it such as 'Mon AM week A', or a 2-hour half "
                                    "such as 'Mon AM half 1'", 1, col))
            continue
        week, half = match.group(3), match.group(4)
        label = f"half {half}" if half else (None if week is None else week.upper())
        if week and half:
            problems.append(Problem(source, "a slot column is one week of the slot or one 2-hour half, not "
                                    "both", 1, col))
            continue
        slots.append((col, match.group(1), match.group(2), label))
    records: list[tuple[Any, ...]] = []
    rows: list[int] = []
    for i, cid in enumerate(frame["clinician_id"]):
        for col, day, period, week in slots:
            cell = frame[col].iloc[i]
            if cell is None or (isinstance(cell, float) and np.isnan(cell)) or not str(cell).strip():
                continue
            shown = _column(f"{day[:1].upper()}{day[1:].lower()}", period.upper(), week)  # the header
            parsed = _cell(str(cell), source, int(table.rows[i]), shown, problems)
            if parsed is not None:
                half = week[-1] if week and week.startswith("half") else None
                records.append((cid, day, period, *parsed, None if half else week, half))
                rows.append(int(table.rows[i]))
    columns = ["clinician_id", "day", "period", "activity_id", "weeks_per_year", "locked", "week", "half"]
    out = pd.DataFrame(records, columns=columns, dtype=object)
    return dataclasses.replace(table, frame=out, rows=np.asarray(rows, dtype=np.int64))


def _cell(text: str, source: str, row: int, column: str,
          problems: list[Problem]) -> tuple[str, float | None, bool | None] | None:
    parts = [p.strip() for p in text.split(";")]
    activity, weeks, locked = parts[0], None, None
    for part in parts[1:]:
        match = _WEEKS.match(part)
        if part.lower() == "locked":
            locked = True
        elif match:
            weeks = float(match.group(1))
        elif part:
            problems.append(Problem(source, f"{part!r} not understood: after the activity write '; locked' "
                                    "or '; 21 weeks'", row, column, text))
            return None
    if not activity:
        problems.append(Problem(source, "no activity before ';'", row, column, text))
        return None
    return activity, weeks, locked
