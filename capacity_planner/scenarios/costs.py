"""Annual cost of a scenario's plan, line by line, priced by the one price list
(:mod:`capacity_planner.pack.costs`, which the solver's cost objective uses too).

Components (GBP a year):

``substantive_pas``
    every active clinician already in the pack: contracted PAs a week x the cost of one PA a week a year:
    the clinician's ``annual_cost_per_pa``, else the costs table ``substantive_pa`` row of their staff
    group (``annual_cost``), else :data:`~capacity_planner.pack.costs.NOMINAL_PA_COST` (flagged
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

from typing import TYPE_CHECKING

import pandas as pd

from capacity_planner.pack.costs import (
    PA_SCALE,
    Rate,
    additional_rate,
    cost_item,
    pa_units,
    substantive_rate,
)
from capacity_planner.pack.costs import session_rate as price_session

if TYPE_CHECKING:
    from collections.abc import Mapping

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.scenarios.transforms import NewPost, ScenarioPack
    from capacity_planner.solver.options import PurchasedSessions

__all__ = ["BREAKDOWN_COLUMNS", "COMPONENTS", "Rate", "additional_rate", "cost_breakdown", "cost_totals",
           "post_cost", "session_rate", "substantive_rate"]

BREAKDOWN_COLUMNS = ("scenario", "component", "clinician_id", "activity_id", "staff_group", "quantity",
                     "unit", "unit_cost", "unit_cost_source", "annual_cost")
COMPONENTS = ("substantive_pas", "new_posts", "additional_pas", "locum_sessions", "wli_sessions")
PAS_PER_WTE = 10.0


def session_rate(pack: PlanningPack, purchase: PurchasedSessions) -> Rate:
    """GBP for one bought session (whole pounds; :func:`capacity_planner.pack.costs.session_rate`).
    Raises LookupError when the pack prices none."""
    rate = price_session(pack, purchase.kind, purchase.cost_per_session)
    if rate is None:
        item = "wli_session" if purchase.kind == "wli" else "locum_session"
        raise LookupError(f"no cost for {purchase.kind} sessions: give cost_per_session or a costs row "
                          f"{item}")
    return rate


def post_cost(pack: PlanningPack, post: NewPost) -> tuple[float, str, Rate]:
    """(quantity, unit, unit cost) of a new post: given cost, recruit_wte x WTE, or PAs x the PA rate."""
    if post.annual_cost is not None:
        return 1.0, "post", Rate(post.annual_cost, "scenario add_clinician.annual_cost")
    wte = cost_item(pack, "recruit_wte", post.staff_group, "annual_cost")
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
            units = pa_units(rec.apa_pas)  # type: ignore[arg-type]  # exact PA units
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
