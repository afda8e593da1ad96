"""Validation that helps (issue 17): one message for a missing path, "did you mean" for near misses,
percentages written for shares, and warnings for defaults that change the numbers.

* A pack path that does not exist is one problem, naming the closest file or folder next to it.
* An unknown ID (a skills row naming ``Fu`` where activities has ``fu``), column, label, sheet, file or
  pack.toml key is reported with the closest known one: the same ignoring case, spaces and hyphens, or
  one typo away (:mod:`capacity_planner.intake.suggest`).
* A share column (DNA rate, percentile: limits 0 to 1) accepts ``7%`` as 0.07; a value such as ``7``
  is refused with "a share: for 7 % write 0.07 or 7%".
* An activity that has demand but neither a ``dna_rate`` nor appointment history is sized with a 0 %
  DNA rate: a warning says so.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from capacity_planner.errors import Problem
from capacity_planner.intake.suggest import did_you_mean

SHARE_HINT = "a share, not a percentage: for 7 % write 0.07 or 7%"


def share_hint(number: float) -> str:
    """``"a share, not a percentage: for 80 % write 0.8 or 80%"`` for a value written as a percentage."""
    return f"a share, not a percentage: for {number:g} % write {number / 100:g} or {number:g}%"


def missing_path_problem(path: Path) -> Problem:
    """The one problem for a pack path that does not exist, with the closest sibling if one is close."""
    parent = path.parent if str(path.parent) else Path(".")
    siblings = [p.name for p in parent.iterdir()] if parent.is_dir() else []
    what = "no such workbook" if path.suffix.lower() in (".xlsx", ".xlsm") else "no such folder or workbook"
    where = "" if parent.is_dir() else f" (the folder {parent} does not exist either)"
    return Problem(str(path), what + where + did_you_mean(path.name, siblings))


def dna_default_warnings(frames: dict[str, pd.DataFrame], source: str) -> list[Problem]:
    """Warnings for activities sized with the default 0 % DNA rate although patients can miss them.

    An activity with referrals (or one that sees follow-ups) needs a DNA rate; with no ``dna_rate`` given
    and no appointment of its own in the history, sizing uses 0 % (every booked patient attends).
    """
    acts = frames.get("activities")
    if acts is None:
        return []
    demand_ids: set[str] = set(acts["follow_up_activity"].dropna())
    if "referrals" in frames:
        demand_ids |= set(frames["referrals"]["activity_id"].dropna().unique())
    with_history: set[str] = set()
    if "appointments" in frames:  # distinct values first: 10 M rows iterated one by one took 90 s
        with_history = set(frames["appointments"]["activity_id"].dropna().unique())
    out = []
    for row, aid, rate in zip(acts["_row"], acts["activity_id"], acts["dna_rate"], strict=True):
        if aid in demand_ids and pd.isna(rate) and aid not in with_history:
            where = "the appointments table has no rows for it" if "appointments" in frames else \
                "there is no appointments table"
            out.append(Problem(source, f"activity {aid} has demand but no dna_rate, and {where}: it is "
                               "sized with a 0 % DNA rate (every booked patient attends); give dna_rate "
                               "(e.g. 0.07) if patients may miss appointments", int(row), "dna_rate", None,
                               "warning"))
    return out


def percent_as_share(raw: pd.Series) -> pd.Series:
    """Cells written as percentages (``"7%"``, ``"7 %"``) as shares (``0.07``); other cells unchanged.

    Examples
    --------
    >>> percent_as_share(pd.Series(["7%", "0.05", " 12.5 % ", None, "x%"], dtype=object)).tolist()
    [0.07, '0.05', 0.125, None, 'x%']
    """
    if not (raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype)):
        return raw
    text = raw.astype("string").str.strip()
    is_pct = text.str.endswith("%").fillna(False).to_numpy(dtype=bool)
    if not is_pct.any():
        return raw
    number = pd.to_numeric(text[is_pct].str.rstrip("%").str.strip(), errors="coerce") / 100.0
    out = raw.astype(object).copy()
    ok = number.notna().to_numpy()
    idx = raw.index[is_pct][ok]
    out.loc[idx] = number[ok].round(12).to_numpy()
    return out
