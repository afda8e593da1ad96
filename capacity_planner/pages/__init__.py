"""One template renderer for every HTML page the tool writes or serves (issue 18 item 1, issue 20).

Pages are Jinja2 templates under ``capacity_planner/pages/templates`` (and any extra folders a caller
adds, such as the meeting web app's own templates), rendered with autoescaping on and undefined names an
error, so a value can never reach a page unescaped or silently blank. Every page extends ``base.html.j2``
(the one stylesheet ``style.css`` inlined, a header, a contents bar made from the page's sections, a
footer) and builds its body from the components in ``components.html.j2`` (section, cards, table,
figure, banner).

Usage
-----
>>> from capacity_planner.pages import render_page
>>> html = render_page("example.html.j2", title="Demo", subtitle="one table",
...                    sections=[("numbers", "Numbers")], rows=[{"a": 1}])  # doctest: +SKIP

Formatting filters (one place for how a number looks on any page):

* ``value(kind)`` – :func:`capacity_planner.pages.formatting.format_value` (``"int"``, ``"num0"``,
  ``"num1"``, ``"pas"``, ``"pct"``, ``"bool"``, ``"text"``);
* ``money`` – pounds with thousands separators, no pence (``£12,345``; ``−£1,200`` when negative);
* ``signed`` – a count with its sign (``+12``, ``−3``, ``0``);
* ``png_uri`` – PNG bytes as a ``data:`` URI (pages embed their charts and need no network).
"""

from __future__ import annotations

import base64
import math
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capacity_planner.pages.formatting import STYLESHEET, Kind, format_value

if TYPE_CHECKING:
    from collections.abc import Sequence

    import jinja2

TEMPLATES = Path(__file__).with_name("templates")


def money(value: object) -> str:
    """Pounds, rounded to whole pounds, with thousands separators: ``£12,345``; blank for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    amount = round(float(value))  # type: ignore[arg-type]
    return f"−£{-amount:,}" if amount < 0 else f"£{amount:,}"


def signed(value: object, digits: int = 0) -> str:
    """A number with its sign (``+12``, ``−3.5``, ``0``), thousands separated; blank when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = round(float(value), digits)  # type: ignore[arg-type]
    if number == 0:
        return "0"
    text = f"{abs(number):,.{digits}f}"
    return f"+{text}" if number > 0 else f"−{text}"


def png_uri(png: bytes) -> str:
    """PNG bytes as a base64 ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _value(value: object, kind: Kind = "text") -> str:
    return format_value(value, kind)


@lru_cache(maxsize=8)
def environment(extra_folders: tuple[str, ...] = ()) -> jinja2.Environment:
    """The Jinja2 environment: the shared templates (after any ``extra_folders``), autoescaping on,
    ``StrictUndefined``, the formatting filters and the stylesheet as the global ``css``. Jinja2 loads
    here, not with the package, so a chart (``pages.chart_style``) does not pay for it."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*extra_folders, str(TEMPLATES)]),
        autoescape=True,  # every template is HTML: escape everything not marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(value=_value, money=money, signed=signed, png_uri=png_uri)
    env.globals["css"] = STYLESHEET
    return env


def render_page(template: str, *, extra_folders: Sequence[str | Path] = (), **context: Any) -> str:
    """Render one page template with ``context``.

    Parameters
    ----------
    template
        The template's file name, e.g. ``"review.html.j2"``.
    extra_folders
        Folders searched before the shared templates (a page family's own templates).
    **context
        The template's variables. Pages built on ``base.html.j2`` need ``title``, ``subtitle`` and
        ``sections`` (a sequence of ``(id, title)`` pairs for the contents bar).
    """
    env = environment(tuple(str(f) for f in extra_folders))
    return env.get_template(template).render(**context)


__all__ = ["TEMPLATES", "environment", "money", "png_uri", "render_page", "signed"]
