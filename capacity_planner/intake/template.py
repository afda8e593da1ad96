"""``capacity-planner template``: an input workbook people can fill in Excel.

The workbook holds, in order:

* ``instructions`` — what each sheet is for, its columns (required ones first) and the codes accepted,
  generated from the schema so it never drifts from the format;
* ``settings`` — the pack.toml keys as ``key`` / ``value`` rows (blank value = the default), with a
  ``description`` column;
* one sheet per table, its header frozen, columns sized to their contents, required headers dark, and
  drop-downs: days, periods and labels from their lists; clinician and activity IDs from the
  ``clinicians`` and ``activities`` sheets (so a new activity typed there appears in every drop-down);
  true/false for yes/no columns. Drop-downs warn rather than refuse, so Data Dictionary codes can still
  be typed where they are accepted;
* ``job_plan_grid`` instead of the long ``job_plans`` table: one row per clinician, one column per weekly
  slot (``Mon AM`` ...), each cell the activity done there. A cell may add ``; locked`` (the cell must stay)
  and ``; N weeks`` (weeks a year when not every working week), e.g. ``fu; locked; 21 weeks``. A slot
  worked on alternate weeks of a two-week cycle (``job_plans.week`` A / B) has its own columns,
  ``Mon AM week A`` and ``Mon AM week B``, placed after ``Mon AM`` and written only when a clinician has
  such a cell; their weeks default to half the clinician's working weeks, as in ``job_plans``.

Reading back (:func:`read_job_plan_grid`, called by the workbook reader) turns the grid into job-plan
rows, each problem naming the grid's row and slot column. A workbook with both ``job_plans`` and
``job_plan_grid`` is refused (the same table twice). The round trip keeps every value; a weeks or locked
cell that equals its default (the clinician's working weeks, not locked) is written without a suffix
and read back as that default.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from capacity_planner import constants as C
from capacity_planner.errors import Problem
from capacity_planner.pack import model as M
from capacity_planner.pack.raw import SETTINGS_SHEET, RawTable
from capacity_planner.pack.schema import SETTINGS, TABLES, ColumnSpec
from capacity_planner.pack.settings import sheet_text

INSTRUCTIONS_SHEET = "instructions"
GRID_SHEET = "job_plan_grid"
# requirements: MDT quorums and 1-in-N on-call rotas (min_clinicians, rota_size, share_of_weeks), issue 13
EMPTY_TABLES = ("clinicians", "activities", "skills", "requirements", "referrals", "appointments",
                "waiting_list")
LIST_ROWS = 5000  # rows a drop-down covers below the data
_REF_SOURCES = {"activity_id": ("activities", "A"), "follow_up_activity": ("activities", "A"),
                "clinician_id": ("clinicians", "A")}
_SLOT = re.compile(r"^\s*([A-Za-z]+)\s*[-_ ]\s*([A-Za-z]+)(?:\s+week\s*([ABab]))?\s*$")
_WEEKS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:weeks?|wks?|w)\s*$", re.IGNORECASE)


def write_template(pack: M.PlanningPack | None, dest: str | Path) -> Path:
    """Write ``pack`` (or, when None, empty tables) as a fillable workbook (module docstring).

    Returns the path written. The workbook reads back as the same pack (``read_pack``).
    """
    from capacity_planner._files import OutputFolderError, output_file
    from capacity_planner.pack.settings import settings_to_values
    from capacity_planner.pack.write import pack_to_tables

    dest = Path(dest)
    if dest.suffix.lower() != ".xlsx":
        from capacity_planner.errors import CapacityPlannerError

        raise CapacityPlannerError(f"{dest}: a template is an Excel workbook; give a name ending in .xlsx")
    if dest.exists():
        raise OutputFolderError(
            f"--out {dest} already exists; capacity-planner does not overwrite a workbook (it may be the "
            "only copy of someone's pack). Give a new file name, or move the old file away first")
    grid: pd.DataFrame | None = None
    if pack is None:
        tables = {name: pd.DataFrame(columns=list(TABLES[name].column_names)) for name in EMPTY_TABLES}
        settings: dict[str, Any] = {}
        grid = pd.DataFrame(columns=["clinician_id", "name", *[f"{d} {p}" for d in C.WEEKDAYS
                                                                 for p in ("AM", "PM")]])
    else:
        tables = pack_to_tables(pack)
        settings = settings_to_values(pack.settings)
        if "job_plans" in tables:
            grid = job_plan_grid(pack, tables.pop("job_plans"))
    with output_file(dest) as tmp:
        _write(tables, grid, settings, tmp)
    return dest


def job_plan_grid(pack: M.PlanningPack, job_plans: pd.DataFrame) -> pd.DataFrame:
    """The job plans as a grid: one row per clinician, one column per slot (``Mon AM``), cells as text."""
    given = (job_plans["week"] if "week" in job_plans.columns else pd.Series(None, index=job_plans.index))
    labels = [w if w in ("A", "B") else None for w in given.astype(object)]
    slots = [f"{s.day} {s.period}" for s in pack.slots]
    for day, period in zip(job_plans["day"], job_plans["period"], strict=True):
        if f"{day} {period}" not in slots:
            slots.append(f"{day} {period}")
    week_cells = {(d, p, w) for d, p, w in zip(job_plans["day"], job_plans["period"], labels, strict=True)
                  if w is not None}
    for day, period, week in sorted(week_cells):
        slots.insert(slots.index(f"{day} {period}") + (2 if week == "B" else 1), _column(day, period, week))
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
        default = working if week is None or working is None else working / 2
        if weeks is not None and pd.notna(weeks) and weeks != default:
            text += f"; {float(weeks):g} weeks"
        grid.loc[position[row["clinician_id"]], _column(row["day"], row["period"], week)] = text
    if grid["name"].isna().all():
        grid = grid.drop(columns=["name"])
    return grid


def _column(day: str, period: str, week: str | None) -> str:
    """The grid column of a slot, ``Mon AM``, or of one week of it on alternate weeks, ``Mon AM week A``."""
    return f"{day} {period}" if week is None else f"{day} {period} week {week}"


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def _write(tables: dict[str, pd.DataFrame], grid: pd.DataFrame | None, settings: dict[str, Any],
           path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    _instructions(wb, list(tables), grid is not None)
    _settings_sheet(wb, settings)
    order: list[str] = [n for n in ("clinicians", "activities", "skills") if n in tables]
    for name in order:
        _table_sheet(wb, name, tables[name])
    if grid is not None:
        _grid_sheet(wb, grid)
    for name, frame in tables.items():
        if name not in order:
            _table_sheet(wb, name, frame)
    wb.save(path)


def _styled(ws: Any, value: Any, bold: bool = False, fill: str | None = None, white: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    from capacity_planner.pack.write import FORMULA_PREFIXES, _excel_value

    c = WriteOnlyCell(ws, value=_excel_value(value))
    if isinstance(c.value, str) and c.value.startswith(FORMULA_PREFIXES):
        c.data_type = "s"
    elif hasattr(c.value, "year"):
        c.number_format = "yyyy-mm-dd"
    if bold or white:
        c.font = Font(bold=bold, color="FFFFFF" if white else None)
    if fill:
        c.fill = PatternFill("solid", fgColor=fill)
    return c


def _header(ws: Any, names: list[str], required: set[str], freeze: str = "A2") -> None:
    ws.freeze_panes = freeze  # set before the first row: a write-only sheet writes it with the header
    ws.append([_styled(ws, n, bold=True, fill="1F4E79" if n in required else "DDEBF7", white=n in required)
               for n in names])


def _widths(ws: Any, frame: pd.DataFrame) -> None:
    from openpyxl.utils import get_column_letter

    for i, col in enumerate(frame.columns, start=1):
        sample = frame[col].head(200).dropna().astype(str)
        width = max([len(str(col)), *sample.str.len().tolist()]) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 45)


def _list_validation(ws: Any, formula: str, cells: str, prompt: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type="list", formula1=formula, allow_blank=True, errorStyle="warning",
                        showErrorMessage=True, error=f"Not in the list: {prompt[:200]}",
                        errorTitle="Check the value", prompt=prompt[:250], showInputMessage=True)
    dv.add(cells)
    ws.data_validations.append(dv)


def _column_list(table: str, spec: ColumnSpec) -> str | None:
    """The drop-down formula of a column: a list of labels, or a range of another sheet's IDs."""
    if spec.kind == "label":
        return '"' + ",".join(spec.choices) + '"'
    if spec.kind == "bool":
        return '"true,false"'
    source = _REF_SOURCES.get(spec.name)
    if source is not None and not (table == source[0] and spec.name in ("activity_id", "clinician_id")):
        sheet, letter = source
        return f"={sheet}!${letter}$2:${letter}${LIST_ROWS}"
    return None


