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
  slot (``Mon AM`` ...), each cell the activity done there (the grid's format, its writer and its reader:
  :mod:`capacity_planner.pack.grid`).

Reading back (:func:`~capacity_planner.pack.grid.read_job_plan_grid`, called by the workbook reader) turns
the grid into job-plan rows. A workbook with both ``job_plans`` and ``job_plan_grid`` is refused (the same
table twice). The round trip keeps every value.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner import constants as C
from capacity_planner._files import OutputFolderError, output_file
from capacity_planner.pack.grid import GRID_SHEET, INSTRUCTIONS_SHEET, job_plan_grid
from capacity_planner.pack.raw import SETTINGS_SHEET
from capacity_planner.pack.schema import SETTINGS, TABLES, ColumnSpec
from capacity_planner.pack.settings import settings_to_values, sheet_text
from capacity_planner.pack.write import FORMULA_PREFIXES, excel_value, pack_to_tables

if TYPE_CHECKING:
    from capacity_planner.pack import model as M

# requirements: MDT quorums and 1-in-N on-call rotas (min_clinicians, rota_size, share_of_weeks), issue 13
EMPTY_TABLES = ("clinicians", "activities", "skills", "requirements", "referrals", "appointments",
                "waiting_list")
LIST_ROWS = 5000  # rows a drop-down covers below the data
_REF_SOURCES = {"activity_id": ("activities", "A"), "follow_up_activity": ("activities", "A"),
                "clinician_id": ("clinicians", "A")}


def write_template(pack: M.PlanningPack | None, dest: str | Path) -> Path:
    """Write ``pack`` (or, when None, empty tables) as a fillable workbook (module docstring).

    Returns the path written. The workbook reads back as the same pack (``read_pack``).

    Raises
    ------
    OutputFolderError
        ``dest`` does not end in ``.xlsx``, or exists (a workbook is never overwritten): exit code 2.
    """
    dest = Path(dest)
    if dest.suffix.lower() != ".xlsx":
        raise OutputFolderError(f"--out {dest}: a template is an Excel workbook; give a name ending in .xlsx")
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

    c = WriteOnlyCell(ws, value=excel_value(value))
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

    def cell(value: Any) -> Any:
        value = excel_value(value)
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


