"""Rows of the ``appointments`` extract: how many appointments each row stands for.

Shared by the demand history (:mod:`capacity_planner.demand.history`), the follow-up ratios from outcomes
(:mod:`capacity_planner.demand.follow_up_outcomes`) and the quarterly review (:mod:`capacity_planner.review`),
so none of them imports another for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["appointment_weights"]


def appointment_weights(appointments: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Appointments each row stands for: the optional ``count`` column, blank (or absent) = 1.

    >>> appointment_weights(pd.DataFrame({"count": [2, None]})).tolist()
    [2.0, 1.0]
    """
    if "count" not in appointments.columns:
        return np.ones(len(appointments), dtype=np.float64)
    return np.asarray(appointments["count"].to_numpy(dtype=np.float64, na_value=1.0), dtype=np.float64)
