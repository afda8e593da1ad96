"""Simulated history of a synthetic service: referrals, appointments, waiting list, e-roster.

Everything is vectorised over referrals and appointments (the only Python loops run over activities,
weekdays and clinicians). Days are integers (see :mod:`~capacity_planner.pack.samples_calendar`).

Referrals. For activity a on day d: ``count ~ Poisson(μ_a · level(d) · G_a,w)`` where ``level``
holds growth ``(1+g)^((d − start)/365.25)``, the yearly cycle, the weekday weight and the
bank-holiday and Christmas factors, and ``G_a,w ~ Gamma(k, 1/k)`` is one shock per activity and ISO
week: weekly counts are then negative binomial with variance μ + μ²/k (over-dispersed, as real
referral series are).

Appointments. Each referral is one episode: its first booking falls after a gamma-distributed wait;
every booking is attended, a DNA, or cancelled by the patient or the hospital, and the patient is
rebooked until seen (``rebook_until_seen``), so dna / (attended + dna) equals the DNA rate asked.
Each new attendance at a clinic with a follow-up activity leads to a negative-binomial number of
follow-up visits (mean ``follow_up_ratio``) at gamma-distributed intervals, booked the same way; in
the last year before the plan start, follow-ups slip by up to ``follow_up_backlog_weeks`` (a growing
backlog). Bookings move to the next day on which the clinic runs in the current job plans (never a
weekend or bank holiday) and are attributed to a clinician who runs that clinic on that weekday, in
proportion to their sessions. A burn-in period before the history starts gives follow-ups from
earlier referrals.

Review quarter (the delivered extract's weeks after the plan start). Bookings already made continue;
new referrals follow the same process with each activity's level times its ``review_demand_factor``
and are booked the same way; a ``review_hospital_cancellation_rate`` above the usual rate cancels
that share of an activity's bookings (each moves to a later clinic day). The e-roster extract
(:func:`roster`) loses the same extra share of that activity's sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capacity_planner import constants as C
from capacity_planner.pack import samples_calendar as cal
from capacity_planner.pack.samples_team import CLINIC_IDS, REFERRED_IDS, TEMPLATE, Team, weekly_referral_means
from capacity_planner.pack.schema import SESSION_TYPES

if TYPE_CHECKING:
    import datetime as dt

    from capacity_planner.pack.samples_spec import SampleSpec, ServiceSpec

OUTCOMES = C.OUTCOMES  # attended, dna, cancelled_patient, cancelled_hospital
PRIORITIES = ("2ww", "urgent", "routine")
ATTENDED, DNA, CANCELLED_PATIENT, CANCELLED_HOSPITAL = range(4)
RAPID_TARGET_WEEKS = 2.0
RTT_TARGET_WEEKS = 18.0
REBOOK_MEAN_DAYS = {"2ww": 7.0, "new": 28.0, "minor_ops": 28.0, "fu": 28.0}
CANCELLED_SESSION_SHARE = 0.04  # sessions cancelled at short notice (sickness, rota gaps)
EXTRA_LIST_PROBABILITY = 0.6  # weeks in which the extra-lists clinician runs one more session
LOCUM_COVER_SHARE = 0.3  # share of the 2WW lists lost to leave that a locum backfills
WLI_PROBABILITY = 0.4  # weeks in which an out-of-hours consultant runs a WLI follow-up clinic


@dataclass(frozen=True)
class Days:
    """The simulation calendar as integer days."""

    first: int  # burn-in start (Monday)
    history: int  # first day of the written history (Monday)
    start: int  # plan start (Monday)
    horizon: int  # end of the day lookups (future bookings beyond are only known to be >= start)
    review_end: int  # day after the review quarter (the delivered extract's last week)

    @classmethod
    def of(cls, sample: SampleSpec) -> Days:
        """Calendar of ``sample``."""
        start = cal.to_day(sample.start)
        history = start - 7 * sample.history_weeks
        return cls(history - 7 * sample.burn_in_weeks, history, start, start + 3 * 365,
                   start + 7 * sample.delivered_weeks)


@dataclass
class History:
    """Simulated tables of one service (integer-coded; decoded by the writer).

    ``referrals``: day, activity code (into ``activity_ids``), priority code (into
    ``PRIORITIES``), count. ``appointments``: day, activity code, outcome code (into
    :data:`OUTCOMES`), clinician code (row of the team's clinicians table), is_new.
    """

    activity_ids: tuple[str, ...]
    referrals: dict[str, np.ndarray]
    appointments: dict[str, np.ndarray]
    waiting_list: pd.DataFrame



def _segment_cumsum(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each segment (segments of ``sizes`` in order)."""
    total = np.cumsum(values)
    before = np.repeat(total[np.cumsum(sizes) - sizes] - values[np.cumsum(sizes) - sizes], sizes)
    return total - before


def _bookings(rng: np.random.Generator, n: int, spec: ServiceSpec,
              rebook_mean: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Booking attempts of ``n`` episodes, each rebooked until attended.

    Returns (episode of each attempt, day offset from the first attempt, outcome code, attempts per
    episode); the last attempt of each episode is the attended one.
    """
    ph, pc, r = spec.hospital_cancellation_rate, spec.patient_cancellation_rate, spec.dna_rate
    kept = 1.0 - ph - pc
    p_attend = kept * (1.0 - r)
    sizes = rng.geometric(p_attend, size=n)
    episode = np.repeat(np.arange(n, dtype=np.int64), sizes)
    firsts = np.cumsum(sizes) - sizes
    gaps = 1.0 + rng.gamma(2.0, rebook_mean / 2.0, size=episode.size)
    gaps[firsts] = 0.0
    offsets = np.rint(_segment_cumsum(gaps, sizes)).astype(np.int64)
    # Failed attempts: dna, patient or hospital cancellation in proportion to their probabilities.
    fail = np.array([kept * r, pc, ph]) / (1.0 - p_attend)
    u = rng.random(episode.size)
    outcome = np.where(u < fail[0], DNA, np.where(u < fail[0] + fail[1], CANCELLED_PATIENT,
                                                  CANCELLED_HOSPITAL)).astype(np.int8)
    outcome[firsts + sizes - 1] = ATTENDED
    return episode, offsets, outcome, sizes


class _Snap:
    """Move days to the next day a clinic runs (vectorised lookup over the calendar)."""

    def __init__(self, days: Days, open_weekdays: tuple[int, ...]) -> None:
        self.first = days.first
        self.n = days.horizon - days.first
        self.table = cal.next_open_day(days.first, self.n, open_weekdays)

    def __call__(self, day: np.ndarray) -> np.ndarray:
        idx = np.clip(day - self.first, 0, self.n - 1)
        moved = self.table[idx] + self.first
        return np.where(day - self.first >= self.n, day, moved)


def _level(spec: ServiceSpec, day: np.ndarray, start: int) -> np.ndarray:
    """Mean daily referrals relative to a weekly mean at the plan start: growth, yearly cycle,
    weekday pattern, bank holidays and Christmas."""
    wd = cal.weekday(day)
    doy = cal.day_of_year(day)
    hol = cal.holiday_mask(day)
    level = (1.0 + spec.growth_per_year) ** ((day - start) / 365.25)
    level *= 1.0 + spec.seasonality_amplitude * np.cos(
        2 * np.pi * (doy - spec.seasonality_peak_day) / 365.25)
    level *= np.asarray(spec.weekday_weights)[wd] / 5.0
    level *= np.where(hol, spec.bank_holiday_factor, 1.0)
    level *= np.where(cal.christmas_mask(day) & ~hol, spec.christmas_factor, 1.0)
    return level


def _daily_counts(spec: ServiceSpec, day: np.ndarray, start: int, week: np.ndarray,
                  rng: np.random.Generator, factors: dict[str, float] | None = None
                  ) -> dict[str, np.ndarray]:
    """Poisson daily counts per referred activity with one gamma shock per activity and ``week``
    (consecutive integers from 0), each activity's mean scaled by ``factors`` (default 1)."""
    if day.size == 0:
        return {base: np.zeros(0, dtype=np.int64) for base in REFERRED_IDS}
    level = _level(spec, day, start)
    k = spec.dispersion
    means = weekly_referral_means(spec)
    counts = {}
    for base in REFERRED_IDS:
        mean = means[spec.activity_id(base)] * (factors or {}).get(base, 1.0)
        shock = rng.gamma(k, 1.0 / k, size=int(week[-1]) + 1)
        counts[base] = rng.poisson(mean * level * shock[week])
    return counts


def _referrals(spec: ServiceSpec, days: Days, rng: np.random.Generator
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Daily referral counts per referred activity from the burn-in start to the plan start."""
    day = np.arange(days.first, days.start, dtype=np.int64)
    return day, _daily_counts(spec, day, days.start, (day - days.first) // 7, rng)


def quarter_referrals(spec: ServiceSpec, days: Days, rng: np.random.Generator
                      ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Daily referral counts in the review quarter (plan start to ``days.review_end``): the same
    process as the history, each activity's level times its ``review_demand_factor``."""
    day = np.arange(days.start, days.review_end, dtype=np.int64)
    return day, _daily_counts(spec, day, days.start, (day - days.start) // 7, rng,
                              dict(spec.review_demand_factor))


def quarter_trend(spec: ServiceSpec, days: Days) -> dict[str, float]:
    """Expected referrals in the review quarter per written activity ID without the quarter's
    ``review_demand_factor`` (the trend a forecast made at the plan start would follow)."""
    day = np.arange(days.start, days.review_end, dtype=np.int64)
    total = float(_level(spec, day, days.start).sum()) if day.size else 0.0
    return {aid: mean * total for aid, mean in weekly_referral_means(spec).items()}


@dataclass
class _Referred:
    """Episodes of one referred activity: written referral rows, every booking and first attendance."""

    rows: list[tuple[np.ndarray, ...]]
    when: np.ndarray
    outcome: np.ndarray
    ref_day: np.ndarray
    attended_day: np.ndarray


def _referred(spec: ServiceSpec, base: str, code: int, day: np.ndarray, counts: np.ndarray,
              written: np.ndarray, snap: _Snap, rng: np.random.Generator) -> _Referred:
    """Split referrals by priority, draw each episode's wait and bookings (rows kept where
    ``written``)."""
    if base == "2ww":
        split = {0: counts}
    else:
        urgent = rng.binomial(counts, spec.lookup(spec.urgent_share, base))
        split = {1: urgent, 2: counts - urgent}
    # Episodes: one per referral, first booking after a gamma wait (urgent: a third as long).
    mean_wait = spec.lookup(spec.mean_wait_weeks, base) * 7.0
    rows: list[tuple[np.ndarray, ...]] = []
    ref_days, waits = [], []
    for prio, n in split.items():
        keep = written & (n > 0)
        rows.append((day[keep], np.full(keep.sum(), code, np.int8),
                     np.full(keep.sum(), prio, np.int8), n[keep]))
        ref_days.append(np.repeat(day, n))
        size = ref_days[-1].size
        if base == "2ww":
            waits.append(3.0 + rng.gamma(4.0, max(mean_wait - 3.0, 0.5) / 4.0, size=size))
        else:
            scale = mean_wait / (3.0 if PRIORITIES[prio] == "urgent" else 1.0)
            waits.append(rng.gamma(3.0, scale / 3.0, size=size))
    ref_day = np.concatenate(ref_days)
    wait = np.rint(np.concatenate(waits)).astype(np.int64)
    ep, off, outcome, sizes = _bookings(rng, ref_day.size, spec, REBOOK_MEAN_DAYS[base])
    when = snap(ref_day[ep] + wait[ep] + off)
    return _Referred(rows, when, outcome, ref_day, when[np.cumsum(sizes) - 1])


Appointments = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # day, activity, outcome, is_new


def simulate(spec: ServiceSpec, team: Team, days: Days, rng: np.random.Generator,
             quarter_rng: np.random.Generator) -> History:
    """Referrals, appointments and the waiting-list snapshot of one service.

    ``rng`` draws the history (before the plan start; appointments already booked into the review
    quarter come from it too), ``quarter_rng`` the review quarter's new referrals, their bookings,
    the quarter's extra hospital cancellations and its clinician attribution, so the history does
    not depend on the quarter.
    """
    act_ids = tuple(spec.activity_id(b) for b in CLINIC_IDS)
    code = {b: i for i, b in enumerate(CLINIC_IDS)}
    snaps = {b: _Snap(days, team.open_weekdays[spec.activity_id(b)]) for b in CLINIC_IDS}
    day, counts = _referrals(spec, days, rng)

    ref_parts: list[tuple[np.ndarray, ...]] = []
    appt: list[tuple[np.ndarray, ...]] = []
    waiting: list[dict[str, object]] = []
    new_attended: list[np.ndarray] = []
    in_history = day >= days.history
    for base in REFERRED_IDS:
        ep = _referred(spec, base, code[base], day, counts[base], in_history, snaps[base], rng)
        ref_parts += ep.rows
        appt.append((ep.when, np.full(ep.when.size, code[base], np.int8), ep.outcome,
                     np.ones(ep.when.size, dtype=bool)))
        target = RAPID_TARGET_WEEKS if base == "2ww" else RTT_TARGET_WEEKS
        open_ = (ep.ref_day < days.start) & (ep.attended_day >= days.start)
        waiting.append({"activity_id": spec.activity_id(base), "waiting": int(open_.sum()),
                        "over_target": int((open_ & (days.start - ep.ref_day > 7 * target)).sum()),
                        "target_weeks": target})
        if base in ("2ww", "new"):
            new_attended.append(ep.attended_day)

    fu_when, fu_outcome, fu_waiting = _follow_ups(spec, days, rng, np.concatenate(new_attended),
                                                  snaps["fu"])
    appt.append((fu_when, np.full(fu_when.size, code["fu"], np.int8), fu_outcome,
                 np.zeros(fu_when.size, dtype=bool)))
    waiting.append({"activity_id": spec.activity_id("fu"), **fu_waiting,
                    "target_weeks": spec.follow_up_target_weeks})

    a_day, a_act, a_out, a_new = (np.concatenate(x) for x in zip(*appt, strict=True))
    booked = (a_day >= days.start) & (a_day < days.review_end)  # already booked into the quarter
    carried: Appointments = (a_day[booked], a_act[booked], a_out[booked], a_new[booked])
    keep = (a_day >= days.history) & (a_day < days.start)
    a_day, a_act, a_out, a_new = a_day[keep], a_act[keep], a_out[keep], a_new[keep]
    a_clin = _clinicians(team, act_ids, a_day, a_act, rng)
    order = np.lexsort((a_clin, a_act, a_day))
    r_day, r_act, r_prio, r_count = (np.concatenate(x) for x in zip(*ref_parts, strict=True))
    r_order = np.lexsort((r_prio, r_act, r_day))
    referrals = [x[r_order] for x in (r_day, r_act, r_prio, r_count)]
    appointments = [x[order] for x in (a_day, a_act, a_out, a_clin, a_new)]

    # The quarter comes after the history, so appending keeps both tables sorted.
    q_ref, q_appt = _quarter(spec, team, days, quarter_rng, snaps, carried)
    r_day, r_act, r_prio, r_count = (np.concatenate(x) for x in zip(referrals, q_ref, strict=True))
    a_day, a_act, a_out, a_clin, a_new = (np.concatenate(x)
                                          for x in zip(appointments, q_appt, strict=True))
    return History(
        activity_ids=act_ids,
        referrals={"day": r_day, "activity": r_act, "priority": r_prio,
                   "count": r_count.astype(np.int32)},
        appointments={"day": a_day, "activity": a_act, "outcome": a_out, "clinician": a_clin,
                      "is_new": a_new},
        waiting_list=pd.DataFrame(waiting),
    )


def _quarter(spec: ServiceSpec, team: Team, days: Days, rng: np.random.Generator,
             snaps: dict[str, _Snap], carried: Appointments
             ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The review quarter's referrals (day, activity, priority, count) and appointments (day,
    activity, outcome, clinician, is_new), each sorted as in :class:`History`.

    Appointments are those ``carried`` from the history plus the bookings of the quarter's own
    referrals and of their follow-ups, all before ``days.review_end``; then the extra hospital
    cancellations of ``review_hospital_cancellation_rate``.
    """
    act_ids = tuple(spec.activity_id(b) for b in CLINIC_IDS)
    code = {b: i for i, b in enumerate(CLINIC_IDS)}
    day, counts = quarter_referrals(spec, days, rng)
    ref_parts: list[tuple[np.ndarray, ...]] = []
    appt: list[tuple[np.ndarray, ...]] = [carried]
    new_attended: list[np.ndarray] = []
    for base in REFERRED_IDS:
        ep = _referred(spec, base, code[base], day, counts[base], np.ones(day.size, dtype=bool),
                       snaps[base], rng)
        ref_parts += ep.rows
        appt.append((ep.when, np.full(ep.when.size, code[base], np.int8), ep.outcome,
                     np.ones(ep.when.size, dtype=bool)))
        if base in ("2ww", "new"):
            new_attended.append(ep.attended_day)
    fu_when, fu_outcome, _ = _follow_ups(spec, days, rng, np.concatenate(new_attended), snaps["fu"])
    appt.append((fu_when, np.full(fu_when.size, code["fu"], np.int8), fu_outcome,
                 np.zeros(fu_when.size, dtype=bool)))
    a_day, a_act, a_out, a_new = (np.concatenate(x) for x in zip(*appt, strict=True))
    a_day, a_act, a_out, a_new = _cancel_lists(spec, (a_day, a_act, a_out, a_new), snaps, rng)
    keep = a_day < days.review_end
    a_day, a_act, a_out, a_new = a_day[keep], a_act[keep], a_out[keep], a_new[keep]
    a_clin = _clinicians(team, act_ids, a_day, a_act, rng)
    order = np.lexsort((a_clin, a_act, a_day))
    r_day, r_act, r_prio, r_count = (np.concatenate(x) for x in zip(*ref_parts, strict=True))
    r_order = np.lexsort((r_prio, r_act, r_day))
    return ([x[r_order] for x in (r_day, r_act, r_prio, r_count)],
            [x[order] for x in (a_day, a_act, a_out, a_clin, a_new)])


def _cancel_lists(spec: ServiceSpec, appts: Appointments, snaps: dict[str, _Snap],
                  rng: np.random.Generator) -> Appointments:
    """Extra hospital cancellations in the review quarter: a share of each listed activity's
    bookings is cancelled by the hospital on its day and the booking moves to a later clinic day."""
    day, act, outcome, is_new = (x.copy() for x in appts)
    added: list[Appointments] = []
    for i, base in enumerate(CLINIC_IDS):
        p = spec.extra_hospital_cancellations(base)
        if p <= 0:
            continue
        rows = np.flatnonzero(act == i)
        hit = rows[rng.random(rows.size) < p]
        added.append((day[hit], act[hit], np.full(hit.size, CANCELLED_HOSPITAL, np.int8),
                      is_new[hit]))
        gap = 1.0 + rng.gamma(2.0, REBOOK_MEAN_DAYS[base] / 2.0, size=hit.size)
        day[hit] = snaps[base](day[hit] + np.rint(gap).astype(np.int64))
    out = [np.concatenate(x) for x in zip((day, act, outcome, is_new), *added, strict=True)]
    return out[0], out[1], out[2], out[3]


def _follow_ups(spec: ServiceSpec, days: Days, rng: np.random.Generator, attended: np.ndarray,
                snap: _Snap) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Follow-up bookings after new attendances, and the follow-up waiting list at the start."""
    ratio = spec.follow_up_ratio
    visits = rng.negative_binomial(1, 1.0 / (1.0 + ratio), size=attended.size)
    patient = np.repeat(np.arange(attended.size), visits)
    interval = rng.gamma(2.0, spec.follow_up_interval_weeks * 7.0 / 2.0, size=patient.size)
    ep, off, outcome, sizes = _bookings(rng, patient.size, spec, REBOOK_MEAN_DAYS["fu"])
    delay = off[np.cumsum(sizes) - 1].astype(np.float64)  # rebooking delay of each visit
    seen = attended[patient] + _segment_cumsum(interval + delay, visits[visits > 0])
    due = np.rint(seen - delay).astype(np.int64)
    ramp = np.clip((due - (days.start - 364)) / 364.0, 0.0, 1.0)
    due_booked = due + np.rint(spec.follow_up_backlog_weeks * 7.0 * ramp).astype(np.int64)
    when = snap(due_booked[ep] + off)
    seen_day = when[np.cumsum(sizes) - 1]
    open_ = (due < days.start) & (seen_day >= days.start)
    over = open_ & (days.start - due > 7 * spec.follow_up_target_weeks)
    return when, outcome, {"waiting": int(open_.sum()), "over_target": int(over.sum())}


def _clinicians(team: Team, act_ids: tuple[str, ...], day: np.ndarray, act: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Who ran the clinic: a clinician with that clinic on that weekday, weighted by sessions."""
    out = np.full(day.size, -1, dtype=np.int32)
    u = rng.random(day.size)
    wd = cal.weekday(day)
    group = act.astype(np.int64) * 7 + wd
    for g in np.unique(group):
        a, w = divmod(int(g), 7)
        idx, weights = team.choice[act_ids[a], w]
        rows = group == g
        pick = np.searchsorted(np.cumsum(weights), u[rows], side="right")
        out[rows] = idx[np.minimum(pick, idx.size - 1)]
    return out


@dataclass
class Roster:
    """e-roster extract of one service for the review quarter: ``delivered`` (clinician_id,
    week_start, activity_id, sessions, session_type) and ``leave`` (clinician_id, week_start,
    weeks)."""

    delivered: pd.DataFrame
    leave: pd.DataFrame


def roster(team: Team, spec: ServiceSpec, start: dt.date, n_weeks: int,
           rng: np.random.Generator) -> Roster:
    """e-roster extract for the first ``n_weeks`` of the planning year.

    ``delivered``: substantive sessions per clinician, activity and week (every pair of the job
    plans, every week): the job plan minus annual/study leave weeks (0 sessions), bank-holiday days
    and short-notice cancellations (more on activities with a ``review_hospital_cancellation_rate``);
    ``additional`` lists: one clinician's extra 2WW lists, and where demand runs ahead
    (``review_demand_factor`` f > 1) f - 1 extra lists per list of that clinic on average, run by
    its clinicians in the weeks they work; ``locum`` 2WW lists backfilling some of those lost to
    leave (one locum per team, ``LOC01``…, not in the clinicians table); ``wli``
    (waiting-list-initiative) follow-up clinics run by the team's out-of-hours consultant.

    ``leave``: weeks = 1 for each annual/study leave week (no sessions delivered), and for the
    bank-holiday weeks the share of the clinician's weekly sessions falling on the holiday (working
    weeks exclude bank holidays, so the review's planned sessions then add up over a year).
    """
    jp = team.job_plans
    wd = jp["day"].map({d: i for i, d in enumerate(C.DAYS)}).to_numpy()
    pairs = jp[["clinician_id", "activity_id"]].drop_duplicates().reset_index(drop=True)
    pair_of = pd.MultiIndex.from_frame(pairs).get_indexer(
        pd.MultiIndex.from_frame(jp[["clinician_id", "activity_id"]]))
    per_day = np.zeros((len(pairs), 7))
    np.add.at(per_day, (pair_of, wd), 1.0)
    week_days = cal.to_day(start) + 7 * np.arange(n_weeks)[:, None] + np.arange(7)[None, :]
    holiday = cal.holiday_mask(week_days.ravel()).reshape(week_days.shape)
    base = (per_day[None, :, :] * ~holiday[:, None, :]).sum(axis=2)  # (weeks, pairs)

    clin = team.clinicians.set_index("clinician_id")
    contracts = clin["contract"].to_numpy()
    weeks = np.array([C.ContractDefaults.WORKING_WEEKS[c] for c in contracts])
    # Annual and study leave: the weeks not worked a year, less bank holidays, spread over quarters.
    n_leave = np.minimum(rng.poisson(np.maximum(52.0 - weeks - 1.6, 0.0) * n_weeks / 52.0), 3)
    rank = np.argsort(np.argsort(rng.random((len(clin), n_weeks)), axis=1), axis=1)
    on_leave = rank < n_leave[:, None]  # (clinicians, weeks)
    clin_row = clin.index.get_indexer(pd.Index(pairs["clinician_id"]))
    leave = on_leave[clin_row].T  # (weeks, pairs)
    sessions = np.where(leave, 0.0, base)
    base_of = {spec.activity_id(b): b for b in CLINIC_IDS}
    cancel_share = CANCELLED_SESSION_SHARE + np.array(
        [spec.extra_hospital_cancellations(base_of[a]) if a in base_of else 0.0
         for a in pairs["activity_id"]])
    sessions -= rng.binomial(sessions.astype(np.int64), cancel_share[None, :])
    week_start = (pd.to_datetime(start) + pd.to_timedelta(7 * np.arange(n_weeks), unit="D")).to_numpy()
    parts = [pd.DataFrame({
        "clinician_id": np.tile(pairs["clinician_id"].to_numpy(), n_weeks),
        "week_start": np.repeat(week_start, len(pairs)),
        "activity_id": np.tile(pairs["activity_id"].to_numpy(), n_weeks),
        "sessions": sessions.ravel(),
        "session_type": "substantive",
    })]

    def bought(who: np.ndarray, activity: str, count: np.ndarray, kind: str) -> pd.DataFrame:
        """Rows of ``count`` (weeks, people) sessions of ``activity`` where positive."""
        w, c = np.nonzero(count > 0)
        return pd.DataFrame({"clinician_id": who[c], "week_start": week_start[w],
                             "activity_id": activity, "sessions": count[w, c].astype(np.float64),
                             "session_type": kind})

    rapid = spec.activity_id("2ww")
    is_rapid = (pairs["activity_id"] == rapid).to_numpy()
    extra = (pairs["clinician_id"] == team.extra_lists_clinician).to_numpy() & is_rapid
    runs = (rng.random(n_weeks) < EXTRA_LIST_PROBABILITY)[:, None] & extra[None, :] & ~leave
    # Demand running ahead (review_demand_factor f > 1): the clinicians running that clinic add
    # lists in proportion to their own, (f - 1) of them on average, in the weeks they work.
    factor = np.array([dict(spec.review_demand_factor).get(base_of.get(a, ""), 1.0)
                       for a in pairs["activity_id"]])
    response = rng.poisson(np.maximum(factor - 1.0, 0.0)[None, :] * np.where(leave, 0.0, base))
    additional = runs + response
    activities = pairs["activity_id"].to_numpy()
    for activity in np.unique(activities[additional.any(axis=0)]):
        mine = activities == activity
        parts.append(bought(pairs["clinician_id"].to_numpy()[mine], str(activity),
                            additional[:, mine], "additional"))
    # Locums: each team's 2WW lists lost to leave, some of them backfilled.
    team_of = clin_row // len(TEMPLATE)
    lost = np.zeros((n_weeks, int(team_of.max()) + 1 if team_of.size else 0))
    np.add.at(lost.T, team_of[is_rapid], (base * leave)[:, is_rapid].T)
    locums = np.array([f"{spec.code}.LOC{t + 1:02d}" if spec.prefix_ids else f"LOC{t + 1:02d}"
                       for t in range(lost.shape[1])], dtype=object)
    parts.append(bought(locums, rapid, rng.binomial(lost.astype(np.int64), LOCUM_COVER_SHARE),
                        "locum"))
    # Waiting-list-initiative follow-up clinics (weekend) by the out-of-hours consultants.
    wli_staff = clin["out_of_hours_opt_in"].to_numpy(dtype=bool)
    wli = (rng.random((n_weeks, int(wli_staff.sum()))) < WLI_PROBABILITY) & ~on_leave[wli_staff].T
    parts.append(bought(clin.index.to_numpy()[wli_staff], spec.activity_id("fu"), wli, "wli"))

    frame = pd.concat(parts, ignore_index=True)
    frame["kind"] = frame["session_type"].map({t: i for i, t in enumerate(SESSION_TYPES)})
    frame = frame.sort_values(["clinician_id", "activity_id", "week_start", "kind"], kind="stable")
    return Roster(frame.drop(columns="kind").reset_index(drop=True), _leave(clin, per_day, clin_row,
                                                                          holiday, on_leave, week_start))


def _leave(clin: pd.DataFrame, per_day: np.ndarray, clin_row: np.ndarray, holiday: np.ndarray,
           on_leave: np.ndarray, week_start: np.ndarray) -> pd.DataFrame:
    """Leave rows: whole leave weeks, and each bank holiday's share of a clinician's week."""
    days = np.zeros((len(clin), 7))  # planned sessions per clinician and weekday
    np.add.at(days, clin_row, per_day)
    on_holiday = (days[None, :, :] * holiday[:, None, :]).sum(axis=2)  # (weeks, clinicians)
    share = np.round(on_holiday / np.maximum(days.sum(axis=1), 1.0)[None, :], 2)
    weeks = np.where(on_leave.T, 1.0, share)
    w, c = np.nonzero(weeks > 0)
    frame = pd.DataFrame({"clinician_id": clin.index.to_numpy()[c], "week_start": week_start[w],
                          "weeks": weeks[w, c]})
    return frame.sort_values(["clinician_id", "week_start"], kind="stable").reset_index(drop=True)
