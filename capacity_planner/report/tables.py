"""The tables behind the team-meeting pack, built once from a plan output folder and the planning pack.

:func:`read_plan_dir` reads the files the ``plan`` command writes (DESIGN.md section 4) and checks their
columns; :func:`build_meeting_data` joins them with the pack (names, categories, current job plans,
defaults applied, settings) into a :class:`MeetingData` that the HTML report, the workbook and the charts
all render, so every number shown is computed in one place.

Definitions used in the report:

* *gap* of an activity: ``max(0, required − supply)`` sessions a year, where supply is session-weeks a
  year (sessions a week × working weeks). The gap "before" uses ``current_sessions_per_year`` (the
  current job plans), the gap "after" is ``gap_sessions_per_year`` of ``gaps.csv`` (the proposed plan).
* DCC hours of a gap: sessions × the activity's DCC hours per session, taken from ``requirements.csv``
  (``dcc_hours_per_year / sessions_per_year``), else from ``gaps.csv``, else 4 h × ``pa_value`` for DCC.
* *rapid-access cover*: planned ÷ required sessions a year for rapid-access activities, where required is
  sized to the percentile (default 80th) of weekly demand.
* annualised sessions of a clinician: sessions a week × the clinician's working weeks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from capacity_planner import constants as C
from capacity_planner import output_schema as OUT
from capacity_planner._csv import read_text_csv
from capacity_planner.demand.requirements import COLUMNS as REQUIREMENTS_COLUMNS
from capacity_planner.demand.requirements import Requirements
from capacity_planner.pack.schema import SETTINGS_BY_KEY
from capacity_planner.plan_summary import PlanSummary
from capacity_planner.report.anonymise import Pseudonyms, anonymise_outputs, anonymise_pack
from capacity_planner.report.every_week import EveryWeek, every_week
from capacity_planner.report.links import link_notes
from capacity_planner.solver.sites import activity_sites, site_text

if TYPE_CHECKING:
    from capacity_planner.demand.pipeline import DemandResult
    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.plan_result import PlanResult

EMPTY = ""  # activity of a free slot in allocation/changes
PA_CATEGORIES: tuple[str, ...] = ("DCC", "SPA", "other", "APA", "out of hours")
PLAN_FILES: tuple[OUT.OutputTable, ...] = (OUT.ALLOCATION, OUT.GAPS, OUT.CLINICIANS, OUT.CHANGES)
OPTIONAL_FILES: tuple[OUT.OutputTable, ...] = (OUT.GAP_REASONS, OUT.WEEKLY_DEMAND)
REQUIREMENTS_TEXT: tuple[str, ...] = ("activity_id", "category", "rapid_access", "sizing_method")
REQUIREMENTS_NUMERIC: tuple[str, ...] = tuple(c for c in REQUIREMENTS_COLUMNS if c not in REQUIREMENTS_TEXT)


def tuples(frame: pd.DataFrame) -> Iterator[Any]:
    """``frame.itertuples(index=False)``, typed loosely (attribute access on rows is unchecked)."""
    return frame.itertuples(index=False)


class PlanOutputError(ValueError):
    """A plan output folder is missing a file or a column."""


# ---- one typing of the plan tables, whether from memory or from a folder ---------------------------------
def text_column(values: pd.Series) -> pd.Series:
    """Text as the meeting pack reads it: a missing value is ``""``, outer spaces dropped."""
    return values.astype(object).fillna(EMPTY).astype(str).str.strip()


def number_column(values: pd.Series) -> pd.Series:
    """Numbers as float64; a blank cell is missing (ValueError when a cell is not a number)."""
    return pd.to_numeric(values.replace(EMPTY, np.nan)).astype("float64")


def typed_column(values: pd.Series) -> pd.Series:
    """A column the schema does not know (an extension column of requirements.csv): numbers when it holds
    a value and every value is a number, else text (an all-blank column is text ``""``)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        return numbers if numbers.notna().any() else text_column(pd.Series(EMPTY, index=values.index))
    text = text_column(values)
    given = text != EMPTY
    if given.any():
        numbers = pd.to_numeric(text.where(given), errors="coerce")
        if numbers[given].notna().all():
            return numbers.astype("float64")
    return text


def typed_table(frame: pd.DataFrame, table: OUT.OutputTable) -> pd.DataFrame:
    """A copy of a plan table with the schema's text columns as text and number columns as float64 (the
    columns it has; others are left as they are)."""
    out = frame.copy()
    for column in table.columns:
        if column in out.columns:
            convert = text_column if column in table.text else number_column
            try:
                out[column] = convert(out[column])
            except (ValueError, TypeError) as exc:
                raise PlanOutputError(
                    f"{table.file}: column {column} holds a value that is not a number") from exc
    return out


def typed_requirements(frame: pd.DataFrame) -> pd.DataFrame:
    """requirements.csv's table as the meeting pack reads it: DESIGN text columns as text, its number
    columns as float64, ``rapid_access`` as bool, every other column by :func:`typed_column`."""
    out = frame.copy()
    for column in out.columns:
        if column in REQUIREMENTS_TEXT:
            if column == "rapid_access" and pd.api.types.is_bool_dtype(out[column]):
                continue
            out[column] = text_column(out[column])
        elif column in REQUIREMENTS_NUMERIC or column == "backlog_sessions_per_year":
            out[column] = number_column(out[column])
        else:
            out[column] = typed_column(out[column])
    if not pd.api.types.is_bool_dtype(out["rapid_access"]):
        out["rapid_access"] = out["rapid_access"].str.lower().isin(("true", "1", "yes"))
    try:
        return Requirements.from_frame(out).table
    except ValueError as exc:
        raise PlanOutputError(f"requirements.csv: {exc}") from exc


