"""CSV files that are safe to open in Excel: the formula-injection policy for every CSV we write.

Policy (OWASP "CSV injection"; issue 15). A spreadsheet treats a cell whose text begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``). In
every CSV capacity-planner writes (outputs and packs), a **text** cell beginning with one of these
characters is written with an apostrophe in front (``'=HYPERLINK(...)``), Excel's own mark for "this is
text": Excel shows the value without the apostrophe and never runs it. Numbers (``-3.5`` in a numeric
column) are written as numbers. Our readers (pack CSVs, a plan folder read back by ``review --plan`` or the
meeting pack) remove that one apostrophe again, so IDs and names survive a round trip; the only text that
does not is one that itself begins with an apostrophe followed by such a character.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Callable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"
ESCAPED_PREFIXES = tuple(TEXT_MARK + trigger for trigger in FORMULA_TRIGGERS)


def escape_cell(value: Any) -> Any:
    """``value`` with an apostrophe in front when it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return TEXT_MARK + value
    return value


def unescape_cell(value: Any) -> Any:
    """Undo :func:`escape_cell`: drop the apostrophe in front of text that starts like a formula."""
    if isinstance(value, str) and len(value) > 1 and value[0] == TEXT_MARK and \
            value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _is_text_column(s: pd.Series) -> bool:
    return (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)
            or isinstance(s.dtype, pd.CategoricalDtype))


def _map_text_cells(frame: pd.DataFrame, prefixes: tuple[str, ...],
                    change: Callable[[Any], Any]) -> pd.DataFrame:
    """``frame`` with ``change`` applied to every text cell that starts with one of ``prefixes``.

    Only the columns holding such a cell are copied; ``frame`` itself is returned when none does.
    """
    out = frame
    for col in frame.columns:
        s = frame[col]
        if not _is_text_column(s):
            continue
        mask = s.astype("string").str.startswith(prefixes).fillna(False).to_numpy(dtype=bool)
        if mask.any():
            if out is frame:
                out = frame.copy()
            if isinstance(s.dtype, pd.CategoricalDtype):  # the reader's extracts (pack/parse.py)
                s = s.astype("str")
            out[col] = s.where(~mask, s[mask].map(change))
    return out


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names follow the policy (only columns that need it
    are copied)."""
    out = _map_text_cells(frame, FORMULA_TRIGGERS, escape_cell)
    if any(isinstance(c, str) and c.startswith(FORMULA_TRIGGERS) for c in frame.columns):
        out = out.copy() if out is frame else out
        out.columns = [escape_cell(c) for c in out.columns]
    return out


def unescape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`safe_frame` on a frame read from CSV (text columns only)."""
    return _map_text_cells(frame, ESCAPED_PREFIXES, unescape_cell)


def read_text_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV we wrote, every cell as text exactly as written: the one NA rule of our readers.

    No text is taken for a missing value (an ID "NA", "NULL" or "nan" stays itself; an empty cell is
    ``""``), and the apostrophe of :func:`escape_cell` is removed again. Readers that want numbers convert
    the columns they know to be numbers."""
    return unescape_frame(pd.read_csv(path, dtype=str, keep_default_na=False))


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write ``frame`` as CSV under the policy (no index, ``\\n`` line ends unless given)."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    safe_frame(frame).to_csv(path, **kwargs)
    return Path(path)


def csv_text(frame: pd.DataFrame, **kwargs: Any) -> str:
    """``frame`` as CSV text under the policy."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    return str(safe_frame(frame).to_csv(**kwargs))


__all__ = ["FORMULA_TRIGGERS", "csv_text", "escape_cell", "read_text_csv", "safe_frame", "unescape_cell",
           "unescape_frame", "write_csv"]
