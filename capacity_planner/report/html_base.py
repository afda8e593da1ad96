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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from capacity_planner._files import write_file_atomic
from capacity_planner.pages.formatting import STYLESHEET, Kind, esc, format_value, is_missing

__all__ = ["CSS", "Column", "Kind", "cell_html", "esc", "figure_html", "format_value", "infer_columns",
           "is_missing", "page_html", "records", "section_html", "table_html"]

CSS = STYLESHEET  # the one stylesheet of every page (capacity_planner/pages/style.css)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts keyed by column name."""
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


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
        if not is_missing(value):
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
