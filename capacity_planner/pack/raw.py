"""Read the files of a planning pack into raw tables, remembering each row's number as the user sees it.

A :class:`RawTable` keeps the cells as they were (strings from CSV, typed values from Parquet or Excel)
with lower-cased, trimmed column names and ``rows``: the row number of each record in Excel terms (the
header is row 1). Parsing into types happens in :mod:`capacity_planner.pack.parse`.

Accepted, as Excel and other tools write them:

* UTF-8 CSV with or without a byte-order mark, with Windows (CRLF) or Unix line endings;
* blank lines and blank trailing rows (ignored, row numbers still match the sheet);
* Excel sheets whose header is the first non-blank row.

Refused with a clear message: a file that is not UTF-8 (for example Latin-1 from an older "CSV" save),
a header cell that is blank or merged over several columns, duplicate column names, and a table given
both as CSV and as Parquet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from capacity_planner._csv import unescape_frame
from capacity_planner.errors import Problem
from capacity_planner.intake.suggest import did_you_mean
from capacity_planner.intake.xlsx_formulas import formula_warnings, formulas_without_values_in
from capacity_planner.pack.grid import GRID_SHEET, INSTRUCTIONS_SHEET, read_job_plan_grid
from capacity_planner.pack.groups import GroupedExtract, group_counts
from capacity_planner.pack.runs import collapse_runs
from capacity_planner.pack.schema import TABLES
from capacity_planner.pack.xlsx_parts import sheet_parts
from capacity_planner.pack.xlsx_writer import column_letter as excel_column
from capacity_planner.progress import progress

if TYPE_CHECKING:
    from collections.abc import Iterator

SETTINGS_SHEET = "settings"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: encrypted .xlsx or legacy .xls
TOML_NAME = "pack.toml"


@dataclass
class RawTable:
    """Cells of one table as read, before typing.

    Attributes
    ----------
    name : str
        Table name (``clinicians``).
    source : str
        How the user knows the table: ``clinicians.csv`` or ``sheet 'clinicians' of pack.xlsx``.
    frame : pandas.DataFrame
        Cells with canonical (lower-case, trimmed) column names.
    rows : numpy.ndarray
        Row number of each record as seen in Excel (header = 1).
    typed : bool
        True for Parquet/Excel cells that may already be numbers, dates or booleans.
    collapsed_from : int or None
        The file's rows when ``frame`` holds its runs of identical rows, one row each with a ``count``
        (:mod:`capacity_planner.pack.runs`), or its groups of identical rows
        (:mod:`capacity_planner.pack.groups`); None when it holds the rows themselves.
    witnesses : int
        Trailing rows of ``frame`` that stand for no appointment (``count`` 0): one per distinct clinician
        of a grouped extract, there to be checked, then dropped by the reader.
    """

    name: str
    source: str
    frame: pd.DataFrame
    rows: np.ndarray
    typed: bool = False
    collapsed_from: int | None = None
    witnesses: int = 0


@dataclass
class RawPack:
    """All raw tables of a pack, its settings as key/value pairs, and reading problems."""

    path: str
    format: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    settings_source: str = TOML_NAME
    problems: list[Problem] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)  # tables present but not readable (reported)
    opened: bool = True  # False when the workbook itself could not be opened (reported once)


COLLAPSIBLE = frozenset({"appointments"})  # read as runs of identical rows when possible (pack/runs.py)


def read_raw(path: str | Path, collapse: bool = False, group: bool = False) -> RawPack:
    """Read a pack folder or workbook without interpreting cell types.

    Parameters
    ----------
    path : str or Path
        A folder of ``NAME.csv`` / ``NAME.parquet`` files (plus optional ``pack.toml``) or an ``.xlsx``.
    collapse : bool
        Read the Parquet files of :data:`COLLAPSIBLE` tables as their runs of identical rows where
        :func:`capacity_planner.pack.runs.collapse_runs` can (``RawTable.collapsed_from`` says so).
    group : bool
        Read them as counts of identical rows without the clinician where
        :func:`capacity_planner.pack.groups.group_counts` can (else as runs, with ``collapse``): for a
        caller that needs only the counts (``capacity-planner demand``).
    """
    path = Path(path)
    if path.is_dir():
        return _read_folder(path, collapse, group)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if not path.exists():
            return RawPack(str(path), "xlsx", problems=[Problem(str(path), "file not found")])
        return _read_workbook(path)
    if not path.exists():
        return RawPack(str(path), "folder", problems=[Problem(str(path), "no such folder or workbook")])
    return RawPack(
        str(path),
        "unknown",
        problems=[Problem(path.name, "expected a folder of CSV/Parquet tables or an .xlsx workbook")],
    )


# ---------------------------------------------------------------------------------------------
# Folders of CSV / Parquet
# ---------------------------------------------------------------------------------------------
def _read_folder(folder: Path, collapse: bool = False, group: bool = False) -> RawPack:
    raw = RawPack(str(folder), "folder")
    files: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in (".csv", ".parquet") and p.is_file():
            files.setdefault(table_key(p.stem), []).append(p)
    sizes = {p: p.stat().st_size for paths in files.values() for p in paths}
    with progress(f"Reading {folder.name}", total=sum(sizes.values()), unit="B") as bar:
        for name, paths in files.items():
            bar.describe(f"Reading {paths[0].name}")
            table_group = group and name in COLLAPSIBLE
            _read_folder_table(raw, name, paths, collapse and name in COLLAPSIBLE, table_group)
            bar.advance(sum(sizes[p] for p in paths))
    toml_path = folder / TOML_NAME
    if toml_path.is_dir():
        raw.problems.append(Problem(TOML_NAME, "is a folder, not a settings file: remove it or replace it by "
                                    "a pack.toml text file (it is optional)"))
    elif toml_path.exists():
        raw.file_hashes[TOML_NAME] = _sha256(toml_path)
        raw.settings = _read_toml(toml_path, raw.problems)
    return raw


def _read_folder_table(raw: RawPack, name: str, paths: list[Path], collapse: bool = False,
                       group: bool = False) -> None:
    """Read one table of a folder pack (CSV or Parquet) into ``raw``, or record why not."""
    if name not in TABLES:
        hint = did_you_mean(name, list(TABLES))
        raw.problems.append(
            Problem(paths[0].name, "file ignored: not a planning-pack table"
                    + (hint or f" (tables are {', '.join(TABLES)})"), severity="warning")
        )
        return
    if len(paths) > 1:
        raw.unreadable.add(name)
        raw.problems.append(
            Problem(" and ".join(p.name for p in paths),
                    "the same table is given twice; keep only one of these files")
        )
        return
    p = paths[0]
    raw.file_hashes[p.name] = _sha256(p)
    table = read_parquet(p, name, raw.problems, collapse, group) if p.suffix.lower() == ".parquet" else \
        read_csv(p, name, raw.problems)
    if table is not None:
        raw.tables[name] = table
    else:
        raw.unreadable.add(name)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _decode(path: Path, problems: list[Problem]) -> str | None:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1]
        hint = bad.decode("latin-1", errors="replace")
        problems.append(
            Problem(
                path.name,
                f"the file is not UTF-8 text (byte 0x{bad.hex()} on line {line}, probably "
                f"{hint!r} saved as Latin-1/Windows-1252). In Excel use Save As > "
                "'CSV UTF-8 (Comma delimited) (*.csv)'",
                row=line,
            )
        )
        return None


def read_csv(path: Path, name: str, problems: list[Problem]) -> RawTable | None:
    """One CSV file as the cells of table ``name`` (text, Excel-style row numbers), or None with its
    problems added (encoding, a title row above the header, semicolons, headers)."""
    text = _decode(path, problems)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem(path.name, "the file is empty: it needs a header row and data rows"))
        return None
    import csv

    try:
        head = [row for _, row in zip(range(_HEADER_SEARCH + 1), csv.reader(io.StringIO(text)), strict=False)]
    except csv.Error:  # a cell beyond the csv module's field limit: no title row to look for
        head = []
    header_at = _real_header_row(name, head)
    if header_at is not None:
        problems.append(_title_problem(path.name, header_at))
        return None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        problems.append(Problem(path.name, f"cannot be read as CSV: {exc}"))
        return None
    if _semicolon_separated(text, frame):
        problems.append(Problem(path.name, "the columns are separated by semicolons (;), not commas: in "
                                "Excel use Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', or set the "
                                "list separator to a comma", row=1))
        return None
    frame = unescape_frame(frame)  # '=x written by our CSV policy (capacity_planner._csv) reads as =x
    # Header = row 1, data row i (0-based) = row i + 2; blank lines keep their numbers.
    rows = np.arange(len(frame), dtype=np.int64) + 2
    return _finish(RawTable(name, path.name, frame, rows), problems)


_HEADER_SEARCH = 10  # rows searched for a header pushed down by a title


def _real_header_row(name: str, rows: list[Any]) -> int | None:
    """When the first row names none of the table's columns but a later one (of the first few) names its
    required columns, the 1-based number of that later row (the header under a title); else None (also for
    a file that is not a pack table, such as an extract read by ``import``)."""
    spec = TABLES.get(name)
    if spec is None:
        return None
    known = set(spec.column_names)

    def names(row: Any) -> set[str]:
        return {str(v).strip().lower() for v in row if v is not None and str(v).strip()}

    if not rows or names(rows[0]) & known or not spec.required_columns:
        return None
    for i, row in enumerate(rows[1:], start=2):
        if set(spec.required_columns) <= names(row):
            return i
    return None


def _title_problem(source: str, header_at: int, first: int = 1) -> Problem:
    return Problem(source, f"row {header_at} looks like the header, but there are rows above it (a title?): "
                   "delete them so that the column names are the first row", row=first)


def _semicolon_separated(text: str, frame: pd.DataFrame) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return first.count(";") >= 1 and first.count(";") >= len(frame.columns)


def read_parquet(path: Path, name: str, problems: list[Problem], collapse: bool = False,
                 group: bool = False) -> RawTable | None:
    """One Parquet file as the cells of table ``name`` (typed), or None with its problems added
    (``group``: as counts of identical rows without the clinician where possible,
    :mod:`capacity_planner.pack.groups`; ``collapse``: as its runs of identical rows where possible,
    :mod:`capacity_planner.pack.runs`)."""
    try:
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        nested = [f.name for f in schema if pa_nested(f.type)]
        if nested:
            problems.append(Problem(path.name, "the column holds nested values (a struct, list or map), not "
                                    "one value per cell: flatten it before saving", row=1,
                                    column=", ".join(nested)))
            return None
        grouped = _grouped_or_none(path, schema, name) if group else None
        if grouped is not None:
            table = RawTable(name, path.name, grouped.frame, grouped.rows + 2, typed=True,
                             collapsed_from=grouped.n_rows, witnesses=grouped.witnesses)
            return _finish(table, problems)
        file = pq.ParquetFile(path)
        runs = collapse_runs(file, schema) if collapse else None
        if runs is not None:
            frame, first, n_rows = runs
            table = RawTable(name, path.name, frame, first + 2, typed=True, collapsed_from=n_rows)
            return _finish(table, problems)
        frame = _parquet_frame(file, schema)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        problems.append(Problem(path.name, f"cannot be read as Parquet: {exc}"))
        return None
    frame = frame.reset_index(drop=True)
    rows = np.arange(len(frame), dtype=np.int64) + 2
    return _finish(RawTable(name, path.name, frame, rows, typed=True), problems)


def _grouped_or_none(path: Path, schema: Any, name: str) -> GroupedExtract | None:
    """The file as counts of identical rows (:func:`capacity_planner.pack.groups.group_counts`), or None
    when it cannot be grouped: grouping is only a faster way to read, never the reason a file is refused,
    so any failure in it leaves the file to the run or row read, which names the rows and columns."""
    try:
        return group_counts(path, schema, TABLES[name].column_names)
    except Exception:  # e.g. a cast Arrow refuses: the row read reports the cells
        return None


def _parquet_frame(file: Any, schema: Any) -> pd.DataFrame:
    """A Parquet file's cells as a DataFrame (dictionary columns as categoricals).

    A file without pandas metadata (written by Arrow, DuckDB, Spark...) is read and converted one column at
    a time, each column's Arrow buffers dropped once converted, and Arrow's freed memory handed back to the
    system: the trust pack's 10.6-million-row extract peaked at ~600 MB over its 150 MB of cells read as one
    table, ~300 MB this way (issue 16). A file written by pandas (its metadata restores the index and
    pandas dtypes such as ``Int64``) or with a column name given twice is converted as one table, one block
    per column (``split_blocks``) with the Arrow buffers freed as they go (``self_destruct``)."""
    import pyarrow as pa

    names = schema.names
    if schema.pandas_metadata is not None or len(set(names)) != len(names):
        frame = file.read().to_pandas(split_blocks=True, self_destruct=True)
    else:
        frame = pd.DataFrame({name: file.read(columns=[name]).column(0).to_pandas() for name in names},
                             columns=names, index=pd.RangeIndex(file.metadata.num_rows), copy=False)
    pa.default_memory_pool().release_unused()
    return frame


def pa_nested(arrow_type: Any) -> bool:
    """True for Arrow struct, list and map types (a cell holding several values)."""
    import pyarrow as pa

    return bool(pa.types.is_nested(arrow_type))


def table_key(name: str) -> str:
    """The table a file or sheet name stands for: case, outer spaces and inner spaces or hyphens ignored
    (``Job Plans`` and ``job_plans`` are one table)."""
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _read_toml(path: Path, problems: list[Problem]) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(TOML_NAME, f"cannot be read as TOML: {exc}"))
        return {}
    flat: dict[str, Any] = {}
    for section, body in data.items():
        if isinstance(body, dict):
            for key, value in body.items():
                flat[f"{section}.{key}"] = value
        else:
            flat[section] = body
    return flat


# ---------------------------------------------------------------------------------------------
# Excel workbooks
# ---------------------------------------------------------------------------------------------
class _Sheet:
    """One worksheet's cells as read by calamine: ``rows[i]`` is Excel row ``i + 1`` (blank cells None),
    with the two things the readers ask of a sheet (``iter_rows`` as openpyxl's, and ``sheet_state``)."""

    def __init__(self, rows: list[tuple[Any, ...]], visible: bool, chart: bool = False):
        self.rows, self.chart = rows, chart
        self.sheet_state = "visible" if visible else "hidden"

    def iter_rows(self, values_only: bool = True) -> Iterator[tuple[Any, ...]]:
        """The rows from row 1 on, as tuples of cell values (None for a blank cell)."""
        return iter(self.rows)


_EXACT_INT = 2.0**53


class _TimeCellError(Exception):
    """Calamine gave a time of day: see :func:`_load_sheet`."""


def _cell_value(value: Any) -> Any:
    """A calamine cell as openpyxl gives it: ``""`` (blank) as None, a whole number as int (calamine
    gives every number as a float; ``101`` must read as the ID ``101``, not ``101.0``)."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float and value.is_integer() and abs(value) < _EXACT_INT:
        return int(value)
    if kind is dt.time:
        raise _TimeCellError
    return value


def _calamine_rows(sheet: Any) -> list[tuple[Any, ...]]:
    """Every row from Excel row 1 to the last with a value. Calamine reports blank cells as ``""`` and
    skips cells that are only formatted, so a sheet formatted down to row 1,048,576 costs its data only."""
    return [tuple(map(_cell_value, row)) for row in sheet.to_python(skip_empty_area=False)]


def _openpyxl_rows(path: Path, sheet_name: str) -> list[tuple[Any, ...]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return list(wb[sheet_name].iter_rows(values_only=True))
    finally:
        wb.close()


def _open_workbook(path: Path, problems: list[Problem]) -> tuple[Any, list[Any]] | None:
    """The calamine workbook and its sheets' metadata (name, type, visibility), or None (reported)."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        return wb, list(wb.sheets_metadata)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        problems.append(Problem(path.name, f"cannot be opened as an Excel workbook: {exc}"))
        return None


def _load_sheet(wb: Any, meta: Any, path: Path) -> _Sheet:
    """One sheet's rows through calamine; through openpyxl when calamine gives a time of day, which it
    also makes of a negative serial in a date cell (openpyxl gives the date, e.g. -5 as 1899-12-25, and
    the message names that date: a rare case, so the slow reader is used for that sheet only)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    visible = meta.visible == SheetVisibleEnum.Visible
    if meta.typ != SheetTypeEnum.WorkSheet:
        return _Sheet([], visible, chart=True)
    try:
        return _Sheet(_calamine_rows(wb.get_sheet_by_name(meta.name)), visible)
    except _TimeCellError:
        return _Sheet(_openpyxl_rows(path, meta.name), visible)


def _read_workbook(path: Path) -> RawPack:
    raw = RawPack(str(path), "xlsx", settings_source=f"sheet '{SETTINGS_SHEET}' of {path.name}")
    if path.is_dir():
        raw.problems.append(Problem(path.name, "is a folder named like a workbook; give the folder a name "
                                    "without .xlsx"))
        raw.opened = False
        return raw
    raw.file_hashes[path.name] = _sha256(path)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic == _OLE_MAGIC:
        raw.problems.append(Problem(path.name, "the workbook is password-protected (encrypted), or an old "
                                    ".xls file: in Excel remove the password (File > Info > Protect "
                                    "Workbook > Encrypt with Password, clear it) and save as .xlsx"))
        raw.opened = False
        return raw
    opened = _open_workbook(path, raw.problems)
    if opened is None:
        raw.opened = False
        return raw
    wb, sheets = opened
    merged, formulas = _scan_sheet_xml(path)  # formulas read as blank: warned below (issue 17)
    seen: dict[str, str] = {}
    with progress(f"Reading {path.name}", total=len(sheets), unit="sheets") as bar:
        for meta in sheets:
            sheet_name = meta.name
            bar.describe(f"Reading {path.name}: {sheet_name}")
            _read_one_sheet(raw, wb, meta, path, seen, merged, formulas)
            bar.advance()
    grid = raw.tables.pop(GRID_SHEET, None)
    if grid is not None and ("job_plans" in raw.tables or "job_plans" in raw.unreadable):
        raw.unreadable.add("job_plans")
        raw.tables.pop("job_plans", None)
        raw.problems.append(Problem(f"sheets 'job_plans' and '{GRID_SHEET}' of {path.name}",
                                    "the job plans are given twice; keep only one of these sheets"))
    elif grid is not None:
        raw.tables["job_plans"] = grid
    return raw


def _read_one_sheet(raw: RawPack, wb: Any, meta: Any, path: Path, seen: dict[str, str],
                    merged: dict[str, list[str]], formulas: dict[str, list[tuple[int, str]]]) -> None:
    """Read one sheet of the workbook into ``raw`` (a table, the settings, the job-plan grid, or a
    problem)."""
    sheet_name = meta.name
    key = table_key(sheet_name)
    source = f"sheet '{sheet_name}' of {path.name}"
    raw.problems.extend(formula_warnings(formulas.get(sheet_name, []), source))
    if key == INSTRUCTIONS_SHEET:  # written by `template` (issue 17)
        return
    if key in seen:
        raw.unreadable.add(key)
        raw.tables.pop(key, None)
        raw.problems.append(Problem(
            f"sheets '{seen[key]}' and '{sheet_name}' of {path.name}",
            f"the {key} table is given twice (sheet names ignore case and spaces); keep only one"))
        return
    seen[key] = sheet_name
    if key != SETTINGS_SHEET and key not in TABLES and key != GRID_SHEET:
        hint = did_you_mean(key, [*TABLES, SETTINGS_SHEET])
        raw.problems.append(Problem(source, "sheet ignored: not a planning-pack table" + hint,
                                    severity="warning"))
        return
    ws = _load_sheet(wb, meta, path)
    if ws.chart:
        raw.unreadable.add(key)
        raw.problems.append(Problem(source, "is a chart sheet, not a table of cells: rename it (or "
                                    "delete it) and give the table its own sheet"))
        return
    if key == GRID_SHEET:  # job plans as a clinician x slot grid
        cells = read_sheet(ws, "job_plans", source, [], raw.problems)
        grid = None if cells is None else read_job_plan_grid(cells, raw.problems)
        if grid is not None:
            raw.tables[GRID_SHEET] = grid
        return
    if ws.sheet_state != "visible":
        raw.problems.append(Problem(source, "the sheet is hidden in Excel; it is read all the same "
                                    "(unhide it to check it, or delete it if it is an old copy)",
                                    severity="warning"))
    if key == SETTINGS_SHEET:
        raw.settings = _settings_from_sheet(ws, source, raw.problems)
        return
    table = read_sheet(ws, key, source, merged.get(sheet_name, []), raw.problems)
    if table is not None:
        raw.tables[key] = table
    else:
        raw.unreadable.add(key)


_MERGE_REF = re.compile(rb'<mergeCell ref="([^"]+)"')


def _scan_sheet_xml(path: Path) -> tuple[dict[str, list[str]], dict[str, list[tuple[int, str]]]]:
    """Per sheet, from its XML (calamine gives neither): the merged-cell ranges, and the formula cells with no
    saved value. Each sheet's XML is decompressed once for both (it was twice, and decoded as text: a
    313,000-row appointments sheet is tens of MB of XML, issue 16); ``<mergeCells>`` follows
    ``<sheetData>`` in a sheet's XML, so only the part after it is searched."""
    import zipfile

    merged: dict[str, list[str]] = {}
    formulas: dict[str, list[tuple[int, str]]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for sheet, member in sheet_parts(zf):
                xml = zf.read(member)
                end = xml.rfind(b"</sheetData>")
                refs = _MERGE_REF.findall(xml, max(end, 0))
                if refs:
                    merged[sheet] = [r.decode("utf-8", errors="replace") for r in refs]
                cells = formulas_without_values_in(xml)
                if cells:
                    formulas[sheet] = cells
    except (KeyError, zipfile.BadZipFile):
        return {}, {}
    return merged, formulas


def _row_of(cell_ref: str) -> int:
    return int("".join(ch for ch in cell_ref if ch.isdigit()) or 0)


def read_sheet(ws: Any, name: str, source: str, merged: list[str],
               problems: list[Problem]) -> RawTable | None:
    """One worksheet (rows of values) as the cells of table ``name``: the first non-blank row is the header;
    None with its problems added (an empty sheet, a title row, merged header cells ``merged``)."""
    header: list[Any] | None = None
    header_row = 0
    records: list[tuple[Any, ...]] = []
    row_numbers: list[int] = []
    for row_number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if header is None:
            header, header_row = list(values), row_number
            continue
        records.append(values)
        row_numbers.append(row_number)
    if header is None:
        problems.append(Problem(source, "the sheet is empty: it needs a header row and data rows"))
        return None
    header_at = _real_header_row(name, [header, *records[:_HEADER_SEARCH]])
    if header_at is not None:
        problems.append(_title_problem(source, row_numbers[header_at - 2], header_row))
        return None
    header_merges = [m for m in merged if _row_of(m.split(":")[0]) <= header_row <= _row_of(m.split(":")[-1])]
    if header_merges:
        problems.append(
            Problem(source, "header cells are merged (" + ", ".join(header_merges) + "); unmerge them so "
                    "each column has its own name in the header row", row=header_row)
        )
        return None
    width = len(header)
    while width and (header[width - 1] is None or str(header[width - 1]).strip() == ""):
        width -= 1
    header = header[:width]
    data = [tuple(r[:width]) + (None,) * max(0, width - len(r)) for r in records]
    frame = pd.DataFrame(data, columns=[("" if h is None else str(h)) for h in header], dtype=object)
    if header_row != 1:
        problems.append(Problem(source, f"the header is on row {header_row}, not row 1; rows above it "
                                "are ignored", severity="warning"))
    return _finish(RawTable(name, source, frame, np.asarray(row_numbers, dtype=np.int64), typed=True),
                   problems)


def _settings_from_sheet(ws: Any, source: str, problems: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rows = list(ws.iter_rows(values_only=True))
    header = [str(v).strip().lower() if v is not None else "" for v in (rows[0] if rows else ())]
    if "key" not in header or "value" not in header:
        problems.append(Problem(source, "needs columns 'key' and 'value' in row 1", row=1))
        return out
    k, v = header.index("key"), header.index("value")
    for row_number, values in enumerate(rows[1:], start=2):
        key = values[k] if k < len(values) else None
        if key is None or str(key).strip() == "":
            continue
        out[str(key).strip().lower()] = (values[v] if v < len(values) else None, row_number)
    return out


# ---------------------------------------------------------------------------------------------
# Common clean-up
# ---------------------------------------------------------------------------------------------
def _blank_mask(frame: pd.DataFrame) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            blank = s.isna().to_numpy() | (s.astype(str).str.strip() == "").to_numpy()
        else:
            blank = s.isna().to_numpy()
        mask &= blank
    return mask


def _finish(table: RawTable, problems: list[Problem]) -> RawTable | None:
    """Canonical column names; drop blank rows; refuse blank or duplicate headers."""
    names = [str(c).strip().lower() for c in table.frame.columns]
    ok = True
    for i, n in enumerate(names):
        if n == "" or n.startswith("unnamed:"):
            column_letter = excel_column(i)
            has_data = not _blank_mask(table.frame.iloc[:, [i]]).all()
            if has_data:
                problems.append(Problem(table.source, f"column {column_letter} has data but no header "
                                        "(a blank or merged header cell); give every column its own name",
                                        row=1, column=column_letter))
                ok = False
    dupes = sorted({n for n in names if n and names.count(n) > 1})
    for n in dupes:
        problems.append(Problem(table.source, "the column appears more than once in the header",
                                row=1, column=n))
        ok = False
    if not ok:
        return None
    keep = [i for i, n in enumerate(names) if n and not n.startswith("unnamed:")]
    frame = table.frame.iloc[:, keep]
    frame.columns = [names[i] for i in keep]
    if table.frame.shape[1] and not table.typed:
        blank = _blank_mask(frame)
        if blank.any():
            frame = frame.loc[~blank]
            table.rows = table.rows[~blank]
    table.frame = frame.reset_index(drop=True)
    return table
