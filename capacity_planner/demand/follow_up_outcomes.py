r"""Follow-up ratios measured from OUTCOME OF ATTENDANCE, where an appointments table records it.

Counting follow-up attendances per new attendance (:func:`capacity_planner.demand.history.follow_up_ratios`)
measures the follow-ups the service *delivered*; when follow-ups are backlogged ("appointment to be made
at a later date") it understates the follow-ups patients *need*. The NHS Data Dictionary's OUTCOME OF
ATTENDANCE records, for each attendance, whether the patient was discharged (code 1) or needs another
appointment (2: given, 3: to be made later), so the demand for follow-ups can be measured at its source.

Estimator (a branching, or geometric, model of an outpatient pathway). For a follow-up activity
:math:`F` fed by the new activities :math:`A_1..A_k`:

* :math:`a` = share of attended new appointments at the :math:`A_i` whose outcome asks for another
  appointment (codes 2 or 3): follow-ups requested per new attendance;
* :math:`b` = the same share among attended follow-up appointments at :math:`F`: further follow-ups
  requested per follow-up attendance;
* each new patient then needs :math:`a + ab + ab^2 + \dots` follow-ups, so

  .. math:: f_F = \frac{a}{1 - b}, \qquad 0 \le b < 1.

Only attendances with an outcome recorded enter :math:`a` and :math:`b` (each is a share among recorded
outcomes, so partial recording does not bias it if recording does not depend on the outcome); rows count
with their ``count``. In a steady state where every requested follow-up is delivered, :math:`f_F` equals
the attendance-count ratio (follow-up attendances :math:`N a/(1-b)` per :math:`N` new attendances);
when follow-ups are backlogged it is larger, because requests are counted whether or not they have been
booked yet. The estimator is not used (the attendance count is kept, and a note says why) when no new or
no follow-up attendance of the pathway has an outcome recorded, or when :math:`b \ge 1` (no patient is
ever discharged, so the series diverges).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from capacity_planner.demand.appointments import appointment_weights

if TYPE_CHECKING:
    from capacity_planner.pack.model import Activity

REQUESTS_ANOTHER = ("another_appointment", "appointment_later")
OUTCOME_COLUMNS = (
    "activity_id",
    "follow_up_activity",
    "new_with_outcome",
    "new_requests",
    "follow_up_with_outcome",
    "follow_up_requests",
    "follow_up_ratio",
)


def outcome_follow_up_ratios(
    appointments: pd.DataFrame,
    activities: tuple[Activity, ...],
    keep: npt.NDArray[np.bool_] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Follow-up ratio :math:`f_F = a / (1 - b)` per feeding activity (module docstring).

    Parameters
    ----------
    appointments : DataFrame
        Canonical appointments with ``outcome_of_attendance`` (labels) and optionally ``count``.
    activities : tuple of Activity
        The pack's activities (``follow_up_activity`` links new activities to follow-up ones).
    keep : bool array, optional
        Rows to use (the history window); all rows when None.

    Returns
    -------
    (DataFrame, list of str)
        One row per feeding activity whose pathway has outcomes recorded, columns
        :data:`OUTCOME_COLUMNS` (counts as float64, ``follow_up_ratio`` NaN when the estimator does not
        apply), and notes for pathways where it was not used.
    """
    feeds = {a.activity_id: a.follow_up_activity for a in activities if a.follow_up_activity}
    empty = pd.DataFrame({c: pd.Series(dtype="str" if c.endswith("activity") or c == "activity_id"
                                       else "float64") for c in OUTCOME_COLUMNS})
    if not feeds or "outcome_of_attendance" not in appointments.columns or len(appointments) == 0:
        return empty, []
    frame = appointments if keep is None else appointments.loc[keep]
    recorded = frame["outcome_of_attendance"].notna().to_numpy()
    if not recorded.any():
        return empty, []
    weight = appointment_weights(frame)
    attended = frame["outcome"].eq("attended").to_numpy() & recorded
    asks = frame["outcome_of_attendance"].isin(REQUESTS_ANOTHER).to_numpy()
    is_new = frame["is_new"]
    new_or_blank = np.asarray(is_new.to_numpy(dtype=bool, na_value=True))
    fu_or_blank = ~np.asarray(is_new.to_numpy(dtype=bool, na_value=False))
    activity = frame["activity_id"].to_numpy(dtype=object)
    rows, notes = [], []
    for new_id, fu_id in feeds.items():
        feeders = [a for a, f in feeds.items() if f == fu_id]
        new_rows = attended & new_or_blank & np.isin(activity, feeders)
        fu_rows = attended & fu_or_blank & (activity == fu_id)
        n_new, r_new = float(weight[new_rows].sum()), float(weight[new_rows & asks].sum())
        n_fu, r_fu = float(weight[fu_rows].sum()), float(weight[fu_rows & asks].sum())
        ratio = np.nan
        if n_new > 0 and n_fu > 0:
            a, b = r_new / n_new, r_fu / n_fu
            if b < 1:
                ratio = a / (1.0 - b)
            else:
                notes.append(f"{new_id}: every follow-up at {fu_id} asks for another appointment (no "
                             "discharges recorded), so the follow-up ratio is measured from attendances.")
        elif n_new > 0 or n_fu > 0:
            missing = "follow-up" if n_new > 0 else "new"
            notes.append(f"{new_id}: no attended {missing} appointment of the pathway to {fu_id} has an "
                         "outcome of attendance, so the follow-up ratio is measured from attendances.")
        else:
            continue
        rows.append((new_id, fu_id, n_new, r_new, n_fu, r_fu, ratio))
    if not rows:
        return empty, notes
    out = pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))
    return out.astype({"activity_id": "str", "follow_up_activity": "str"}), notes


def apply_outcome_ratios(follow_ups: pd.DataFrame, by_outcome: pd.DataFrame) -> pd.DataFrame:
    """``follow_ups`` (attendance-count ratios) with the outcome-based ratio where it is defined.

    Adds the column ``method``: ``outcomes`` where :func:`outcome_follow_up_ratios` gave a ratio,
    else ``attendances``.
    """
    out = follow_ups.copy()
    out["method"] = "attendances"
    if len(by_outcome) == 0 or len(out) == 0:
        return out
    ratio = by_outcome.dropna(subset=["follow_up_ratio"]).set_index("activity_id")["follow_up_ratio"]
    hit = out["activity_id"].isin(ratio.index).to_numpy()
    out.loc[hit, "follow_up_ratio"] = out.loc[hit, "activity_id"].map(ratio).to_numpy(dtype=np.float64)
    out.loc[hit, "method"] = "outcomes"
    return out
