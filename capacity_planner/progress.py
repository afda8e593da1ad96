"""Progress on the console for long steps: reading big files, validating, converting, sweeps (issue 17).

One small API over `tqdm <https://tqdm.github.io>`_ (chosen over rich: a single pure-Python package with no
dependencies of its own, ~100 kB, that draws one line on stderr and does nothing else; rich would bring
a whole rendering library for one bar). Progress is drawn only when stderr is a terminal, so redirected
output, CI logs, pipes, notebooks and tests see nothing, and what goes to stdout never changes.

Usage, in any module (scenarios and frontier can call it the same way)::

    from capacity_planner.progress import progress, track

    with progress("Reading appointments", total=n_rows, unit="rows") as bar:
        for chunk in chunks:
            frames.append(parse(chunk))
            bar.advance(len(chunk))

    for scenario in track(scenarios, "Scenarios", unit="scenarios"):
        results.append(evaluate(scenario))

``CAPACITY_PLANNER_PROGRESS=0`` switches progress off, ``=1`` forces it on (for a terminal that does not
say it is one); :func:`set_enabled` does the same from code.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

T = TypeVar("T")
_override: bool | None = None


def set_enabled(value: bool | None) -> None:
    """Force progress on (True) or off (False), or back to the default (None: only on a terminal)."""
    global _override
    _override = value


def enabled(stream: IO[str] | None = None) -> bool:
    """Whether progress is drawn: :func:`set_enabled`, else ``CAPACITY_PLANNER_PROGRESS``, else whether
    ``stream`` (default stderr) is a terminal."""
    if _override is not None:
        return _override
    env = os.environ.get("CAPACITY_PLANNER_PROGRESS", "").strip()
    if env in ("0", "1"):
        return env == "1"
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Bar:
    """A progress line: :meth:`advance` by work done, :meth:`describe` to change its words; a no-op when
    progress is off (so callers never test for it)."""

    def __init__(self, description: str, total: float | None = None, unit: str = "",
                 stream: IO[str] | None = None, on: bool | None = None):
        self.description = description
        self.total = total
        self.done: float = 0
        self._bar: Any = None
        if enabled(stream) if on is None else on:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit=f" {unit}" if unit else "it",
                             file=stream or sys.stderr, leave=False, dynamic_ncols=True,
                             mininterval=0.2, unit_scale=bool(total and total >= 10_000))

    @property
    def active(self) -> bool:
        """True when the line is drawn."""
        return self._bar is not None

    def advance(self, amount: float = 1) -> None:
        """Count ``amount`` more units of work done."""
        self.done += amount
        if self._bar is not None:
            self._bar.update(amount)

    def describe(self, description: str) -> None:
        """Change the words in front of the bar (e.g. the table being read)."""
        self.description = description
        if self._bar is not None:
            self._bar.set_description_str(description)  # drawn now: called per step, not per row

    def close(self) -> None:
        """Remove the line (the command's own output follows on a clean line)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextmanager
def progress(description: str, total: float | None = None, unit: str = "",
             stream: IO[str] | None = None) -> Iterator[Bar]:
    """A :class:`Bar` for the block, removed at its end (also on an error or Ctrl-C)."""
    bar = Bar(description, total, unit, stream)
    try:
        yield bar
    finally:
        bar.close()


def track(items: Iterable[T], description: str, total: float | None = None, unit: str = "",
          stream: IO[str] | None = None) -> Iterator[T]:
    """Yield ``items`` with a bar counting them (``total`` from ``len(items)`` when it has one)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress(description, total, unit, stream) as bar:
        for item in items:
            yield item
            bar.advance()


__all__ = ["Bar", "enabled", "progress", "set_enabled", "track"]
