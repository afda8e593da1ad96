"""summary.json as a typed record: :class:`PlanSummary`, its writer (:meth:`PlanSummary.to_json`) and
reader (:meth:`PlanSummary.from_json`).

The solver builds one per plan (:func:`capacity_planner.solver.plan.plan_allocation`); the output layer
writes it (:func:`capacity_planner.outputs.write_plan_tables`). The file's bytes are those written before
the record existed: the keys in the same order, a key the plan has no value for left out (a plan that
found no allocation has no ``cost_breakdown`` ... ``gap_reasons``; only a plan joined from independent
parts has ``parts``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["LevelRecord", "PartRecord", "PlanSummary", "SolverSettings"]


class SolverSettings(TypedDict, total=False):
    """summary.json ``settings``: the solver settings a run used (a plan written by an older version may
    lack the later keys)."""

    time_limit_s: float
    work_limit: float | None
    reproducible: bool
    max_extra_cost: float | None
    seed: int
    workers: int
    deterministic: bool
    objective: list[str]
    allow_additional_pas: bool
    spa_pro_rata: bool
    routine_floor_share: float
    max_sessions_per_day: int


class LevelRecord(TypedDict):
    """One entry of summary.json ``levels``: an objective level's solve (value and bound in ``unit``;
    ``gap`` a fraction; ``seconds`` wall-clock)."""

    name: str
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: NotRequired[float]
    unit: NotRequired[str]


class PartRecord(TypedDict):
    """One entry of summary.json ``parts``: an independent part of a plan solved in parts (its size,
    status, wall-clock seconds, and objective value and gap per level)."""

    name: str
    clinicians: int
    activities: int
    status: str
    seconds: float
    objective: dict[str, float | None]
    gap: dict[str, float | None]

# Always written, in this order (null when there is no value, e.g. no plan was found).
_ALWAYS = ("status", "objective", "bound", "gap", "solve_seconds", "unmet_sessions_per_year",
           "unmet_dcc_hours_per_year", "annual_cost", "inputs", "settings", "version", "levels", "reasons")
# Every summary.json has these (``levels`` and ``reasons`` came later: a reader defaults them to empty).
_REQUIRED = _ALWAYS[:-2]
# Written when set, after those: the order of a plan solved whole ...
_WHOLE_ORDER = ("cost_breakdown", "additional_pas", "purchased_sessions", "unassigned_pas",
                "changed_sessions", "clinicians_affected", "routine_floor", "gap_reasons", "notes", "parts")
# ... and of a plan joined from parts (its summed headline numbers come first, as they always have).
_JOINED_ORDER = ("additional_pas", "unassigned_pas", "changed_sessions", "clinicians_affected",
                 "cost_breakdown", "purchased_sessions", "routine_floor", "gap_reasons", "notes", "parts")


@dataclass(frozen=True)
class PlanSummary:
    """A plan's headline figures, solve record and notes: the content of summary.json.

    Attributes
    ----------
    status : str
        ``optimal``, ``feasible``, ``infeasible``, ``unknown`` or ``model_invalid``.
    objective, bound, gap : dict of str to float or None
        Per objective level (level name -> value in the level's ``unit``; ``gap`` a fraction).
    solve_seconds : float
        Wall-clock seconds of the solve (all levels).
    unmet_sessions_per_year, unmet_dcc_hours_per_year : float or None
        Demand left unmet (session-weeks a year; DCC hours a year); None when no plan was found.
    annual_cost : float or None
        Additional PAs plus bought sessions, £ a year; None when no plan was found.
    inputs : dict of str to str
        SHA-256 per input file of the pack.
    settings : SolverSettings
        The solver settings the run used (time and work limit, seed, workers, objective order, ...).
    version : str
        capacity_planner version that wrote the plan.
    levels : list of LevelRecord
        One entry per objective level: name, status, objective, bound, gap, seconds, unit.
    reasons : list of str
        Why the solve ended as it did (e.g. the rules that cannot all hold).
    cost_breakdown : dict of str to float, optional
        ``additional_pas`` and ``purchased_sessions`` parts of ``annual_cost`` (£ a year).
    additional_pas : float, optional
        Additional PAs a week over all clinicians.
    purchased_sessions : dict of str to int, optional
        Locum/WLI sessions bought a year per activity.
    unassigned_pas : float, optional
        Contracted PAs a week left without an activity.
    changed_sessions, clinicians_affected : int, optional
        Sessions changed from today's job plans (a move counts 1) and clinicians with a change.
    routine_floor : list of str, optional
        Where the routine floor binds.
    gap_reasons : list of str, optional
        ``"activity_id: reason"`` per binding reason an activity stays short.
    notes : list of str
        Notes on the inputs and the solve (the demand step's come first in a written plan).
    parts : list of PartRecord, optional
        One line per independent part of a plan solved in parts.
    """

    status: str
    objective: dict[str, float | None]
    bound: dict[str, float | None]
    gap: dict[str, float | None]
    solve_seconds: float
    unmet_sessions_per_year: float | None
    unmet_dcc_hours_per_year: float | None
    annual_cost: float | None
    inputs: dict[str, str]
    settings: SolverSettings
    version: str
    levels: list[LevelRecord] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    cost_breakdown: dict[str, float] | None = None
    additional_pas: float | None = None
    purchased_sessions: dict[str, int] | None = None
    unassigned_pas: float | None = None
    changed_sessions: int | None = None
    clinicians_affected: int | None = None
    routine_floor: list[str] | None = None
    gap_reasons: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    parts: list[PartRecord] | None = None

    @property
    def bought_sessions(self) -> dict[str, int]:
        """Sessions bought a year per activity (empty when none were, or no plan was found)."""
        return dict(self.purchased_sessions or {})

    def to_dict(self) -> dict[str, Any]:
        """The summary as summary.json holds it: keys in the file's order, unset optional keys left out."""
        tail = _WHOLE_ORDER if self.parts is None else _JOINED_ORDER
        out = {key: getattr(self, key) for key in _ALWAYS}
        out.update({key: getattr(self, key) for key in tail
                    if key == "notes" or getattr(self, key) is not None})
        return out

    def to_json(self) -> str:
        """summary.json's text (two-space indent, a final newline)."""
        return json.dumps(self.to_dict(), indent=2, default=str) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanSummary:
        """A summary from summary.json's mapping; keys it does not know are ignored.

        Raises
        ------
        ValueError
            Naming the keys that every summary.json has (all but ``levels`` and ``reasons``, which a
            plan written before they existed lacks) and ``data`` lacks.
        """
        missing = [key for key in _REQUIRED if key not in data]
        if missing:
            raise ValueError(f"summary.json lacks key(s): {', '.join(missing)}")
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    @classmethod
    def from_json(cls, text: str) -> PlanSummary:
        """A summary from summary.json's text (see :meth:`from_dict`)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("summary.json does not hold a JSON object")
        return cls.from_dict(data)
