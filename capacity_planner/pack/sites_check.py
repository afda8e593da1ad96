"""Cross-table checks of sites and travel (issue 19 item 4; docs/method.md, "Sites and travel").

* ``travel.from_site`` and ``travel.to_site`` differ; a site that no ``activities.site`` or ``rooms.site``
  names is a warning, not an error (session 17): no session runs there, so the row can neither allow nor
  forbid a journey and the pack is still plannable (DESIGN.md and docs/data-pack.md are silent on it; the
  site may be one the service no longer uses). A near miss of a known site is named ("did you mean"): a
  misspelt row leaves its journey without a row, which the rule reads as too far apart (the safe side);
* an activity with a ``site`` whose room type has all its rooms at one other site cannot run there;
* an ``expected_leave`` period does not end before it starts.

Every problem is added to the sink (file, Excel row, column, value, what is expected); none stops early.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from capacity_planner.intake.suggest import near_misses
from capacity_planner.pack.rows import frame_rows

if TYPE_CHECKING:
    from capacity_planner.pack.parse import ProblemSink
    from capacity_planner.pack.raw import RawPack

Frames = dict[str, pd.DataFrame]


def _site_column(frame: pd.DataFrame | None) -> pd.Series:
    if frame is None or "site" not in frame.columns:
        return pd.Series([], dtype="object")
    return frame["site"].dropna().astype(str)


def room_type_sites(rooms: pd.DataFrame | None) -> dict[str, str | None]:
    """Room type -> its one site when every row of the type names the same site, else None."""
    if rooms is None or "site" not in rooms.columns:
        return {}
    out: dict[str, str | None] = {}
    for room_type, group in rooms.groupby("room_type", sort=True):
        named = set(group["site"].dropna().astype(str))
        out[str(room_type)] = named.pop() if len(named) == 1 and group["site"].notna().all() else None
    return out


def check_sites(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """Travel rows join distinct sites (a site no activity or room names: a warning); an activity's site
    is where its rooms are."""
    acts, rooms = frames.get("activities"), frames.get("rooms")
    known = pd.Index(sorted(set(_site_column(acts)) | set(_site_column(rooms))))
    travel = frames.get("travel")
    if travel is not None:
        shown = ", ".join(known[:8]) + (", …" if len(known) > 8 else "") if len(known) else "none"
        for col in ("from_site", "to_site"):
            values = travel[col]
            unknown = values.notna().to_numpy() & ~values.isin(known).to_numpy()
            message = ("a site not named in activities.site or rooms.site, so no session runs there: the "
                       "row is not used")
            for value, hint in near_misses(values[unknown], known).items():
                hit = unknown & values.eq(value).to_numpy(dtype=bool, na_value=False)
                frame_rows(sink, raw, "travel", travel, hit, col, values,
                           f"{message}{hint[:-1]} Sites with no travel row between them are read as too "
                           "far apart to change within a day)",
                           severity="warning")
                unknown &= ~hit
            frame_rows(sink, raw, "travel", travel, unknown, col, values, f"{message} (sites: {shown})",
                       severity="warning")
        same = (travel["from_site"] == travel["to_site"]).fillna(False).to_numpy(dtype=bool)
        frame_rows(sink, raw, "travel", travel, same, "to_site", travel["to_site"],
              "a different site from from_site (no travel is needed within a site)")
    if acts is not None and "site" in acts.columns and "room_type" in acts.columns:
        where = room_type_sites(rooms)
        room_site = acts["room_type"].map(lambda r: where.get(str(r)) if pd.notna(r) else None)
        clash = (acts["site"].notna() & room_site.notna() & (acts["site"] != room_site)).to_numpy(dtype=bool)
        for room_type in sorted(set(acts["room_type"][clash].astype(str))):
            mask = clash & (acts["room_type"] == room_type).to_numpy(dtype=bool)
            frame_rows(sink, raw, "activities", acts, mask, "site", acts["site"],
                  f"the site of room type {room_type!r} ({where[room_type]}), where all its rooms are; or "
                  f"blank")


def check_expected_leave(raw: RawPack, frames: Frames, sink: ProblemSink) -> None:
    """An ``expected_leave`` period ends on or after the day it starts (issue 19; docs/method.md,
    "Expected leave patterns")."""
    periods = frames.get("expected_leave")
    if periods is None or not {"start", "end"} <= set(periods.columns):
        return
    start, end = pd.to_datetime(periods["start"]), pd.to_datetime(periods["end"])
    backwards = (start.notna() & end.notna() & (end < start)).to_numpy(dtype=bool)
    frame_rows(sink, raw, "expected_leave", periods, backwards, "end", periods["end"],
               "a date on or after start (the period's last day)")
