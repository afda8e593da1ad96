"""Rules that span rows or tables: required tables, references, contract limits, dates, grids.

Each check reads the typed, defaulted frames (with their ``_row`` column of Excel row numbers) and adds
problems to a :class:`~capacity_planner.pack.parse.ProblemSink`; none stops early, so the user sees every
problem at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capacity_planner.errors import Problem
from capacity_planner.intake.suggest import near_misses
from capacity_planner.pack.build import _lookup
from capacity_planner.pack.parse import MAX_PROBLEMS_PER_KIND, ProblemSink
from capacity_planner.pack.rows import frame_rows, table_source
from capacity_planner.pack.schema import REQUIRED_TABLES, TABLES, Purpose
from capacity_planner.pack.sites_check import check_expected_leave, check_sites

if TYPE_CHECKING:
    import datetime as dt

    from capacity_planner.pack.raw import RawPack

Frames = dict[str, pd.DataFrame]


def check_required_tables(raw: RawPack, purpose: Purpose, sink: ProblemSink) -> None:
    """Tables needed for ``purpose`` must exist and hold rows; other empty tables are warnings."""
    if not raw.opened:  # the workbook could not be opened: that one message says it all
        return
    for name in REQUIRED_TABLES[purpose]:
        if name in raw.tables or name in raw.unreadable:
            continue
        if raw.format == "xlsx":
            where, what = table_source(raw, name), "required sheet is missing"
        else:
            where, what = f"{name}.csv", "required file is missing (or give it as .parquet)"
        needed_for = "planning" if name in ("clinicians", "skills") else "demand sizing"
        sink.add(Problem(where, f"{what}: the '{name}' table ({TABLES[name].description}) is needed "
                         f"for {needed_for}"))
    for name, table in raw.tables.items():
        if len(table.frame) == 0:
            required = name in REQUIRED_TABLES[purpose]
            sink.add(Problem(table.source, "the table has a header but no data rows"
                             + ("" if required else "; it is ignored"),
                             severity="error" if required else "warning"))


def check_references(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """Every ID that names a row of another table must exist there."""
    for name, frame in frames.items():
        for ref in TABLES[name].references:
            if ref.table not in frames:
                continue
            target = frames[ref.table]
            (col,), (target_col,) = ref.columns, ref.target_columns
            known = pd.Index(target[target_col].dropna().unique())
            values = frame[col]
            unknown = _unknown(values, known)
            if name == "delivered" and col == "clinician_id":
                # Locum and WLI sessions may be worked by people outside the substantive team.
                unknown &= ~frame["session_type"].isin(["locum", "wli"]).to_numpy()
            if unknown.any():
                sample = ", ".join(map(str, list(known[:8]))) + (", …" if len(known) > 8 else "")
                message = f"unknown {target_col}: not in {ref.table}"
                for value, hint in near_misses(values[unknown], known).items():  # "did you mean" (issue 17)
                    hit = unknown & values.eq(value).to_numpy(dtype=bool, na_value=False)
                    frame_rows(sink, raw, name, frame, hit, col, values, message + hint)
                    unknown &= ~hit
                frame_rows(sink, raw, name, frame, unknown, col, values, f"{message} (known: {sample})")


def _unknown(values: pd.Series, known: pd.Index) -> np.ndarray:
    """Where a present cell is not in ``known``; a categorical (an extract's ID column, issue 16) is looked up
    on its categories and expanded through its codes (missing: code -1, never unknown)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        absent = np.append(~values.cat.categories.isin(known), False)  # code -1 reads the last entry
        return absent[codes]
    return values.notna().to_numpy() & ~values.isin(known).to_numpy()


def check_clinicians(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """Contracted PAs within max PAs; SPA floor within contracted PAs."""
    f = frames.get("clinicians")
    if f is None:
        return
    above_max = (f["contracted_pas"] > f["max_pas"]).fillna(False).to_numpy(dtype=bool)
    for i in np.flatnonzero(above_max)[:MAX_PROBLEMS_PER_KIND]:
        sink.add(Problem(table_source(raw, "clinicians"),
                         f"contracted PAs ({f['contracted_pas'].iloc[i]:g}) are above max_pas "
                         f"({f['max_pas'].iloc[i]:g}); raise max_pas or lower contracted_pas",
                         int(f["_row"].iloc[i]), "contracted_pas", f"{f['contracted_pas'].iloc[i]:g}"))
    spa_above = (f["min_spa_pas"] > f["contracted_pas"]).fillna(False).to_numpy(dtype=bool)
    for i in np.flatnonzero(spa_above)[:MAX_PROBLEMS_PER_KIND]:
        sink.add(Problem(table_source(raw, "clinicians"),
                         f"the SPA floor ({f['min_spa_pas'].iloc[i]:g} PAs) is above contracted PAs "
                         f"({f['contracted_pas'].iloc[i]:g})", int(f["_row"].iloc[i]), "min_spa_pas",
                         f"{f['min_spa_pas'].iloc[i]:g}"))


def check_activities(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """Referral-driven activities need a session size; a follow-up activity is not its own."""
    f = frames.get("activities")
    if f is None:
        return
    self_ref = (f["follow_up_activity"] == f["activity_id"]).fillna(False).to_numpy(dtype=bool)
    frame_rows(sink, raw, "activities", f, self_ref, "follow_up_activity", f["follow_up_activity"],
          "an activity cannot be its own follow-up activity")
    no_size = f["patients_per_session"].isna() & f["minutes_per_patient"].isna()
    if "referrals" in frames:
        referred = f["activity_id"].isin(frames["referrals"]["activity_id"].dropna().unique())
        mask = (no_size & referred).to_numpy(dtype=bool)
        frame_rows(sink, raw, "activities", f, mask, "patients_per_session", None,
              "the activity has referrals but no session size: give patients_per_session or "
              "minutes_per_patient")
    fu_targets = f["follow_up_activity"].dropna().unique()
    mask = (no_size & f["activity_id"].isin(fu_targets)).to_numpy(dtype=bool)
    frame_rows(sink, raw, "activities", f, mask, "patients_per_session", None,
          "the activity sees follow-ups but has no session size: give patients_per_session or "
          "minutes_per_patient")
    pct_routine = (f["percentile"].notna() & ~f["rapid_access"].fillna(False).astype(bool)).to_numpy(
        dtype=bool)
    frame_rows(sink, raw, "activities", f, pct_routine, "percentile", f["percentile"],
          "percentile is only used for rapid-access activities (routine ones are sized to the mean); "
          "ignored", "warning")


def review_weeks_end(frames: Frames) -> pd.Timestamp | None:
    """The day after the last week of the delivered extract (None without one)."""
    if "delivered" not in frames or frames["delivered"]["week_start"].isna().all():
        return None
    return pd.Timestamp(frames["delivered"]["week_start"].max()) + pd.Timedelta(days=7)


def as_written(raw: RawPack, table: str, frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as its cells were written, for messages: a US date 01/08/2027 read day first is
    named as the user wrote it, not as the 2027-08-01 it was read as (session 17 fuzz). The parsed values
    when the raw cells cannot be matched to the frame's rows one to one (a grouped extract)."""
    rt = raw.tables.get(table)
    if rt is None or column not in rt.frame.columns or "_row" not in frame.columns:
        return frame[column]
    rows = pd.Index(rt.rows)
    if not rows.is_unique:
        return frame[column]
    pos = rows.get_indexer(frame["_row"].to_numpy())
    if (pos < 0).any():
        return frame[column]
    return pd.Series(rt.frame[column].to_numpy()[pos], index=frame.index)


def check_dates(raw: RawPack, frames: Frames, start: dt.date | None, sink: ProblemSink) -> None:
    """History before the plan start; e-roster weeks are Mondays inside the planning year.

    Referrals on or after the plan start are accepted only within the weeks of the delivered extract:
    they are the quarter's actual demand for ``review``; planning always uses history before the start.
    """
    if start is not None and "referrals" in frames:
        f = frames["referrals"]
        after = (f["referral_date"] >= pd.Timestamp(start)).fillna(False)
        end = review_weeks_end(frames)
        if end is not None:
            after &= f["referral_date"] >= end
            frame_rows(sink, raw, "referrals", f, after.to_numpy(dtype=bool), "referral_date",
                       as_written(raw, "referrals", f, "referral_date"),
                       f"referral dated on or after the plan start ({start.isoformat()}): history must end "
                       "before the planning year (pack.toml planning.start); referrals after it are accepted "
                       "only within the weeks of the delivered extract, as actual demand for the quarterly "
                       "review")
        else:
            _referrals_without_delivered(raw, f, after.to_numpy(dtype=bool), start, sink)
    for name in ("delivered", "leave"):
        if name not in frames:
            continue
        f = frames[name]
        week = f["week_start"]
        # a missing week (NaT: blank, or the column absent) is reported by the reader, not as a weekday
        not_monday = ((week.dt.day_of_week != 0) & week.notna()).to_numpy(dtype=bool)
        frame_rows(sink, raw, name, f, not_monday, "week_start", week,
                   "week_start must be the Monday of the week")
        if start is not None:
            first, last = pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(weeks=52)
            outside = ((week < first) | (week >= last)).fillna(False).to_numpy(dtype=bool) & ~not_monday
            frame_rows(sink, raw, name, f, outside, "week_start", week,
                  f"week outside the planning year ({first.date().isoformat()} to "
                  f"{(last - pd.Timedelta(days=1)).date().isoformat()})")


def _referrals_without_delivered(raw: RawPack, f: pd.DataFrame, after: np.ndarray, start: dt.date,
                                 sink: ProblemSink) -> None:
    """Referrals dated in the planning year when the pack has no delivered rows (no delivered table, or
    one with a header only): one problem naming the first row, the count and the dates, not one per row
    (session 16 fuzz: a header-only delivered.csv turned the service sample's 391 referrals of the
    quarter into 21 messages, and 280 on another pack, all saying the same)."""
    checked = after & ~f["_row"].isin(sink.bad_rows.get("referrals", set())).to_numpy()
    if not checked.any():
        return
    rows, dates = f["_row"].to_numpy()[checked], pd.to_datetime(f["referral_date"][checked])
    n = int(checked.sum())
    delivered = (f"{table_source(raw, 'delivered')} has a header but no rows"
                 if "delivered" in raw.tables else "the pack has no delivered table")
    first, last = dates.min().date().isoformat(), dates.max().date().isoformat()
    where = f"rows {int(rows.min())} to {int(rows.max())}" if n > 1 else f"row {int(rows.min())}"
    sink.add(Problem(
        table_source(raw, "referrals"),
        f"{n} referral row{'s' if n > 1 else ''} dated on or after the plan start ({start.isoformat()}), "
        f"{first} to {last} ({where}), and {delivered}: referrals in the planning year are the quarter's "
        "actual demand, accepted only within the weeks of the delivered (e-roster) extract that `review` "
        "compares with; add the delivered rows of those weeks, or remove these referrals (history must end "
        "before the planning year, pack.toml planning.start)",
        row=int(rows.min()), column="referral_date", value=first))


def check_grid(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """Job-plan cells, rooms and fixed requirements sit on slots of the weekly grid."""
    if "slots" in frames:
        grid = set(zip(frames["slots"]["day"], frames["slots"]["period"], strict=True))
        grid_text = "the slots table"
    else:
        grid = {(d, p) for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for p in ("AM", "PM")}
        grid_text = "the default grid (Mon-Fri AM and PM; add a slots table for evenings/weekends)"
    for name, severity in (("job_plans", "error"), ("requirements", "error"), ("rooms", "warning"),
                           ("availability", "warning")):
        f = frames.get(name)
        if f is None:
            continue
        has_slot = f["day"].notna() & f["period"].notna()
        cells = pd.Series(list(zip(f["day"], f["period"], strict=True)), index=f.index)
        off = (has_slot & ~cells.isin(grid)).to_numpy(dtype=bool)
        label = f["day"].astype("str") + "-" + f["period"].astype("str")
        frame_rows(sink, raw, name, f, off, "day", label, f"slot is not in {grid_text}", severity)


def check_job_plans(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """Job-plan cells fall on available slots; weeks a year within the clinician's working weeks."""
    f = frames.get("job_plans")
    if f is None:
        return
    if "availability" in frames:
        a = frames["availability"]
        off = a.loc[~a["available"].fillna(True).astype(bool), ["clinician_id", "day", "period"]]
        key = f["clinician_id"].astype("str") + "|" + f["day"].astype("str") + "|" + \
            f["period"].astype("str")
        off_key = off["clinician_id"].astype("str") + "|" + off["day"].astype("str") + "|" + \
            off["period"].astype("str")
        mask = key.isin(off_key).to_numpy(dtype=bool)
        frame_rows(sink, raw, "job_plans", f, mask, "day", f["day"] + "-" + f["period"],
              "the clinician works this slot in the job plan but availability says they do not")
    if "clinicians" in frames:
        weeks = f["clinician_id"].map(_lookup(frames["clinicians"], "clinician_id", "working_weeks"))
        mask = (f["weeks_per_year"] > weeks + 1e-9).fillna(False).to_numpy(dtype=bool)
        frame_rows(sink, raw, "job_plans", f, mask, "weeks_per_year", f["weeks_per_year"],
              "more weeks a year than the clinician's working_weeks", "warning")
        if "week" in f.columns:
            labelled = f["week"].notna()
            half = ((f["weeks_per_year"] - weeks / 2).abs() > 1e-6).fillna(False)
            frame_rows(sink, raw, "job_plans", f, (labelled & half).to_numpy(dtype=bool), "weeks_per_year",
                  f["weeks_per_year"], "a week A / week B session runs every other week: weeks_per_year "
                  "must be half the clinician's working_weeks (or blank)")
    if "half" in f.columns:
        _check_halves(raw, frames, f, sink)
    if "week" in f.columns:
        labelled = f["week"].notna()
        slot = (f["clinician_id"].astype("str") + "|" + f["day"].astype("str") + "|"
                + f["period"].astype("str"))
        weekly = set(slot[~labelled])
        frame_rows(sink, raw, "job_plans", f, (labelled & slot.isin(weekly)).to_numpy(dtype=bool), "week",
              f["week"], "the slot also has a row without a week (every week): give week A and week B rows, "
                         "or one row for every week")
        same = (labelled & (slot + "|" + f["activity_id"].astype("str")).duplicated(keep="first")).to_numpy(
            dtype=bool)
        frame_rows(sink, raw, "job_plans", f, same, "week", f["week"],
              "the same activity in week A and week B runs every week: write one row without a week")
        alternating = slot[labelled].drop_duplicates()
        per_clinician = alternating.str.split("|").str[0].value_counts()
        many = (labelled & f["clinician_id"].astype("str").map(per_clinician).gt(1)).to_numpy(dtype=bool)
        frame_rows(sink, raw, "job_plans", f, many, "week", f["week"],
              "the planner keeps at most one slot on alternate weeks per clinician: all but one of these "
              "slots will be planned afresh (locked ones cannot all be kept)", "warning")


def _check_halves(raw: RawPack, frames: Frames, f: pd.DataFrame, sink: ProblemSink) -> None:
    """Rows with ``half`` 1 or 2 (a 2-hour half of the slot, every week; issue 13 item 5): every week (no
    ``week``), not beside a whole session in the slot, two different activities, each needing no room
    and not on-call, in a normal-time slot, running every working week."""
    halved = f["half"].notna()
    if not halved.any():
        return
    slot = f["clinician_id"].astype("str") + "|" + f["day"].astype("str") + "|" + f["period"].astype("str")
    whole = set(slot[~halved])
    frame_rows(sink, raw, "job_plans", f, (halved & slot.isin(whole)).to_numpy(dtype=bool), "half", f["half"],
               "the slot also has a whole-session row: a slot holds one whole session or up to two 2-hour "
               "halves")
    if "week" in f.columns:
        frame_rows(sink, raw, "job_plans", f, (halved & f["week"].notna()).to_numpy(dtype=bool), "week",
                   f["week"], "a 2-hour half runs every week: leave week blank (a slot is either on "
                              "alternate weeks or in 2-hour halves)")
    same = (halved & (slot + "|" + f["activity_id"].astype("str")).duplicated(keep="first")).to_numpy(
        dtype=bool)
    frame_rows(sink, raw, "job_plans", f, same, "half", f["half"],
               "the same activity in both halves is a whole session: write one row without a half")
    if "activities" in frames:
        acts = frames["activities"]
        room = f["activity_id"].map(_lookup(acts, "activity_id", "room_type"))
        category = f["activity_id"].map(_lookup(acts, "activity_id", "category"))
        roomed = (halved & room.notna()).to_numpy(dtype=bool)
        frame_rows(sink, raw, "job_plans", f, roomed, "activity_id", f["activity_id"],
                   "only an activity that needs no room (e.g. SPA, admin) can be a 2-hour half; this one "
                   "needs a room, which is booked by the whole session")
        frame_rows(sink, raw, "job_plans", f, (halved & category.eq("ONCALL")).to_numpy(dtype=bool),
                   "activity_id", f["activity_id"], "on-call cannot be a 2-hour half")
    if "slots" in frames:
        sl = frames["slots"]
        premium = dict(zip(zip(sl["day"], sl["period"], strict=True), sl["premium_time"], strict=True)) \
            if "premium_time" in sl.columns else {}
        late = pd.Series([bool(premium.get((d, p), False))
                          for d, p in zip(f["day"], f["period"], strict=True)], index=f.index)
        frame_rows(sink, raw, "job_plans", f, (halved & late).to_numpy(dtype=bool), "half", f["half"],
                   "2-hour halves are for normal-time slots only (a premium-time PA is 3 hours, so half "
                   "a 4-hour session is not half its PAs there)")
    if "clinicians" in frames:
        weeks = f["clinician_id"].map(_lookup(frames["clinicians"], "clinician_id", "working_weeks"))
        short = (halved & ((f["weeks_per_year"] - weeks).abs() > 1e-6).fillna(False)).to_numpy(dtype=bool)
        frame_rows(sink, raw, "job_plans", f, short, "weeks_per_year", f["weeks_per_year"],
                   "a 2-hour half runs every working week: weeks_per_year must be the clinician's "
                   "working_weeks (or blank)")
        odd = (halved & ((weeks * 100).round() % 2 == 1).fillna(False)).to_numpy(dtype=bool)
        frame_rows(sink, raw, "job_plans", f, odd, "half", f["half"],
                   "a 2-hour half counts half the clinician's working weeks, which must then be exact in "
                   "hundredths of a week (working_weeks a whole number of fiftieths, e.g. 42 or 42.5)")


PA_STEPS = 120  # the planner counts PAs exactly in 120ths of a PA (capacity_planner.solver.problem.PA_SCALE)
WEEK_STEPS = 100  # and weeks in hundredths
_STEP_TOLERANCE = 1e-3  # of a step: 7.33333 reads as 7 1/3, 7.333 does not
PA_COLUMNS = {"clinicians": ("contracted_pas", "max_pas", "min_spa_pas", "oncall_pas", "max_spa_pas"),
              "activities": ("pa_value",), "requirements": ("unpredictable_pas",)}
WEEK_COLUMNS = {"clinicians": ("working_weeks",), "job_plans": ("weeks_per_year",)}


def _off_step(values: pd.Series, steps: int) -> np.ndarray:
    scaled = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy() * steps
    with np.errstate(invalid="ignore"):
        return np.asarray(np.abs(scaled - np.round(scaled)) > _STEP_TOLERANCE, dtype=bool)  # NaN: False


def _rota_cells(frames: Frames, f: pd.DataFrame) -> np.ndarray:
    """Rows of ``f`` (job_plans) on the slot and activity of a 1-in-N rota, whose weeks a year the rota sets
    (min_clinicians x service_weeks / N, 26/3 for 1 in 6: not a whole number of hundredths)."""
    req = frames.get("requirements")
    if req is None or "rota_size" not in req.columns or "activity_id" not in f.columns:
        return np.zeros(len(f), dtype=bool)
    rota = req[req["rota_size"].notna()]
    keys = set(zip(rota["activity_id"].astype(str), rota["day"].astype(str), rota["period"].astype(str),
                   strict=True))
    mine = zip(f["activity_id"].astype(str), f["day"].astype(str), f["period"].astype(str), strict=True)
    return np.array([k in keys for k in mine], dtype=bool)


def check_granularity(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """PA values the planner can count exactly: whole 120ths of a PA (halves, thirds, quarters, fifths,
    sixths, eighths, tenths, twelfths…), weeks in hundredths, and, with evening or weekend slots, session
    PA values that stay exact at 4/3 (steps of a 40th of a PA). A value such as 7.333 would otherwise be
    rounded by the solver; here it is an error naming the file, row, column and value."""
    for table, columns in PA_COLUMNS.items():
        f = frames.get(table)
        if f is None:
            continue
        for col in columns:
            if col in f.columns:
                frame_rows(sink, raw, table, f, _off_step(f[col], PA_STEPS), col, f[col],
                      "PAs must be a whole number of 120ths of a PA, such as 7.5, 7.6, 7.25 or 7.125; "
                      "for a third write 5 or more decimals (7.33333)")
    for table, columns in WEEK_COLUMNS.items():
        f = frames.get(table)
        if f is not None:
            for col in columns:
                off = _off_step(f[col], WEEK_STEPS) & ~_rota_cells(frames, f)  # a rota sets those weeks
                frame_rows(sink, raw, table, f, off, col, f[col],
                      "weeks must be given to at most two decimals (such as 42 or 46.4)")
    slots = frames.get("slots")
    acts = frames.get("activities")
    if slots is not None and acts is not None and slots["premium_time"].fillna(False).astype(bool).any():
        mask = _off_step(acts["pa_value"], PA_STEPS // 3) & ~_off_step(acts["pa_value"], PA_STEPS)
        frame_rows(sink, raw, "activities", acts, mask, "pa_value", acts["pa_value"],
              "an evening or weekend session counts 4/3 of its pa_value (a PA is 3 hours in premium "
              "time), so pa_value must be a whole number of 40ths of a PA, such as 1, 1.25 or 0.75")


def check_spa_ceiling(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """max_spa_pas, when given, is at least the SPA floor and at most contracted PAs."""
    f = frames.get("clinicians")
    if f is None or "max_spa_pas" not in f.columns:
        return
    below = (f["max_spa_pas"] < f["min_spa_pas"]).fillna(False).to_numpy(dtype=bool)
    frame_rows(sink, raw, "clinicians", f, below, "max_spa_pas", f["max_spa_pas"],
          "the SPA ceiling is below the SPA floor (min_spa_pas); raise max_spa_pas")
    above = (f["max_spa_pas"] > f["contracted_pas"]).fillna(False).to_numpy(dtype=bool)
    frame_rows(sink, raw, "clinicians", f, above, "max_spa_pas", f["max_spa_pas"],
          "the SPA ceiling is above contracted PAs")


def check_skill_floors(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """skills.min_sessions_per_week (per-clinician time): whole or half sessions, at most
    max_sessions_per_week, and its PAs (sessions x the activity's pa_value) at most contracted PAs."""
    f = frames.get("skills")
    if f is None or "min_sessions_per_week" not in f.columns:
        return
    k = pd.to_numeric(f["min_sessions_per_week"], errors="coerce").astype("float64")
    frame_rows(sink, raw, "skills", f, _off_step(k, 2), "min_sessions_per_week", k,
               "sessions a week must be whole or half sessions, such as 1 or 0.5")
    if "max_sessions_per_week" in f.columns:
        cap = pd.to_numeric(f["max_sessions_per_week"], errors="coerce").astype("float64")
        frame_rows(sink, raw, "skills", f, (k > cap + 1e-9).fillna(False).to_numpy(dtype=bool),
                   "min_sessions_per_week", k, "the floor is above max_sessions_per_week on the same row")
    clin, acts = frames.get("clinicians"), frames.get("activities")
    if clin is None or acts is None:
        return
    contracted = dict(zip(clin["clinician_id"].astype(str), clin["contracted_pas"], strict=True))
    pa = dict(zip(acts["activity_id"].astype(str), acts["pa_value"], strict=True))
    pas = k.to_numpy() * np.array([pa.get(a, np.nan) for a in f["activity_id"].astype(str)], dtype=float)
    limit = np.array([contracted.get(c, np.nan) for c in f["clinician_id"].astype(str)], dtype=float)
    with np.errstate(invalid="ignore"):
        above = np.asarray(pas > limit + 1e-9, dtype=bool)
    frame_rows(sink, raw, "skills", f, above, "min_sessions_per_week", k,
               "the floor's PAs (sessions x the activity's pa_value) are above the clinician's "
               "contracted PAs")


def check_requirements(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """A fixed requirement names a slot (day and period together) or a number of sessions."""
    f = frames.get("requirements")
    if f is None:
        return
    half = (f["day"].isna() != f["period"].isna()).to_numpy()
    frame_rows(sink, raw, "requirements", f, half, "period", None,
          "give both day and period for a fixed slot, or neither")
    empty = (f["day"].isna() & f["period"].isna() & f["sessions_per_week"].isna()).to_numpy()
    frame_rows(sink, raw, "requirements", f, empty, "sessions_per_week", None,
          "give sessions_per_week, or a day and period with min_clinicians")
    if "unpredictable_pas" in f.columns:  # unpredictable emergency work belongs to a rota's members
        no_rota = f["rota_size"].isna() if "rota_size" in f.columns else pd.Series(True, index=f.index)
        mask = (f["unpredictable_pas"].fillna(0) > 0).to_numpy(dtype=bool) & no_rota.to_numpy(dtype=bool)
        frame_rows(sink, raw, "requirements", f, mask, "unpredictable_pas", f["unpredictable_pas"],
                   "unpredictable_pas is credited to the members of a 1-in-N on-call rota: give rota_size "
                   "(with day and period), or put on-call PAs outside the grid in clinicians.oncall_pas")
    if "rota_size" not in f.columns:
        return
    rota = f["rota_size"].notna().to_numpy(dtype=bool)
    frame_rows(sink, raw, "requirements", f, rota & (f["day"].isna() | f["period"].isna()).to_numpy(),
          "rota_size", f["rota_size"], "a 1-in-N rota covers one slot: give its day and period")
    acts = frames.get("activities")
    if acts is not None:
        category = f["activity_id"].map(_lookup(acts, "activity_id", "category"))
        not_oncall = rota & category.notna().to_numpy(dtype=bool) & (category != "ONCALL").to_numpy()
        frame_rows(sink, raw, "requirements", f, not_oncall, "rota_size", f["rota_size"],
              "a 1-in-N rota is for on-call work: the activity's category must be ONCALL")
    heads = f["min_clinicians"].fillna(1)
    few = rota & (f["rota_size"] < heads).fillna(False).to_numpy(dtype=bool)
    frame_rows(sink, raw, "requirements", f, few, "rota_size", f["rota_size"],
          "a rota needs at least min_clinicians members (each week min_clinicians of them are on call)")


def check_waiting_list_and_costs(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """Over-target counts within the list; each cost row has a cost."""
    w = frames.get("waiting_list")
    if w is not None:
        mask = (w["over_target"] > w["waiting"]).fillna(False).to_numpy(dtype=bool)
        frame_rows(sink, raw, "waiting_list", w, mask, "over_target", w["over_target"],
              "more patients over target than waiting")
    c = frames.get("costs")
    if c is not None:
        mask = (c["annual_cost"].isna() & c["session_cost"].isna()).to_numpy()
        frame_rows(sink, raw, "costs", c, mask, "annual_cost", None,
              "give annual_cost (posts, PAs) or session_cost (locum, WLI sessions)")


def check_links(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """A link names whom it needs (a linked group or role); a dedicated link names the linked activity, not
    the activity itself; counts are exact in hundredths (docs/method.md, "Linked sessions")."""
    f = frames.get("links")
    if f is None:
        return
    nobody = (f["linked_group"].isna() & f["linked_activity_id"].isna()).to_numpy(dtype=bool)
    frame_rows(sink, raw, "links", f, nobody, "linked_group", f["linked_group"],
          "a link must name whom it needs: a linked_group, a linked_activity_id (role), or both")
    dedicated = f["mode"].eq("dedicated").fillna(False)
    no_act = (dedicated & f["linked_activity_id"].isna()).to_numpy(dtype=bool)
    frame_rows(sink, raw, "links", f, no_act, "linked_activity_id", f["linked_activity_id"],
          "a dedicated link needs linked_activity_id: the activity the linked clinician does in that slot")
    itself = (dedicated & f["linked_activity_id"].eq(f["activity_id"]).fillna(False)).to_numpy(dtype=bool)
    frame_rows(sink, raw, "links", f, itself, "linked_activity_id", f["linked_activity_id"],
          "a dedicated link must name another activity than activity_id")
    count = f["count"].astype("float64")
    off = ((count * 100 - (count * 100).round()).abs() > 1e-6).fillna(False).to_numpy(dtype=bool)
    frame_rows(sink, raw, "links", f, off, "count", count,
          "a whole number of hundredths of a clinician per session, e.g. 1, 2 or 0.5")


def check_weekly_cover(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """A ``share_of_weeks`` that no rule reads is a warning: on an activity without ``min_weekly_sessions``,
    or on a requirement that is not a slot quorum (no day and period, or a 1-in-N rota)."""
    if "activities" in frames and "share_of_weeks" in frames["activities"].columns:
        f = frames["activities"]
        no_k = f["min_weekly_sessions"].isna() if "min_weekly_sessions" in f.columns else True
        mask = (f["share_of_weeks"].notna() & no_k).to_numpy(dtype=bool)
        frame_rows(sink, raw, "activities", f, mask, "share_of_weeks", f["share_of_weeks"],
                   "ignored: share_of_weeks applies with min_weekly_sessions (the weekly cover)", "warning")
    if "requirements" in frames and "share_of_weeks" in frames["requirements"].columns:
        f = frames["requirements"]
        rota = f["rota_size"].notna() if "rota_size" in f.columns else pd.Series(False, index=f.index)
        no_slot = f["day"].isna() | f["period"].isna() | rota
        mask = (f["share_of_weeks"].notna() & no_slot).to_numpy(dtype=bool)
        frame_rows(sink, raw, "requirements", f, mask, "share_of_weeks", f["share_of_weeks"],
                   "ignored: share_of_weeks reads a quorum in one slot week by week (give day and period; "
                   "a 1-in-N rota covers every week already)", "warning")


OLDEST_REFERRAL = pd.Timestamp("2000-01-01")  # before it, a placeholder (1900-01-01) or a mistyped year


def check_referral_rows(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """Warn of referral rows an extract gets wrong without an unreadable cell (session 17 fuzz).

    * A referral dated before 2000: a PAS placeholder (1900-01-01) or a mistyped year (1998 for 2025). It
      lies outside any demand history a plan uses, so it was left out of the demand without a word.
    * Rows repeating an earlier row exactly when the table has a ``count`` column: an aggregated extract
      holds one row per date, activity and priority, so a repeat is most often the extract pasted or
      appended twice, and each repeat was counted as more referrals. (Without ``count`` a row is one
      referral and repeats are expected.)
    Warnings, not errors: the run goes on, and the rows are named so the user can check them.
    """
    if "referrals" not in frames:
        return
    f = frames["referrals"]
    old = (f["referral_date"] < OLDEST_REFERRAL).fillna(False).to_numpy(dtype=bool)
    frame_rows(sink, raw, "referrals", f, old, "referral_date",
               as_written(raw, "referrals", f, "referral_date"),
               "referral dated before 2000: a placeholder date or a mistyped year? It is outside the demand "
               "history, so it is not counted as demand; correct the year or delete the row", "warning")
    table = raw.tables.get("referrals")
    if table is None or "count" not in table.frame.columns or "count" not in f.columns:
        return
    key = [c for c in ("referral_date", "activity_id", "priority", "count") if c in f.columns]
    # Rows with a cell that could not be read are reported already (their blanks would repeat each other).
    f = f[~f["_row"].isin(sink.bad_rows.get("referrals", set())) & f[key].notna().all(axis=1)]
    repeats = f.duplicated(subset=key, keep="first").to_numpy(dtype=bool)
    if repeats.any():
        first = int(np.flatnonzero(repeats)[0])
        hashed = pd.util.hash_pandas_object(f[key], index=False).to_numpy()
        earlier = f.iloc[np.flatnonzero(hashed[:first] == hashed[first])]
        sink.add(Problem(
            table_source(raw, "referrals"),
            f"{int(repeats.sum()):,} row(s) repeat an earlier row exactly (the first: row "
            f"{int(f['_row'].iloc[first])} repeats row {int(earlier['_row'].iloc[0])}); each is counted as "
            f"more referrals ({int(f['count'][repeats].sum()):,} in all). If the extract was pasted or "
            "appended twice, delete the repeats", int(f["_row"].iloc[first]), " + ".join(key),
            severity="warning"))


def cross_checks(raw: RawPack, frames: Frames, start: dt.date | None, sink: ProblemSink) -> None:
    """Run every cross-table rule."""
    check_references(raw, frames, sink)
    check_clinicians(raw, frames, sink)
    check_activities(raw, frames, sink)
    check_granularity(raw, frames, sink)
    check_spa_ceiling(raw, frames, sink)
    check_skill_floors(raw, frames, sink)
    check_dates(raw, frames, start, sink)
    check_referral_rows(raw, frames, sink)
    check_grid(raw, frames, sink)
    check_job_plans(raw, frames, sink)
    check_requirements(raw, frames, sink)
    check_waiting_list_and_costs(raw, frames, sink)
    check_links(raw, frames, sink)
    check_weekly_cover(raw, frames, sink)
    check_sites(raw, frames, sink)
    check_expected_leave(raw, frames, sink)
