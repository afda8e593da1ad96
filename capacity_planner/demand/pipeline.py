"""Demand sizing end to end: history -> forecast -> sizing -> outputs.

``size_demand(pack)`` is what ``capacity-planner demand`` and ``plan`` call; it needs only the pack's
``activities`` and ``referrals`` (appointments, waiting list and requirements refine it when present).
It writes no files: :func:`capacity_planner.outputs.write_demand_tables` writes ``requirements.csv``,
``weekly_demand.csv`` and one chart per activity.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from capacity_planner.demand._words import plural
from capacity_planner.demand.forecast import SHORT_HISTORY_YEARS, WEEKS_PER_YEAR, forecast_series, series_seed
from capacity_planner.demand.forecast_models import EmpiricalRecent, SeriesForecast, zero_forecast
from capacity_planner.demand.history import (
    History,
    build_history,
    calendar_regressors,
    week_index,
    week_start_of,
)
from capacity_planner.demand.sizing import (
    FollowUpSource,
    add_follow_up_demand,
    size_requirements,
    waiting_list_report,
)
from capacity_planner.output_schema import WEEKLY_DEMAND_COLUMNS

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping

    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.model import PlanningPack

__all__ = [
    "WEEKLY_COLUMNS",
    "DemandResult",
    "forecast_referrals",
    "forecast_weekly",
    "format_requirements_table",
    "history_before",
    "planning_weeks",
    "size_demand",
]

PLANNING_WEEKS = 52
WEEKLY_COLUMNS = WEEKLY_DEMAND_COLUMNS


@dataclass(frozen=True)
class DemandResult:
    """Everything demand sizing produced.

    Attributes
    ----------
    requirements : Requirements
        Sessions each activity needs (the solver's input).
    weekly : DataFrame
        Long table ``activity_id, week_start, kind, value, mean, lower, upper, sized``: ``kind`` is
        ``history`` (``value`` = weekly demand observed: referrals, plus follow-up demand implied by the
        feeding activities' referrals) or ``forecast`` (``mean`` = point forecast, ``lower``/``upper`` =
        10th/90th centiles of that week's predictive distribution, ``sized`` = the level the activity is
        sized to). Patients a week.
    waiting : DataFrame
        Waiting-list measures per activity with a waiting list
        (:func:`~capacity_planner.demand.sizing.waiting_list_report`).
    notes : list of str
        Plain-language notes: fallbacks, dropped weeks, assumptions.
    forecasts : mapping
        The :class:`~capacity_planner.demand.forecast_models.SeriesForecast` of each activity with demand.
    history : History
        What was measured from the pack's history tables.
    set_aside : int
        Referrals dated on or after the plan start, left out of the history (the planning year's actuals,
        kept for the quarterly review).
    """

    requirements: Requirements
    weekly: pd.DataFrame
    waiting: pd.DataFrame
    notes: list[str]
    forecasts: Mapping[str, SeriesForecast] = field(default_factory=dict)
    history: History | None = None
    set_aside: int = 0


def planning_weeks(pack: PlanningPack) -> np.ndarray:
    """Week indices of the 52 weeks from the plan start."""
    first = int(week_index(np.array([np.datetime64(pack.plan_start, "D")]))[0])
    return first + np.arange(PLANNING_WEEKS, dtype=np.int64)


def forecast_weekly(
    values: npt.ArrayLike,
    first_week: int,
    future_weeks: npt.ArrayLike,
    *,
    growth: float | None = None,
    n_draws: int | None = None,
    rng: np.random.Generator | None = None,
) -> SeriesForecast:
    """Forecast a weekly referral series with calendar covariates (bank holidays, Christmas).

    Parameters
    ----------
    values : array_like
        Referrals in consecutive complete weeks, the first being week ``first_week`` (an index from
        :func:`capacity_planner.demand.history.week_index`).
    future_weeks : array_like of int
        Week indices to forecast (e.g. the 52 weeks from the plan start).
    growth, n_draws, rng
        As for :func:`forecast_series`.
    """
    y = np.asarray(values, dtype=np.float64)
    weeks = first_week + np.arange(y.size, dtype=np.int64)
    fut = np.asarray(future_weeks, dtype=np.int64)
    return forecast_series(
        y,
        period_word="week",
        periods_per_year=WEEKS_PER_YEAR,
        t=weeks,
        t_future=fut,
        regressors=calendar_regressors(weeks),
        regressors_future=calendar_regressors(fut),
        growth=growth,
        n_draws=n_draws,
        rng=rng,
    )


def forecast_referrals(
    pack: PlanningPack, history: History, *, n_draws: int | None = None, workers: int = 1
) -> dict[str, SeriesForecast]:
    """Forecast weekly referrals (all priorities) of every activity with referrals over the planning year.

    Each activity's series starts at its own first complete week (:class:`~capacity_planner.demand.
    history.ActivitySpan`), so the weeks before a clinic opened are not counted as zeros. A series whose
    model cannot be fitted falls back to the empirical distribution of its last year
    (:class:`~capacity_planner.demand.forecast_models.EmpiricalRecent`) with a note naming it, so one activity
    never stops the pack. With ``workers`` above 1 the series are shared between this process and forked
    ones (:func:`_forecast_series_of`); every series has its own seed, so the forecasts are the same.
    """
    wide = history.weekly_by_activity()
    dated = pack.settings.start is not None or len(pack.referrals) > 0
    out = _no_referral_forecasts(pack, set(map(str, wide.columns)), PLANNING_WEEKS) if dated else {}
    if wide.shape[1] == 0:
        return out
    future = planning_weeks(pack)
    known = set(pack.activity_ids)
    jobs = [(str(aid), *history.activity_series(str(aid), wide)) for aid in wide.columns if aid in known]
    series = _SeriesJobs(pack.settings.seed, pack.settings.growth, future, n_draws)
    for (aid, _, _), fc in zip(jobs, _forecast_series_of(series, jobs, workers), strict=True):
        out[aid] = fc
    return out


PARALLEL_SERIES_FROM = 24
"""Fewest weekly series worth forking for (:func:`_forecast_series_of`): a fork and the forecasts' trip back
cost about what a dozen series do."""


@dataclass(frozen=True)
class _SeriesJobs:
    """What every series' forecast shares (the pack's seed and growth, the planning weeks, the draws), small
    enough to send to a forked process (the pack, with its extracts, is not)."""

    seed: int
    growth: float | None
    future: npt.NDArray[np.int64]
    n_draws: int | None

    def run(self, jobs: list[tuple[str, npt.NDArray[np.float64], int]]) -> list[SeriesForecast]:
        """The forecast of each ``(activity_id, values, first_week)``, in order."""
        return [_forecast_or_fallback(self.seed, self.growth, values, first_week, self.future, aid,
                                      self.n_draws) for aid, values, first_week in jobs]


def fork_workers(limit: int = 4) -> int:
    """Processes worth using for the series: the usable cores (at most ``limit``) where processes can be
    forked (Linux: no re-import), 1 elsewhere and inside a daemonic process (a Dask or pool worker, which
    may not start processes of its own)."""
    import multiprocessing
    import os
    import sys

    if not sys.platform.startswith("linux") or multiprocessing.current_process().daemon:
        return 1
    return max(1, min(limit, len(os.sched_getaffinity(0))))


def _forecast_series_of(series: _SeriesJobs, jobs: list[tuple[str, npt.NDArray[np.float64], int]],
                        workers: int) -> list[SeriesForecast]:
    """Every job's forecast, in order. With ``workers`` above 1 and at least :data:`PARALLEL_SERIES_FROM`
    jobs, the jobs are dealt out in turn (series of similar length side by side) to this process and
    ``workers - 1`` forked ones (a trust's 120 series: ~1 s of fitting on one core, issue 16)."""
    workers = min(workers, len(jobs) // max(1, PARALLEL_SERIES_FROM // 2))
    if workers < 2:
        return series.run(jobs)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Before the fork, so the forked processes inherit them: the planning weeks' covariates (every series
    # asks for them) and the bank holidays, whose first call loads the `holidays` package's ~250 country
    # modules (~0.05 s of CPU a process).
    calendar_regressors(series.future)
    shares = [list(range(i, len(jobs), workers)) for i in range(workers)]
    results: list[SeriesForecast | None] = [None] * len(jobs)
    with ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        pending = [pool.submit(series.run, [jobs[i] for i in share]) for share in shares[1:]]
        for i, fc in zip(shares[0], series.run([jobs[i] for i in shares[0]]), strict=True):
            results[i] = fc
        for share, future in zip(shares[1:], pending, strict=True):
            for i, fc in zip(share, future.result(), strict=True):
                results[i] = fc
    return [fc for fc in results if fc is not None]


def _no_referral_forecasts(
    pack: PlanningPack, with_referrals: set[str], horizon: int
) -> dict[str, SeriesForecast]:
    """Zero recurrent demand for rapid-access activities and activities with a waiting list that have no
    referral rows, so that they are sized (backlog relief included) like any other."""
    listed = {w.activity_id for w in pack.waiting_list}
    return {
        a.activity_id: zero_forecast(horizon, 0, "none")
        for a in pack.activities
        if a.activity_id not in with_referrals and (a.rapid_access or a.activity_id in listed)
    }


def _forecast_or_fallback(
    seed: int,
    growth: float | None,
    values: npt.NDArray[np.float64],
    first_week: int,
    future: npt.NDArray[np.int64],
    activity_id: str,
    n_draws: int | None,
) -> SeriesForecast:
    rng = series_seed(seed, activity_id)
    try:
        with np.errstate(all="ignore"):
            return forecast_weekly(values, first_week, future, growth=growth, n_draws=n_draws, rng=rng)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as error:
        fc = EmpiricalRecent(WEEKS_PER_YEAR).forecast(values, future.size)
        reason = f"{type(error).__name__}: {error}"
        note = (
            f"the forecast model could not be fitted ({reason}); sized from the empirical distribution of "
            f"its last {min(values.size, 52)} weeks instead"
        )
        return dataclasses.replace(fc, model="empirical-fallback", notes=(note,))


def history_before(pack: PlanningPack, plan_start: dt.date | None = None) -> tuple[PlanningPack, int]:
    """The pack with referrals dated before ``plan_start`` (default: the pack's plan start) only, and how
    many referrals (summed ``count``) dated on or after it were set aside; the pack itself when none were."""
    if len(pack.referrals) == 0:  # nothing to set aside (and no referral to infer a plan start from)
        return pack, 0
    start = pd.Timestamp(pack.plan_start if plan_start is None else plan_start)
    later = pack.referrals["referral_date"] >= start
    n_later = int(pack.referrals.loc[later, "count"].sum())
    if n_later == 0:
        return pack, 0
    return pack.replace(referrals=pack.referrals.loc[~later].reset_index(drop=True)), n_later


def size_demand(pack: PlanningPack, *, plan_start: dt.date | None = None,
                n_draws: int | None = None, workers: int = 1) -> DemandResult:
    """Size every activity of ``pack`` for its planning year, from the referrals before the plan start.

    Parameters
    ----------
    pack : PlanningPack
        Needs ``activities`` and ``referrals``; ``appointments`` (DNA, cancellation and follow-up rates),
        ``waiting_list`` (backlog relief) and ``requirements`` (fixed sessions) are used when present.
    plan_start : date, optional
        Referrals on or after it are set aside (:attr:`DemandResult.set_aside`) before sizing; default
        the pack's ``planning.start``.
    n_draws : int, optional
        Predictive draws per planning week (default: 20,000 pooled values).
    workers : int
        Processes for the weekly forecasts (:func:`forecast_referrals`; :func:`fork_workers` gives the
        usable cores); the result is the same for any number.

    Returns
    -------
    DemandResult
    """
    pack, set_aside = history_before(pack, plan_start)
    history = build_history(pack)
    notes = list(history.notes)
    if pack.settings.frequency == "monthly":
        referral_fc, month_notes = _monthly_forecasts(pack, n_draws)
        notes += month_notes
    else:
        referral_fc = forecast_referrals(pack, history, n_draws=n_draws, workers=workers)
    demand, links = add_follow_up_demand(pack, referral_fc, history)
    requirements, sizing_notes = size_requirements(pack, demand, history, links)
    notes += sizing_notes
    notes += _forecast_notes(demand, links, history)
    weekly = _weekly_table(pack, history, demand, requirements, links)
    waiting = waiting_list_report(pack, requirements)
    return DemandResult(
        requirements=requirements,
        weekly=weekly,
        waiting=waiting,
        notes=notes,
        forecasts=demand,
        history=history,
        set_aside=set_aside,
    )


def _monthly_forecasts(
    pack: PlanningPack, n_draws: int | None
) -> tuple[dict[str, SeriesForecast], list[str]]:
    """Weekly forecasts from monthly referral totals (``demand.frequency = "monthly"``)."""
    from capacity_planner.demand.monthly import monthly_referral_forecasts

    if len(pack.referrals) == 0 and pack.settings.start is None:
        return {}, []
    forecasts, notes = monthly_referral_forecasts(pack, planning_weeks(pack), n_draws=n_draws)
    out = _no_referral_forecasts(pack, set(forecasts), PLANNING_WEEKS)
    out.update(forecasts)
    return out, notes


def _forecast_notes(
    demand: Mapping[str, SeriesForecast], links: list[FollowUpSource], history: History
) -> list[str]:
    notes = _span_notes(history, demand)
    for aid, fc in demand.items():
        for n in dict.fromkeys(fc.notes):
            if n.startswith("level shift") and fc.shift_at is not None:
                week = week_start_of(int(fc.shift_at))[0].date()
                n = f"level shift detected from the week of {week}; the level after it is used"
            notes.append(f"{aid}: {n}.")
        negbin = fc.model.endswith("negbin")
        weekly = not fc.model.startswith("monthly")
        if weekly and negbin and not fc.growth_given and SHORT_HISTORY_YEARS * 52 <= fc.n_train < 104:
            growth = (
                "growth was estimated year on year and shrunk towards none"
                if fc.n_train > 52
                else "growth could not be estimated (its uncertainty is included)"
            )
            notes.append(
                f"{aid}: only {fc.n_train} complete weeks of referrals (under two years), so seasonality "
                f"was not estimated and {growth}; set demand.growth in pack.toml if it is known."
            )
        elif fc.model == "empirical":
            notes.append(f"{aid}: sized from last year's weekly referrals (no model could be fitted).")
        elif fc.model in ("none", "zero") and not fc.notes:
            notes.append(
                f"{aid}: no referrals in the history, so its recurrent demand is zero; a waiting list, if "
                "any, is still cleared (backlog relief)."
            )
    for link in links:
        if link.ratio.source == "default":
            notes.append(
                f"{link.new_activity}: no follow-up ratio given or measurable; no follow-up demand added "
                f"to {link.follow_up_activity}."
            )
    return notes


_STOPPED_WEEKS = 13


def _span_notes(history: History, demand: Mapping[str, SeriesForecast]) -> list[str]:
    """Activities whose referrals start after the pack's first week or stopped a quarter or more ago."""
    notes = []
    window = history.window
    for aid, span in history.spans.items():
        if aid not in demand:
            continue
        weeks = span.complete_weeks(window)
        if weeks == 0:
            notes.append(
                f"{aid}: referrals start on {span.first_day}, after the last complete week of the history "
                f"(the week of {week_start_of(window.last_week)[0].date()}), so it has no complete week "
                "of its own referrals and none are forecast; give a later extract to size them."
            )
            continue
        if span.first_week > window.first_week:
            notes.append(
                f"{aid}: referrals start on {span.first_day}; its history is counted from the week of "
                f"{week_start_of(span.first_week)[0].date()} ({plural(weeks, 'complete week')}), not from "
                "the pack's first week."
            )
        silent = window.last_week - span.last_referral_week
        if silent >= _STOPPED_WEEKS:
            notes.append(
                f"{aid}: no referrals in the last {silent} weeks of the history (since the week of "
                f"{week_start_of(span.last_referral_week)[0].date()}); they count as zero demand. If the "
                "code was replaced, its referrals are under another activity."
            )
    return notes


def _weekly_table(
    pack: PlanningPack,
    history: History,
    demand: Mapping[str, SeriesForecast],
    requirements: Requirements,
    links: list[FollowUpSource],
) -> pd.DataFrame:
    wide = history.weekly_by_activity()
    columns = {}
    for aid in demand:
        series = wide[aid] if aid in wide.columns else pd.Series(0.0, index=wide.index)
        for link in links:
            if link.follow_up_activity == aid and link.new_activity in wide.columns:
                series = series + link.ratio.value * wide[link.new_activity]
        columns[aid] = series
    hist = pd.DataFrame(columns, index=wide.index)
    if not demand:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in WEEKLY_COLUMNS})
    future = week_start_of(planning_weeks(pack)).to_numpy()
    sized = dict(
        zip(requirements.table["activity_id"], requirements.table["weekly_demand_sized"], strict=True)
    )
    ids = [a for a in pack.activity_ids if a in demand]
    if not ids:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in WEEKLY_COLUMNS})
    # One block of history weeks then one of planning weeks per activity, built as whole columns (not 2 small
    # frames an activity concatenated: 320 of them for a trust, issue 16).
    n_hist, n_future = len(hist.index), future.size
    block = n_hist + n_future
    gap_hist, gap_future = np.full(n_hist, np.nan), np.full(n_future, np.nan)
    history_weeks = hist.index.to_numpy()

    def column(values: Callable[[str], tuple[npt.ArrayLike, npt.ArrayLike]]) -> npt.NDArray[np.float64]:
        return np.concatenate([np.asarray(part, dtype=np.float64)
                               for pair in map(values, ids) for part in pair])

    out = pd.DataFrame({
        "activity_id": pd.Series(np.repeat(np.asarray(ids, dtype=object), block), dtype="str"),
        "week_start": np.tile(np.concatenate([history_weeks, future]).astype("datetime64[ns]"), len(ids)),
        "kind": pd.Series(np.tile(np.array(["history"] * n_hist + ["forecast"] * n_future, dtype=object),
                                  len(ids)), dtype="str"),
        "value": column(lambda aid: (hist[aid].to_numpy(dtype=np.float64), gap_future)),
        "mean": column(lambda aid: (gap_hist, demand[aid].mean)),
        "lower": column(lambda aid: (gap_hist, demand[aid].lower)),
        "upper": column(lambda aid: (gap_hist, demand[aid].upper)),
        "sized": column(lambda aid: (gap_hist, np.full(n_future, sized.get(aid, np.nan), dtype=np.float64))),
    })
    return out[list(WEEKLY_COLUMNS)]


# --------------------------------------------------------------------------------------------------
# the terminal table
# --------------------------------------------------------------------------------------------------


def format_requirements_table(result: DemandResult) -> str:
    """A readable text table of the requirements for the terminal, with the notes below it."""
    t = result.requirements.table
    shown = pd.DataFrame(
        {
            "activity": t["activity_id"],
            "method": t["sizing_method"],
            "mean/wk": t["weekly_demand_mean"].map(_num),
            "sized/wk": t["weekly_demand_sized"].map(_num),
            "DNA": t["dna_rate"].map(lambda v: "" if pd.isna(v) else f"{100 * v:.1f}%"),
            "slots/wk": t["slots_per_week"].map(_num),
            "backlog/wk": t["backlog_relief_per_week"].map(_num),
            "sessions/wk": t["sessions_per_week"].map(lambda v: f"{v:.2f}"),
            "sessions/yr": t["sessions_per_year"].map(lambda v: f"{v:.1f}"),
            "DCC h/yr": t["dcc_hours_per_year"].map(lambda v: f"{v:,.0f}"),
            "model": t["forecast_model"].fillna(""),
        }
    )
    text = shown.to_string(index=False)
    total = float(t["sessions_per_year"].sum())
    hours = float(t["dcc_hours_per_year"].sum())
    lines = [text, "", f"Total: {total:,.1f} sessions a year, {hours:,.0f} DCC hours a year."]
    if result.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in result.notes]
    return "\n".join(lines)


def _num(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.1f}"
