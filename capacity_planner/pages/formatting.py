"""How a value looks on any page: one formatting rule per kind of number, and the one stylesheet.

Values are formatted by a :data:`Kind`: ``"text"``, ``"int"`` and ``"num0"`` (whole, thousands
separated), ``"num1"`` (one decimal), ``"pas"`` (PAs, at most two decimals), ``"pct"`` (a share shown as a
whole percentage), ``"bool"`` (yes/no). A missing value shows as an en dash.
"""

from __future__ import annotations

import html
import math
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["text", "int", "num0", "num1", "pas", "pct", "bool"]

STYLESHEET = (resources.files("capacity_planner.pages") / "style.css").read_text(encoding="utf-8")
"""The one stylesheet of every page (``capacity_planner/pages/style.css``), inlined so pages need no
network."""


def esc(value: object) -> str:
    """HTML-escape any value's text."""
    return html.escape("" if value is None else str(value), quote=True)


def is_missing(v: object) -> bool:
    """None, pandas NA or a float NaN."""
    if v is None or v is pd.NA:
        return True
    try:
        return bool(isinstance(v, float | np.floating) and math.isnan(float(v)))
    except (TypeError, ValueError):
        return False


def format_value(v: object, kind: Kind) -> str:
    """Text shown for a value: thousands separators, PAs to two decimals at most, percentages."""
    if is_missing(v):
        return "–"
    if kind == "bool":
        return "yes" if bool(v) else "no"
    if kind == "text":
        return str(v)
    x = float(v)  # type: ignore[arg-type]
    if kind in ("int", "num0"):
        return f"{x:,.0f}"
    if kind == "num1":
        return f"{x:,.1f}"
    if kind == "pas":
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    if kind == "pct":
        return f"{x * 100:.0f} %"
    raise ValueError(f"unknown kind {kind!r}")