def _table_sheet(wb: Any, name: str, frame: pd.DataFrame) -> None:
    from openpyxl.utils import get_column_letter

    spec = TABLES[name]
    ws = wb.create_sheet(name)
    _widths(ws, frame)  # widths and frozen panes go before the first row in a write-only sheet
    _header(ws, list(frame.columns), set(spec.required_columns))
    last = len(frame) + LIST_ROWS
    for i, col in enumerate(frame.columns, start=1):
        if col not in spec.column_names:
            continue
        formula = _column_list(name, spec.column(col))
        if formula is not None:
            letter = get_column_letter(i)
            _list_validation(ws, formula, f"{letter}2:{letter}{last}", spec.column(col).description)
    _rows(ws, frame)


def _rows(ws: Any, frame: pd.DataFrame) -> None:
    """Data rows: plain values, cells only where a format is needed (dates; text that looks like a
    formula is stored as text)."""
    from openpyxl.cell import WriteOnlyCell

    from capacity_planner.pack.write import FORMULA_PREFIXES, _excel_value

    def cell(value: Any) -> Any:
        value = _excel_value(value)
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            c = WriteOnlyCell(ws, value=value)
            c.data_type = "s"
            return c
        if hasattr(value, "year"):
            c = WriteOnlyCell(ws, value=value)
            c.number_format = "yyyy-mm-dd"
            return c
        return value

    for values in frame.itertuples(index=False, name=None):
        ws.append([cell(v) for v in values])


