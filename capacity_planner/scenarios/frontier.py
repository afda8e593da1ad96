r"""Budget frontier: for each extra budget a year, the least unmet demand the allowed levers can reach.

A *lever* is something money buys:

* ``additional_pas``: additional PAs a week for clinicians with headroom below ``max_pas``, each at that
  clinician's rate (GBP a year per PA a week; :func:`~capacity_planner.scenarios.costs.additional_rate`);
* ``locum:<activity>`` / ``wli:<activity>``: locum or waiting-list-initiative sessions of a bookable
  clinic (a DCC activity that sees patients, :func:`~capacity_planner.scenarios.levers.is_bookable`), at
  a price a session (:func:`~capacity_planner.scenarios.costs.session_rate`); ``locum`` or ``wli`` alone
  mean every bookable clinic with unmet demand. When both are allowed for an activity the cheaper kind is
  offered (the solver buys one kind of session per activity).

The no-spend plan (budget 0) is solved first. For a budget :math:`B` every lever is offered: additional
PAs up to each eligible clinician's headroom, and sessions of each bookable clinic up to that clinic's
unmet demand in the no-spend plan (whole sessions). A bought session closes a gap in its own clinic: an
activity the team already covers is never bought, even where buying it would free a clinician for
another clinic at the same price (a swap the meeting could not see in the plan). The budget is a
constraint of the allocation model
(:meth:`~capacity_planner.solver.constraints.Constraints.extra_cost_cap`):

.. math:: \sum_c \text{rate}_c\, e_c + \sum_a \text{price}_a\, b_a \le B

The solver's lexicographic objective then gives, within the budget, the least unmet rapid-access demand,
then the least unmet routine demand (priority-weighted, as in ``plan``), then the cheapest way to reach
it, so each point is the exact optimum for its budget when its status is ``optimal``, and says which
levers that optimum buys. Budget 0 is the plan with no spend on levers: no additional PAs (whatever
pack.toml allows) and nothing bought.

A point cut short by the work limit (status ``feasible``) is the best plan found, not a proven optimum.
Since a plan within a smaller budget is also within a larger one, a point that comes out worse than the
point before it is replaced by that point's plan, and its ``reason`` says so: the frontier never gets
worse as the budget grows.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner._csv import write_csv
from capacity_planner.errors import CapacityPlannerError, InfeasiblePlanError
from capacity_planner.scenarios.costs import additional_rate, cost_breakdown, session_rate
from capacity_planner.scenarios.levers import (
    apa_shortfall,
    bookable_activities,
    not_bookable_reason,
    pa_text,
    session_shortfall,
)
from capacity_planner.scenarios.transforms import UNCAPPED_APA, ScenarioPack
from capacity_planner.solver.options import Allowances, PurchasedSessions

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from capacity_planner.demand.pipeline import DemandResult
    from capacity_planner.pack.model import Clinician, PlanningPack

FRONTIER_COLUMNS = ("budget", "status", "reason", "unmet_sessions_per_year",
                    "unmet_sessions_rapid_access_per_year", "unmet_dcc_hours_per_year", "cost_used",
                    "budget_left", "sessions_closed_per_10k", "additional_pas", "locum_sessions_per_year",
                    "wli_sessions_per_year", "levers_bought", "levers_not_bought")
DEFAULT_LEVERS = ("additional_pas", "locum", "wli")
_EPS = 1e-6


@dataclass(frozen=True)
class Lever:
    """A lever the budget may buy.

    Parameters
    ----------
    key : str
        ``additional_pas``, or ``<kind>:<activity>`` for bought sessions (``locum:fu``).
    rate : float
        GBP a year per PA a week (additional PAs: the dearest eligible clinician's rate, for display), or
        GBP a session.
    max_quantity : float
        Additional PAs a week (the eligible clinicians' headroom, in total) or sessions a year (the
        activity's demand, whole sessions).
    """

    key: str
    rate: float
    max_quantity: float


def _eligible(pack: PlanningPack) -> list[Clinician]:
    return [c for c in pack.clinicians if c.active and c.max_pas > c.contracted_pas + _EPS]


def lever_problems(pack: PlanningPack, levers: Sequence[str]) -> list[str]:
    """What is wrong with each lever name (empty when all are valid)."""
    out = []
    for spec in levers:
        kind, _, aid = spec.partition(":")
        if kind not in ("additional_pas", "locum", "wli") or (kind == "additional_pas" and aid):
            out.append(f"unknown lever {spec!r}: expected additional_pas, locum, wli, locum:<activity> or "
                       "wli:<activity>")
        elif aid and aid not in pack.activity_ids:
            out.append(f"lever {spec!r}: {aid} is not an activity of the pack (activities: "
                       f"{', '.join(pack.activity_ids)})")
        elif aid and (why := not_bookable_reason(pack.activity(aid))):
            out.append(f"lever {spec!r}: {why}")
    return out


def build_levers(pack: PlanningPack, requirements: pd.DataFrame,
                 levers: Sequence[str] | None = None,
                 gaps: Mapping[str, float] | None = None) -> list[Lever]:
    """The levers of ``levers`` (default :data:`DEFAULT_LEVERS`) priced for ``pack``.

    Bought sessions are offered for bookable clinics with demand, up to ``gaps`` (unmet sessions a year by
    activity in the no-spend plan, rounded up), or up to the demand (``sessions_per_year`` rounded up)
    when no gaps are given; an activity with nothing to close is not offered, and one the pack prices no
    session for is skipped when named by ``locum``/``wli`` alone. Raises ValueError for an unknown lever
    or activity, or an activity that is not a bookable clinic.
    """
    wanted = list(levers) if levers is not None else list(DEFAULT_LEVERS)
    problems = lever_problems(pack, wanted)
    if problems:
        raise ValueError("; ".join(problems))
    table = requirements
    bookable = set(bookable_activities(pack))
    demand = {str(a): float(n) for a, n in zip(table["activity_id"], table["sessions_per_year"], strict=True)
              if n > _EPS and str(a) in bookable}
    if gaps is not None:
        demand = {a: min(n, float(gaps.get(a, 0.0))) for a, n in demand.items()}
    out: list[Lever] = []
    buy: dict[str, Lever] = {}
    for spec in wanted:
        kind, _, aid = spec.partition(":")
        if kind == "additional_pas":
            eligible = _eligible(pack)
            if eligible:
                rate = max(additional_rate(pack, c).value for c in eligible)
                out.append(Lever("additional_pas", rate, sum(c.max_pas - c.contracted_pas for c in eligible)))
            continue
        for a in ([aid] if aid else [a for a in pack.activity_ids if a in demand]):
            try:
                rate = session_rate(pack, PurchasedSessions(a, 0, None, kind)).value
            except LookupError:
                if aid:
                    raise ValueError(f"lever {spec!r}: the pack has no {kind}_session cost") from None
                continue
            most = float(math.ceil(demand.get(a, 0.0) - _EPS))
            if most > 0 and (a not in buy or rate < buy[a].rate):
                buy[a] = Lever(f"{kind}:{a}", rate, most)
    out += [buy[a] for a in pack.activity_ids if a in buy]
    return out


def allowances_for(pack: PlanningPack, levers: Sequence[Lever], budget: float) -> Allowances:
    """Solver allowances for one budget: no spend at all for 0; otherwise every lever up to its maximum
    quantity, with the budget as ``max_extra_cost``."""
    if budget <= 0 or not levers:
        return Allowances(additional_pas_per_clinician=0.0)
    apa = any(lv.key == "additional_pas" for lv in levers)
    bought = tuple(PurchasedSessions(lv.key.split(":", 1)[1], lv.max_quantity, lv.rate,
                                     lv.key.split(":", 1)[0]) for lv in levers if lv.key != "additional_pas")
    return Allowances(additional_pas_per_clinician=UNCAPPED_APA if apa else 0.0,
                      clinicians=frozenset(c.clinician_id for c in _eligible(pack)) if apa else None,
                      purchased_sessions=bought, max_extra_cost=float(budget))


@dataclass(frozen=True, eq=False)
class _Point:
    status: str
    reproducible: bool
    metrics: dict[str, Any]
    lines: pd.DataFrame
    objective: tuple[float, float] = (math.inf, math.inf)  # the solver's unmet levels (priority-weighted)
    reasons: tuple[str, ...] = ()  # why the rules cannot all hold (infeasible)
    gaps: Mapping[str, float] = dataclasses.field(default_factory=dict)  # unmet sessions a year by activity
    allocation: pd.DataFrame | None = None

    @property
    def solved(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def cost(self) -> float:
        return round(float(self.lines["annual_cost"].sum()), 2) if len(self.lines) else 0.0

    @property
    def key(self) -> tuple[float, float, float]:
        """Order of merit, as the solver ranks plans: priority-weighted unmet rapid-access demand, then
        routine demand, then cost (lower is better)."""
        if not self.solved:
            return (math.inf, math.inf, math.inf)
        return (*self.objective, self.cost)


def _solve(pack: PlanningPack, demand: DemandResult, allowances: Allowances, work_limit: float,
           time_limit_s: float) -> _Point:
    from capacity_planner.application import PlanOptions, plan_pack
    from capacity_planner.scenarios.compare import plan_metrics

    plan = plan_pack(pack, PlanOptions(time_limit_s=time_limit_s, seed=pack.settings.seed, workers=1,
                                       allowances=allowances, raise_on_failure=False, work_limit=work_limit),
                     demand=demand).plan
    if not plan.has_plan:
        return _Point(plan.status.value, plan.result.reproducible, {}, pd.DataFrame(),
                      reasons=plan.result.reasons)
    spack = ScenarioPack(pack, allowances)
    m = plan_metrics(spack, plan.tables, plan.summary, demand.requirements.table)
    bought = {str(k): float(v) for k, v in plan.summary.bought_sessions.items()}
    lines = cost_breakdown(spack, plan.clinicians, bought)
    lines = lines[lines["component"] != "substantive_pas"].reset_index(drop=True)
    objective = plan.result.objective
    levels = (float(objective.get("unmet_rapid_access") or 0.0), float(objective.get("unmet_routine") or 0.0))
    gaps = plan.tables["gaps"]
    by_activity = {str(a): float(g) for a, g in zip(gaps["activity_id"], gaps["gap_sessions_per_year"],
                                                     strict=True)}
    return _Point(plan.status.value, plan.result.reproducible, m, lines, levels, gaps=by_activity,
                  allocation=plan.tables["allocation"])


def _names(pack: PlanningPack) -> tuple[dict[str, str], dict[str, str]]:
    return ({c.clinician_id: c.name or c.clinician_id for c in pack.clinicians},
            {a.activity_id: a.name or a.activity_id for a in pack.activities})


KIND_WORDS = {"locum": "locum", "wli": "waiting-list-initiative"}


def _bought_text(point: _Point, pack: PlanningPack) -> str:
    """What a point buys, in words: additional PAs per clinician (contractual units, :func:`pa_text`) and
    sessions per clinic, each with its annual cost."""
    clinicians, activities = _names(pack)
    parts = []
    for comp, g in point.lines.groupby("component", sort=False):
        for r in g.to_dict("records"):
            cost, quantity = float(r["annual_cost"]), float(r["quantity"])
            if comp == "additional_pas":
                who = clinicians.get(str(r["clinician_id"]), str(r["clinician_id"]))
                parts.append(f"{who}: {pa_text(quantity)} additional PA(s) a week (£{cost:,.0f})")
            else:
                kind = KIND_WORDS.get(str(comp).split("_")[0], str(comp))
                what = activities.get(str(r["activity_id"]), str(r["activity_id"]))
                parts.append(f"{quantity:g} {kind} sessions of {what} (£{cost:,.0f})")
    return "; ".join(parts) or "nothing"


def _not_bought_text(point: _Point, pack: PlanningPack, levers: Sequence[Lever], budget: float) -> str:
    """Why the levers offered at this budget were not bought to their limits, in short: where a lever has no
    place in the plan (:func:`~capacity_planner.scenarios.levers.apa_shortfall`), where a clinic's gap is
    closed, and one sentence for the levers the money left cannot pay for."""
    if budget <= 0 or not point.solved or point.allocation is None:
        return ""
    clinicians, activities = _names(pack)
    left = budget - point.cost
    lines = point.lines
    notes: list[str] = []
    unaffordable: dict[str, float] = {}  # what -> its price
    for lever in levers:
        if lever.key == "additional_pas":
            bought = float(lines.loc[lines["component"] == "additional_pas", "quantity"].sum())
            if bought >= lever.max_quantity - _EPS:
                continue
            eligible = [c.clinician_id for c in _eligible(pack)]
            place = apa_shortfall(pack, eligible, point.allocation, point.gaps, clinician_names=clinicians,
                                  activity_names=activities)
            cheapest = min(additional_rate(pack, c).value for c in _eligible(pack))
            if place.startswith("other rules") and left + _EPS < cheapest:
                unaffordable["an additional PA a week for a year"] = cheapest
            else:
                notes.append(f"additional PAs ({pa_text(bought)} of {pa_text(lever.max_quantity)} a week of "
                             f"headroom): {place}")
            continue
        kind, _, aid = lever.key.partition(":")
        mine = (lines["component"] == f"{kind}_sessions") & (lines["activity_id"] == aid)
        got = float(lines.loc[mine, "quantity"].sum())
        why = session_shortfall(aid, got, lever.max_quantity, point.gaps.get(aid, 0.0),
                                activity_names=activities)
        if not why:
            continue
        if point.gaps.get(aid, 0.0) > 0.5 and left + _EPS < lever.rate:
            unaffordable[f"a {KIND_WORDS.get(kind, kind)} session"] = lever.rate
        else:
            notes.append(why)
    if unaffordable:
        prices = ", ".join(f"{what} £{price:,.0f}" for what, price in
                           sorted(unaffordable.items(), key=lambda kv: kv[1]))
        notes.append(f"the £{max(left, 0.0):,.0f} left buys nothing more ({prices})")
    return "; ".join(notes)


def _reason(point: _Point) -> str:
    if point.status == "optimal":
        return ""
    if not point.solved:
        return f"no plan found ({point.status})"
    if point.reproducible:
        return "work limit reached before every level was proven optimal (raise --work-limit)"
    return "wall-clock limit reached before every level was proven optimal; may differ from run to run"


@dataclass(frozen=True)
class BudgetDone:
    """One budget of the frontier solved (for progress on the console): the ``done``-th of ``total``,
    its status, unmet sessions a year and extra cost used (GBP a year), and the solve's wall seconds."""

    done: int
    total: int
    budget: float
    status: str
    unmet_sessions_per_year: float
    cost_used: float
    seconds: float


def frontier_table(pack: PlanningPack, budgets: Sequence[float], *, levers: Sequence[str] | None = None,
                   work_limit: float | None = None, time_limit_s: float | None = None,
                   on_budget: Callable[[BudgetDone], None] | None = None) -> pd.DataFrame:
    """The frontier (columns :data:`FRONTIER_COLUMNS`, one row per distinct budget, ascending), without
    writing files. Limits as in :func:`~capacity_planner.scenarios.runner.solver_limits`, per budget;
    ``on_budget`` is called as each budget is solved (e.g. :func:`capacity_planner.console.budget_line`)."""
    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.scenarios.runner import solver_limits

    if any(not math.isfinite(b) or b < 0 for b in budgets):
        raise ValueError("budgets must be numbers >= 0 (GBP a year)")
    work, wall = solver_limits(pack, work_limit, time_limit_s)
    demand = size_demand(pack)
    build_levers(pack, demand.requirements.table, levers)  # unknown levers fail before any solve
    reference = _solve(pack, demand, allowances_for(pack, [], 0.0), work, wall)  # the no-spend plan
    lv = build_levers(pack, demand.requirements.table, levers,
                      gaps=reference.gaps if reference.solved else None)
    rows: list[dict[str, Any]] = []
    best: _Point | None = None
    best_budget = 0.0
    ordered = sorted(set(float(b) for b in budgets))
    for budget in ordered:
        started = time.perf_counter()
        point = (reference if budget <= 0 else
                 _solve(pack, demand, allowances_for(pack, lv, budget), work, wall))
        if best is None and not point.solved:  # the smallest budget: as `plan` would fail
            if point.status == "infeasible":
                raise InfeasiblePlanError(point.reasons or ("the rules cannot all hold",))
            raise CapacityPlannerError(f"no plan was found for the £{budget:,.0f} budget within the limits "
                                       f"({point.status}); raise --work-limit")
        reason = _reason(point)
        if best is not None and point.status != "optimal" and best.key < point.key:  # cut short and worse
            reason = (f"kept the plan of the £{best_budget:,.0f} budget: the solve at this budget stopped "
                      f"with a worse one ({_reason(point) or point.status})")
            point = best
        else:
            best, best_budget = point, budget
        m = point.metrics
        closed = None
        if rows and budget > rows[-1]["budget"]:
            closed = round((rows[-1]["unmet_sessions_per_year"] - m["unmet_sessions_per_year"])
                           / (budget - rows[-1]["budget"]) * 10_000, 3)
        rows.append({"budget": budget, "status": point.status, "reason": reason,
                     "unmet_sessions_per_year": m["unmet_sessions_per_year"],
                     "unmet_sessions_rapid_access_per_year": m["unmet_sessions_rapid_access_per_year"],
                     "unmet_dcc_hours_per_year": m["unmet_dcc_hours_per_year"], "cost_used": point.cost,
                     "budget_left": round(budget - point.cost, 2), "sessions_closed_per_10k": closed,
                     "additional_pas": m.get("additional_pas", 0.0),
                     "locum_sessions_per_year": m.get("locum_sessions_per_year", 0.0),
                     "wli_sessions_per_year": m.get("wli_sessions_per_year", 0.0),
                     "levers_bought": _bought_text(point, pack),
                     "levers_not_bought": _not_bought_text(point, pack, lv, budget)})
        if on_budget is not None:
            on_budget(BudgetDone(len(rows), len(ordered), budget, point.status, m["unmet_sessions_per_year"],
                                 point.cost, time.perf_counter() - started))
    frame = pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS))
    frame.attrs["levers"] = [dataclasses.asdict(x) for x in lv]  # what was offered (the page lists it)
    return frame


