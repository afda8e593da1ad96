"""``capacity-planner import``: an outpatient extract and a staff list into a planning pack.

The mapping files (:mod:`~capacity_planner.intake.mapping`) say which extract column fills which pack
column. Cells are checked as they are in the extract, so a problem names the extract file, its row as
Excel shows it and the extract's column. Then, per table:

* ``appointments`` and ``referrals``: identical rows are aggregated into one row with a ``count`` (a
  40-clinician service's 313,000 appointments become a few thousand rows);
* ``skills``: one row per clinician and activity, added to the base pack's skills (an extract shows who
  ran clinics, not who does SPA or MDTs);
* ``clinicians``: one row per person. A person with several posts (ESR assignments) is one clinician
  whose contracted (and maximum) PAs are the sum over the posts; the other columns come from the post
  with the most PAs, and a note lists each person combined (a warning when the posts' staff groups
  differ);
* ``activities`` given as ``rows``: a blank ``service`` is named from the treatment function code most
  used by the activity's appointments (``330`` -> Dermatology).

Tables not imported come from the base pack (``--base`` or ``[import] base``); imported clinicians and
activities keep the base pack's cells for what the extract does not give (on-call PAs, costs, session
sizes...). The result is read back
and validated as any pack is, before anything is written; the pack appears complete or not at all.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from capacity_planner.errors import PackValidationError, Problem
from capacity_planner.intake.codes import code_text, translate_appointment_codes, treatment_function_name
from capacity_planner.intake.mapping import ColumnRule, Mapping, TableMapping, read_mappings
from capacity_planner.intake.suggest import did_you_mean
from capacity_planner.pack import raw as R
from capacity_planner.pack.parse import ProblemSink, parse_table
from capacity_planner.pack.raw import RawTable
from capacity_planner.pack.read import read_pack
from capacity_planner.pack.schema import TABLES, Purpose
from capacity_planner.pack.settings import settings_to_values
from capacity_planner.pack.write import check_destination, pack_to_tables, write_tables

AGGREGATED = ("appointments", "referrals")


@dataclass
class ImportResult:
    """What an import wrote: the pack's path, rows per table, rows read per extract, and notes."""

    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    source_rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def import_pack(mapping_paths: list[Path], out: str | Path, base: str | Path | None = None,
                table_format: str = "csv", purpose: Purpose = "any") -> ImportResult:
    """Import extracts into a planning pack written to ``out`` (a folder or ``.xlsx``).

    Parameters
    ----------
    mapping_paths : list of Path
        Mapping files (TOML); a later file's table replaces an earlier one's.
    out : path
        Where to write the pack.
    base : path, optional
        A pack whose tables are kept unless imported (default: the mapping's ``[import] base``).
    table_format : {"csv", "parquet"}
        Table files when ``out`` is a folder.
    purpose : {"any", "demand", "plan"}
        Tables the imported pack must hold.

    Raises
    ------
    PackValidationError
        Every problem in the mapping files, the extracts or the resulting pack; nothing is written.
    """
    mapping, problems = read_mappings([Path(p) for p in mapping_paths])
    if any(p.severity == "error" for p in problems):
        raise PackValidationError(problems, subject="the mapping file(s)")
    tables: dict[str, pd.DataFrame] = {}
    settings: dict[str, Any] = {}
    base_path = Path(base) if base is not None else mapping.base
    # Everything the import reads may not be where it writes (DESIGN.md section 2): --out naming the base
    # pack's folder, or the extracts' (a previous import there carries a manifest), would replace them.
    inputs = (*mapping_paths, *(t.file for t in mapping.tables.values() if t.file is not None),
              *((base_path,) if base_path is not None else ()))
    check_destination(out, inputs, "--out")  # before reading anything: exit 2, nothing written
    if base_path is not None:
        base_pack = read_pack(base_path)
        tables = pack_to_tables(base_pack)
        settings = settings_to_values(base_pack.settings)
    settings.update(mapping.settings)
    result = ImportResult(Path(out))
    sink = ProblemSink()
    sink.problems.extend(problems)
    imported = _import_tables(mapping, sink, result)
    sink.problems.extend(_emptied_base_tables(mapping, imported, tables))
    if any(p.severity == "error" for p in sink.problems):
        raise PackValidationError(sink.problems, subject="the import")
    if "skills" in imported and "skills" in tables:  # the extract adds to who may do what (SPA, MDT...)
        merged = pd.concat([tables["skills"], imported["skills"]], ignore_index=True)
        imported["skills"] = merged.drop_duplicates(subset=["clinician_id", "activity_id"]).reset_index(
            drop=True)
    for name in ("clinicians", "activities"):
        if name in imported and name in tables:
            imported[name] = fill_from_base(imported[name], tables[name], TABLES[name].key[0])
    tables.update(imported)
    if "activities" in imported and "appointments" in tables:
        _name_services(tables["activities"], tables["appointments"])
    with tempfile.TemporaryDirectory(prefix="capacity_planner_import_") as tmp:
        staged = write_tables(tables, settings, Path(tmp) / "pack", "csv")
        try:
            checked = read_pack(staged, purpose=purpose)
        except PackValidationError as exc:
            raise PackValidationError(exc.problems, subject="the imported pack (file names as they would "
                                      "be written)") from None
    result.warnings = [*(p for p in sink.problems if p.severity == "warning"), *checked.warnings]
    write_tables(tables, settings, out, table_format, command="import", inputs=inputs,  # type: ignore[arg-type]
                 option="--out")
    result.rows = {name: len(frame) for name, frame in tables.items()}
    return result


