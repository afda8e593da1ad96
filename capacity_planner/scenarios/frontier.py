r"""Budget frontier: for each extra budget a year, the least unmet demand the allowed levers can reach.

The solver's objective is lexicographic (unmet demand first, then cost, …) and has no cost *cap*, so a
budget is enforced through the levers' quantities instead. A *lever* is something money buys:

* ``additional_pas``: additional PAs a week for clinicians with headroom below ``max_pas`` (cap: a total
  T PAs a week, :class:`~capacity_planner.solver.options.Allowances` ``additional_pas_total``);
* ``locum:<activity>`` / ``wli:<activity>``: sessions of an activity bought a year (cap: N sessions).

A *setting* gives every lever a cap whose worst-case cost fits the budget:
:math:`\sum_\ell \text{cap}_\ell \times \text{rate}_\ell \le B`, where an additional PA is priced at the
dearest eligible clinician's rate (so whatever clinicians the solver picks, the spend is within budget).
For one setting the solver then finds the least unmet demand (rapid access first) and, among those plans,
the cheapest, so it buys only what helps. The frontier searches settings for each budget :math:`B`
(in increasing order) and keeps the best plan, ordered by unmet rapid-access sessions, then all unmet
sessions, then cost:

1. the best setting of the previous (smaller) budget, so the frontier never gets worse as the budget grows;
2. *merit order*: the budget goes to the levers in order of cost per session-week (an additional PA a week
   is ``working_weeks`` session-weeks a year), each up to its useful maximum (an activity's unmet demand in
   the no-spend plan; every clinician's headroom);
3. the whole budget on each lever alone, and (with five levers or fewer) half on each pair;
4. up to two rounds of *top-up*: what the best plan leaves of the budget goes to one more lever, each
   lever in turn that the plan did not use or used up to its cap.

Every setting tried is written to ``frontier_candidates.csv``. This is a heuristic search over lever
settings, not an exact budget-constrained optimum: with a cost cap in the model (not available in the
solver) the optimum could only be better, never worse, than the reported point. Budget 0 is the plan with
no spend on levers: no additional PAs (whatever pack.toml allows) and nothing bought.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from capacity_planner.pack.model import Clinician, PlanningPack
from capacity_planner.scenarios.costs import additional_rate, cost_breakdown, session_rate
from capacity_planner.scenarios.transforms import UNCAPPED_APA, ScenarioPack
from capacity_planner.solver.options import Allowances, PurchasedSessions
from capacity_planner.solver.problem import PA_SCALE

FRONTIER_COLUMNS = ("budget", "status", "unmet_sessions_per_year", "unmet_sessions_rapid_access_per_year",
                    "unmet_dcc_hours_per_year", "cost_used", "budget_left", "additional_pas",
                    "locum_sessions_per_year", "wli_sessions_per_year", "levers_bought", "caps",
                    "candidates_tried")
DEFAULT_LEVERS = ("additional_pas", "locum", "wli")
_EPS = 1e-6


@dataclass(frozen=True)
class Lever:
    """A lever: its key (``additional_pas``, ``locum:fu``), unit cost (GBP a year per PA a week, or GBP a
    session), cost per session-week a year (for the merit order) and useful maximum quantity."""

    key: str
    rate: float
    per_session: float
    useful_max: float
    step: float  # caps are whole multiples of this (1/120 PA, or one session)


Setting = tuple[tuple[str, float], ...]  # (lever key, cap) pairs, levers in a fixed order


@dataclass(frozen=True, eq=False)
class _Point:
    setting: Setting
    status: str
    unmet: float
    rapid: float
    hours: float
    cost: float
    metrics: dict[str, Any]
    lines: pd.DataFrame
    gaps: pd.DataFrame | None = None
    bought: dict[str, float] | None = None

    @property
    def key(self) -> tuple[float, float, float]:
        if self.status not in ("optimal", "feasible"):
            return (math.inf, math.inf, math.inf)
        return (round(self.rapid, 6), round(self.unmet, 6), round(self.cost, 2))


def _eligible(pack: PlanningPack) -> list[Clinician]:
    return [c for c in pack.clinicians if c.active and c.max_pas > c.contracted_pas + _EPS]


def build_levers(pack: PlanningPack, requirements: pd.DataFrame, unmet: float,
                 levers: Sequence[str] | None = None) -> list[Lever]:
    """The levers of ``levers`` (default :data:`DEFAULT_LEVERS`) priced for ``pack``, each with a first
    useful maximum (refined by the unlimited solve): every clinician's headroom for additional PAs, and
    ``unmet`` (the no-spend plan's unmet sessions a year) for bought sessions, since a bought session can
    also free a clinician for another activity. ``locum`` or ``wli`` alone mean every DCC activity with
    demand; when both are allowed for an activity the cheaper kind is used (the solver buys one kind of
    session per activity)."""
    wanted = list(levers) if levers is not None else list(DEFAULT_LEVERS)
    demand = {str(a) for a, n, c in zip(requirements["activity_id"], requirements["sessions_per_year"],
                                        requirements["category"], strict=True) if n > _EPS and c == "DCC"}
    out: list[Lever] = []
    buy: dict[str, Lever] = {}
    useful = float(math.ceil(unmet - _EPS))
    for spec in wanted:
        kind, _, aid = spec.partition(":")
        if kind == "additional_pas":
            eligible = _eligible(pack)
            if eligible:
                rate = max(additional_rate(pack, c).value for c in eligible)
                weeks = sum(c.working_weeks for c in eligible) / len(eligible)
                headroom = sum(c.max_pas - c.contracted_pas for c in eligible)
                out.append(Lever("additional_pas", rate, rate / weeks, _floor(headroom, 1 / PA_SCALE),
                                 1 / PA_SCALE))
            continue
        if kind not in ("locum", "wli"):
            raise ValueError(f"unknown lever {spec!r}: expected additional_pas, locum, wli, locum:<activity> "
                             "or wli:<activity>")
        if aid and aid not in pack.activity_ids:
            raise ValueError(f"lever {spec!r}: {aid} is not an activity of the pack")
        for a in ([aid] if aid else [a for a in pack.activity_ids if a in demand]):
            try:
                rate = session_rate(pack, PurchasedSessions(a, 0, None, kind)).value
            except LookupError:
                continue
            if useful > 0 and rate > 0 and (a not in buy or rate < buy[a].rate):
                buy[a] = Lever(f"{kind}:{a}", rate, rate, useful, 1.0)
    out += [buy[a] for a in pack.activity_ids if a in buy]
    return out


def _floor(x: float, step: float) -> float:
    return math.floor(x / step + _EPS) / round(1 / step)


def _snap(x: float, step: float) -> float:
    """``x`` as an exact whole number of steps (sums of steps drift in binary floating point)."""
    return round(x / step) / round(1 / step)


def _setting(levers: Sequence[Lever], spend: dict[str, float]) -> Setting:
    """Caps bought with ``spend`` (GBP) per lever, floored to whole steps (a single lever's spend beyond
    its useful maximum buys nothing more, so it is not capped here: the solver buys only what helps)."""
    return tuple((lv.key, _floor(spend.get(lv.key, 0.0) / lv.rate, lv.step)) for lv in levers)


def _merit(levers: Sequence[Lever], budget: float, base: dict[str, float] | None = None,
           first: Sequence[str] = ()) -> Setting:
    caps = dict(base or {})
    left = budget - sum(caps.get(lv.key, 0.0) * lv.rate for lv in levers)
    order = sorted(levers, key=lambda lv: (lv.key not in first, lv.per_session, lv.key))
    for lv in order:
        room = math.inf if lv.key in first else max(0.0, lv.useful_max - caps.get(lv.key, 0.0))
        add = min(room, _floor(max(0.0, left) / lv.rate, lv.step))
        caps[lv.key] = caps.get(lv.key, 0.0) + add
        left -= add * lv.rate
    return tuple((lv.key, _snap(caps.get(lv.key, 0.0), lv.step)) for lv in levers)


def candidate_settings(levers: Sequence[Lever], active: Sequence[Lever], budget: float,
                       previous: Setting | None = None) -> list[Setting]:
    """Settings tried first for ``budget`` (steps 1-3 of the module docstring), without duplicates:
    ``levers`` fixes the order of a setting, ``active`` are the levers worth spending on."""
    out = [previous] if previous is not None else []
    out.append(_merit(levers, budget))
    for lv in active:
        out.append(_setting(levers, {lv.key: budget}))
    if len(active) <= 5:
        for i, a in enumerate(active):
            for b in active[i + 1:]:
                out.append(_setting(levers, {a.key: budget / 2, b.key: budget / 2}))
    return list(dict.fromkeys(out))


def top_ups(levers: Sequence[Lever], active: Sequence[Lever], setting: Setting, bought: dict[str, float],
            budget: float) -> list[Setting]:
    """Settings spending what ``setting`` leaves of the budget on one more lever each: caps are first
    lowered to what the plan bought (it stays a solution), then the budget left goes to each lever the plan
    did not use or used up to its cap (a lever bought below its cap has all it can use)."""
    caps = dict(setting)
    got = {x.key: bought.get(x.key.split(":")[-1], 0.0) for x in levers}
    tight = {k: min(c, _snap(got[k], y.step)) for (k, c), y in zip(setting, levers, strict=True)}
    left = budget - sum(tight[x.key] * x.rate for x in levers)  # caps lowered to what was bought
    out = []
    for x in active:
        more = _floor(max(0.0, left) / x.rate, x.step)
        if more > 0 and (caps[x.key] <= 0 or got[x.key] >= caps[x.key] - _EPS):
            out.append(tuple((k, _snap(tight[k] + more, y.step) if k == x.key else tight[k])
                             for k, y in zip(caps, levers, strict=True)))
    return out


def allowances_for(pack: PlanningPack, levers: Sequence[Lever], setting: Setting) -> Allowances:
    """Solver allowances for a setting: additional PAs only for eligible clinicians, up to the total cap."""
    caps = dict(setting)
    apa = caps.get("additional_pas", 0.0)
    kinds = {lv.key: lv for lv in levers}
    bought = tuple(PurchasedSessions(k.split(":", 1)[1], v, kinds[k].rate, k.split(":", 1)[0])
                   for k, v in setting if k != "additional_pas" and v > 0)
    return Allowances(additional_pas_per_clinician=UNCAPPED_APA if apa > 0 else 0.0,
                      additional_pas_total=apa if apa > 0 else None,
                      clinicians=frozenset(c.clinician_id for c in _eligible(pack)) if apa > 0 else None,
                      purchased_sessions=bought)


def _solve(pack: PlanningPack, requirements: Any, levers: Sequence[Lever], setting: Setting,
           time_limit_s: float) -> _Point:
    from capacity_planner.scenarios.compare import plan_metrics
    from capacity_planner.solver.plan import plan_allocation

    allowances = allowances_for(pack, levers, setting)
    plan = plan_allocation(pack, requirements, time_limit_s=time_limit_s, seed=pack.settings.seed, workers=1,
                           allowances=allowances, raise_on_failure=False)
    status = plan.status.value
    if plan.result.solution is None:
        return _Point(setting, status, math.nan, math.nan, math.nan, math.nan, {}, pd.DataFrame(), None, {})
    spack = ScenarioPack(pack, allowances)
    m = plan_metrics(spack, plan.tables, plan.summary, requirements.table)
    bought = {str(k): float(v) for k, v in dict(plan.summary.get("purchased_sessions") or {}).items()}
    lines = cost_breakdown(spack, plan.clinicians, bought)
    lines = lines[lines["component"] != "substantive_pas"].reset_index(drop=True)
    return _Point(setting, status, m["unmet_sessions_per_year"], m["unmet_sessions_rapid_access_per_year"],
                  m["unmet_dcc_hours_per_year"], round(float(lines["annual_cost"].sum()), 2), m, lines,
                  plan.gaps, {**bought, "additional_pas": float(plan.summary.get("additional_pas") or 0.0)})


def _bought_text(point: _Point) -> str:
    parts = []
    for comp, g in point.lines.groupby("component", sort=False):
        if comp == "additional_pas":
            parts.append(f"additional PAs {g['quantity'].sum():.2f}/week (£{g['annual_cost'].sum():,.0f})")
        else:
            for r in g.itertuples():
                parts.append(f"{str(comp).split('_')[0]} {r.activity_id} {r.quantity:g} sessions "
                             f"(£{r.annual_cost:,.0f})")
    return "; ".join(parts) or "nothing"


def _setting_text(setting: Setting) -> str:
    return "; ".join(f"{k} <= {v:g}" for k, v in setting if v > 0) or "no spend"


def frontier_table(pack: PlanningPack, budgets: Sequence[float], *, levers: Sequence[str] | None = None,
                   time_limit_s: float | None = None, top_up_rounds: int = 2,
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frontier (columns :data:`FRONTIER_COLUMNS`) and every setting tried, without writing files."""
    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.workflow import history_only

    if any(not math.isfinite(b) or b < 0 for b in budgets):
        raise ValueError("budgets must be numbers >= 0 (GBP a year)")
    limit = float(pack.settings.time_limit_s if time_limit_s is None else time_limit_s)
    requirements = size_demand(history_only(pack)[0]).requirements
    base = _solve(pack, requirements, [], (), limit)
    if base.status not in ("optimal", "feasible"):
        raise ValueError(f"the plan with no extra spend has no solution ({base.status}); fix the pack first")
    lv = build_levers(pack, requirements.table, base.unmet, levers)
    rows: list[dict[str, Any]] = []
    tried: list[dict[str, Any]] = []
    zero = tuple((x.key, 0.0) for x in lv)
    cache: dict[Setting, _Point] = {zero: dataclasses.replace(base, setting=zero)}

    def run(setting: Setting, budget: float | None) -> _Point:
        if setting not in cache:
            cache[setting] = _solve(pack, requirements, lv, setting, limit)
        p = cache[setting]
        tried.append({"budget": budget, "setting": _setting_text(setting), "status": p.status,
                      "unmet_sessions_per_year": p.unmet, "unmet_sessions_rapid_access_per_year": p.rapid,
                      "cost_used": p.cost, "levers_bought": _bought_text(p) if p.metrics else "",
                      "chosen": False})
        return p

    # Money no object: what the solver buys to reach the least unmet demand sets each lever's useful
    # maximum; levers it does not use are left out of the search.
    unlimited = run(tuple((x.key, x.useful_max) for x in lv), None) if lv else cache[zero]
    used = unlimited.bought or {}
    lv = [dataclasses.replace(x, useful_max=_snap(used.get(x.key.split(":")[-1], 0.0), x.step)) for x in lv]
    active = [x for x in lv if x.useful_max > 0]
    best: _Point | None = None
    for budget in sorted(set(float(b) for b in budgets)):
        if budget <= 0 or not active:
            settings = [zero]
        else:
            settings = candidate_settings(lv, active, budget, best.setting if best is not None else None)
            full = tuple((x.key, x.useful_max) for x in lv)
            if sum(c * x.rate for (_, c), x in zip(full, lv, strict=True)) <= budget + _EPS:
                settings.append(full)
        points = [run(s, budget) for s in dict.fromkeys(settings)]
        top = min(points, key=lambda p: p.key)
        for _ in range(top_up_rounds if budget > 0 and active else 0):
            extra = top_ups(lv, active, top.setting, top.bought or {}, budget)
            if not extra:
                break
            p = min((run(e, budget) for e in extra), key=lambda q: q.key)
            if p.key >= top.key:
                break
            top = p
        for t in tried:
            if t["budget"] == budget:
                t["chosen"] = t["setting"] == _setting_text(top.setting)
        best = top
        m = top.metrics
        rows.append({"budget": budget, "status": top.status, "unmet_sessions_per_year": top.unmet,
                     "unmet_sessions_rapid_access_per_year": top.rapid, "unmet_dcc_hours_per_year": top.hours,
                     "cost_used": top.cost, "budget_left": round(budget - top.cost, 2),
                     "additional_pas": m.get("additional_pas", 0.0),
                     "locum_sessions_per_year": m.get("locum_sessions_per_year", 0.0),
                     "wli_sessions_per_year": m.get("wli_sessions_per_year", 0.0),
                     "levers_bought": _bought_text(top), "caps": _setting_text(top.setting),
                     "candidates_tried": sum(1 for t in tried if t["budget"] == budget)})
    return pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS)), pd.DataFrame(tried)


