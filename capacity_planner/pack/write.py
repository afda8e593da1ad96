"""Write planning packs: a folder of CSV or Parquet tables plus pack.toml, or one .xlsx workbook.

Writing is lossless: cells that were blank in the input (and filled by a default on reading) are written
blank again, unknown columns are written back, and only the tables the pack had are written. Outputs
appear complete or not at all: everything is written to a temporary sibling and moved into place
(:mod:`capacity_planner._files`). Text cells of CSV tables follow the formula-injection policy of
:mod:`capacity_planner._csv` (an apostrophe before ``=``, ``+``, ``-``, ``@``, tab or CR; the reader
removes it).

In workbooks, text that begins with ``=``, ``+``, ``-`` or ``@`` is stored as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from capacity_planner._csv import write_csv
from capacity_planner._files import OutputFolderError, check_output_folder, output_file, output_folder
from capacity_planner.pack.build import row_keys
from capacity_planner.pack.raw import SETTINGS_SHEET, TOML_NAME
from capacity_planner.pack.schema import TABLES
from capacity_planner.pack.settings import settings_to_values, sheet_text
from capacity_planner.pack.xlsx_writer import write_xlsx
from capacity_planner.progress import progress

if TYPE_CHECKING:
    from collections.abc import Mapping

    from capacity_planner.pack import model as M

TableFormat = Literal["csv", "parquet"]
_RECORD_FIELD = {"availability": "availability"}
_HISTORY = ("referrals", "appointments", "delivered", "leave")
FORMULA_PREFIXES = ("=", "+", "-", "@")


def pack_to_tables(pack: M.PlanningPack) -> dict[str, pd.DataFrame]:
    """The pack as one DataFrame per table present, with canonical columns (schema order).

    Defaulted cells are blank again; unknown columns read from the input are appended.
    """
    out: dict[str, pd.DataFrame] = {}
    defaults: dict[str, set[tuple[str, str]]] = {}
    for d in pack.defaults_applied:
        defaults.setdefault(d.table, set()).add((d.key, d.column))
    for name in TABLES:
        if name not in pack.tables_present and not _has_rows(pack, name):
            continue  # a table the input did not have stays absent; one built in memory is written
        spec = TABLES[name]
        if name in _HISTORY:
            frame = getattr(pack, name).copy()
            frame = frame.reindex(columns=list(spec.column_names))
        else:
            records = getattr(pack, _RECORD_FIELD.get(name, name))
            rows = [{c: getattr(r, c, None) for c in spec.column_names} for r in records]
            frame = pd.DataFrame(rows, columns=list(spec.column_names))
            blank = defaults.get(name, set())
            if blank:
                keys = row_keys(name, frame)
                for col in spec.column_names:
                    mask = np.array([(k, col) in blank for k in keys], dtype=bool)
                    if mask.any():
                        frame[col] = frame[col].astype(object)
                        frame.loc[mask, col] = None
        frame = frame.dropna(axis=1, how="all") if name not in _HISTORY else frame
        frame = frame[[c for c in spec.column_names if c in frame.columns and
                       (c in spec.required_columns or frame[c].notna().any())]]
        extra = pack.extra_columns.get(name)
        if extra is not None and len(extra) == len(frame):
            frame = pd.concat([frame.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
        out[name] = frame
    return out


def _has_rows(pack: M.PlanningPack, name: str) -> bool:
    """Whether ``pack`` holds rows of table ``name`` (a pack built in Python, e.g. ``PlanningPack(...)``
    in a notebook or the meeting's agreed pack, has no record of which files it was read from)."""
    value = getattr(pack, name) if name in _HISTORY else getattr(pack, _RECORD_FIELD.get(name, name))
    return len(value) > 0


def write_pack(pack: M.PlanningPack, dest: str | Path, table_format: TableFormat = "csv",
               command: str = "convert") -> Path:
    """Write ``pack`` to a folder (CSV or Parquet tables + pack.toml) or to ``*.xlsx``.

    Returns the path written. The pack's own file or folder is refused as ``dest``.
    """
    inputs = (pack.source.path,) if pack.source.format != "memory" and pack.source.path else ()
    return write_tables(pack_to_tables(pack), settings_to_values(pack.settings), dest, table_format,
                        command=command, inputs=inputs)


def write_tables(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, Any], dest: str | Path,
                 table_format: TableFormat = "csv", *, command: str = "convert",
                 inputs: tuple[str | Path, ...] = (), option: str = "--to") -> Path:
    """Write tables and ``{"section.key": value}`` settings as a pack (used by the sample generator).

    Parameters
    ----------
    tables : mapping of table name to DataFrame
        Columns as in the schema.
    settings : mapping
        pack.toml values, e.g. ``{"planning.start": date(2027, 4, 5)}``.
    dest : path
        A folder, written under the output-folder rule (:mod:`capacity_planner._files`: new, empty or a
        previous run's, replaced as a whole), or a new ``.xlsx`` file (an existing workbook is never
        overwritten).
    table_format : {"csv", "parquet"}
        Table files in a folder.
    command : str
        The command recorded in the folder's manifest.
    inputs : tuple of path
        Files read to make the pack; refused as ``dest``.
    option : str
        The command-line option that named ``dest``, for the messages (``--to``; ``--out`` for import).

    Raises
    ------
    OutputFolderError
        ``dest`` may not be written (exit code 2).
    """
    dest = Path(dest)
    check_destination(dest, inputs, option)
    if dest.suffix.lower() == ".xlsx":
        with output_file(dest) as tmp:
            _write_workbook(tables, settings, tmp)
        return dest
    with output_folder(dest, command, inputs=inputs) as tmp:
        write_table_files(tables, settings, tmp, table_format)
    return dest


