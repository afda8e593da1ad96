"""Render report.html in headless Chromium (when installed) and check what a person would see: a
screenshot of the expected size that is not blank, and a page no wider than the window (no sideways
scrolling on a projector). Skipped where Chromium is not installed (``apt-get install chromium``)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import capacity_planner as cp
from capacity_planner.report.meeting_pack import write_report_files
from capacity_planner.report.spc_chart import demand_spc_charts, write_spc_charts

DATA = Path(__file__).parent / "data"
CHROMIUM = next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# CI sets CP_REQUIRE_BROWSER (.ci/run installs Chromium): there a missing browser fails instead of skipping.
if CHROMIUM is None and os.environ.get("CP_REQUIRE_BROWSER"):
    raise RuntimeError("CP_REQUIRE_BROWSER is set but Chromium is not installed (apt-get install chromium)")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plan")
    shutil.copytree(DATA / "plan_fixture", folder, dirs_exist_ok=True)
    # the XmR charts of weekly demand, as `plan` writes them, so the page renders with them
    weekly = pd.read_csv(folder / "weekly_demand.csv", dtype={"activity_id": str})
    assert write_spc_charts(demand_spc_charts(weekly), folder / "charts")
    # B keeps 1 two-week-wait session a week (skills.min_sessions_per_week), so the clinicians table has its
    # "Time they must keep" column, the widest text there, in the width and print checks
    pack = cp.read_pack(DATA / "tiny")
    skills = tuple(dataclasses.replace(s, min_sessions_per_week=1.0)
                   if (s.clinician_id, s.activity_id) == ("B", "2ww") else s for s in pack.skills)
    write_report_files(dataclasses.replace(pack, skills=skills), folder)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<section id="variation"' in page and "Time they must keep" in page
    return folder / "report.html"


@pytest.fixture(scope="module")
def review_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from capacity_planner.cli import cli

    out = tmp_path_factory.mktemp("review") / "review"
    result = CliRunner().invoke(cli, ["review", str(DATA / "tiny"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "review.html"


def test_screenshot_is_drawn(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _chromium("--window-size=1400,2000", f"--screenshot={shot}", report.as_uri())
    assert shot.exists()
    with Image.open(shot) as im:
        assert im.size == (1400, 2000)
        grey = np.asarray(im.convert("L"), dtype=float)
    assert grey.std() > 20  # text, cards and charts, not a blank page
    assert (grey < 100).mean() > 0.01  # dark text is there


def test_review_page_renders_with_its_charts(review_page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "review.png"
    _chromium("--window-size=1400,2000", f"--screenshot={shot}", review_page.as_uri())
    with Image.open(shot) as im:
        grey = np.asarray(im.convert("L"), dtype=float)
    assert grey.std() > 20
    _assert_fits(review_page, tmp_path)


def test_page_fits_a_projector_width(report: Path, tmp_path: Path) -> None:
    _assert_fits(report, tmp_path)


def _assert_fits(report: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.html"
    script = (
        "<script>addEventListener('load',()=>{document.title='W='+"
        "document.documentElement.scrollWidth;});</script>"
    )
    probe.write_text(
        report.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8"
    )
    for width in (1400, 1024):
        out = _chromium(
            f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()
        )
        start = out.stdout.find("<title>W=")
        assert start >= 0, out.stderr[-500:]
        scroll_width = int(out.stdout[start + 9 : out.stdout.find("</title>", start)])
        assert scroll_width <= width, f"page is {scroll_width}px wide in a {width}px window"


def test_prints_to_a4(report: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", report.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = {
        (round(float(w)), round(float(h)))
        for w, h in re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", data)
    }
    # A4 portrait pages (595 x 842 pt) and the landscape page of the timetable
    assert boxes == {(595, 842), (842, 595)}


# ---- every page: no console messages, no sideways scrolling (issue 18 item 6) ---------------------------
@pytest.fixture(scope="module")
def finance_pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """comparison.html and frontier.html of the tiny pack (a locum option, a retirement risk; two budgets)."""
    import tomllib

    from capacity_planner.scenarios import parse_scenarios, run_frontier, run_scenarios

    pack = cp.read_pack(DATA / "tiny")
    out = tmp_path_factory.mktemp("finance")
    specs = parse_scenarios(tomllib.loads('[[scenario]]\nname = "locum-fu"\ndescription = "Locum follow-ups"\n'
                                          'locum = { fu = 20 }\n[[scenario]]\nname = "retire-n"\n'
                                          'description = "Nia Nash retires"\nremove_clinicians = ["N"]'), "t.toml")
    run_scenarios(pack, specs, out / "s", work_limit=5.0)
    run_frontier(pack, [0, 20_000], out / "f", work_limit=5.0)
    return [out / "s" / "comparison.html", out / "f" / "frontier.html"]


def test_every_page_loads_without_console_messages(report: Path, review_page: Path,
                                                   finance_pages: list[Path]) -> None:
    from tests.test_review_html import _console_messages

    for page in (report, review_page, *finance_pages):
        messages, dom = _console_messages(page)
        assert messages == [], page.name
        assert "<main>" in dom, page.name


def test_finance_pages_fit_a_projector_width(finance_pages: list[Path], tmp_path: Path) -> None:
    for page in finance_pages:
        _assert_fits(page, tmp_path)
