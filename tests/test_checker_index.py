"""The checker's per-clinician index of half-slot offers and its once-per-check values (session 13)."""

from __future__ import annotations

import pandas as pd
from test_solver_helpers import activity, clinician, make_pack

from capacity_planner.pack.model import PlanningPack, Skill
from capacity_planner.solver import checker as K

# Private seams, for a reason no public API gives: which clinicians are offered half-slot cells and how
# often a pack-wide value is computed are internal to the checker (its output is the same either way).
MAY_ALTERNATE = K._may_alternate  # noqa: SLF001
ALTERNATE_INDEX = K._alternate_index  # noqa: SLF001
PER_CHECK = K._per_check  # noqa: SLF001
MEMO = K._MEMO  # noqa: SLF001


def _pack() -> PlanningPack:
    # a: 10 PAs, activities of 1 PA: 10 / 1 whole -> no half cells.
    # b: 9.5 PAs (contracted less on-call 9.5), activities of 1 PA: 9.5 / 1 not whole -> half cells.
    # c: must keep 1.5 sessions a week of clinic -> half cells.
    # e: as b, but 42.25 working weeks (4225 hundredths, odd: no half of it) -> no half cells.
    return make_pack(
        [clinician("a", 10.0), clinician("b", 9.5), clinician("c", 10.0), clinician("e", 9.5, weeks=42.25)],
        [activity("clinic", pa_value=1.0), activity("spa", category="SPA", pa_value=1.0)],
        [("a", "clinic"), ("b", "clinic"), Skill("c", "clinic", min_sessions_per_week=1.5), ("e", "clinic")],
    )


def test_may_alternate_reads_the_per_clinician_index() -> None:
    pack = _pack()
    offered = {c.clinician_id: MAY_ALTERNATE(pack, c) for c in pack.clinicians}
    assert offered == {"a": False, "b": True, "c": True, "e": False}


def test_pack_values_are_computed_once_per_check_and_not_kept_after() -> None:
    pack = _pack()
    calls: list[int] = []
    real = ALTERNATE_INDEX.__wrapped__  # type: ignore[attr-defined]

    def counting(p: PlanningPack) -> K._AlternateIndex:
        calls.append(1)
        return real(p)

    token = MEMO.set({})
    try:
        wrapped = PER_CHECK(counting)
        wrapped(pack)
        wrapped(pack)
    finally:
        MEMO.reset(token)
    assert calls == [1]  # once within one check
    wrapped(pack)
    assert calls == [1, 1]  # outside a check: computed each time
    empty = pd.DataFrame({"clinician_id": [], "day": [], "period": [], "activity_id": [], "pas": []})
    K.check_plan(pack, {"allocation": empty})
    assert MEMO.get() is None  # nothing of a check is kept after it
