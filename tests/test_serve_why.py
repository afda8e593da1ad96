"""Why each cell moved between two meeting versions (issue 20 item 2: "showing what moved and why"):
serve.replan.why_moved, one hand case per rule, in the order the rules apply."""

from __future__ import annotations

import pytest

from capacity_planner.serve import actions as A
from capacity_planner.serve.actions import Cell
from capacity_planner.serve.replan import why_moved

CELL = Cell("C02", "Mon", "AM")
NAMES = {"fu": "Follow-up clinic", "2ww": "Two-week-wait clinic", "spa": "SPA"}


@pytest.mark.parametrize(
    ("before", "after", "actions", "gaps", "expected"),
    [
        ("fu", "2ww", [A.Pin(CELL, "2ww")], {"2ww": 10.0}, "pinned in the meeting: Two-week-wait clinic"),
        ("fu", None, [A.Unavailable(CELL)], {}, "the clinician was marked unavailable in this slot"),
        ("fu", None, [A.Away("C02")], {}, "the clinician was marked unavailable for the year"),
        ("spa", "2ww", [A.Pin(Cell("C01", "Tue", "PM"), "fu")], {"2ww": 12.5},
         "Two-week-wait clinic was 12.5 session-weeks a year short in the previous version"),
        ("spa", "fu", [A.SetDemand("fu", 900.0)], {}, "the meeting set the demand of Follow-up clinic"),
        ("fu", "spa", [A.SetPriority("fu", 1)], {}, "the meeting set the priority of Follow-up clinic"),
        ("fu", None, [A.Pin(Cell("C02", "Wed", "PM"), "2ww")], {},
         "makes room in the clinician's PAs for the pinned Two-week-wait clinic on Wed PM"),
        (None, "fu", [A.AdditionalPA("C02")], {}, "uses the additional PA agreed in the meeting"),
        ("fu", None, [A.AdditionalPA("C02", allowed=False)], {},
         "gives back the additional PA the meeting took away"),
        ("fu", "spa", [A.Pin(Cell("C01", "Tue", "PM"), "fu")], {"fu": 3.0},
         "the re-plan rebalanced: the fewest further moves that keep every gap as small as it can be "
         "(Follow-up clinic to SPA)"),
    ],
)
def test_why_a_cell_moved_by_hand(before: str | None, after: str | None, actions: list[A.Action],
                                  gaps: dict[str, float], expected: str) -> None:
    assert why_moved(CELL, before, after, actions, gaps, NAMES) == expected


def test_a_gap_in_the_moved_away_activity_is_not_the_reason() -> None:
    # fu was short, but the cell left fu: the gap of the activity it now holds is what counts (none)
    why = why_moved(CELL, "fu", "2ww", [], {"fu": 40.0}, NAMES)
    assert why.startswith("the re-plan rebalanced")