def frontier_chart(frontier: pd.DataFrame) -> Any:
    """Unmet sessions a year (total and rapid access) against the extra budget, as steps, in the house
    chart style (:mod:`capacity_planner.pages.chart_style`); each point labelled with its unmet sessions."""
    from capacity_planner.pages.chart_style import SERIES, new_figure, style_axes
    from capacity_planner.report import charts as CH

    fig = new_figure(9, 5.5)
    ax = style_axes(fig.add_subplot(), grid="both")
    x = frontier["budget"].astype(float) / 1000
    unmet = frontier["unmet_sessions_per_year"].astype(float)
    ax.step(x, unmet, where="post", color=SERIES["planned"], lw=2, label="all activities")
    ax.step(x, frontier["unmet_sessions_rapid_access_per_year"], where="post", color=SERIES["increase"],
            lw=1.5, ls="--", label="rapid access")
    ax.scatter(x, unmet, color=SERIES["planned"], zorder=3, s=22)
    for xi, yi in zip(x, unmet, strict=True):
        ax.annotate(f"{yi:,.0f}", (xi, yi), xytext=(0, 6), textcoords="offset points", ha="center",
                    fontsize=8)
    ax.set_xlabel("Extra budget (£ thousand a year)")
    ax.set_ylabel("Least unmet demand reached (sessions a year)")
    ax.set_title("Budget frontier: unmet demand against extra spend")
    ax.set_ylim(bottom=0, top=max(1.0, float(unmet.max()) * 1.12))
    ax.legend(frameon=False)
    alt = "Step chart of the least unmet sessions a year reached for each extra budget: " + "; ".join(
        f"£{b:,.0f}: {u:,.0f} ({lv})" for b, u, lv in
        zip(frontier["budget"], frontier["unmet_sessions_per_year"], frontier["levers_bought"], strict=True))
    return CH.Chart("frontier", "Budget frontier", alt, fig)


