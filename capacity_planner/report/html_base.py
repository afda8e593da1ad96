"""Generic HTML building blocks for the report pages: the inline CSS, value formatting, and semantic tables,
figures, sections and whole pages.

Used by :mod:`capacity_planner.report.html` (the meeting report and the scenario comparison page);
import the names from here. Every number in a table carries its exact value in ``data-value`` next to the
rounded text shown to people; figures embed PNGs as base64 data URIs with alt text, so pages need no
network. Values are formatted by a :data:`Kind` (``"text"``, ``"int"``, ``"num0"``, ``"num1"``, ``"pas"``,
``"pct"``, ``"bool"``).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from capacity_planner._files import write_file_atomic

Kind = Literal["text", "int", "num0", "num1", "pas", "pct", "bool"]

CSS = """
:root{--blue:#005eb8;--dark:#212b32;--grey:#4c6272;--pale:#f0f4f5;--line:#d8dde0;--red:#d5281b;
--green:#007f3b;--amber:#ffb81c}
*{box-sizing:border-box}
html{font-size:18px}
body{font-family:Arial,Helvetica,sans-serif;color:var(--dark);line-height:1.45;margin:0 auto;
max-width:1320px;padding:0 1.5rem 3rem}
header.top{border-bottom:6px solid var(--blue);padding:1.2rem 0 .8rem}
h1{font-size:2rem;margin:0 0 .2rem}
.subtitle{color:var(--grey);margin:0;font-size:1.05rem}
nav.toc{background:#fff;border-bottom:1px solid var(--line);padding:.45rem 0;font-size:.85rem}
nav.toc ol{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem 1.1rem}
nav.toc a{color:var(--blue);text-decoration:none;font-weight:bold}
h2{font-size:1.5rem;border-bottom:3px solid var(--blue);padding-bottom:.2rem;margin:2.2rem 0 .8rem}
h3{font-size:1.15rem;margin:1.4rem 0 .5rem}
p.lead{font-size:1.05rem;max-width:62rem}
.banner{background:#fff9e6;border-left:8px solid var(--amber);padding:.7rem 1rem;margin:1rem 0;
font-weight:bold}
.banner.ok{background:#e6f4ec;border-left-color:var(--green)}
.banner.bad{background:#fbe9e7;border-left-color:var(--red)}
dl.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(270px,1fr));gap:1rem;margin:1rem 0}
.card{background:var(--pale);border-left:8px solid var(--blue);padding:.8rem 1rem;break-inside:avoid}
.card.bad{border-left-color:var(--red)}.card.ok{border-left-color:var(--green)}
.card dt{font-weight:bold;color:var(--grey);font-size:.95rem}
.card dd{margin:0}
.card dd.big{font-size:2.5rem;font-weight:bold;line-height:1.15;margin:.15rem 0}
.card dd.big small{font-size:1rem;font-weight:normal;color:var(--grey)}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.9rem;width:100%}
caption{caption-side:top;text-align:left;font-weight:bold;padding:.3rem 0;font-size:1rem}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--pale);vertical-align:bottom}
tbody th{background:#fafbfb;font-weight:bold;min-width:8.5rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
thead th.num{white-space:normal}
tr.short td,tr.short th{background:#fff4f2}
td.reason{min-width:18rem}
ul.reasons{margin:0;padding-left:1.1rem}
table.timetable{table-layout:fixed;font-size:.85rem}
table.timetable th[scope=row]{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;vertical-align:middle}
table.timetable td{text-align:center;vertical-align:middle;font-weight:bold;height:2.6rem;padding:.2rem;
position:relative}
table.timetable td.changed{outline:3px solid var(--dark);outline-offset:-4px}
table.timetable td.changed::after{content:"";position:absolute;top:4px;right:4px;border-width:0 11px 11px 0;
border-style:solid;border-color:transparent var(--dark) transparent transparent}
table.timetable .was{display:block;font-weight:normal;font-size:.72rem;color:var(--grey)}
table.timetable col.daystart{border-left:3px solid var(--grey)}
table.timetable th.premium{background:#fff4d6}
table.timetable thead tr:first-child th{position:sticky;top:0;z-index:2;height:2rem}
table.timetable thead tr+tr th{position:sticky;top:2rem;z-index:2}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.4rem;margin:.3rem 0 1rem;padding:0;list-style:none;
font-size:.9rem}
.legend li{display:flex;align-items:center;gap:.4rem}
.swatch{display:inline-block;width:1.3rem;height:1.1rem;border:1px solid #999}
.swatch.changed{background:#fff;outline:3px solid var(--dark);outline-offset:-3px}
ul.chips{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.3rem .5rem}
ul.chips li{background:var(--pale);border:1px solid var(--line);border-radius:4px;padding:.05rem .45rem;
white-space:nowrap}
figure{margin:1rem 0;break-inside:avoid}
figure img{max-width:100%;height:auto;border:1px solid var(--line)}
figcaption{color:var(--grey);font-size:.9rem;margin-top:.3rem}
.muted{color:var(--grey)}
footer{margin-top:3rem;border-top:1px solid var(--line);padding-top:.6rem;color:var(--grey);font-size:.85rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@page{size:A4 portrait;margin:12mm 11mm}
@page wide{size:A4 landscape;margin:10mm}
@media print{
 html{font-size:10.5pt}
 body{max-width:none;padding:0}
 nav.toc{display:none}
 section.page{break-before:page}
 section.wide{page:wide}
 h2{margin-top:0;break-after:avoid}
 h3,caption{break-after:avoid}
 thead{display:table-header-group}
 tr,figure,.card,.banner{break-inside:avoid}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 figure img{max-height:170mm;width:auto;max-width:100%}
 table.timetable{font-size:8.5pt}
 table.timetable td{height:1.9rem}
}
"""


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts keyed by column name."""
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def esc(value: object) -> str:
    """HTML-escape any value's text."""
    return html.escape("" if value is None else str(value), quote=True)


# ---- values -----------------------------------------------------------------------------------------
def _is_missing(v: object) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return bool(isinstance(v, float | np.floating) and math.isnan(float(v)))
    except (TypeError, ValueError):
        return False


def format_value(v: object, kind: Kind) -> str:
    """Text shown for a value: thousands separators, PAs to two decimals at most, percentages."""
    if _is_missing(v):
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


@dataclass(frozen=True)
class Column:
    """A table column: the frame's column ``key``, the header people read, and how to format it."""

    key: str
    header: str
    kind: Kind = "text"


def infer_columns(frame: pd.DataFrame) -> list[Column]:
    """Columns for a frame: numbers right-aligned (whole numbers without decimals), text as is."""
    cols = []
    for name in frame.columns:
        s = frame[name]
        header = str(name).replace("_", " ")
        if pd.api.types.is_bool_dtype(s):
            cols.append(Column(str(name), header, "bool"))
        elif pd.api.types.is_numeric_dtype(s):
            vals = s.dropna().to_numpy(dtype=float)
            whole = bool(len(vals)) and bool(np.all(np.isclose(vals, np.round(vals))))
            cols.append(Column(str(name), header, "num0" if whole or (len(vals) and np.abs(vals).min() >= 100)
                               else "num1" if len(vals) and np.abs(vals).min() >= 10 else "pas"))
        else:
            cols.append(Column(str(name), header, "text"))
    return cols


def cell_html(value: object, kind: Kind, *, tag: str = "td", scope: str = "", extra_class: str = "") -> str:
    """One cell; numbers get class ``num`` and their exact value in ``data-value``."""
    attrs = f' scope="{scope}"' if scope else ""
    classes = [extra_class] if extra_class else []
    if kind not in ("text", "bool"):
        classes.append("num")
        if not _is_missing(value):
            attrs += f' data-value="{float(value)!r}"'  # type: ignore[arg-type]
    if classes:
        attrs += f' class="{" ".join(classes)}"'
    return f"<{tag}{attrs}>{esc(format_value(value, kind))}</{tag}>"


def table_html(frame: pd.DataFrame, columns: Sequence[Column] | None, caption: str, *,
               row_header: str | None = None, table_class: str = "", table_id: str = "",
               row_classes: Sequence[str] | None = None,
               cell_override: Mapping[str, Any] | None = None) -> str:
    """A semantic table: caption, ``<th scope="col">`` headers, and ``<th scope="row">`` for the
    ``row_header`` column. ``cell_override[key](row) -> html`` renders a column's cells itself."""
    columns = list(columns) if columns is not None else infer_columns(frame)
    attrs = (f' id="{esc(table_id)}"' if table_id else "")
    attrs += f' class="{esc(table_class)}"' if table_class else ""
    head = "".join(f'<th scope="col"{" class=num" if c.kind not in ("text", "bool") else ""}>'
                   f"{esc(c.header)}</th>" for c in columns)
    body = []
    for i, row in enumerate(records(frame)):
        cells = []
        for c in columns:
            if cell_override and c.key in cell_override:
                cells.append(cell_override[c.key](row))
            elif c.key == row_header:
                cells.append(cell_html(row[c.key], c.kind, tag="th", scope="row"))
            else:
                cells.append(cell_html(row[c.key], c.kind))
        cls = row_classes[i] if row_classes and row_classes[i] else ""
        tr = f'<tr class="{esc(cls)}">' if cls else "<tr>"
        body.append(f"{tr}{''.join(cells)}</tr>")
    return (f"<table{attrs}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def figure_html(png: bytes | Path, alt: str, caption: str) -> str:
    """A figure with the PNG embedded as a data URI, its alt text and a visible caption."""
    data = png.read_bytes() if isinstance(png, Path) else png
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def section_html(section_id: str, title: str, body: str, *, lead: str = "", page_break: bool = True,
                 wide: bool = False) -> str:
    """A titled section (``page_break``: starts a new printed page; ``wide``: prints landscape)."""
    classes = " ".join(c for c, on in (("page", page_break), ("wide", wide)) if on)
    class_attr = f' class="{classes}"' if classes else ""
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return (f'<section id="{esc(section_id)}" aria-labelledby="h-{esc(section_id)}"{class_attr}>'
            f'<h2 id="h-{esc(section_id)}">{esc(title)}</h2>{lead_html}{body}</section>')


def page_html(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]], *, banner: str = "",
              footer: str = "") -> str:
    """A whole page: ``sections`` are (id, title, html) — the ids and titles make the contents bar."""
    toc = "".join(f'<li><a href="#{esc(i)}">{esc(t)}</a></li>' for i, t, _ in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f'<header class="top"><h1>{esc(title)}</h1><p class="subtitle">{esc(subtitle)}</p></header>'
            f'<nav class="toc" aria-label="Contents"><ol>{toc}</ol></nav>{banner}<main>'
            + "".join(s for _, _, s in sections)
            + f"</main><footer>{footer}</footer></body></html>\n")


def _atomic_write_text(path: Path, text: str) -> Path:
    return write_file_atomic(path, text.encode("utf-8"))