def check_destination(dest: str | Path, inputs: tuple[str | Path, ...] = (), option: str = "--to") -> None:
    """Refuse ``dest`` before any work when :func:`write_tables` could not write it.

    A ``.xlsx`` that exists is never overwritten (it may be the only copy of someone's pack); a folder
    follows the output-folder rule (:func:`capacity_planner._files.check_output_folder`: not an input's
    folder, new, empty or a previous run's).

    Raises
    ------
    OutputFolderError
        Naming ``option`` and ``dest``, why it is refused and what to do (exit code 2).
    """
    dest = Path(dest)
    if dest.suffix.lower() == ".xlsx":
        if dest.exists():
            raise OutputFolderError(
                f"{option} {dest} already exists; capacity-planner does not overwrite a workbook (it may be "
                "the only copy of someone's pack). Give a new file name, or move the old file away first")
        return
    try:
        check_output_folder(dest, inputs=inputs)
    except OutputFolderError as exc:  # the rule's messages say --out; convert's option is --to
        raise OutputFolderError(str(exc).replace("--out ", f"{option} ")) from None


def write_table_files(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, Any], folder: Path,
                      table_format: TableFormat = "csv") -> None:
    """Write the tables and pack.toml into an existing (staging) folder."""
    for name, frame in tables.items():
        if table_format == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            write_csv(_csv_ready(frame), folder / f"{name}.csv")
    if settings:
        (folder / TOML_NAME).write_text(to_toml(settings), encoding="utf-8")


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "true", False: "false"}, na_action="ignore")
        elif s.dtype == object:
            out[col] = s.map(_cell_text, na_action="ignore")
    return out


def _cell_text(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return f"{v:.1f}"
    return v


def excel_value(v: Any) -> Any:
    """A cell value as a workbook writer takes it: None for NA/NaN/NaT, datetimes for dates, Python scalars
    for NumPy ones."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, np.generic):
        return v.item()
    return v


def _write_workbook(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, Any], path: Path) -> None:
    """One sheet per table plus the ``settings`` sheet (key, value), through the fast write-only writer
    (:mod:`capacity_planner.pack.xlsx_writer`), with progress on a terminal."""
    values = [sheet_text(v) if isinstance(v, list | tuple | dict) else excel_value(v)
              for v in settings.values()]
    sheets = {**tables, SETTINGS_SHEET: pd.DataFrame({"key": list(settings), "value": pd.Series(
        values, dtype=object)})}
    with progress(f"Writing {path.name}", total=sum(len(f) for f in sheets.values()), unit="rows") as bar:
        write_xlsx(sheets, path, bar.advance)


def to_toml(settings: Mapping[str, Any]) -> str:
    """Flat ``{"section.key": value}`` settings as pack.toml text."""
    sections: dict[str, dict[str, Any]] = {}
    for key, value in settings.items():
        section, _, name = key.partition(".")
        sections.setdefault(section, {})[name] = value
    lines: list[str] = []
    for section, body in sections.items():
        lines.append(f"[{section}]")
        for name, value in body.items():
            lines.append(f"{name} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table (review.spc_targets, review.spc_rebase per chart)
        return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