def frontier_chart(frontier: pd.DataFrame) -> Any:
    """Unmet sessions a year (total and rapid access) against the extra budget, as steps."""
    from capacity_planner.report import charts as CH
    from capacity_planner.scenarios.compare import _figure

    fig = _figure(9, 5.5)
    ax = fig.add_subplot()
    x = frontier["budget"].astype(float) / 1000
    ax.step(x, frontier["unmet_sessions_per_year"], where="post", color=CH.PLANNED_COLOUR, lw=2,
            label="all activities")
    ax.step(x, frontier["unmet_sessions_rapid_access_per_year"], where="post", color=CH.INCREASE_COLOUR,
            lw=1.5, ls="--", label="rapid access")
    ax.scatter(x, frontier["unmet_sessions_per_year"], color=CH.PLANNED_COLOUR, zorder=3, s=20)
    ax.set_xlabel("Extra budget (£ thousand a year)")
    ax.set_ylabel("Least unmet demand reached (sessions a year)")
    ax.set_title("Budget frontier: unmet demand against extra spend")
    ax.set_ylim(bottom=0)
    ax.grid(True, color="#e0e0e0", lw=0.6)
    ax.legend(frameon=False)
    alt = "Step chart of the least unmet sessions a year reached for each extra budget: " + "; ".join(
        f"£{b:,.0f}: {u:,.0f} ({lv})" for b, u, lv in
        zip(frontier["budget"], frontier["unmet_sessions_per_year"], frontier["levers_bought"], strict=True))
    return CH.Chart("frontier", "Budget frontier", alt, fig)


