"""Where a problem is, as the user sees it: the file or sheet of a table and the rows of a checked frame.

Shared by the cross-table checks (:mod:`capacity_planner.pack.validate`) and the checks of sites and travel
(:mod:`capacity_planner.pack.sites_check`), so neither imports the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from capacity_planner.pack.raw import RawPack, RawTable

if TYPE_CHECKING:
    import pandas as pd

    from capacity_planner.pack.parse import ProblemSink

__all__ = ["frame_rows", "table_source"]


def table_source(raw: RawPack, name: str) -> str:
    """How the user knows table ``name`` in this pack (file or sheet), even if it is absent."""
    if name in raw.tables:
        return raw.tables[name].source
    if raw.format == "xlsx":
        return f"sheet '{name}' of {Path(raw.path).name}"
    return f"{name}.csv"


def frame_rows(sink: ProblemSink, raw: RawPack, table: str, frame: pd.DataFrame, mask: np.ndarray,
               column: str | None, values: pd.Series | None, message: str, severity: str = "error") -> None:
    """Like ProblemSink.rows, reading row numbers from the frame's ``_row`` column."""
    rt = RawTable(table, table_source(raw, table), frame, frame["_row"].to_numpy())
    checked = ~frame["_row"].isin(sink.bad_rows.get(table, set())).to_numpy()
    sink.rows(rt, np.asarray(mask, dtype=bool) & checked, column, values, message, severity)