def _grid_sheet(wb: Any, grid: pd.DataFrame) -> None:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(GRID_SHEET)
    _widths(ws, grid)
    _header(ws, list(grid.columns), {"clinician_id"}, "C2" if "name" in grid.columns else "B2")
    first_slot = 3 if "name" in grid.columns else 2
    last = len(grid) + 200
    _list_validation(ws, f"=clinicians!$A$2:$A${LIST_ROWS}", f"A2:A{last}", "a clinician's ID")
    if grid.shape[1] >= first_slot:
        cells = f"{get_column_letter(first_slot)}2:{get_column_letter(grid.shape[1])}{last}"
        _list_validation(ws, f"=activities!$A$2:$A${LIST_ROWS}", cells,
                         "the activity done in this slot; add '; locked' or '; 21 weeks' if needed")
    _rows(ws, grid)


def _settings_sheet(wb: Any, settings: dict[str, Any]) -> None:
    ws = wb.create_sheet(SETTINGS_SHEET)
    for i, width in enumerate((26, 28, 100)):
        ws.column_dimensions["ABC"[i]].width = width
    _header(ws, ["key", "value", "description"], {"key"})
    for spec in SETTINGS:
        value = sheet_text(settings.get(spec.key))  # lists as "a, b"; per-chart tables as "key: a; key2: b"
        default = spec.default if not isinstance(spec.default, list | tuple) else ", ".join(spec.default)
        described = spec.description + ("" if default is None else f" (blank = {default})")
        ws.append([_styled(ws, spec.key), _styled(ws, value), _styled(ws, described)])


def instruction_lines(tables: list[str], grid: bool) -> list[tuple[str, bool]]:
    """The instructions sheet as ``(text, is_heading)`` lines, generated from the schema."""
    lines: list[tuple[str, bool]] = [
        ("How to fill this workbook", True),
        ("One sheet per table; row 1 is the header (keep the column names). Dark headers are required "
         "columns; light ones are optional (leave blank for the default). Drop-downs list the allowed "
         "labels and the IDs typed in the clinicians and activities sheets.", False),
        ("Check it with:  capacity-planner validate this_workbook.xlsx   (every problem, with sheet, row "
         "and column). Then:  capacity-planner plan this_workbook.xlsx --out plan", False),
        ("Shares such as dna_rate and percentile are written 0.07 or 7%. Dates as 2027-04-05 or "
         "05/04/2027. Type values, not formulas (a formula with no saved value reads as blank).", False),
        ("settings: pack.toml as key/value rows (planning.start, demand.percentile, ...); a blank value "
         "is the default given in the description column.", False),
    ]
    if grid:
        lines.append((f"{GRID_SHEET}: the current job plans, one row per clinician and one column per "
                      "weekly slot; write the activity done in each slot, adding '; locked' for a cell "
                      "that must not move and '; 21 weeks' when it runs fewer weeks than the clinician "
                      "works.", False))
    for name in [*tables, *(["job_plans"] if grid else [])]:
        spec = TABLES[name]
        title = f"{GRID_SHEET} (job_plans)" if name == "job_plans" and grid else name
        lines.append((f"{title}: {spec.description}", True))
        for col in spec.columns:
            need = "required" if col.required else "optional"
            lines.append((f"  {col.name} ({need}): {col.description}", False))
    return lines


def _instructions(wb: Any, tables: list[str], grid: bool) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws.column_dimensions["A"].width = 150
    for text, heading in instruction_lines(tables, grid):
        ws.append([_styled(ws, text, bold=heading)])


# ---------------------------------------------------------------------------------------------
# Reading the grid back
# ---------------------------------------------------------------------------------------------
def read_job_plan_grid(ws: Any, source: str, problems: list[Problem]) -> RawTable | None:
    """The ``job_plan_grid`` sheet as job-plan rows (clinician_id, day, period, activity_id,
    weeks_per_year, locked, week), each keeping the grid's Excel row; problems name the slot column."""
    from capacity_planner.pack.raw import _read_sheet

    table = _read_sheet(ws, "job_plans", source, [], problems)
    if table is None:
        return None
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
                                    "'Tue PM', or one week of it such as 'Mon AM week A'", 1, col))
            continue
        week = match.group(3)
        slots.append((col, match.group(1), match.group(2), None if week is None else week.upper()))
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
                records.append((cid, day, period, *parsed, week))
                rows.append(int(table.rows[i]))
    columns = ["clinician_id", "day", "period", "activity_id", "weeks_per_year", "locked", "week"]
    out = pd.DataFrame(records, columns=columns, dtype=object)
    return RawTable("job_plans", source, out, np.asarray(rows, dtype=np.int64), typed=True)


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
