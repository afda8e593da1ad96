"""A chart drawn to PNG bytes (:class:`ChartImage`): the record every chart of a page or a plan folder is
passed as, so a page embeds the same bytes the folder gets and no chart is ever found by file name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ChartImage"]


@dataclass(frozen=True)
class ChartImage:
    """A chart drawn to PNG bytes, with what a reader needs to understand it without seeing it: the page
    embeds ``png``, the plan folder gets it as ``charts/<name>.png``."""

    name: str  # file stem
    title: str
    alt: str
    png: bytes

    def write(self, folder: str | Path) -> Path:
        """Write ``folder/<name>.png`` (the folder is created); returns its path."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{self.name}.png"
        path.write_bytes(self.png)
        return path
