"""The column-mapping file of ``capacity-planner import``: which extract column fills which pack column.

A mapping file is TOML. Each table section names a pack table and says where its rows come from and how
its columns are filled; ``[settings]`` gives pack.toml values; ``[import] base`` names a pack whose other
tables are kept. Paths are relative to the mapping file. Example (the shipped
``sus_outpatients.toml`` is the full version)::

    [appointments]
    file = "sus_outpatients.csv"                 # CSV, Parquet or .xlsx (``sheet = "..."``)
    [appointments.columns]                       # pack column = extract column
    appointment_date = "APPOINTMENT_DATE"
    outcome = "ATTENDED_OR_DID_NOT_ATTEND"       # Data Dictionary codes are read as they are
    activity_id = "CLINIC_CODE"
    [appointments.values.activity_id]            # recode extract values (case-insensitive; * ? [..])
    "DRM2WW" = "2ww"

    [referrals]
    from = "appointments"                        # the same extract rows...
    where = { FIRST_ATTENDANCE = ["1", "3"] }    # ...keeping first attendances only
    [referrals.columns]
    referral_date = "REFERRAL_REQUEST_RECEIVED_DATE"
    activity_id = "CLINIC_CODE"

A column is filled from one extract column (``"NAME"``), several joined with ``" | "``
(``["STAFF_GROUP", "GRADE"]``, to recode a combination), a constant (``{ value = "DCC" }``) or a column
times a number (``{ column = "FTE", multiply = 10 }``: whole-time equivalent to PAs). A section may give
its rows inline instead (``rows = [{ activity_id = "2ww", ... }]``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capacity_planner.errors import Problem
from capacity_planner.intake.suggest import did_you_mean
from capacity_planner.pack.schema import SETTINGS_BY_KEY, TABLES

if TYPE_CHECKING:
    from pathlib import Path

SECTION_KEYS = ("file", "sheet", "from", "where", "columns", "values", "rows")


@dataclass(frozen=True)
class ColumnRule:
    """How one pack column is filled: from ``sources`` joined by ``" | "``, or a constant ``value``;
    numbers are multiplied by ``multiply``."""

    target: str
    sources: tuple[str, ...] = ()
    value: Any = None
    multiply: float | None = None


@dataclass(frozen=True)
class TableMapping:
    """One table section of a mapping file."""

    table: str
    mapping_file: Path
    file: Path | None = None
    sheet: str | None = None
    from_table: str | None = None
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    columns: tuple[ColumnRule, ...] = ()
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Mapping:
    """Every section of one or more mapping files (later files override earlier ones, table by table)."""

    tables: dict[str, TableMapping]
    settings: dict[str, Any]
    base: Path | None


def read_mappings(paths: list[Path]) -> tuple[Mapping, list[Problem]]:
    """Read mapping files; every problem is collected (file, section, key, what was expected)."""
    problems: list[Problem] = []
    tables: dict[str, TableMapping] = {}
    settings: dict[str, Any] = {}
    base: Path | None = None
    for path in paths:
        if not path.is_file():
            problems.append(Problem(str(path), "mapping file not found"))
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(Problem(path.name, f"cannot be read as TOML: {exc}"))
            continue
        for section, body in data.items():
            if section == "import":
                if isinstance(body, dict) and body.get("base"):
                    base = (path.parent / str(body["base"])).resolve()
                continue
            if section == "settings":
                settings.update(_settings(path, body, problems))
                continue
            if section not in TABLES:
                problems.append(Problem(path.name, "unknown section: expected a pack table, [settings] or "
                                        "[import]" + did_you_mean(section, list(TABLES)), column=section))
                continue
            if not isinstance(body, dict):
                problems.append(Problem(path.name, "expected a table of keys", column=section))
                continue
            mapped = _table(path, section, body, problems)
            if mapped is not None:
                tables[section] = mapped
    for name, t in tables.items():
        if t.from_table is not None and t.from_table not in tables:
            problems.append(Problem(t.mapping_file.name, f"'from' names {t.from_table!r}, which has no "
                                    "section with a file", column=f"{name}.from"))
    return Mapping(tables, settings, base), problems


def _settings(path: Path, body: Any, problems: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    flat = {f"{s}.{k}": v for s, sub in body.items() if isinstance(sub, dict) for k, v in sub.items()}
    flat.update({k: v for k, v in body.items() if not isinstance(v, dict)})
    for key, value in flat.items():
        if key not in SETTINGS_BY_KEY:
            problems.append(Problem(path.name, "unknown setting" + did_you_mean(key, list(SETTINGS_BY_KEY)),
                                    column=f"settings.{key}"))
            continue
        out[key] = value
    return out


def _table(path: Path, name: str, body: dict[str, Any], problems: list[Problem]) -> TableMapping | None:
    spec = TABLES[name]
    ok = True
    for key in body:
        if key not in SECTION_KEYS:
            problems.append(Problem(path.name, "unknown key" + did_you_mean(key, SECTION_KEYS)
                                    + f"; expected one of {', '.join(SECTION_KEYS)}", column=f"{name}.{key}"))
            ok = False
    sources = [k for k in ("file", "from", "rows") if k in body]
    if len(sources) != 1:
        problems.append(Problem(path.name, "give exactly one of 'file' (an extract), 'from' (another "
                                "section's extract) or 'rows' (rows written here)", column=name))
        return None
    rules: list[ColumnRule] = []
    for target, rule in (body.get("columns") or {}).items():
        if target not in spec.column_names:
            problems.append(Problem(path.name, f"not a column of the {name} table"
                                    + did_you_mean(target, spec.column_names)
                                    + f" (columns: {', '.join(spec.column_names)})",
                                    column=f"{name}.columns.{target}"))
            ok = False
            continue
        parsed = _rule(target, rule)
        if parsed is None:
            problems.append(Problem(path.name, 'expected "COLUMN", ["COLUMN", ...], { value = ... } or '
                                    '{ column = "COLUMN", multiply = NUMBER }',
                                    column=f"{name}.columns.{target}", value=str(rule)))
            ok = False
            continue
        rules.append(parsed)
    if "rows" not in body:
        given = {r.target for r in rules}
        for col in spec.required_columns:
            if col not in given:
                problems.append(Problem(path.name, f"the {name} table needs the column '{col}' "
                                        f"({spec.column(col).description}); map it in [{name}.columns]",
                                        column=f"{name}.columns"))
                ok = False
    if not ok:
        return None
    where = {str(k).strip().lower(): tuple(str(x) for x in (v if isinstance(v, list) else [v]))
             for k, v in (body.get("where") or {}).items()}
    values = {str(col): {str(k): str(v) for k, v in table.items()}
              for col, table in (body.get("values") or {}).items() if isinstance(table, dict)}
    rows = tuple(dict(r) for r in body.get("rows", ()) if isinstance(r, dict))
    file = (path.parent / body["file"]).resolve() if "file" in body else None
    return TableMapping(
        table=name, mapping_file=path, file=file,
        sheet=body.get("sheet"), from_table=body.get("from"), where=where, columns=tuple(rules),
        values=values, rows=rows,
    )


def _rule(target: str, rule: Any) -> ColumnRule | None:
    if isinstance(rule, str):
        return ColumnRule(target, (rule.strip().lower(),))
    if isinstance(rule, list) and rule and all(isinstance(r, str) for r in rule):
        return ColumnRule(target, tuple(r.strip().lower() for r in rule))
    if isinstance(rule, dict):
        if "value" in rule and len(rule) == 1:
            return ColumnRule(target, value=rule["value"])
        if isinstance(rule.get("column"), str) and set(rule) <= {"column", "multiply"}:
            multiply = rule.get("multiply")
            if multiply is not None and (isinstance(multiply, bool) or not isinstance(multiply, int | float)):
                return None
            return ColumnRule(target, (rule["column"].strip().lower(),), multiply=multiply)
    return None
