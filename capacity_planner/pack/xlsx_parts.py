"""The worksheets inside an .xlsx file, read from its XML parts.

openpyxl's read-only mode (the fast one we read packs with) does not expose merged cells, and no mode says
whether a formula cell has a saved value; both are read from the sheet XML. This module maps each sheet's
name, as Excel shows it, to its part in the zip (``xl/workbook.xml`` names the sheets and their relation
ids; ``xl/_rels/workbook.xml.rels`` maps ids to parts), the one place that reading is written.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import zipfile
    from collections.abc import Iterator

_ID_TARGET = re.compile(r'Id="([^"]+)"[^>]*Target="([^"]+)"')
_TARGET_ID = re.compile(r'Target="([^"]+)"[^>]*Id="([^"]+)"')
_SHEET = re.compile(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"')


def unescape(text: str) -> str:
    """XML entities in a sheet name back to the characters Excel shows."""
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


def sheet_parts(zf: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """``(sheet name as shown in Excel, zip member of its XML)`` for each worksheet present in the file.

    Raises ``KeyError`` when the workbook parts are missing (not an .xlsx file).
    """
    wb_xml = zf.read("xl/workbook.xml").decode("utf-8", errors="replace")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    targets = dict(_ID_TARGET.findall(rels))
    targets.update({rid: target for target, rid in _TARGET_ID.findall(rels)})
    members = set(zf.namelist())
    for sheet, rid in _SHEET.findall(wb_xml):
        member = "xl/" + targets.get(rid, "").lstrip("/").removeprefix("xl/")
        if member in members:
            yield unescape(sheet), member