def _emptied_base_tables(mapping: Mapping, imported: dict[str, pd.DataFrame],
                         base: dict[str, pd.DataFrame]) -> list[Problem]:
    """A problem for each imported table with no rows that would replace a base table with rows.

    An extract with a header and no rows (an ESR report run with the wrong filter), or a ``where`` that
    keeps no row, replaced the base pack's table with an empty one while the pack check called the
    empty table "ignored" (session 17 fuzz): the base's clinicians, say, were gone from the written pack.
    The import is refused instead; leaving the table out of the mapping keeps the base's."""
    problems = []
    for name, frame in imported.items():
        kept = base.get(name)
        if len(frame) or kept is None or not len(kept) or name == "skills":  # skills add to the base's
            continue
        tm = mapping.tables[name]
        source = tm if tm.from_table is None else mapping.tables.get(tm.from_table, tm)
        extract = source.file.name if source.file is not None else tm.mapping_file.name
        where = " (or its 'where' filter)" if tm.where else ""
        problems.append(Problem(
            f"{extract} (mapped to {name})",
            f"no rows to import: the base pack's {name} table ({len(kept):,} rows) would be replaced by "
            f"an empty one; check the extract{where}, or leave [{name}] out of "
            f"{tm.mapping_file.name} to keep the base pack's"))
    return problems


def _import_tables(mapping: Mapping, sink: ProblemSink, result: ImportResult) -> dict[str, pd.DataFrame]:
    raw_cache: dict[tuple[Path, str | None], RawTable | None] = {}
    out: dict[str, pd.DataFrame] = {}
    for name, tm in mapping.tables.items():
        if tm.rows:
            raw = _inline_rows(tm)
        else:
            source = tm if tm.from_table is None else mapping.tables[tm.from_table]
            if source.file is None:
                continue
            key = (source.file, source.sheet)
            if key not in raw_cache:
                raw_cache[key] = read_extract(source.file, source.sheet, sink.problems)
                if raw_cache[key] is not None:
                    result.source_rows[source.file.name] = len(raw_cache[key].frame)  # type: ignore[union-attr]
            extract = raw_cache[key]
            if extract is None:
                continue
            mapped = _mapped(tm, extract, sink.problems)
            if mapped is None:
                continue
            raw = mapped
        typed = _typed(raw, tm, sink)
        out[name] = _finish_table(name, typed, result.notes, sink.problems, raw.source)
    return out


def read_extract(path: Path, sheet: str | None, problems: list[Problem]) -> RawTable | None:
    """An extract's cells (CSV, Parquet or one sheet of an .xlsx) with lower-case column names and the
    row number of each record as Excel shows it."""
    if not path.is_file():
        problems.append(Problem(str(path), "extract file not found"))
        return None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return R.read_csv(path, "extract", problems)
    if suffix == ".parquet":
        return R.read_parquet(path, "extract", problems)
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            names = wb.sheetnames
            chosen = sheet if sheet is not None else names[0]
            if chosen not in names:
                problems.append(Problem(path.name, f"no sheet {chosen!r}" + did_you_mean(chosen, names)
                                        + f" (sheets: {', '.join(names)})"))
                return None
            return R.read_sheet(wb[chosen], "extract", f"sheet '{chosen}' of {path.name}", [], problems)
        finally:
            wb.close()
    problems.append(Problem(path.name, "expected a .csv, .parquet or .xlsx extract"))
    return None


def _inline_rows(tm: TableMapping) -> RawTable:
    frame = pd.DataFrame(list(tm.rows), dtype=object)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    source = f"{tm.mapping_file.name} [{tm.table}] rows"
    return RawTable(tm.table, source, frame, np.arange(1, len(frame) + 1, dtype=np.int64), typed=True)


