"""Read a planning pack: raw files -> typed columns -> defaults -> cross-table checks -> PlanningPack.

Every problem is collected before anything is raised, so :class:`PackValidationError` lists them all.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capacity_planner.errors import PackValidationError, Problem
from capacity_planner.intake.advice import dna_default_warnings, missing_path_problem
from capacity_planner.intake.codes import translate_appointment_codes
from capacity_planner.pack import model as M
from capacity_planner.pack.build import DefaultLog, apply_defaults, build_records, history_frame
from capacity_planner.pack.parse import ProblemSink, parse_table
from capacity_planner.pack.raw import read_raw
from capacity_planner.pack.rows import table_source
from capacity_planner.pack.schema import REQUIRED_TABLES, TABLES, Purpose
from capacity_planner.pack.settings import parse_settings, spc_chart_problems
from capacity_planner.pack.validate import check_required_tables, cross_checks
from capacity_planner.progress import progress

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_SIZES = ("small",)


def sample_pack_path(size: str = "small") -> Path:
    """Path of an embedded sample pack (found after a normal, non-editable install too)."""
    if size not in SAMPLE_SIZES:
        raise ValueError(f"no embedded sample of size {size!r}; embedded: {', '.join(SAMPLE_SIZES)}")
    root = resources.files("capacity_planner.samples")
    return Path(str(root.joinpath(size)))


def sample_pack(size: str = "small") -> M.PlanningPack:
    """The embedded sample pack (a small dermatology-like service)."""
    return read_pack(sample_pack_path(size))


def read_pack(path: str | Path | None = None, purpose: Purpose = "any", *,
              appointment_rows: bool = True) -> M.PlanningPack:
    """Read and validate a planning pack.

    Parameters
    ----------
    path : str or Path, optional
        A folder of CSV/Parquet tables plus optional ``pack.toml``, or one ``.xlsx`` workbook. None reads
        the embedded sample.
    purpose : {"any", "demand", "plan"}
        Which tables must be present: ``demand`` needs activities and referrals; ``plan`` also needs
        clinicians and skills.
    appointment_rows : bool, default True
        False: a Parquet appointments extract may be held as counts of identical appointments without the
        clinician (``clinician_id`` blank; :mod:`capacity_planner.pack.groups`), which is all demand sizing
        needs; every cell is still checked, and every problem still named on the user's rows. Not for
        packs whose appointments are written out, anonymised or reviewed by clinician.

    Returns
    -------
    PlanningPack
        With contract-family defaults applied and listed in ``defaults_applied``, and warnings (unknown
        columns…) in ``warnings``.

    Raises
    ------
    PackValidationError
        Listing every problem found (file or sheet, row as in Excel, column, value, what is expected).
    """
    if path is None:
        path = sample_pack_path()
    pack, problems = _load(Path(path), purpose, group=not appointment_rows)
    errors = [p for p in problems if p.severity == "error"]
    if errors or pack is None:
        raise PackValidationError(problems)
    return pack


def validate_pack(path: str | Path | None = None, purpose: Purpose = "plan") -> list[Problem]:
    """Every problem (errors and warnings) found in a pack; an empty list means it is clean."""
    if path is None:
        path = sample_pack_path()
    _, problems = _load(Path(path), purpose)
    return problems


def _load(path: Path, purpose: Purpose, collapse: bool = True,
          group: bool = False) -> tuple[M.PlanningPack | None, list[Problem]]:
    """Read, type and check a pack. ``collapse``: read the appointments as runs of identical rows
    (:mod:`capacity_planner.pack.runs`); ``group``: as counts of identical rows without the clinician where
    possible (:mod:`capacity_planner.pack.groups`); any problem found in a collapsed or grouped table reads
    the pack again row by row, so that every message names the rows as the user sees them."""
    if not path.exists():  # one message, not one per missing table (issue 17)
        return None, [missing_path_problem(path)]
    raw = read_raw(path, collapse, group)
    sink = ProblemSink()
    sink.problems.extend(raw.problems)
    settings, setting_problems = parse_settings(raw.settings, raw.settings_source)
    sink.problems.extend(setting_problems)
    check_required_tables(raw, purpose, sink)
    frames: dict[str, pd.DataFrame] = {}
    extras: dict[str, pd.DataFrame] = {}
    rows = sum(len(t.frame) for t in raw.tables.values())
    with progress(f"Checking {path.name}", total=rows, unit="rows") as bar:  # issue 16: say what it does
        for name, table in raw.tables.items():
            bar.describe(f"Checking {table.source}")
            if name == "appointments":  # NHS Data Dictionary codes -> labels (issue 17)
                table = translate_appointment_codes(table, sink.problems)
            typed, extra = parse_table(table, TABLES[name], sink)
            bar.advance(len(table.frame))
            if len(typed) == 0 and name not in REQUIRED_TABLES[purpose]:
                continue
            frames[name] = typed
            if extra.shape[1]:
                extras[name] = extra
    log = DefaultLog()
    explicit_start = settings.start
    settings = apply_defaults(frames, settings, log)
    if "slots" not in frames:
        log.applied.append(M.DefaultApplied("slots", "", "*", "Mon-Fri AM and PM",
                                            "no slots table: the standard weekday grid"))
    cross_checks(raw, frames, explicit_start, sink)
    if "activities" in frames:  # review.spc_* name charts: the team or an activity
        activity_ids = set(frames["activities"]["activity_id"].astype(str))
        sink.problems.extend(spc_chart_problems(settings, activity_ids, raw.settings_source))
    sink.problems.extend(dna_default_warnings(frames, table_source(raw, "activities")))
    collapsed = {t.source: t.collapsed_from for t in raw.tables.values() if t.collapsed_from is not None}
    if any(p.source in collapsed for p in sink.problems):
        return _load(path, purpose, collapse=False)
    if any(p.severity == "error" for p in sink.problems):
        return None, sink.problems
    for table in raw.tables.values():  # a grouped extract's witness rows were there to be checked only
        if table.witnesses and table.name in frames:
            frames[table.name] = frames[table.name].iloc[: len(frames[table.name]) - table.witnesses]
    records = build_records(frames)
    histories = {
        "referrals": M.REFERRAL_DTYPES,
        "appointments": M.APPOINTMENT_DTYPES,
        "delivered": M.DELIVERED_DTYPES,
        "leave": M.LEAVE_DTYPES,
    }
    history = {n: history_frame(frames[n], d) for n, d in histories.items() if n in frames}
    tables: dict[str, Any] = {**records, **history}
    pack = M.PlanningPack(
        settings=settings,
        **tables,
        tables_present=frozenset(frames),
        defaults_applied=tuple(log.applied),
        extra_columns=extras,
        source=M.PackSource(str(path), raw.format, dict(raw.file_hashes),
                            {t.name: n for t in raw.tables.values() if (n := t.collapsed_from) is not None}),
        warnings=tuple(p for p in sink.problems if p.severity == "warning"),
    )
    return pack, sink.problems
