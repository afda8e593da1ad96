"""'Did you mean' suggestions for near-miss names: case, spaces, hyphens and one typo (difflib)."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Iterable

CUTOFF = 0.75  # difflib ratio: one wrong letter in a 4-letter word scores 0.75


def _norm(text: str) -> str:
    return "".join(str(text).lower().split()).replace("-", "_")


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` most probably meant: equal ignoring case, spaces and hyphens, else the closest
    by :func:`difflib.get_close_matches` (ratio >= 0.75 on the normalised text); None if none is close.

    Examples
    --------
    >>> closest("Fu", ["fu", "2ww"]), closest("2 ww", ["fu", "2ww"]), closest("drm", ["fu"])
    ('fu', '2ww', None)
    """
    by_norm: dict[str, str] = {}
    for c in choices:
        by_norm.setdefault(_norm(c), c)
    key = _norm(word)
    if key in by_norm:
        return by_norm[key]
    close = difflib.get_close_matches(key, list(by_norm), n=1, cutoff=CUTOFF)
    return by_norm[close[0]] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice, ``""`` if none is close."""
    match = closest(word, choices)
    return "" if match is None or match == word else f" (did you mean {match!r}?)"


def near_misses(values: pd.Series, known: Iterable[str], limit: int = 50) -> dict[str, str]:
    """``{value: " (did you mean 'x'?)"}`` for the distinct ``values`` (first ``limit``) that are close to
    a known one; values with no close match are left out."""
    choices = [str(k) for k in known]
    out = {}
    for value in pd.unique(values.dropna())[:limit]:
        hint = did_you_mean(str(value), choices)
        if hint:
            out[str(value)] = hint
    return out
