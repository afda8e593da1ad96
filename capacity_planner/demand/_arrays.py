"""Input checking shared by the waiting-list modules (:mod:`~capacity_planner.demand.queue` and
:mod:`~capacity_planner.demand.queue_sim`).

Private: turns numbers or arrays into checked ``float64`` arrays, raising :class:`ValueError` naming the
argument, and returns results as a Python ``float`` for scalar input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _as_array(name: str, value: Any, *, strictly_positive: bool, unit: str) -> FloatArray:
    """``value`` as a finite float64 array, >= 0 (> 0 if ``strictly_positive``), else ValueError."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # pragma: no cover - ragged sequences
        raise ValueError(f"{name} must be a number or an array of numbers; got {value!r}") from exc
    if raw.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be a number or an array of numbers; got {value!r}")
    arr = raw.astype(np.float64, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = arr[~finite].flat[0]
        raise ValueError(f"{name} must be finite ({unit}); got {bad}")
    invalid = arr <= 0 if strictly_positive else arr < 0
    if invalid.any():
        bad = arr[invalid].flat[0]
        need = "> 0" if strictly_positive else ">= 0"
        raise ValueError(f"{name} must be {need} ({unit}); got {bad}")
    return arr


def _out(arr: FloatArray) -> float | FloatArray:
    """A Python float for a 0-d result, the array otherwise."""
    return float(arr) if arr.ndim == 0 else arr


def _broadcast(*arrays: FloatArray) -> None:
    """Raise ValueError (not NumPy's message) when the arguments cannot be broadcast together."""
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as exc:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"array arguments have incompatible shapes: {shapes}") from exc
