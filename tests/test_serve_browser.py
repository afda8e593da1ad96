"""End to end in a real headless browser (Playwright driving the system Chromium, nothing downloaded):
lock -> re-plan -> compare -> agree on the sample, through the page as the meeting uses it (issue 20).

Skipped where Chromium or Playwright is missing, except in CI (CP_REQUIRE_BROWSER, set by .ci/run), where
that fails instead, as in tests/test_report_render.py."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

import capacity_planner as cp
from capacity_planner.serve.replan import cells_of

CHROMIUM = next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None
)
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None

if (CHROMIUM is None or sync_playwright is None) and os.environ.get("CP_REQUIRE_BROWSER"):
    raise RuntimeError("CP_REQUIRE_BROWSER is set but Chromium or Playwright is missing "
                       "(apt-get install chromium; pip install -e '.[dev]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None or sync_playwright is None,
                                reason="Chromium or Playwright is not installed")


@pytest.fixture()
def served(tmp_path):
    """The meeting app served by uvicorn on 127.0.0.1 in a thread; yields (url, session, out_dir)."""
    import uvicorn

    from capacity_planner.serve.app import create_app
    from capacity_planner.serve.session import MeetingSession

    options = cp.PlanOptions(time_limit_s=30.0, seed=0, workers=1)
    session = MeetingSession(cp.sample_pack(), options)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    token = "browser-test-token"
    out = tmp_path / "meeting"
    server = uvicorn.Server(uvicorn.Config(create_app(session, token, out), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/{token}/", session, out
    server.should_exit = True
    thread.join(10)


def test_lock_replan_compare_agree_in_the_browser(served):
    url, session, out = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.goto(url)
        assert page.locator("#proposed tbody tr").count() == len(session.shown.run.plan.clinicians)
        # Lock: click a cell of the proposed timetable; the script fills the form's clinician and slot.
        target = page.locator('#proposed td[data-activity]:not([data-activity=""])').first
        clinician, slot = target.get_attribute("data-clinician"), target.get_attribute("data-slot")
        target.click()
        assert page.locator("#clinician").input_value() == clinician
        assert page.locator("#slot").input_value() == slot
        page.select_option("#kind", "lock")
        page.click("#add")
        assert "Lock" in page.locator("#act").inner_text()
        # Re-plan: the progress indicator runs while the server works, then version 2 is on screen.
        page.click("#replan")
        page.wait_for_selector("text=Version 2 on screen", timeout=30_000)
        locked = page.locator(f'#proposed td[data-clinician="{clinician}"][data-slot="{slot}"]')
        assert "fixed" in (locked.get_attribute("class") or "")
        assert page.locator("#version-table tbody tr").count() == 2
        # Compare version 1 with version 2.
        page.select_option("#compare-a", "1")
        page.select_option("#compare-b", "2")
        page.click("#compare")
        page.wait_for_selector("#compare-numbers")
        assert "Version 1 against version 2" in page.title()
        page.go_back()
        page.wait_for_selector("#agree-button")
        # Agree: the agreed pack, the meeting pack and the record are written.
        # Writing report.html, plan.xlsx and the charts takes seconds; a loaded CI machine can take a minute.
        page.click("#agree-button", timeout=180_000)
        page.wait_for_selector("#agreed", timeout=180_000)
        browser.close()
    assert (out / "meeting_pack" / "report.html").exists()
    assert (out / "agreed_pack" / "job_plans.csv").exists()
    record = (out / "meeting_record.md").read_text(encoding="utf-8")
    assert "Agreed version 2" in record and "Lock" in record
    agreed = cp.read_pack(out / "agreed_pack")
    assert {(j.clinician_id, j.day, j.period): j.activity_id for j in agreed.job_plans} == \
        {tuple(k): a for k, a in cells_of(session.shown.run.plan.allocation).items()}
    # The agreed pack re-plans to the same timetable (every cell locked, nothing to change).
    again = cp.plan(agreed, cp.PlanOptions(time_limit_s=60.0, seed=0, workers=1))
    assert cells_of(again.plan.allocation) == cells_of(session.shown.run.plan.allocation)
    assert again.summary.changed_sessions == 0