def _mapped(tm: TableMapping, extract: RawTable, problems: list[Problem]) -> RawTable | None:
    """The extract's rows (filtered by ``where``) with pack columns filled by the column rules."""
    frame = extract.frame
    known = list(frame.columns)
    ok = True
    needed = [c for r in tm.columns for c in r.sources] + list(tm.where)
    for col in dict.fromkeys(needed):
        if col not in frame.columns:
            problems.append(Problem(tm.mapping_file.name, f"the extract {extract.source} has no column "
                                    f"{col!r}" + did_you_mean(col, known), column=tm.table))
            ok = False
    if not ok:
        return None
    keep = np.ones(len(frame), dtype=bool)
    for col, allowed in tm.where.items():
        keep &= code_text(frame[col]).str.lower().isin([a.strip().lower() for a in allowed]).to_numpy()
    rows = frame.loc[keep].reset_index(drop=True)
    mapped = pd.DataFrame({r.target: _fill(r, rows, tm.values.get(r.target, {})) for r in tm.columns},
                          index=rows.index)
    source = f"{extract.source} (mapped to {tm.table})"
    problems.extend(_unmatched_codes(tm, rows, extract.rows[keep], source))
    return RawTable(tm.table, source, mapped, extract.rows[keep], extract.typed)


def _unmatched_codes(tm: TableMapping, rows: pd.DataFrame, row_numbers: np.ndarray,
                     source: str) -> list[Problem]:
    """A warning for each free-text pack column (referrals.priority) whose extract values no entry of its
    ``values`` table matches: they were kept as written without a word (PRIORITY_TYPE 4, no such NHS
    code, became the priority "4"; session 17 fuzz). Columns the pack checks against a list (activity
    IDs, staff groups) are reported there as errors instead."""
    out = []
    for rule in tm.columns:
        recode = tm.values.get(rule.target, {})
        spec = TABLES[tm.table].column(rule.target) if rule.target in TABLES[tm.table].column_names \
            else None
        if not recode or len(rule.sources) != 1 or spec is None or spec.kind != "text":
            continue
        text = code_text(rows[rule.sources[0]]).str.strip().str.lower()
        patterns = [k.strip().lower() for k in recode]
        uniques = [u for u in text.unique() if u and not any(fnmatch.fnmatchcase(u, k) for k in patterns)]
        if not uniques:
            continue
        miss = text.isin(uniques).to_numpy()
        shown = ", ".join(repr(u) for u in sorted(uniques)[:5]) + (", …" if len(uniques) > 5 else "")
        out.append(Problem(
            source, f"{int(miss.sum()):,} row(s) with a value no [{tm.table}.values.{rule.target}] entry in "
            f"{tm.mapping_file.name} matches ({shown}): kept as written (first on row "
            f"{int(row_numbers[np.flatnonzero(miss)[0]])}); add an entry if it is a code",
            None, f"{rule.sources[0].upper()} (as {rule.target})", severity="warning"))
    return out


def _fill(rule: ColumnRule, rows: pd.DataFrame, recode: dict[str, str]) -> pd.Series:
    if not rule.sources:
        return pd.Series([rule.value] * len(rows), index=rows.index, dtype=object)
    if len(rule.sources) == 1:
        values = rows[rule.sources[0]]
    else:
        values = code_text(rows[rule.sources[0]])
        for c in rule.sources[1:]:
            values = values + " | " + code_text(rows[c])
    if rule.multiply is not None:
        numbers = pd.to_numeric(values, errors="coerce")
        values = (numbers * rule.multiply).where(numbers.notna(), values)
    if recode:
        values = _recode(values, recode)
    return values


def _recode(values: pd.Series, recode: dict[str, str]) -> pd.Series:
    """Replace values matching a pattern of ``recode`` (case-insensitive; ``*``, ``?``, ``[..]``)."""
    text = code_text(values).str.lower()
    patterns = [(k.strip().lower(), v) for k, v in recode.items()]
    uniques = text.unique()
    table = {}
    for u in uniques:
        for pattern, target in patterns:
            if fnmatch.fnmatchcase(u, pattern):
                table[u] = target
                break
    mapped = text.map(table)
    out = values.astype(object).copy()
    hit = mapped.notna().to_numpy()
    out[hit] = mapped[hit]
    return out


def _typed(raw: RawTable, tm: TableMapping, sink: ProblemSink) -> pd.DataFrame:
    """Typed columns of a mapped table; problems name the extract's column next to the pack column."""
    before = len(sink.problems)
    if raw.name == "appointments":
        raw = translate_appointment_codes(raw, sink.problems)
    spec = TABLES[raw.name]
    if raw.name in ("skills", "clinicians"):  # repeated keys are combined afterwards, not mistakes
        spec = dataclasses.replace(spec, key=())
    typed, _ = parse_table(raw, spec, sink)
    names = {r.target: " + ".join(s.upper() for s in r.sources) for r in tm.columns if r.sources}
    for i in range(before, len(sink.problems)):
        p = sink.problems[i]
        if p.column in names:
            sink.problems[i] = dataclasses.replace(p, column=f"{names[p.column]} (as {p.column})")
    return typed


