"""Re-plan time of the meeting page (``capacity-planner serve``, issue 20): the embedded sample (target
<= 3 s) and the 40-clinician ``service`` sample (target <= 10 s, a stated gap if cut short).

Each pack: plan the proposal, then a meeting's three re-plans through the web app (Starlette's TestClient,
the same routes the browser uses): a lock of one cell, a pin of another activity to a DCC cell, and a
clinician marked unavailable in a slot. For each: the re-plan itself (solve with the shown plan as the
changes baseline, :meth:`MeetingSession.replan`) and the whole answer the meeting
waits for (the Re-plan POST until the new page has arrived: re-plan, the report tables of the new
version, rendering). Wall-clock seconds on this machine, one solver worker, the page's default limit.

Usage::

    .venv/bin/python benchmarks/serve_replan.py [--size small|service|both] [--time-limit 8] [--workers 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import capacity_planner as cp
from capacity_planner.pack.samples import generate_sample
from capacity_planner.serve.session import MeetingSession, whole_weekly_sessions

if TYPE_CHECKING:
    from capacity_planner.serve.replan import Cell


def meeting_actions(session: MeetingSession) -> list[dict[str, str]]:
    """Three typical meeting actions on the proposal: lock, pin, unavailable (fixed, deterministic)."""
    pack = session.pack
    cells = sorted(session.shown.cells.items())
    locked = {(j.clinician_id, j.day, j.period) for j in pack.job_plans if j.locked}
    free = [(k, a) for k, a in cells if tuple(k) not in locked]
    lock_cell = free[0][0]
    pin: tuple[Cell, str] | None = None
    for k, a in free[len(free) // 2:]:
        skills = {s.activity_id for s in pack.skills if s.clinician_id == k.clinician_id}
        dcc = sorted(x.activity_id for x in pack.activities if x.is_dcc and x.activity_id in skills and
                     x.activity_id != a)
        if pack.activity(a).is_dcc and dcc:
            pin = (k, dcc[0])
            break
    assert pin is not None
    off = free[-1][0]
    return [
        {"kind": "lock", "clinician": lock_cell.clinician_id, "slot": f"{lock_cell.day}-{lock_cell.period}"},
        {"kind": "pin", "clinician": pin[0].clinician_id, "slot": f"{pin[0].day}-{pin[0].period}",
         "activity": pin[1]},
        {"kind": "unavailable", "clinician": off.clinician_id, "slot": f"{off.day}-{off.period}"},
    ]


def bench(pack: cp.PlanningPack, label: str, time_limit: float, workers: int) -> None:
    # The meeting plans whole weekly sessions: the proposal is planned so, with the pack's own limit (a
    # proposal with alternate-week cells would be planned again by the session under the re-plan limit).
    pack = whole_weekly_sessions(pack)
    t0 = time.perf_counter()
    proposal = cp.plan(pack, cp.PlanOptions(seed=0, workers=workers))
    print(f"{label}: {len(pack.clinicians)} clinicians; proposal {proposal.summary.status} in "
          f"{time.perf_counter() - t0:.1f} s")
    from starlette.testclient import TestClient

    from capacity_planner.serve.app import create_app

    session = MeetingSession(pack, cp.PlanOptions(time_limit_s=time_limit, seed=0, workers=workers), proposal)
    with tempfile.TemporaryDirectory() as tmp:
        client = TestClient(create_app(session, "bench", Path(tmp) / "out"), base_url="http://127.0.0.1")
        assert client.get("/bench/").status_code == 200
        for form in meeting_actions(session):
            assert client.post("/bench/action", data=form, follow_redirects=False).status_code == 303
            t1 = time.perf_counter()
            page = client.post("/bench/replan")
            answer = time.perf_counter() - t1
            assert page.status_code == 200, page.text[:500]
            version = session.shown
            print(f"  {form['kind']:<12} re-plan {version.seconds:5.2f} s  page {answer:5.2f} s  solve "
                  f"{version.solve_status:<8} cells moved {len(version.moved):3d}  sessions changed from "
                  f"shown {version.changes_from_shown}, from current {version.run.summary.changed_sessions}  "
                  f"{version.solve_note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "service", "both"], default="both")
    parser.add_argument("--time-limit", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.size in ("small", "both"):
        bench(cp.sample_pack(), "sample (embedded)", args.time_limit, args.workers)
    if args.size in ("service", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            pack = cp.read_pack(generate_sample("service", 0, Path(tmp) / "service"))
            bench(pack, "service (40 clinicians)", args.time_limit, args.workers)


if __name__ == "__main__":
    main()