def run_frontier(pack: PlanningPack, budgets: Sequence[float], out_dir: str | Path, *,
                 levers: Sequence[str] | None = None, time_limit_s: float | None = None) -> pd.DataFrame:
    """Compute the budget frontier and write ``frontier.csv``, ``frontier_candidates.csv`` and
    ``charts/frontier.png`` into ``out_dir`` (each file atomically).

    Parameters
    ----------
    pack : PlanningPack
        The pack as it is (the frontier's budget 0).
    budgets : sequence of float
        Extra GBP a year to spend on the levers (0 is the no-spend plan).
    levers : sequence of str, optional
        ``additional_pas``, ``locum``, ``wli``, ``locum:<activity>``, ``wli:<activity>``; default all three
        kinds (:func:`build_levers`).
    time_limit_s : float, optional
        Solver time limit per setting tried; default pack.toml ``solver.time_limit_s``.

    Returns
    -------
    DataFrame
        ``frontier.csv``: one row per budget (:data:`FRONTIER_COLUMNS`).
    """
    from capacity_planner.report import charts as CH

    frontier, tried = frontier_table(pack, budgets, levers=levers, time_limit_s=time_limit_s)
    out = Path(out_dir)
    (out / "charts").mkdir(parents=True, exist_ok=True)
    for name, frame in (("frontier.csv", frontier), ("frontier_candidates.csv", tried)):
        tmp = out / f".{name}.tmp"
        frame.to_csv(tmp, index=False, lineterminator="\n")
        tmp.replace(out / name)
    chart = frontier_chart(frontier)
    tmp = out / "charts" / ".frontier.png.tmp"
    tmp.write_bytes(CH.png_bytes(chart))
    tmp.replace(out / "charts" / "frontier.png")
    return frontier
