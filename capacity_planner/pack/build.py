"""Fill blank cells from contract-family defaults (recording each one) and build the domain records.

Defaults (DESIGN.md section 3; sources in :mod:`capacity_planner.constants`):

* clinicians: ``contract`` from ``staff_group`` (consultant -> consultant_2003, sas/specialty_doctor ->
  sas_2021, others -> afc) and ``staff_group`` from ``contract``; ``max_pas``, ``min_spa_pas``,
  ``working_weeks``, ``session_hours`` from the contract; ``oncall_pas`` 0; ``out_of_hours_opt_in`` false;
  ``active`` true; ``apa_cost_per_pa`` = ``annual_cost_per_pa``.
* activities: ``pa_value`` 1.0; ``bookable_minutes`` 210 (when ``minutes_per_patient`` is used);
  ``rapid_access`` false; ``priority`` 10 for rapid access, 1 otherwise; ``percentile`` for rapid access
  from pack.toml ``demand.percentile``.
* slots: Mon-Fri AM and PM when the table is absent; ``premium_time`` true for EVE, Sat and Sun.
* job_plans: ``weeks_per_year`` = the clinician's working weeks (half of them for a ``week`` A or B cell);
  ``locked`` false.
* requirements: ``min_clinicians`` 1. referrals: ``count`` 1; delivered: ``session_type`` substantive;
  leave: ``weeks`` 1 (the meanings of a blank in history tables, not recorded).
* waiting_list: ``target_weeks`` 2 for rapid access (two-week wait), 18 otherwise (RTT standard).
* links: ``mode`` present; ``count`` 1.
* pack.toml ``planning.start``: the Monday after the last referral.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from capacity_planner import constants as C
from capacity_planner.pack import model as M
from capacity_planner.pack.schema import TABLES

if TYPE_CHECKING:
    from collections.abc import Mapping

Frames = dict[str, pd.DataFrame]

RAPID_ACCESS_TARGET_WEEKS = 2.0
ROUTINE_TARGET_WEEKS = 18.0


class DefaultLog:
    """Fills blank cells of a frame and records each fill as a :class:`DefaultApplied`."""

    def __init__(self) -> None:
        self.applied: list[M.DefaultApplied] = []

    def fill(self, frame: pd.DataFrame, table: str, column: str, values: Any, reason: str) -> None:
        """Fill missing cells of ``frame[column]`` with ``values`` (scalar or aligned Series)."""
        missing = frame[column].isna().to_numpy()
        if not missing.any():
            return
        filled = pd.Series(values, index=frame.index) if not isinstance(values, pd.Series) else values
        keys = row_keys(table, frame)
        for i in np.flatnonzero(missing):
            value = filled.iloc[i]
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            self.applied.append(M.DefaultApplied(table, keys[i], column, _plain(value), reason))
        col = frame[column].copy()
        col[missing] = filled[missing]
        frame[column] = col


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def row_keys(table: str, frame: pd.DataFrame) -> list[str]:
    """The key of each row as the user knows it (``C03``; ``C03|Tue|AM``; ``#2`` for keyless tables)."""
    key = TABLES[table].key
    if not key:
        return [f"#{i}" for i in range(len(frame))]
    parts = [frame[k].astype("string").fillna("").to_numpy() for k in key]
    # a blank optional last part (job_plans.week: every week) is left out: C03|Tue|AM
    return ["|".join(str(p[i]) for p in parts).rstrip("|") for i in range(len(frame))]


def apply_defaults(frames: Frames, settings: M.Settings, log: DefaultLog) -> M.Settings:
    """Fill defaults in place on the typed frames; return settings with ``start`` resolved."""
    if "clinicians" in frames:
        _clinician_defaults(frames["clinicians"], log)
    if "activities" in frames:
        _activity_defaults(frames["activities"], settings, log)
    if "slots" in frames:
        f = frames["slots"]
        premium = f["period"].eq("EVE") | f["day"].isin(["Sat", "Sun"])
        log.fill(f, "slots", "premium_time", premium, "EVE and weekend slots are premium time")
    if "job_plans" in frames and "clinicians" in frames:
        f = frames["job_plans"]
        weeks = _lookup(frames["clinicians"], "clinician_id", "working_weeks")
        every = f["clinician_id"].map(weeks)
        if "week" in f.columns:  # a week A / week B cell runs every other week: half the working weeks
            every = every.where(f["week"].isna(), every / 2)
        log.fill(f, "job_plans", "weeks_per_year", every,
                 "runs every working week of the clinician (half of them for a week A / week B cell)")
    if "job_plans" in frames:
        log.fill(frames["job_plans"], "job_plans", "locked", False, "not locked")
    if "requirements" in frames:
        log.fill(frames["requirements"], "requirements", "min_clinicians", C.DEFAULT_MIN_CLINICIANS,
                 "one clinician")
    if "links" in frames:
        log.fill(frames["links"], "links", "mode", "present", "the linked clinician is present in the slot")
        log.fill(frames["links"], "links", "count", 1.0, "one linked clinician per session")
    # History tables: a blank means the documented default, not an assumption, so it is not recorded.
    if "referrals" in frames:
        f = frames["referrals"]
        f["count"] = f["count"].fillna(1)
    if "delivered" in frames:
        f = frames["delivered"]
        f["session_type"] = f["session_type"].fillna("substantive")
    if "leave" in frames:
        f = frames["leave"]
        f["weeks"] = f["weeks"].fillna(1.0)
    if "waiting_list" in frames and "activities" in frames:
        f = frames["waiting_list"]
        rapid = _lookup(frames["activities"], "activity_id", "rapid_access")
        is_rapid = f["activity_id"].map(rapid).astype(object).fillna(False).astype(bool)
        log.fill(f, "waiting_list", "target_weeks",
                 is_rapid.map({True: RAPID_ACCESS_TARGET_WEEKS, False: ROUTINE_TARGET_WEEKS}),
                 "2 weeks for rapid access, 18 weeks (RTT) otherwise")
    has_referrals = "referrals" in frames and frames["referrals"]["referral_date"].notna().any()
    if settings.start is None and has_referrals:
        last = pd.Timestamp(frames["referrals"]["referral_date"].max()).date()
        start = last + dt.timedelta(days=7 - last.weekday())
        log.applied.append(M.DefaultApplied("pack.toml", "", "planning.start", start.isoformat(),
                                            "the Monday after the last referral"))
        settings = M.Settings(**{**_settings_dict(settings), "start": start})
    return settings


def _lookup(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """``column`` indexed by ``key`` (first row wins when a key repeats; duplicates are reported
    elsewhere)."""
    first = frame.loc[frame[key].notna() & ~frame[key].duplicated()]
    return first.set_index(key)[column]


def _settings_dict(settings: M.Settings) -> dict[str, Any]:
    return {f: getattr(settings, f) for f in M.Settings.__dataclass_fields__}


def _clinician_defaults(f: pd.DataFrame, log: DefaultLog) -> None:
    log.fill(f, "clinicians", "contract", f["staff_group"].map(C.CONTRACT_BY_STAFF_GROUP),
             "contract of the staff group")
    log.fill(f, "clinicians", "staff_group", f["contract"].map(C.STAFF_GROUP_BY_CONTRACT),
             "staff group of the contract")
    log.fill(f, "clinicians", "contract", "afc", "no staff group or contract given: Agenda for Change")
    log.fill(f, "clinicians", "staff_group", "other", "no staff group or contract given")
    D = C.ContractDefaults
    max_default = f["contract"].map(D.MAX_PAS).astype("float64")
    max_default = max_default.where(max_default.notna(), f["contracted_pas"])
    log.fill(f, "clinicians", "max_pas", max_default,
             "contract default (12 for consultant_2003, sas_2021 and sas_2008; contracted PAs for afc)")
    log.fill(f, "clinicians", "min_spa_pas", f["contract"].map(D.MIN_SPA_PAS), "contract default")
    log.fill(f, "clinicians", "working_weeks", f["contract"].map(D.WORKING_WEEKS), "contract default")
    log.fill(f, "clinicians", "session_hours", f["contract"].map(D.SESSION_HOURS), "contract default")
    log.fill(f, "clinicians", "oncall_pas", 0.0, "no on-call PAs")
    log.fill(f, "clinicians", "out_of_hours_opt_in", False, "not opted in to out-of-hours work")
    log.fill(f, "clinicians", "active", True, "in post")
    log.fill(f, "clinicians", "apa_cost_per_pa", f["annual_cost_per_pa"],
             "additional PAs cost the same as contracted PAs")


def _activity_defaults(f: pd.DataFrame, settings: M.Settings, log: DefaultLog) -> None:
    log.fill(f, "activities", "rapid_access", False, "routine (not rapid access)")
    log.fill(f, "activities", "pa_value", C.DEFAULT_PA_VALUE, "one PA per session")
    uses_minutes = f["minutes_per_patient"].notna() & f["patients_per_session"].isna()
    bookable = pd.Series(np.where(uses_minutes, C.DEFAULT_BOOKABLE_MINUTES, np.nan), index=f.index)
    log.fill(f, "activities", "bookable_minutes", bookable, "210 bookable minutes of a 240-minute PA")
    rapid = f["rapid_access"].fillna(False).astype(bool)
    log.fill(f, "activities", "priority",
             rapid.map({True: C.PRIORITY_RAPID_ACCESS, False: C.PRIORITY_ROUTINE}).astype("Int64"),
             "10 for rapid access, 1 otherwise")
    pct = pd.Series(np.where(rapid, settings.percentile, np.nan), index=f.index)
    log.fill(f, "activities", "percentile", pct, "pack.toml demand.percentile")


def default_slots() -> pd.DataFrame:
    """The default weekly grid: Mon-Fri AM and PM, normal time."""
    rows = [(d, p, False) for d in C.WEEKDAYS for p in ("AM", "PM")]
    frame = pd.DataFrame(rows, columns=["day", "period", "premium_time"])
    frame["premium_time"] = frame["premium_time"].astype("boolean")
    return frame


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------
def _value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _column_values(series: pd.Series) -> list[Any]:
    """A column's cells as :func:`_value` gives them, converted a column at a time: ``tolist`` gives the
    Python scalars that iterating the rows gives, and the common dtypes need no per-cell type test (the
    trust sample's 20,000 records, issue 16)."""
    cells = series.tolist()
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return cells
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [None if v != v else v for v in cells]
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return [None if v is pd.NaT else v.date() for v in cells]
    if isinstance(dtype, (pd.Int64Dtype, pd.BooleanDtype)):
        return [None if v is pd.NA else v for v in cells]
    return [_value(v) for v in cells]


def _records(frame: pd.DataFrame, cls: Any, rename: Mapping[str, str] | None = None) -> tuple[Any, ...]:
    fields = set(cls.__dataclass_fields__)
    cols = [c for c in frame.columns if (rename or {}).get(c, c) in fields]
    names = [(rename or {}).get(c, c) for c in cols]
    columns = [_column_values(frame[c]) for c in cols]
    out = []
    for values in zip(*columns, strict=True) if columns else ((),) * len(frame):
        out.append(cls(**{k: v for k, v in zip(names, values, strict=True) if v is not None}))
    return tuple(out)


def build_records(frames: Frames) -> dict[str, tuple[Any, ...]]:
    """Domain records for the small tables (frames already defaulted and validated)."""
    out: dict[str, tuple[Any, ...]] = {}
    if "clinicians" in frames:
        out["clinicians"] = _records(frames["clinicians"], M.Clinician)
    if "activities" in frames:
        out["activities"] = _records(frames["activities"], M.Activity)
    if "skills" in frames:
        out["skills"] = _records(frames["skills"], M.Skill)
    out["slots"] = _records(frames.get("slots", default_slots()), M.Slot)
    if "rooms" in frames:
        out["rooms"] = _records(frames["rooms"], M.RoomCapacity)
    if "availability" in frames:
        out["availability"] = _records(frames["availability"], M.Availability)
    if "job_plans" in frames:
        out["job_plans"] = _records(frames["job_plans"], M.JobPlanCell)
    if "requirements" in frames:
        out["requirements"] = _records(frames["requirements"], M.FixedRequirement)
    if "waiting_list" in frames:
        out["waiting_list"] = _records(frames["waiting_list"], M.WaitingListEntry)
    if "costs" in frames:
        out["costs"] = _records(frames["costs"], M.CostItem)
    if "links" in frames:
        out["links"] = _records(frames["links"], M.Link)
    if "productivity" in frames:
        out["productivity"] = _records(frames["productivity"], M.Productivity)
    if "travel" in frames:
        out["travel"] = _records(frames["travel"], M.TravelTime)
    if "expected_leave" in frames:
        out["expected_leave"] = _records(frames["expected_leave"], M.ExpectedLeave)
    return out


def history_frame(frame: pd.DataFrame, dtypes: Mapping[str, str]) -> pd.DataFrame:
    """A history table with exactly the canonical columns and dtypes (the columns as typed, not copied: a
    10-million-row extract's copy raised the reader's peak by a quarter of a gigabyte, issue 16)."""
    out = pd.DataFrame({c: frame[c] for c in dtypes}, copy=False)
    for c, dtype in dtypes.items():
        if dtype == "str" and isinstance(out[c].dtype, pd.CategoricalDtype):
            continue  # the reader's categorical of str (pack/parse.py CATEGORICAL_TABLES) stays one
        if dtype == "str":
            out[c] = out[c].astype("str").where(out[c].notna(), None)
            out[c] = out[c].astype("str")
        else:
            out[c] = out[c].astype(dtype)  # type: ignore[call-overload]
    return out.reset_index(drop=True)