def _finish_table(name: str, typed: pd.DataFrame, notes: list[str], problems: list[Problem],
                  source: str) -> pd.DataFrame:
    spec = TABLES[name]
    frame = typed.drop(columns=["_row"])
    frame = frame[[c for c in spec.column_names if c in spec.required_columns or frame[c].notna().any()]]
    if name in AGGREGATED:
        return aggregate_rows(frame)
    if name == "skills":
        key = list(spec.key)
        return frame.dropna(subset=key).drop_duplicates(subset=key).reset_index(drop=True)
    if name == "clinicians":
        return combine_posts(frame, notes, problems, source)
    return frame.reset_index(drop=True)


def aggregate_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Identical rows as one row with ``count`` = the sum of their counts (a blank count is 1).

    Examples
    --------
    >>> f = pd.DataFrame({"activity_id": ["a", "a", "b"], "count": pd.array([2, None, 1], "Int64")})
    >>> aggregate_rows(f).to_dict("list")
    {'activity_id': ['a', 'b'], 'count': [3, 1]}
    """
    count = frame["count"] if "count" in frame.columns else pd.Series(1, index=frame.index)
    keys = [c for c in frame.columns if c != "count"]
    weights = count.astype("Int64").fillna(1).astype("int64")
    grouped = frame[keys].assign(count=weights).groupby(keys, dropna=False, sort=True)["count"].sum()
    out = grouped.reset_index()
    for c in keys:
        out[c] = out[c].astype(frame[c].dtype)
    out["count"] = out["count"].astype("Int64")
    return out


def combine_posts(frame: pd.DataFrame, notes: list[str], problems: list[Problem],
                  source: str) -> pd.DataFrame:
    """One clinician per person: PAs summed over their posts; other columns from the largest post."""
    frame = frame.dropna(subset=["clinician_id"])
    repeated = frame["clinician_id"].duplicated(keep=False)
    if not repeated.any():
        return frame.reset_index(drop=True)
    order = frame.sort_values("contracted_pas", ascending=False, kind="stable")
    first = order.drop_duplicates("clinician_id").set_index("clinician_id")
    for col in ("contracted_pas", "max_pas"):
        if col in frame.columns:
            total = frame.groupby("clinician_id")[col].sum(min_count=1)
            first[col] = total.reindex(first.index)
    for cid, posts in frame.loc[repeated].groupby("clinician_id", sort=True):
        pas = " + ".join(f"{v:g}" for v in posts["contracted_pas"])
        notes.append(f"{cid}: {len(posts)} posts ({pas} PAs) combined into one clinician with "
                     f"{posts['contracted_pas'].sum():g} PAs")
        if "staff_group" in posts.columns and posts["staff_group"].nunique() > 1:
            problems.append(Problem(source, "one person holds posts in different staff groups ("
                                    + ", ".join(map(str, posts["staff_group"].unique())) + "); the "
                                    "largest post's is used", None, "staff_group", str(cid), "warning"))
    keep_order = frame["clinician_id"].drop_duplicates()
    return first.reindex(keep_order).reset_index()[list(frame.columns)]


def fill_from_base(imported: pd.DataFrame, base: pd.DataFrame, key: str) -> pd.DataFrame:
    """Imported rows with the cells they do not give taken from the base pack's row of the same ID.

    A staff list knows posts and PAs, not on-call PAs, costs or sign-off dates: those stay as the base
    pack has them. Columns the import fills win; rows only in the base are not added.
    """
    lookup = base.drop_duplicates(key).set_index(key)
    out = imported.copy()
    for col in lookup.columns:
        from_base = out[key].map(lookup[col])
        if col not in out.columns:
            if from_base.notna().any():
                out[col] = from_base
            continue
        blank = out[col].isna() & from_base.notna()
        if blank.any():
            out[col] = out[col].astype(object).where(~blank, from_base)
    return out


def _name_services(activities: pd.DataFrame, appointments: pd.DataFrame) -> None:
    """Blank ``service`` of an imported activity: the name of its most used treatment function code."""
    if "treatment_function" not in appointments.columns or appointments["treatment_function"].isna().all():
        return
    if "service" not in activities.columns:
        activities["service"] = pd.Series([None] * len(activities), dtype=object)
    weights = appointments["count"].fillna(1) if "count" in appointments.columns else 1
    usage = appointments.assign(_w=weights).groupby(["activity_id", "treatment_function"])["_w"].sum()
    top = usage.reset_index().sort_values("_w", ascending=False).drop_duplicates("activity_id")
    names = dict(zip(top["activity_id"], top["treatment_function"].map(treatment_function_name), strict=True))
    blank = activities["service"].isna()
    activities.loc[blank, "service"] = activities.loc[blank, "activity_id"].map(names)