def run_frontier(pack: PlanningPack, budgets: Sequence[float], out_dir: str | Path, *,
                 levers: Sequence[str] | None = None, work_limit: float | None = None,
                 time_limit_s: float | None = None,
                 on_budget: Callable[[BudgetDone], None] | None = None) -> pd.DataFrame:
    """Compute the budget frontier and write ``frontier.csv``, ``charts/frontier.png`` and
    ``frontier.html`` (:func:`capacity_planner.scenarios.frontier_page.render_frontier_html`) into
    ``out_dir`` (all or nothing, under the output-folder rule of :mod:`capacity_planner._files`).

    Parameters
    ----------
    pack : PlanningPack
        The pack as it is (the frontier's budget 0).
    budgets : sequence of float
        Extra GBP a year to spend on the levers (0 is the no-spend plan).
    levers : sequence of str, optional
        ``additional_pas``, ``locum``, ``wli``, ``locum:<activity>``, ``wli:<activity>``; default all three
        kinds (:func:`build_levers`).
    work_limit : float, optional
        Solver work per budget, CP-SAT deterministic time units (about a core-second each); default
        pack.toml ``solver.work_limit``, else ``solver.time_limit_s``.
    time_limit_s : float, optional
        Wall-clock safety net per budget, seconds; default ten times the work limit (at least 60 s).
    on_budget : callable, optional
        Called with a :class:`BudgetDone` as each budget is solved (progress on the console).

    Returns
    -------
    DataFrame
        ``frontier.csv``: one row per budget (:data:`FRONTIER_COLUMNS`).

    Raises
    ------
    InfeasiblePlanError
        The rules cannot all hold even at the smallest budget (exit code 3, with the reasons).
    CapacityPlannerError
        No plan was found for the smallest budget within the limits.
    """
    from capacity_planner._files import check_output_folder, output_folder
    from capacity_planner.report import charts as CH
    from capacity_planner.scenarios.frontier_page import render_frontier_html
    from capacity_planner.workflow import pack_inputs

    check_output_folder(out_dir, inputs=pack_inputs(pack))  # refuse before the solves, not after
    frontier = frontier_table(pack, budgets, levers=levers, work_limit=work_limit, time_limit_s=time_limit_s,
                              on_budget=on_budget)
    with output_folder(out_dir, "frontier", inputs=pack_inputs(pack)) as stage:
        (stage / "charts").mkdir()
        write_csv(frontier, stage / "frontier.csv")
        chart = frontier_chart(frontier)
        png = CH.png_bytes(chart)
        (stage / "charts" / "frontier.png").write_bytes(png)
        page = render_frontier_html(frontier, png, chart.alt, pack)
        (stage / "frontier.html").write_text(page, encoding="utf-8")
    return frontier
