"""Find formula cells that have no saved value in an .xlsx workbook.

A workbook written by a program that does not calculate (a script, some exporters) stores formulas
without their results; Excel fills the results only when it opens and saves the file. Reading such a
cell gives a blank, so an optional cell (a referral ``count``) would silently take its default. The
reader warns for each one (issue 17), naming the sheet, the row and the column letter.
"""

from __future__ import annotations

import re
import zipfile
from typing import TYPE_CHECKING

from capacity_planner.errors import Problem
from capacity_planner.pack.xlsx_parts import sheet_parts

if TYPE_CHECKING:
    from pathlib import Path

_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"(?:[^>/]|/(?!>))*>(.*?)</c>', re.DOTALL)
_VALUE = re.compile(rb"<v>[^<]+</v>")
MAX_LISTED = 20
MESSAGE = ("a formula with no saved value, read as blank (the file was written by a program that does not "
           "calculate formulas): open and save it in Excel, or type the value")


def formula_cells_without_values(path: Path) -> dict[str, list[tuple[int, str]]]:
    """``{sheet name: [(row, column letter), ...]}`` of formula cells with no cached value."""
    out: dict[str, list[tuple[int, str]]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for sheet, member in sheet_parts(zf):
                cells = formulas_without_values_in(zf.read(member))
                if cells:
                    out[sheet] = cells
    except (KeyError, zipfile.BadZipFile):
        return {}
    return out


def formulas_without_values_in(xml: bytes) -> list[tuple[int, str]]:
    """``[(row, column letter), ...]`` of the formula cells with no cached value in one sheet's XML."""
    if b"<f" not in xml:
        return []
    return [(int(row), col.decode()) for col, row, body in _CELL.findall(xml)
            if b"<f" in body and not _VALUE.search(body)]


def formula_warnings(cells: list[tuple[int, str]], source: str) -> list[Problem]:
    """Warnings for formula cells without a saved value (the first 20, then a count of the rest)."""
    out = [Problem(source, MESSAGE, row, col, None, "warning") for row, col in cells[:MAX_LISTED]]
    if len(cells) > MAX_LISTED:
        more = len(cells) - MAX_LISTED
        out.append(Problem(source, f"… and {more:,} more formula cells with no saved value", None, None,
                           None, "warning"))
    return out

