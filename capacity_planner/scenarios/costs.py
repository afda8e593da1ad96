"""Annual cost of a scenario's plan, line by line, from the pack's costs table and clinician costs.

Components (GBP a year):

``substantive_pas``
    every active clinician already in the pack: contracted PAs a week x the cost of one PA a week a year:
    the clinician's ``annual_cost_per_pa``, else the costs table ``substantive_pa`` row of their staff
    group (``annual_cost``), else :data:`~capacity_planner.solver.problem.NOMINAL_PA_COST` (flagged
    ``assumed``). A clinician a scenario removes costs nothing (the post is vacant); on-call PAs are part of
    contracted PAs.
``new_posts``
    each post a scenario adds: the ``annual_cost`` given for it, else the costs table ``recruit_wte`` of
    its staff group x WTE (contracted PAs / 10), else its PAs at the substantive rate above.
``additional_pas``
    additional PAs a week in the plan (``clinicians.csv`` ``apa_pas``) x the rate the solver used:
    ``apa_cost_per_pa``, else costs ``additional_pa``, else ``annual_cost_per_pa``, else costs
    ``substantive_pa``, else the nominal rate; whole pounds, as in the solver's cost objective.
``locum_sessions`` / ``wli_sessions``
    sessions bought a year (``summary.json`` ``purchased_sessions``) x the session cost: the scenario's
    ``cost_per_session``, else the costs table ``locum_session`` / ``wli_session`` row (the
    ``consultant`` row when several staff groups are priced, else the first), in whole pounds.

Each line of :func:`cost_breakdown` names its unit cost's source, so every figure can be traced; the
scenario's annual cost is the sum of its lines, and its change is taken from the baseline's sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from capacity_planner.pack.model import Clinician, PlanningPack
from capacity_planner.scenarios.transforms import NewPost, ScenarioPack
from capacity_planner.solver.options import PurchasedSessions
from capacity_planner.solver.problem import NOMINAL_PA_COST, PA_SCALE

BREAKDOWN_COLUMNS = ("scenario", "component", "clinician_id", "activity_id", "staff_group", "quantity",
                     "unit", "unit_cost", "unit_cost_source", "annual_cost")
COMPONENTS = ("substantive_pas", "new_posts", "additional_pas", "locum_sessions", "wli_sessions")
PAS_PER_WTE = 10.0


@dataclass(frozen=True, slots=True)
class Rate:
    """A unit cost and where it came from (e.g. ``clinicians.annual_cost_per_pa``)."""

    value: float
    source: str


def _cost_row(pack: PlanningPack, item: str, staff_group: str, attr: str) -> float | None:
    for row in pack.costs:
        if row.item == item and row.staff_group == staff_group and getattr(row, attr) is not None:
            return float(getattr(row, attr))
    return None


def substantive_rate(pack: PlanningPack, c: Clinician) -> Rate:
    """GBP a year for one contracted PA a week of clinician ``c``."""
    if c.annual_cost_per_pa is not None:
        return Rate(float(c.annual_cost_per_pa), "clinicians.annual_cost_per_pa")
    row = _cost_row(pack, "substantive_pa", c.staff_group, "annual_cost")
    if row is not None:
        return Rate(row, f"costs substantive_pa/{c.staff_group}")
    return Rate(NOMINAL_PA_COST, "assumed (no cost in the pack)")


def additional_rate(pack: PlanningPack, c: Clinician) -> Rate:
    """GBP a year for one additional PA a week of ``c`` (the solver's order of sources, whole pounds)."""
    for value, source in ((c.apa_cost_per_pa, "clinicians.apa_cost_per_pa"),
                          (_cost_row(pack, "additional_pa", c.staff_group, "annual_cost"),
                           f"costs additional_pa/{c.staff_group}"),
                          (c.annual_cost_per_pa, "clinicians.annual_cost_per_pa"),
                          (_cost_row(pack, "substantive_pa", c.staff_group, "annual_cost"),
                           f"costs substantive_pa/{c.staff_group}")):
        if value is not None:
            return Rate(float(round(value)), source)
    return Rate(NOMINAL_PA_COST, "assumed (no cost in the pack)")


def session_rate(pack: PlanningPack, purchase: PurchasedSessions) -> Rate:
    """GBP for one bought session (whole pounds). Raises LookupError when the pack prices none."""
    if purchase.cost_per_session is not None:
        return Rate(float(round(purchase.cost_per_session)), f"scenario {purchase.kind}.cost_per_session")
    item = "wli_session" if purchase.kind == "wli" else "locum_session"
    rows = [r for r in pack.costs if r.item == item and r.session_cost is not None]
    preferred = [r for r in rows if r.staff_group == "consultant"] or rows
    if not preferred:
        raise LookupError(f"no cost for {purchase.kind} sessions: give cost_per_session or a costs row "
                          f"{item}")
    row = preferred[0]
    return Rate(float(round(float(row.session_cost or 0.0))), f"costs {item}/{row.staff_group}")


def post_cost(pack: PlanningPack, post: NewPost) -> tuple[float, str, Rate]:
    """(quantity, unit, unit cost) of a new post: given cost, recruit_wte x WTE, or PAs x the PA rate."""
    if post.annual_cost is not None:
        return 1.0, "post", Rate(post.annual_cost, "scenario add_clinician.annual_cost")
    wte = _cost_row(pack, "recruit_wte", post.staff_group, "annual_cost")
    if wte is not None:
        return post.contracted_pas / PAS_PER_WTE, "WTE", Rate(wte, f"costs recruit_wte/{post.staff_group}")
    return post.contracted_pas, "PAs a week", substantive_rate(pack, pack.clinician(post.clinician_id))


def cost_breakdown(spack: ScenarioPack, clinicians: pd.DataFrame | None, bought: Mapping[str, float],
                   scenario: str = "") -> pd.DataFrame:
    """One line per costed item of a scenario's plan (columns :data:`BREAKDOWN_COLUMNS`).

    Parameters
    ----------
    spack : ScenarioPack
        The scenario applied to the pack.
    clinicians : DataFrame or None
        The plan's ``clinicians.csv`` (for additional PAs); None when there is no plan.
    bought : mapping
        Sessions bought a year per activity (``summary.json`` ``purchased_sessions``).
    """
    pack = spack.pack
    new_ids = spack.new_post_ids
    rows: list[tuple[object, ...]] = []
    for c in pack.clinicians:
        if not c.active or c.clinician_id in new_ids:
            continue
        r = substantive_rate(pack, c)
        rows.append((scenario, "substantive_pas", c.clinician_id, None, c.staff_group, c.contracted_pas,
                     "PAs a week", r.value, r.source, c.contracted_pas * r.value))
    for post in spack.new_posts:
        qty, unit, r = post_cost(pack, post)
        rows.append((scenario, "new_posts", post.clinician_id, None, post.staff_group, qty, unit, r.value,
                     r.source, qty * r.value))
    if clinicians is not None and len(clinicians):
        for rec in clinicians.itertuples(index=False):
            units = round(float(rec.apa_pas) * PA_SCALE)  # type: ignore[arg-type]  # exact PA units
            if units <= 0:
                continue
            c = pack.clinician(str(rec.clinician_id))
            r = additional_rate(pack, c)
            rows.append((scenario, "additional_pas", c.clinician_id, None, c.staff_group, units / PA_SCALE,
                         "PAs a week", r.value, r.source, units * r.value / PA_SCALE))
    kinds = {p.activity_id: p for p in spack.allowances.purchased_sessions}
    for aid, n in sorted(bought.items()):
        if n <= 0 or aid not in kinds:
            continue
        p = kinds[aid]
        r = session_rate(pack, p)
        rows.append((scenario, f"{p.kind}_sessions", None, aid, None, float(n), "sessions a year", r.value,
                     r.source, float(n) * r.value))
    frame = pd.DataFrame(rows, columns=list(BREAKDOWN_COLUMNS))
    frame["annual_cost"] = frame["annual_cost"].astype("float64").round(2)
    return frame


def cost_totals(breakdown: pd.DataFrame) -> dict[str, float]:
    """Annual cost per component (every component present, 0 when none) and ``annual_cost``, their sum."""
    sums = breakdown.groupby("component")["annual_cost"].sum() if len(breakdown) else pd.Series(dtype=float)
    out = {f"cost_{c}": round(float(sums.get(c, 0.0)), 2) for c in COMPONENTS}
    out["annual_cost"] = round(sum(out.values()), 2)
    return out
