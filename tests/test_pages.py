"""The one page renderer (capacity_planner.pages): autoescaping, strict names, the shared frame and
components, and the formatting filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2
import pytest

from capacity_planner.pages import money, render_page, signed
from capacity_planner.pages.formatting import STYLESHEET

if TYPE_CHECKING:
    from pathlib import Path

PAGE = """{% extends "base.html.j2" %}
{% import "components.html.j2" as c %}
{% block content %}
{% call c.section("numbers", "Numbers", lead=lead) %}
{{ c.cards(cards) }}
{{ c.table(rows, [("name", "Name", "text"), ("sessions", "Sessions a year", "int"), ("share", "Share", "pct")],
           "Sessions by activity", row_header="name") }}
{% endcall %}
{% endblock %}
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "demo.html.j2").write_text(PAGE, encoding="utf-8")
    return tmp_path


def _render(folder: Path, **overrides: object) -> str:
    context: dict[str, object] = {
        "title": "Demo <page>", "subtitle": "one table", "sections": [("numbers", "Numbers")],
        "lead": "Read me", "cards": [{"label": "Unmet", "value": "1,234", "unit": "sessions", "kind": "bad"}],
        "rows": [{"name": "<script>alert(1)</script>", "sessions": 1234.4, "share": 0.256}],
    }
    context.update(overrides)
    return render_page("demo.html.j2", extra_folders=[folder], **context)


def test_page_frame_contents_bar_and_stylesheet(folder: Path) -> None:
    page = _render(folder)
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Demo &lt;page&gt;</title>" in page
    assert '<li><a href="#numbers">Numbers</a></li>' in page
    assert STYLESHEET in page  # the one stylesheet, inlined
    assert '<section id="numbers" aria-labelledby="h-numbers" class="page">' in page
    assert '<p class="lead">Read me</p>' in page
    assert '<div class="card bad">' in page and "1,234 <small>sessions</small>" in page


def test_values_are_escaped_and_numbers_carry_exact_values(folder: Path) -> None:
    page = _render(folder)
    assert "<script>alert" not in page
    assert '<th scope="row">&lt;script&gt;alert(1)&lt;/script&gt;</th>' in page
    # 1234.4 shown as 1,234 with the exact value kept; 0.256 shown as 26 %.
    assert '<td class="num" data-value="1234.4">1,234</td>' in page
    assert '<td class="num" data-value="0.256">26 %</td>' in page


def test_missing_value_is_a_dash_and_an_undefined_name_is_an_error(folder: Path) -> None:
    page = _render(folder, rows=[{"name": "x", "sessions": float("nan"), "share": None}])
    assert '<td class="num">–</td>' in page
    with pytest.raises(jinja2.UndefinedError):
        render_page("demo.html.j2", extra_folders=[folder], title="t", subtitle="s", sections=[])


@pytest.mark.parametrize(("value", "text"), [(12345.4, "£12,345"), (-1200, "−£1,200"), (0.5, "£0"),
                                             (None, ""), (float("nan"), "")])
def test_money(value: object, text: str) -> None:
    assert money(value) == text  # 0.5 rounds to even: £0


@pytest.mark.parametrize(("value", "digits", "text"), [(12, 0, "+12"), (-3.46, 1, "−3.5"), (0.04, 1, "0"),
                                                       (1234, 0, "+1,234"), (None, 0, "")])
def test_signed(value: object, digits: int, text: str) -> None:
    assert signed(value, digits) == text


def test_chart_style_figure_size_and_deterministic_png() -> None:
    from PIL import Image

    from capacity_planner.pages.chart_style import DPI, new_figure, png_bytes, style_axes

    fig = new_figure(3.1, 2.0)  # 3.1 in rounds up to 3.25 in: 3.25 × 120 = 390 px; 2.0 × 120 = 240 px
    ax = style_axes(fig.add_subplot())
    ax.bar(["$\\alpha$", "b"], [1, 2])  # a name is text, never TeX
    first, second = png_bytes(fig), png_bytes(fig)
    assert first == second
    import io

    assert Image.open(io.BytesIO(first)).size == (round(3.25 * DPI), 2 * DPI)
    assert not ax.spines["top"].get_visible() and ax.spines["left"].get_visible()