def _with_unassigned(clinicians: pd.DataFrame) -> pd.DataFrame:
    """clinicians.csv with unassigned PAs (0 when the plan predates them) and their reason ("")."""
    out = clinicians.copy()
    if "unassigned_pas" not in out.columns:
        out["unassigned_pas"] = 0.0
    out["unassigned_pas"] = number_column(out["unassigned_pas"]).fillna(0.0)
    if "unassigned_reason" not in out.columns:
        out["unassigned_reason"] = EMPTY
    out["unassigned_reason"] = text_column(out["unassigned_reason"])
    return out


# ---- reading ----------------------------------------------------------------------------------------
def _read_csv(path: Path, table: OUT.OutputTable | None = None,
              required: Sequence[str] = ()) -> pd.DataFrame:
    """Read with every text column kept verbatim ("NA" is an ID, not a missing value), check the required
    columns and type the schema's columns (:func:`typed_table`)."""
    if not path.exists():
        raise PlanOutputError(f"{path.name} is missing from the plan folder {path.parent}")
    frame = read_text_csv(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    needed = table.required if table is not None else tuple(required)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise PlanOutputError(f"{path.name} lacks column(s): {', '.join(missing)}")
    return typed_table(frame, table) if table is not None else frame


@dataclass(frozen=True, eq=False)
class PlanOutputs:
    """The tables of one plan (DESIGN.md section 4), typed as the meeting pack reads them: built in memory
    from a run (:func:`plan_outputs`) or read from a plan folder (:func:`read_plan_dir`), the same either
    way. ``folder`` is the folder read (None for a run in memory)."""

    folder: Path | None
    requirements: pd.DataFrame
    allocation: pd.DataFrame
    gaps: pd.DataFrame
    clinicians: pd.DataFrame
    changes: pd.DataFrame
    summary: PlanSummary
    gap_reasons: pd.DataFrame | None = None
    weekly_demand: pd.DataFrame | None = None


def plan_outputs(plan: PlanResult, demand: DemandResult) -> PlanOutputs:
    """A run's plan tables in memory, typed exactly as :func:`read_plan_dir` reads the folder written from
    them (weekly demand to the file's significant digits,
    :func:`capacity_planner.outputs.weekly_demand_table`)."""
    from capacity_planner.outputs import weekly_demand_table

    tables = {t.file: typed_table(plan.tables[key], t) for key, t in OUT.PLAN_TABLES.items()}
    return PlanOutputs(
        None, typed_requirements(demand.requirements.table), tables[OUT.ALLOCATION.file],
        tables[OUT.GAPS.file], _with_unassigned(tables[OUT.CLINICIANS.file]), tables[OUT.CHANGES.file],
        plan.summary, typed_table(plan.gap_reasons, OUT.GAP_REASONS),
        typed_table(weekly_demand_table(demand), OUT.WEEKLY_DEMAND))


def read_plan_dir(plan_dir: str | Path) -> PlanOutputs:
    """Read a plan output folder; raise :class:`PlanOutputError` naming any missing file or column."""
    folder = Path(plan_dir)
    requirements = typed_requirements(_read_csv(folder / "requirements.csv", required=REQUIREMENTS_COLUMNS))
    frames = {t.file: _read_csv(folder / t.file, t) for t in PLAN_FILES}
    optional = {t.file: _read_csv(folder / t.file, t) if (folder / t.file).exists() else None
                for t in OPTIONAL_FILES}
    summary_path = folder / "summary.json"
    if not summary_path.exists():
        raise PlanOutputError(f"summary.json is missing from the plan folder {folder}")
    try:
        summary = PlanSummary.from_json(summary_path.read_text(encoding="utf-8"))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise PlanOutputError(str(exc) if str(exc).startswith("summary.json") else f"summary.json: {exc}") \
            from exc
    return PlanOutputs(folder, requirements, frames["allocation.csv"], frames["gaps.csv"],
                       _with_unassigned(frames["clinicians.csv"]), frames["changes.csv"], summary,
                       optional["gap_reasons.csv"], optional["weekly_demand.csv"])


# ---- plain words ------------------------------------------------------------------------------------
STAFF_GROUP_WORDS: Mapping[str, str] = {
    "consultant": "Consultant", "sas": "SAS doctor", "specialty_doctor": "Specialty doctor",
    "nurse": "Nurse", "ahp": "Allied health professional", "pharmacist": "Pharmacist",
    "psychologist": "Psychologist", "other": "Other",
}
CONTRACT_WORDS: Mapping[str, str] = {
    "consultant_2003": "Consultant contract 2003", "sas_2021": "SAS contract 2021",
    "sas_2008": "SAS contract 2008", "afc": "Agenda for Change",
}
def in_words(code: object, words: Mapping[str, str]) -> object:
    """A code in plain words (the code itself when unknown)."""
    return words.get(str(code), code) if isinstance(code, str) else code


# ---- the meeting data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RapidAccessCover:
    """Planned against required sessions a year for one rapid-access activity."""

    activity_id: str
    name: str
    percentile: float | None
    required: float
    planned: float

    @property
    def cover(self) -> float:
        """planned / required (1.0 when nothing is required)."""
        return self.planned / self.required if self.required > 0 else 1.0


@dataclass(frozen=True)
class ChangeKinds:
    """The changed sessions split by kind, per clinician then summed: a session given another activity in
    its slot (*in place*), a session *moved* to a free slot (one freed and one filled slot of the same
    clinician), free time or a vacant post's time *filled*, and sessions *freed* (left unassigned).
    ``in_place + moved + filled + freed`` is the solver's count of sessions changed (a move counts 1)."""

    in_place: int = 0
    moved: int = 0
    filled: int = 0
    freed: int = 0

    @property
    def total(self) -> int:
        """Sessions changed (a move counts 1)."""
        return self.in_place + self.moved + self.filled + self.freed


def change_kinds(changes: pd.DataFrame) -> ChangeKinds:
    """Split changes.csv rows (one per changed cell) into :class:`ChangeKinds`.

    Per clinician: ``f`` cells were free and are filled, ``r`` cells are freed, ``k`` change activity in
    place; moved = min(f, r), filled = f − moved, freed = r − moved, so in_place + moved + filled + freed =
    k + max(f, r), the solver's ``sessions_changed``."""
    in_place = moved = filled = freed = 0
    for _, grp in changes.groupby("clinician_id", sort=False):
        was_free = int((grp["activity_before"] == EMPTY).sum())
        now_free = int((grp["activity_after"] == EMPTY).sum())
        both = min(was_free, now_free)
        in_place += len(grp) - was_free - now_free
        moved += both
        filled += was_free - both
        freed += now_free - both
    return ChangeKinds(in_place, moved, filled, freed)


@dataclass(frozen=True)
class Headline:
    """The numbers at the top of the report, each read from or summed over one plan file:
    gaps from gaps.csv (before from its current supply), changes and clinicians affected from summary.json
    (``changed_sessions``, ``clinicians_affected``; older plans: clinicians.csv), unassigned PAs from
    clinicians.csv, the routine-floor notes from summary.json."""

    gap_before_sessions: float
    gap_after_sessions: float
    gap_before_dcc_hours: float
    gap_after_dcc_hours: float
    rapid_access: tuple[RapidAccessCover, ...]
    status: str
    changed_sessions: int
    clinicians_changed: int
    annual_cost: float | None
    rapid_gap_before: float = 0.0
    rapid_gap_after: float = 0.0
    routine_gap_before: float = 0.0
    routine_gap_after: float = 0.0
    change_kinds: ChangeKinds = ChangeKinds()
    unassigned_pas: float = 0.0
    clinicians_unassigned: int = 0
    routine_floor: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class MeetingData:
    """Everything the report, the workbook and the charts show (see the module docstring)."""

    title: str
    anonymised: bool
    labels: Mapping[str, str]  # clinician_id -> label shown to people (name or pseudonym)
    clinician_order: tuple[str, ...]
    activity_names: Mapping[str, str]
    activity_categories: Mapping[str, str]
    slots: tuple[tuple[str, str], ...]  # (day, period) in week order
    premium_slots: frozenset[tuple[str, str]]
    headline: Headline
    demand: pd.DataFrame  # per activity: required/current/planned/gap, reason
    # clinician_id, day, period, activity_id, category, pas, before, changed, alternate, week_b, text, rota,
    # halves (2-hour halves: week_b is the second half)
    timetable: pd.DataFrame
    changes: pd.DataFrame  # clinician_id, label, day, period, activity_before, activity_after
    clinicians: pd.DataFrame  # clinicians.csv + label, contract, working_weeks
    settings_table: pd.DataFrame  # setting, value, source, meaning
    defaults_table: pd.DataFrame  # table, column, rows, values, reason
    solver_table: pd.DataFrame  # item, value
    levels_table: pd.DataFrame  # LEVEL_COLUMNS
    reasons: Mapping[str, Sequence[str]]  # activity_id -> binding reasons of its gap
    outputs: PlanOutputs
    every_week: EveryWeek = field(default_factory=EveryWeek)  # weekly cover, links, sites (issue 19)
    # clinician_id -> the time they must keep (skills.min_sessions_per_week), "Admin (floor 1 a week)"
    floors: Mapping[str, str] = field(default_factory=dict)

    def label(self, clinician_id: str) -> str:
        """The clinician's label (the ID itself when unknown)."""
        return self.labels.get(clinician_id, clinician_id)

    def activity_label(self, activity_id: str) -> str:
        """``Name (id)``, or the ID when the activity has no name; ``free`` for an empty slot."""
        if activity_id == EMPTY:
            return "free"
        name = self.activity_names.get(activity_id, "")
        return f"{name} ({activity_id})" if name and name != activity_id else activity_id

    def category(self, activity_id: str) -> str:
        """Category of an activity ("" for an empty slot, OTHER when unknown)."""
        if activity_id == EMPTY:
            return ""
        return self.activity_categories.get(activity_id, "OTHER")


def slot_order(slots: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Unique (day, period) pairs in week order (Mon..Sun, AM, PM, EVE; unknown labels last)."""
    def key(s: tuple[str, str]) -> tuple[int, int, str, str]:
        d = C.DAYS.index(s[0]) if s[0] in C.DAYS else len(C.DAYS)
        p = C.PERIODS.index(s[1]) if s[1] in C.PERIODS else len(C.PERIODS)
        return d, p, s[0], s[1]
    return tuple(sorted(set(slots), key=key))


def clinician_labels(pack: PlanningPack) -> dict[str, str]:
    """Clinician ID -> name (or the ID when the name is blank)."""
    return {c.clinician_id: (c.name or "").strip() or c.clinician_id for c in pack.clinicians}


def _hours_per_session(outputs: PlanOutputs, pack: PlanningPack) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in tuples(outputs.requirements):
        if r.sessions_per_year > 0 and not math.isnan(r.dcc_hours_per_year):
            out[str(r.activity_id)] = float(r.dcc_hours_per_year) / float(r.sessions_per_year)
    for r in tuples(outputs.gaps):
        if str(r.activity_id) not in out and r.gap_sessions_per_year > 0:
            out[str(r.activity_id)] = float(r.gap_dcc_hours_per_year) / float(r.gap_sessions_per_year)
    for a in pack.activities:
        out.setdefault(a.activity_id, C.NORMAL_PA_HOURS * a.pa_value if a.is_dcc else 0.0)
    return out


def _demand_table(pack: PlanningPack, outputs: PlanOutputs, names: Mapping[str, str],
                  cats: Mapping[str, str], why: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    req = outputs.requirements.set_index("activity_id")
    hours = _hours_per_session(outputs, pack)
    reasons = {a: "; ".join(rs) for a, rs in why.items()}
    rows: list[dict[str, Any]] = []
    for g in tuples(outputs.gaps):
        a = str(g.activity_id)
        rq = req.loc[a] if a in req.index else None
        gap_before = max(0.0, float(g.required_sessions_per_year) - float(g.current_sessions_per_year))
        rows.append({
            "activity_id": a,
            "name": names.get(a, a),
            "category": cats.get(a, "OTHER") if rq is None else str(rq["category"]),
            "rapid_access": bool(rq["rapid_access"]) if rq is not None else False,
            "sizing_method": str(rq["sizing_method"]) if rq is not None else "",
            "percentile": _number(rq["percentile"]) if rq is not None else None,
            "required_sessions_per_year": float(g.required_sessions_per_year),
            "current_sessions_per_year": float(g.current_sessions_per_year),
            "planned_sessions_per_year": float(g.planned_sessions_per_year),
            "gap_before_sessions_per_year": gap_before,
            "gap_before_dcc_hours_per_year": gap_before * hours.get(a, 0.0),
            "gap_sessions_per_year": float(g.gap_sessions_per_year),
            "gap_dcc_hours_per_year": float(g.gap_dcc_hours_per_year),
            "reason": reasons.get(a, ""),
        })
    return pd.DataFrame(rows, columns=[
        "activity_id", "name", "category", "rapid_access", "sizing_method", "percentile",
        "required_sessions_per_year", "current_sessions_per_year", "planned_sessions_per_year",
        "gap_before_sessions_per_year", "gap_before_dcc_hours_per_year", "gap_sessions_per_year",
        "gap_dcc_hours_per_year", "reason"])


def _timetable(pack: PlanningPack, outputs: PlanOutputs, cats: Mapping[str, str],
               order: Sequence[str], slots: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """One row per clinician and slot. A slot run on alternate weeks (``week`` A/B in allocation.csv,
    issue 13) keeps its week-A activity in ``activity_id`` (and ``category``), its week-B activity in
    ``week_b`` (``""`` when week B is free, and for a weekly slot), ``alternate`` true, PAs summed, and
    ``text`` ``"A-activity / B-activity"``; a weekly slot's ``text`` is its activity ID. A member's cell of a
    1-in-N on-call rota (``requirements.rota_size``) has ``rota`` N (0 otherwise) and ``text``
    ``"oncall (on call 1 in 6)"``. A slot of 2-hour halves (``half`` 1 / 2, SPA or admin every week) keeps
    its first half in ``activity_id``, its second in ``week_b``, ``halves`` true, ``alternate`` false and
    ``text`` ``"spa (2 h) + admin (2 h)"``. A weekly cell that needs a link (``links``) has ``text``
    ``"minor_ops (with C03 supervising)"`` (:func:`capacity_planner.report.links.link_notes`)."""
    rotas = {(r.activity_id, r.day, r.period): int(r.rota_size) for r in pack.requirements
             if r.rota_size is not None}
    weeks = (outputs.allocation["week"].astype(str) if "week" in outputs.allocation.columns
             else pd.Series("", index=outputs.allocation.index))
    halves = _halves(outputs.allocation)
    planned: dict[tuple[str, str, str], dict[str, tuple[str, float]]] = {}
    for r, week, half in zip(tuples(outputs.allocation), weeks, halves, strict=True):
        key = (str(r.clinician_id), str(r.day), str(r.period))
        label = f"H{half}" if half in ("1", "2") else (week if week in ("A", "B") else "")
        planned.setdefault(key, {})[label] = (str(r.activity_id), float(r.pas))
    where = activity_sites(pack)
    current = {(c.clinician_id, c.day, c.period): c.activity_id for c in pack.job_plans}
    changed = {(str(r.clinician_id), str(r.day), str(r.period)): str(r.activity_before)
               for r in tuples(outputs.changes)}
    linked = link_notes(pack, outputs.allocation)
    rows = []
    for cid in order:
        for day, period in slots:
            key = (cid, day, period)  # a changed cell that was free has before == EMPTY
            cell = planned.get(key, {})
            alternate = "A" in cell or "B" in cell
            two_hour = "H1" in cell or "H2" in cell  # 2-hour halves every week: week_b is the second half
            act, pas = cell.get("", cell.get("A", cell.get("H1", (EMPTY, 0.0))))
            week_b, pas_b = cell.get("B", cell.get("H2", (EMPTY, 0.0)))
            before = changed.get(key, current.get(key, EMPTY))
            text = f"{act or 'free'} / {week_b or 'free'}" if alternate else act
            if two_hour:
                text = half_text(act, week_b)
            rota = 0 if alternate else rotas.get((act, day, period), 0)
            if rota:
                text = f"{act} ({rota_label(rota)})"
            elif key in linked:  # linked sessions: "minor_ops (with C03 supervising)"
                text = f"{act} ({linked[key]})"
            text = site_text(text, act, week_b, alternate, where)  # "2ww @ Site B" (solver/sites.py)
            rows.append({"clinician_id": cid, "day": day, "period": period, "activity_id": act,
                         "category": cats.get(act, "OTHER") if act else "", "pas": pas + pas_b,
                         "before": before, "changed": key in changed, "alternate": alternate,
                         "week_b": week_b, "text": text, "rota": rota, "halves": two_hour})
    return pd.DataFrame(rows, columns=["clinician_id", "day", "period", "activity_id", "category", "pas",
                                       "before", "changed", "alternate", "week_b", "text", "rota", "halves"])


def half_text(first: str, second: str) -> str:
    """A slot of 2-hour halves as timetables show it: ``"spa (2 h) + admin (2 h)"``, ``"spa (2 h) + free
    (2 h)"`` when one half is empty."""
    return f"{first or 'free'} (2 h) + {second or 'free'} (2 h)"


def _halves(allocation: pd.DataFrame) -> pd.Series:
    """Each allocation row's ``half`` as "1", "2" or "" (a whole session; a plan written before the column
    has none)."""
    if "half" not in allocation.columns:
        return pd.Series("", index=allocation.index)
    return allocation["half"].fillna("").astype(str).str.removesuffix(".0")


def rota_label(n: int) -> str:
    """``on call 1 in 6``: how a 1-in-N rota member's cell is shown in timetables and job plans."""
    return f"on call 1 in {n}"


def _run_settings(summary: PlanSummary | None) -> Mapping[str, Any]:
    """The solver settings this run used, as summary.json records them (``settings``)."""
    used = None if summary is None else summary.settings
    return used if isinstance(used, Mapping) else {}


def _solver_setting_rows(pack: PlanningPack, used: Mapping[str, Any]) -> list[tuple[str, str, object, str]]:
    """Time limit, work limit, seed and workers as the run used them (summary.json ``settings``), else the
    pack's settings (a plan folder written before they were recorded)."""
    s = pack.settings
    limit = used.get("time_limit_s", s.time_limit_s)
    work = used.get("work_limit")
    rows: list[tuple[str, str, object, str]] = [
        ("solver.time_limit_s", "Solver time limit (s)", limit,
         "wall clock for the whole solve (all levels)"),
        ("solver.work_limit", "Solver work limit", "none" if work is None else work,
         "CP-SAT deterministic time for the whole solve; when set the plan is the same on any machine"),
        ("solver.seed", "Solver seed", used.get("seed", s.seed), ""),
    ]
    if "workers" in used:
        rows.append(("solver.workers", "Solver threads", used["workers"], "0 = all cores"))
    if "routine_floor_share" in used:
        rows.append(("solver.routine_floor_share", "Routine floor", used["routine_floor_share"],
                     "share of the smaller of current supply and need kept for each routine activity"))
    return rows


def _settings_table(pack: PlanningPack, summary: PlanSummary | None = None) -> pd.DataFrame:
    s = pack.settings
    used = _run_settings(summary)
    dna_meaning = {
        "discharge": "slots = demand (a patient who does not attend is discharged)",
        "rebook_once": "slots = demand × (1 + DNA rate) (one rebooking)",
        "rebook_until_seen": "slots = demand ÷ (1 − DNA rate) (rebooked until seen)",
    }
    pct = f"{s.percentile * 100:g}th centile of weekly demand ({s.percentile_method} method)"
    rows: list[tuple[str, str, object, str]] = [
        ("planning.name", "Plan", s.name, ""),
        ("planning.start", "Planning year starts", s.start.isoformat() if s.start else "after last referral",
         "history is everything before it"),
        ("planning.service_weeks", "Service weeks a year", s.service_weeks, "weeks the service runs"),
        ("demand.dna_convention", "DNA convention", s.dna_convention, dna_meaning.get(s.dna_convention, "")),
        ("demand.percentile", "Rapid-access sizing", s.percentile, pct),
        ("", "Routine sizing", "mean", "mean weekly demand in the planning year"),
        ("demand.growth", "Demand growth", "estimated from history" if s.growth is None else s.growth,
         "annual rate"),
        ("demand.history_weeks", "History used (weeks)", s.history_weeks, ""),
        ("demand.backlog_weeks", "Backlog cleared over (weeks)", s.backlog_weeks,
         "waiting lists brought to target size"),
        ("solver.objective", "Objective order", " > ".join(s.objective), "lexicographic: first matters most"),
        ("solver.allow_additional_pas", "Additional PAs allowed", s.allow_additional_pas, "up to max PAs"),
        ("solver.spa_pro_rata", "SPA floor pro rata", s.spa_pro_rata, "for contracts under 10 PAs"),
    ]
    run_rows = _solver_setting_rows(pack, used)
    rows += run_rows
    from_run = {k for k, *_ in run_rows} if used else set()
    out = []
    for key, label, value, meaning in rows:
        source = "pack.toml" if key in s.explicit else "default"
        if key in from_run:
            source = "this run (summary.json)"
        if not key:
            source = "method"
        if key in SETTINGS_BY_KEY and not meaning:
            meaning = SETTINGS_BY_KEY[key].description
        out.append({"setting": label, "value": value, "source": source, "meaning": meaning})
    return pd.DataFrame(out, columns=["setting", "value", "source", "meaning"])


def _fmt_value(v: object) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}"
    return str(v)


def _defaults_table(pack: PlanningPack) -> pd.DataFrame:
    """Defaults applied, one row per (table, column): how many rows, which values, why.

    Row keys are deliberately left out (they would name clinicians)."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for d in pack.defaults_applied:
        g = groups.setdefault((d.table, d.column), {"rows": 0, "values": {}, "reasons": []})
        g["rows"] += 1
        text = _fmt_value(d.value)
        g["values"][text] = g["values"].get(text, 0) + 1
        if d.reason not in g["reasons"]:
            g["reasons"].append(d.reason)
    rows = []
    for (table, column), g in groups.items():
        values = ", ".join(f"{v} ({n})" if len(g["values"]) > 1 else v for v, n in g["values"].items())
        rows.append({"table": table, "column": column, "rows": g["rows"], "values": values,
                     "reason": "; ".join(g["reasons"])})
    return pd.DataFrame(rows, columns=["table", "column", "rows", "values", "reason"])


def _unmet_text(summary: PlanSummary, key: str, exact: float) -> object:
    """summary.json's ``key`` with the rounding shown in place when it differs from the exact figure of
    gaps.csv: the solver rounds each activity's demand up to whole session-weeks (docs/method.md,
    "Allocation"), gaps.csv keeps the exact demand."""
    value = getattr(summary, key)
    unmet = _number(value)
    if unmet is None or round(unmet) == round(exact):
        return value
    return (f"{unmet:,.0f} (demand rounded up to whole session-weeks per activity; "
            f"{exact:,.0f} with the exact demand, as in gaps.csv and the headline)")


def _solver_table(summary: PlanSummary, headline: Headline | None = None) -> pd.DataFrame:
    rows: list[tuple[str, object]] = [("Status", summary.status)]
    for value, label in ((summary.objective, "Objective"), (summary.bound, "Best bound"),
                         (summary.gap, "Relative gap to bound")):
        if not isinstance(value, Mapping):  # per-level values are in levels_table
            rows.append((label, value))
    rows += [
        ("Solve time (s)", summary.solve_seconds),
        ("Unmet sessions a year", summary.unmet_sessions_per_year if headline is None
         else _unmet_text(summary, "unmet_sessions_per_year", headline.gap_after_sessions)),
        ("Unmet DCC hours a year", summary.unmet_dcc_hours_per_year if headline is None
         else _unmet_text(summary, "unmet_dcc_hours_per_year", headline.gap_after_dcc_hours)),
        ("Annual cost (GBP)", summary.annual_cost),
        ("capacity_planner version", summary.version),
    ]
    rows += [("Note", str(n)) for n in summary.notes or []]
    rows += [("Reason", str(n)) for n in summary.reasons or []]
    inputs = summary.inputs or {}
    if isinstance(inputs, Mapping):
        rows += [(f"Input {k} (SHA-256)", str(v)[:12] + "…") for k, v in sorted(inputs.items())]
    return pd.DataFrame([{"item": k, "value": v} for k, v in rows if v is not None],
                        columns=["item", "value"])


LEVEL_COLUMNS: tuple[str, ...] = ("level", "status", "objective", "bound", "gap", "seconds", "unit")


def _levels_table(summary: PlanSummary) -> pd.DataFrame:
    """One row per objective level (from ``levels``, else from the per-level mappings)."""
    levels = summary.levels
    rows: list[dict[str, Any]] = []
    if isinstance(levels, list) and levels:
        for lv in levels:
            if isinstance(lv, Mapping):
                rows.append({"level": lv.get("name", ""), "status": lv.get("status", ""),
                             "objective": _number(lv.get("objective")), "bound": _number(lv.get("bound")),
                             "gap": _number(lv.get("gap")), "seconds": _number(lv.get("seconds")),
                             "unit": lv.get("unit", "")})
    else:
        objective = summary.objective
        if isinstance(objective, Mapping):
            bound_raw, gap_raw = summary.bound, summary.gap
            bound: Mapping[str, Any] = bound_raw if isinstance(bound_raw, Mapping) else {}
            gap: Mapping[str, Any] = gap_raw if isinstance(gap_raw, Mapping) else {}
            rows = [{"level": k, "status": "", "objective": _number(v), "bound": _number(bound.get(k)),
                     "gap": _number(gap.get(k)), "seconds": None, "unit": ""} for k, v in objective.items()]
    return pd.DataFrame(rows, columns=list(LEVEL_COLUMNS))


def _labelled_reasons(reasons: Mapping[str, list[str]], labels: Mapping[str, str]) -> dict[str, list[str]]:
    """Reasons with clinician IDs (whole tokens, e.g. ``C01``) replaced by the labels people see."""
    relabel = Pseudonyms({k: v for k, v in labels.items() if k != v})
    return {a: [relabel.scrub_text(r) for r in rs] for a, rs in reasons.items()}


def _reasons(outputs: PlanOutputs) -> dict[str, list[str]]:
    """Binding reasons per short activity: gap_reasons.csv, else summary.json ``gap_reasons``
    (``"activity: reason"`` strings)."""
    out: dict[str, list[str]] = {}
    if outputs.gap_reasons is not None:
        for r in tuples(outputs.gap_reasons):
            if str(r.reason):
                out.setdefault(str(r.activity_id), []).append(str(r.reason))
        return out
    known = set(outputs.gaps["activity_id"])
    for item in outputs.summary.gap_reasons or []:
        act, sep, reason = str(item).partition(": ")
        if sep and act in known:
            out.setdefault(act, []).append(reason)
    return out


def _number(v: object) -> float | None:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _headline(demand: pd.DataFrame, rapid: tuple[RapidAccessCover, ...], clin: pd.DataFrame,
              changes: pd.DataFrame, summary: PlanSummary) -> Headline:
    """The headline figures (see :class:`Headline` for the file each comes from)."""
    is_rapid = demand["rapid_access"].astype(bool)
    kinds = change_kinds(changes)
    changed: object = summary.changed_sessions
    if not isinstance(changed, int | float):  # a plan written before summary.json counted sessions
        changed = clin["changed_sessions"].sum() if len(clin) else kinds.total
    affected: object = summary.clinicians_affected
    if not isinstance(affected, int | float):
        affected = int((clin["changed_sessions"] > 0).sum())
    floor = summary.routine_floor
    return Headline(
        gap_before_sessions=float(demand["gap_before_sessions_per_year"].sum()),
        gap_after_sessions=float(demand["gap_sessions_per_year"].sum()),
        gap_before_dcc_hours=float(demand["gap_before_dcc_hours_per_year"].sum()),
        gap_after_dcc_hours=float(demand["gap_dcc_hours_per_year"].sum()),
        rapid_access=rapid,
        status=str(summary.status),
        changed_sessions=int(changed),
        clinicians_changed=int(affected),
        annual_cost=_number(summary.annual_cost),
        rapid_gap_before=float(demand.loc[is_rapid, "gap_before_sessions_per_year"].sum()),
        rapid_gap_after=float(demand.loc[is_rapid, "gap_sessions_per_year"].sum()),
        routine_gap_before=float(demand.loc[~is_rapid, "gap_before_sessions_per_year"].sum()),
        routine_gap_after=float(demand.loc[~is_rapid, "gap_sessions_per_year"].sum()),
        change_kinds=kinds,
        unassigned_pas=float(clin["unassigned_pas"].sum()),
        clinicians_unassigned=int((clin["unassigned_pas"] > 0).sum()),
        routine_floor=tuple(str(x) for x in floor) if isinstance(floor, list) else (),
    )


def build_meeting_data(pack: PlanningPack, outputs: PlanOutputs, *, anonymised: bool = False,
                       labels: Mapping[str, str] | None = None) -> MeetingData:
    """Join a plan output folder with its pack into the tables the meeting pack shows.

    ``labels`` overrides the clinician labels (default: names from the pack, else IDs). With
    ``anonymised`` the clinicians are listed in label order (the order of the pack could identify them).
    """
    labels = dict(labels) if labels is not None else clinician_labels(pack)
    ids = list(pack.clinician_ids)
    for frame in (outputs.clinicians, outputs.allocation, outputs.changes):
        ids += [c for c in frame["clinician_id"] if c not in ids]
    for cid in ids:
        labels.setdefault(cid, cid)
    # only clinicians that appear in the plan or hold a current job plan
    in_plan = set(outputs.clinicians["clinician_id"]) | set(outputs.allocation["clinician_id"])
    order = [c for c in ids if c in in_plan]
    if anonymised:
        order.sort(key=lambda c: (len(labels[c]), labels[c]))
    names = {a.activity_id: (a.name or a.activity_id) for a in pack.activities}
    cats = {a.activity_id: a.category for a in pack.activities}
    for r in tuples(outputs.requirements):
        cats.setdefault(str(r.activity_id), str(r.category))
        names.setdefault(str(r.activity_id), str(r.activity_id))
    slot_pairs = [(s.day, s.period) for s in pack.slots]
    slot_pairs += [(str(r.day), str(r.period)) for r in tuples(outputs.allocation)]
    slot_pairs += [(c.day, c.period) for c in pack.job_plans if c.clinician_id in in_plan]
    slots = slot_order(slot_pairs)
    premium = frozenset((s.day, s.period) for s in pack.slots if s.premium_time)
    premium |= frozenset(s for s in slots if s[1] == "EVE" or s[0] in ("Sat", "Sun"))

    reasons = _labelled_reasons(_reasons(outputs), labels)
    demand = _demand_table(pack, outputs, names, cats, reasons)
    timetable = _timetable(pack, outputs, cats, order, slots)
    changes = outputs.changes.copy()
    changes["label"] = changes["clinician_id"].map(lambda c: labels.get(c, c))
    rank = {cid: i for i, cid in enumerate(order)}
    srank = {s: i for i, s in enumerate(slots)}
    changes["_o"] = [(rank.get(c, len(rank)), srank.get((d, p), len(srank)))
                     for c, d, p in zip(changes["clinician_id"], changes["day"], changes["period"],
                                        strict=True)]
    changes = changes.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
    changes = changes[["clinician_id", "label", "day", "period", "activity_before", "activity_after"]]

    clin = outputs.clinicians.copy()
    clin["label"] = clin["clinician_id"].map(lambda c: labels.get(c, c))
    contract = {c.clinician_id: c.contract for c in pack.clinicians}
    weeks = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    clin["contract"] = clin["clinician_id"].map(lambda c: contract.get(c, ""))
    clin["working_weeks"] = clin["clinician_id"].map(lambda c: weeks.get(c, math.nan)).astype("float64")
    clin["_o"] = clin["clinician_id"].map(lambda c: rank.get(c, len(rank)))
    clin = clin.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)

    rapid = tuple(
        RapidAccessCover(str(r.activity_id), str(r.name),
                         None if math.isnan(r.percentile) else float(r.percentile),
                         float(r.required_sessions_per_year), float(r.planned_sessions_per_year))
        for r in tuples(demand) if r.rapid_access)
    summary = outputs.summary
    headline = _headline(demand, rapid, clin, changes, summary)
    return MeetingData(
        title=pack.settings.name, anonymised=anonymised, labels=labels, clinician_order=tuple(order),
        activity_names=names, activity_categories=cats, slots=slots, premium_slots=premium,
        headline=headline, demand=demand, timetable=timetable, changes=changes, clinicians=clin,
        settings_table=_settings_table(pack, summary), defaults_table=_defaults_table(pack),
        solver_table=_solver_table(summary, headline), levels_table=_levels_table(summary),
        reasons=reasons, outputs=outputs, every_week=every_week(pack, outputs.allocation),
        floors=clinician_floors(pack, names))


def clinician_floors(pack: PlanningPack, names: Mapping[str, str]) -> dict[str, str]:
    """clinician_id -> the sessions a week they must keep of each activity (``skills.min_sessions_per_week``,
    whole or half sessions), as "Admin (floor 1 a week), Teaching (floor 0.5 a week)"; clinicians
    without floors are left out."""
    out: dict[str, list[str]] = {}
    for sk in pack.skills:
        if sk.min_sessions_per_week:
            out.setdefault(sk.clinician_id, []).append(
                f"{names.get(sk.activity_id, sk.activity_id)} (floor {sk.min_sessions_per_week:g} a week)")
    return {cid: ", ".join(parts) for cid, parts in out.items()}


def clinician_breakdown(data: MeetingData, clinician_id: str) -> pd.DataFrame:
    """One clinician's proposed week by activity, from ``allocation.csv``: sessions and PAs a week, working
    weeks and annualised sessions (sessions a week × working weeks). A cell on alternate weeks (``week`` A
    or B) or a 2-hour half (``half`` 1 or 2) is half a session a week of its own activity (docs/data-pack.md,
    job_plans ``week`` and ``half``), and its PAs are allocation.csv's ``pas`` (the weekly average), so the
    PAs add up to clinicians.csv's ``planned_pas``."""
    alloc = data.outputs.allocation
    mine = alloc.loc[alloc["clinician_id"].astype(str) == clinician_id]
    weeks_ab = (mine["week"].fillna("").astype(str) if "week" in mine.columns
                else pd.Series("", index=mine.index))
    half = weeks_ab.isin(["A", "B"]) | _halves(mine).isin(["1", "2"])
    mine = mine.assign(sessions=np.where(half, 0.5, 1.0))
    row = data.clinicians.loc[data.clinicians["clinician_id"] == clinician_id]
    weeks = float(row["working_weeks"].iloc[0]) if len(row) else math.nan
    rows = []
    for act, grp in mine.groupby(mine["activity_id"].astype(str), sort=False):
        sessions = float(grp["sessions"].sum())
        out_of_hours = sum(n for d, p, n in zip(grp["day"], grp["period"], grp["sessions"], strict=True)
                           if (d, p) in data.premium_slots)
        rows.append({"activity_id": act, "activity": data.activity_names.get(str(act), str(act)),
                     "category": data.category(str(act)), "sessions_per_week": sessions,
                     "pas_per_week": float(grp["pas"].astype(float).sum()),
                     "out_of_hours_sessions": float(out_of_hours), "working_weeks": weeks,
                     "sessions_per_year": sessions * weeks})
    cat_rank = {c: i for i, c in enumerate(C.CATEGORIES)}
    rows.sort(key=lambda r: (cat_rank.get(str(r["category"]), 99), str(r["activity_id"])))
    return pd.DataFrame(rows, columns=["activity_id", "activity", "category", "sessions_per_week",
                                       "pas_per_week", "out_of_hours_sessions", "working_weeks",
                                       "sessions_per_year"])


def load_meeting_data(pack: PlanningPack, plan_dir: str | Path, *, anonymise: bool = False) -> MeetingData:
    """Read ``plan_dir`` and build its :class:`MeetingData`; with ``anonymise`` the pack and the plan
    tables are anonymised in memory first (the files are not touched)."""
    outputs = read_plan_dir(plan_dir)
    if not anonymise:
        return build_meeting_data(pack, outputs)

    ps = Pseudonyms.from_pack(pack)
    return build_meeting_data(anonymise_pack(pack, ps), anonymise_outputs(outputs, ps), anonymised=True)
