"""A write-only .xlsx writer for packs: one sheet per table, values only, fast for large tables (issue 16).

``convert --to pack.xlsx`` of a 40-clinician service (313,000 appointment rows) took 1 min 50 s through
openpyxl, which builds a cell object per value. A workbook of plain tables needs none of that: this module
writes the Office Open XML parts directly (ECMA-376 Part 1, SpreadsheetML), building each column's cells
with one vectorised pass and streaming the rows into the zip in blocks, so memory stays one block of
rows. What it writes:

* text as inline strings (``t="inlineStr"``), so text that begins with ``=``, ``+``, ``-`` or ``@`` is
  always text, never a formula; characters XML 1.0 cannot hold (control characters other than tab, line
  feed and carriage return) are dropped, as Excel cannot store them either;
* numbers as numbers, booleans as TRUE/FALSE, dates and date-times as Excel serial dates (days since
  1899-12-30) with the number format ``yyyy-mm-dd``;
* blank cells (None, NaN, NaT) not at all;
* the header row in bold and frozen, so a large table stays readable when scrolled.

Every reader we use (calamine, openpyxl) and Excel read these files; the round trip is tested in
tests/test_pack_roundtrip.py.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

BLOCK_ROWS = 20_000  # rows built and written at a time
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
DATE_STYLE = 1  # index into cellXfs below: yyyy-mm-dd
BOLD_STYLE = 2  # the header row

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets>{sheets}</sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
    '<Relationship Id="rId{styles}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')
_SHEET_REL = ('<Relationship Id="rId{n}" '
              'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
              'Target="worksheets/sheet{n}.xml"/>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
    'state="frozen"/></sheetView></sheetViews><sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"


def column_letter(index: int) -> str:
    """Excel's letters for a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _text(ref: str, value: str, style: str = "") -> str:
    text = escape(_ILLEGAL.sub("", value))
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _serial(value: dt.date | dt.datetime | pd.Timestamp) -> float:
    """Days since 1899-12-30 (Excel's serial date; 1900 leap-year bug irrelevant after March 1900)."""
    return float((pd.Timestamp(value) - EXCEL_EPOCH) / pd.Timedelta(days=1))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def cell_xml(ref: str, value: Any) -> str:
    """One cell's XML for any Python value ("" for a blank cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "" if np.isnan(value) else _text(ref, str(value))
        return f'<c r="{ref}"><v>{_number(float(value))}</v></c>'
    if isinstance(value, dt.date | pd.Timestamp):
        return f'<c r="{ref}" s="{DATE_STYLE}"><v>{_number(_serial(value))}</v></c>'
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else cell_xml(ref, pd.Timestamp(value))
    return _text(ref, str(value))


def _column_cells(letter: str, rows: list[str], values: pd.Series) -> list[str]:
    """The cells of one column for a block of rows (``rows``: their Excel row numbers as text)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) and not values.isna().any():
        return [f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>' for r, v in zip(rows, values, strict=True)]
    if pd.api.types.is_integer_dtype(dtype) and not values.isna().any():
        return [f'<c r="{letter}{r}"><v>{v}</v></c>' for r, v in zip(rows, values.tolist(), strict=True)]
    if pd.api.types.is_float_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return [cell_xml(f"{letter}{r}", v) for r, v in zip(rows, values.tolist(), strict=True)]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        serial = ((values - EXCEL_EPOCH) / pd.Timedelta(days=1)).tolist()
        return ["" if v != v else f'<c r="{letter}{r}" s="{DATE_STYLE}"><v>{_number(v)}</v></c>'
                for r, v in zip(rows, serial, strict=True)]
    if isinstance(dtype, pd.CategoricalDtype | pd.StringDtype):
        # Text columns: each distinct value escaped once (ids and labels repeat a great deal).
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        escaped = [escape(_ILLEGAL.sub("", str(u))) if isinstance(u, str) else None for u in uniques]
        out = []
        for r, code in zip(rows, codes.tolist(), strict=True):
            if code < 0:
                out.append("")
            elif escaped[code] is not None:
                out.append(f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">{escaped[code]}'
                           f"</t></is></c>")
            else:
                out.append(cell_xml(f"{letter}{r}", uniques[code]))
        return out
    return [cell_xml(f"{letter}{r}", v) for r, v in zip(rows, values.tolist(), strict=True)]


def _write_sheet(zf: zipfile.ZipFile, member: str, frame: pd.DataFrame,
                 advance: Callable[[int], None] | None) -> None:
    letters = [column_letter(i) for i in range(frame.shape[1])]
    header = "".join(_text(f"{letter}1", str(name), f' s="{BOLD_STYLE}"')
                     for letter, name in zip(letters, frame.columns, strict=True))
    with zf.open(member, "w", force_zip64=True) as fh:
        fh.write((_SHEET_HEAD + f'<row r="1">{header}</row>').encode("utf-8"))
        for start in range(0, len(frame), BLOCK_ROWS):
            block = frame.iloc[start:start + BLOCK_ROWS]
            rows = [str(r) for r in range(start + 2, start + 2 + len(block))]
            columns = [_column_cells(letter, rows, block.iloc[:, j]) for j, letter in enumerate(letters)]
            text = "".join(f'<row r="{r}">{"".join(cells)}</row>'
                           for r, *cells in zip(rows, *columns, strict=True))
            fh.write(text.encode("utf-8"))
            if advance is not None:
                advance(len(block))
        fh.write(_SHEET_TAIL.encode("utf-8"))


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path,
               advance: Callable[[int], None] | None = None) -> None:
    """Write one sheet per frame (sheet name -> frame; header row = the column names) to ``path``.

    ``advance(n)`` is called as each block of ``n`` rows is written (progress).
    """
    names = list(sheets)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(names) + 1))))
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(names, 1))))
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(
            rels="".join(_SHEET_REL.format(n=n) for n in range(1, len(names) + 1)), styles=len(names) + 1))
        zf.writestr("xl/styles.xml", _STYLES)
        for n, name in enumerate(names, 1):
            _write_sheet(zf, f"xl/worksheets/sheet{n}.xml", sheets[name], advance)
