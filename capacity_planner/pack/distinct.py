"""A long column as integer codes into its distinct values, without hashing every row when it can be avoided.

Extracts hold millions of rows over a few hundred distinct IDs, labels and days (issue 16). Typing and
checking a cell depends on the cell alone, so the reader types the distinct values once and expands the
result by position. This module gives the codes and the distinct values:

* a pandas categorical (a Parquet dictionary column, or a column the code translation rewrote) already *is*
  codes plus categories: only the order of first appearance is computed, with one scatter over the codes;
* a NumPy boolean column has at most two values;
* anything else goes through :func:`pandas.factorize` (one hash pass).

The distinct values come in the order of their first appearance in the column, as :func:`pandas.factorize`
gives them, so that everything computed from them (categories, "did you mean" lists) is in the same order
as when every row was processed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["Distinct", "distinct"]


class Distinct:
    """A column as ``values[codes]``.

    Attributes
    ----------
    values : pandas.Series
        The distinct non-missing cells in order of first appearance, then one missing cell when
        ``has_missing``, with the column's dtype (object for a boolean column).
    has_missing : bool
        Whether any cell is missing.

    The row codes are ``remap[base]`` (a categorical's own codes through a small table, or the codes
    themselves); :meth:`expand` and :meth:`expand_mask` compose the small tables first, so expanding a
    result costs one gather over the rows.
    """

    def __init__(self, base: npt.NDArray[np.integer], values: pd.Series, has_missing: bool,
                 remap: npt.NDArray[np.integer] | None = None):
        self._base, self._remap = base, remap
        self.values, self.has_missing = values, has_missing
        self._codes: npt.NDArray[np.integer] | None = None if remap is not None else base

    @property
    def codes(self) -> npt.NDArray[np.integer]:
        """Position of each row's value in ``values`` (missing cells: the trailing missing entry)."""
        if self._codes is None:
            assert self._remap is not None
            self._codes = self._remap[self._base]
        return self._codes

    def _gather(self, small: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """``small[codes]`` with one pass over the rows."""
        if self._codes is not None:
            return small[self._codes]
        assert self._remap is not None
        return small[self._remap][self._base]

    def expand(self, small: pd.Series) -> pd.Series:
        """``small`` (one entry per distinct value, as ``values``) repeated for every row of the column."""
        if isinstance(small.dtype, pd.CategoricalDtype):
            inner = np.asarray(small.cat.codes.to_numpy(), dtype=np.int32)
            codes = self._gather(inner)
            return pd.Series(pd.Categorical.from_codes(codes, dtype=small.dtype, validate=False))
        return pd.Series(small.array.take(self.codes), dtype=small.dtype)

    def expand_mask(self, small: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """A boolean mask over the distinct values, as a mask over the rows."""
        return self._gather(np.asarray(small, dtype=bool))


def _first_appearance(codes: npt.NDArray[np.integer], k: int) -> npt.NDArray[np.int64]:
    """Categories ``0..k-1`` that occur in ``codes``, in the order of their first occurrence."""
    seen = pd.unique(codes)  # a hash over small integers, in order of appearance
    return np.asarray(seen[(seen >= 0) & (seen < k)], dtype=np.int64)


def distinct(series: pd.Series) -> Distinct:
    """Codes and distinct values of a column (module docstring).

    Parameters
    ----------
    series : pandas.Series
        Any column as read (object, categorical, bool, numbers, dates).

    Returns
    -------
    Distinct
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        raw_codes = series.cat.codes.to_numpy()
        k = len(series.cat.categories)
        order = _first_appearance(raw_codes, k)
        missing = bool((raw_codes < 0).any())
        remap = np.zeros(k + 1, dtype=np.int32)  # unused categories (never looked up) -> 0
        remap[order] = np.arange(order.size, dtype=np.int32)
        remap[k] = order.size if missing else 0  # code -1 (missing) -> the trailing missing entry
        values = pd.Series(pd.Categorical.from_codes(
            np.concatenate([order, [-1] if missing else []]).astype(np.int64), dtype=series.dtype))
        return Distinct(raw_codes, values, missing, remap)
    if series.dtype == np.bool_:
        arr = series.to_numpy()
        if arr.size == 0:
            return Distinct(np.zeros(0, dtype=np.int32), pd.Series([], dtype=object), False)
        first = bool(arr[0])
        both = bool(arr.any()) and not bool(arr.all())
        codes = (arr != first).astype(np.int32)
        return Distinct(codes, pd.Series([first, not first] if both else [first], dtype=object), False)
    raw, uniques = pd.factorize(series, use_na_sentinel=True)
    missing = bool((raw < 0).any())
    n_u = len(uniques)
    codes = np.where(raw < 0, n_u, raw).astype(np.int32) if missing else raw.astype(np.int32)
    dtype = series.dtype if pd.api.types.is_string_dtype(series.dtype) else object
    values = pd.Series(list(uniques) + ([None] if missing else []), dtype=dtype)
    return Distinct(codes, values, missing)
