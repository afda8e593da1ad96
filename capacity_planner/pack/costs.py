"""The price list: what one PA, one additional PA and one bought session cost, and where that figure came
from. The solver prices its cost objective with it (:mod:`capacity_planner.solver.problem`) and the
scenarios cost their plans with it (:mod:`capacity_planner.scenarios.costs`), so both always agree.

Sources, first found wins (docs/method.md, "Cost model"):

* one contracted PA a week, a year: ``clinicians.annual_cost_per_pa``, else the costs table
  ``substantive_pa`` row of the staff group (``annual_cost``), else :data:`NOMINAL_PA_COST` (assumed);
* one additional PA a week, a year: ``clinicians.apa_cost_per_pa``, else costs ``additional_pa``, else
  ``annual_cost_per_pa``, else costs ``substantive_pa``, else :data:`NOMINAL_PA_COST` (assumed); whole
  pounds, as the solver's integer cost objective uses;
* one locum or WLI session: the scenario's ``cost_per_session``, else the costs table ``locum_session`` /
  ``wli_session`` row (the ``consultant`` row when several staff groups are priced, else the first);
  whole pounds.

PAs are planned and priced in whole :data:`PA_SCALE` units (1/120 of a PA: halves, thirds, quarters and
fifths of a PA are exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capacity_planner.pack.model import Clinician, PlanningPack

__all__ = [
    "NOMINAL_PA_COST",
    "PA_SCALE",
    "Rate",
    "additional_rate",
    "cost_item",
    "pa_units",
    "session_rate",
    "substantive_rate",
]

PA_SCALE = 120  # PA units in one PA
NOMINAL_PA_COST = 10_000.0  # GBP a year for one PA a week, used only when the pack gives no cost
_ASSUMED = "assumed (no cost in the pack)"


@dataclass(frozen=True, slots=True)
class Rate:
    """A unit cost (GBP) and where it came from (e.g. ``clinicians.annual_cost_per_pa``); ``assumed`` when
    the pack gave none and the nominal rate is used."""

    value: float
    source: str
    assumed: bool = False


def pa_units(pas: float) -> int:
    """PAs as whole :data:`PA_SCALE` units (a figure rounded to 4 decimals, such as ``clinicians.csv``
    ``apa_pas``, back to its exact units)."""
    return round(float(pas) * PA_SCALE)


def cost_item(pack: PlanningPack, item: str, staff_group: str, attr: str) -> float | None:
    """``attr`` of the costs table's ``item`` row for ``staff_group``, or None when the pack has none."""
    for row in pack.costs:
        if row.item == item and row.staff_group == staff_group and getattr(row, attr) is not None:
            return float(getattr(row, attr))
    return None


def substantive_rate(pack: PlanningPack, c: Clinician) -> Rate:
    """GBP a year for one contracted PA a week of clinician ``c``."""
    if c.annual_cost_per_pa is not None:
        return Rate(float(c.annual_cost_per_pa), "clinicians.annual_cost_per_pa")
    row = cost_item(pack, "substantive_pa", c.staff_group, "annual_cost")
    if row is not None:
        return Rate(row, f"costs substantive_pa/{c.staff_group}")
    return Rate(NOMINAL_PA_COST, _ASSUMED, assumed=True)


def additional_rate(pack: PlanningPack, c: Clinician) -> Rate:
    """GBP a year for one additional PA a week of ``c``, in whole pounds."""
    for value, source in ((c.apa_cost_per_pa, "clinicians.apa_cost_per_pa"),
                          (cost_item(pack, "additional_pa", c.staff_group, "annual_cost"),
                           f"costs additional_pa/{c.staff_group}"),
                          (c.annual_cost_per_pa, "clinicians.annual_cost_per_pa"),
                          (cost_item(pack, "substantive_pa", c.staff_group, "annual_cost"),
                           f"costs substantive_pa/{c.staff_group}")):
        if value is not None:
            return Rate(float(round(value)), source)
    return Rate(NOMINAL_PA_COST, _ASSUMED, assumed=True)


def session_rate(pack: PlanningPack, kind: str, cost_per_session: float | None = None) -> Rate | None:
    """GBP for one bought ``kind`` (``locum`` or ``wli``) session, in whole pounds: ``cost_per_session``
    when given, else the pack's costs table; None when neither prices it."""
    if cost_per_session is not None:
        return Rate(float(round(cost_per_session)), f"scenario {kind}.cost_per_session")
    item = "wli_session" if kind == "wli" else "locum_session"
    rows = [r for r in pack.costs if r.item == item and r.session_cost is not None]
    preferred = [r for r in rows if r.staff_group == "consultant"] or rows
    if not preferred:
        return None
    row = preferred[0]
    return Rate(float(round(float(row.session_cost or 0.0))), f"costs {item}/{row.staff_group}")
