"""Decomposition (issue 16): independent parts found by hand-checkable links, solved apart and joined into
the same plan as solving each part alone; trust-wide rules keep one part."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from test_solver_helpers import activity, clinician, make_pack, reqs, run

import capacity_planner as cp
from capacity_planner.demand.requirements import Requirements
from capacity_planner.solver import SolveStatus
from capacity_planner.solver.decompose import coupling_rules, find_parts, split
from capacity_planner.solver.options import Allowances

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack

TINY_DEMAND = {"2ww": 250.0, "fu": 400.5, "mdt": 84.0}


def _renamed(pack: PlanningPack, prefix: str) -> PlanningPack:
    """The pack with every clinician, activity and room-type id prefixed (a disjoint copy)."""
    def ids(rec: Any, *fields: str) -> Any:
        return dataclasses.replace(rec, **{f: prefix + getattr(rec, f) for f in fields
                                           if getattr(rec, f) is not None})

    return pack.replace(
        clinicians=tuple(ids(c, "clinician_id") for c in pack.clinicians),
        activities=tuple(ids(a, "activity_id", "follow_up_activity", "room_type", "service")
                         for a in pack.activities),
        skills=tuple(ids(s, "clinician_id", "activity_id") for s in pack.skills),
        availability=tuple(ids(a, "clinician_id") for a in pack.availability),
        job_plans=tuple(ids(j, "clinician_id", "activity_id") for j in pack.job_plans),
        requirements=tuple(ids(r, "activity_id") for r in pack.requirements),
        waiting_list=tuple(ids(w, "activity_id") for w in pack.waiting_list),
        rooms=tuple(ids(r, "room_type") for r in pack.rooms),
        links=tuple(ids(k, "activity_id", "linked_activity_id") for k in pack.links),
        referrals=_prefixed(pack.referrals, prefix), appointments=_prefixed(pack.appointments, prefix),
        delivered=_prefixed(pack.delivered, prefix), leave=_prefixed(pack.leave, prefix))


def _prefixed(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    out = frame.copy()
    for column in ("activity_id", "clinician_id"):
        if column in out.columns:
            dtype = frame[column].dtype  # the reader's extracts are categorical: new IDs, new categories
            out[column] = (prefix + out[column].astype("str")).astype(
                "category" if isinstance(dtype, pd.CategoricalDtype) else dtype)
    return out


def _joined(a: PlanningPack, b: PlanningPack) -> PlanningPack:
    return a.replace(**{f: getattr(a, f) + getattr(b, f) for f in (
        "clinicians", "activities", "skills", "availability", "job_plans", "requirements", "waiting_list",
        "rooms", "links")}, **{f: pd.concat([getattr(a, f), getattr(b, f)], ignore_index=True) for f in (
        "referrals", "appointments", "delivered", "leave")})


def _reqs(prefix: str) -> Requirements:
    return reqs({prefix + k: v for k, v in TINY_DEMAND.items()}, rapid=[prefix + "2ww"])


@pytest.fixture
def copies(tiny_path: Path) -> tuple[PlanningPack, PlanningPack, PlanningPack, Requirements]:
    tiny = cp.read_pack(tiny_path)
    a, b = _renamed(tiny, "a."), _renamed(tiny, "b.")
    both = Requirements(pd.concat([_reqs("a.").table, _reqs("b.").table], ignore_index=True))
    return a, b, _joined(a, b), both


def test_two_disjoint_copies_are_two_parts(copies: Any) -> None:
    a, b, both, _ = copies
    parts = find_parts(both)
    assert [p.clinician_ids for p in parts] == [tuple(c.clinician_id for c in a.clinicians),
                                                tuple(c.clinician_id for c in b.clinicians)]
    assert [p.activity_ids for p in parts] == [tuple(x.activity_id for x in a.activities),
                                               tuple(x.activity_id for x in b.activities)]
    assert len(find_parts(a)) == 1  # the tiny pack itself is one component


@pytest.mark.parametrize("workers", [1, 2])
def test_joined_plan_equals_each_part_solved_alone(copies: Any, workers: int) -> None:
    a, b, both, both_reqs = copies
    alone = [run(a, _reqs("a.")), run(b, _reqs("b."))]
    assert all(p.parts == () and p.problem is not None for p in alone)  # one component: solved whole
    seen: list[tuple[int, int, str]] = []
    joined = run(both, both_reqs, workers=workers, check=False,
                 part_progress=lambda done, total, part: seen.append((done, total, part["status"])))
    assert joined.status is SolveStatus.OPTIMAL and len(joined.parts) == 2
    assert sorted(seen) == [(1, 2, "optimal"), (2, 2, "optimal")]
    for name in ("allocation", "gaps", "clinicians", "changes"):
        expected = pd.concat([p.tables[name] for p in alone], ignore_index=True)
        pd.testing.assert_frame_equal(joined.tables[name], expected)
    pd.testing.assert_frame_equal(joined.gap_reasons,
                                  pd.concat([p.gap_reasons for p in alone], ignore_index=True))
    for lv, la, lb in zip(joined.result.levels, alone[0].result.levels, alone[1].result.levels, strict=True):
        assert lv.name == la.name == lb.name
        assert lv.objective == la.objective + lb.objective  # type: ignore[operator]
        assert lv.status is SolveStatus.OPTIMAL and lv.gap == 0.0
    for key in ("unmet_sessions_per_year", "changed_sessions", "unassigned_pas", "annual_cost"):
        total = getattr(alone[0].summary, key) + getattr(alone[1].summary, key)
        assert getattr(joined.summary, key) == pytest.approx(total)
    assert [p["name"] for p in joined.summary.parts] == [a.settings.name, b.settings.name]
    assert joined.summary.notes == alone[0].summary.notes + alone[1].summary.notes


def test_interleaved_rows_come_back_in_pack_order(copies: Any) -> None:
    """Clinicians of two parts alternate in the pack: the joined tables follow the pack's order."""
    _, _, both, both_reqs = copies
    n = len(both.clinicians) // 2
    mixed = both.replace(clinicians=tuple(c for pair in zip(both.clinicians[:n], both.clinicians[n:],
                                                            strict=True) for c in pair))
    joined = run(mixed, both_reqs, check=False)
    order = [c.clinician_id for c in mixed.clinicians]
    assert list(joined.clinicians.clinician_id) == order
    positions = joined.allocation.clinician_id.map(order.index)
    assert positions.is_monotonic_increasing


def test_a_clinician_in_two_services_links_them() -> None:
    # P works in derm (x1) and rheum (y1): one part {P, Q, x1, y1}; R alone in cardiology (z1) is another;
    # N is skilled in nothing and joins the first part.
    pack = make_pack(
        [clinician("P"), clinician("Q"), clinician("R"), clinician("N")],
        [activity("x1", service="derm"), activity("y1", service="rheum"), activity("z1", service="card")],
        [("P", "x1"), ("P", "y1"), ("Q", "y1"), ("R", "z1")])
    parts = find_parts(pack)
    assert [(p.name, p.clinician_ids, p.activity_ids) for p in parts] == [
        ("derm", ("P", "Q", "N"), ("x1", "y1")), ("card", ("R",), ("z1",))]


def test_a_shared_room_type_links_two_services() -> None:
    # x1 and y1 are booked into the same room type: their clinicians compete for it, so one part.
    shared = make_pack(
        [clinician("P"), clinician("Q")],
        [activity("x1", service="derm", room_type="clinic"), activity("y1", service="rheum", room_type="clinic")],
        [("P", "x1"), ("Q", "y1")])
    assert len(find_parts(shared)) == 1
    apart = shared.replace(activities=(activity("x1", service="derm", room_type="derm.clinic"),
                                       activity("y1", service="rheum", room_type="rheum.clinic")))
    assert [p.clinician_ids for p in find_parts(apart)] == [("P",), ("Q",)]


def test_a_budget_or_a_total_cap_keeps_one_part(copies: Any) -> None:
    _, _, both, both_reqs = copies
    assert len(split(both, both_reqs)) == 2
    for allowances in (Allowances(max_extra_cost=10_000.0), Allowances(additional_pas_total=1.0)):
        assert coupling_rules(allowances)
        (part, pack, _), = split(both, both_reqs, allowances)
        assert pack is both and len(part.clinician_ids) == len(both.clinicians)
    plan = run(both, both_reqs, allowances=Allowances(max_extra_cost=10_000.0))
    assert plan.parts == () and plan.problem is not None and plan.result.solution is not None


def test_plan_command_reports_each_part_and_writes_one_joined_plan(copies: Any, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from capacity_planner.cli import cli
    from capacity_planner.pack.write import write_pack

    _, _, both, _ = copies
    write_pack(both, tmp_path / "pack")
    result = CliRunner().invoke(cli, ["plan", str(tmp_path / "pack"), "--out", str(tmp_path / "out"),
                                      "--workers", "1", "--no-report"])
    assert result.exit_code == 0, result.output
    assert "part 1/2" in result.output and "part 2/2" in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "optimal" and len(summary["parts"]) == 2
    allocation = pd.read_csv(tmp_path / "out" / "allocation.csv")
    assert {c[:2] for c in allocation.clinician_id} == {"a.", "b."}


def test_a_part_gets_its_share_of_the_time_left() -> None:
    from capacity_planner.solver.join import MIN_PART_SECONDS, part_budget, part_work

    # 60 s left, 2 processes, a part of weight 10 among 40 not yet started: 60 * 2 * 10 / 40 = 30 s.
    assert part_budget(60.0, 2, 10, 40) == pytest.approx(30.0)
    # The last part (weight = all that is pending) may use everything left, never more: min(60, 120) = 60.
    assert part_budget(60.0, 2, 40, 40) == pytest.approx(60.0)
    # Time has run out: a part still gets the floor, so it can find a plan.
    assert part_budget(-3.0, 2, 10, 40) == MIN_PART_SECONDS
    # A work limit is split by size in advance: 10 units * 3 / 12 = 2.5, whatever the schedule.
    assert part_work(10.0, 3, 12) == pytest.approx(2.5)
    assert part_work(None, 3, 12) is None


def test_parts_start_largest_first(copies: Any) -> None:
    """b. gets one more activity (an admin session someone is skilled in), so its part is larger and,
    with one process, is solved first although it comes second in the pack."""
    from capacity_planner.pack.model import Skill
    from capacity_planner.solver.join import part_weight

    a, b, _, both_reqs = copies
    first_b = b.clinicians[0].clinician_id
    b = b.replace(activities=(*b.activities, activity("b.extra", category="OTHER")),
                  skills=(*b.skills, Skill(first_b, "b.extra")))
    both = _joined(a, b)
    parts = [p for p, _, _ in split(both, both_reqs)]
    # weight = clinicians x activities: a. is n x k, b. is n x (k + 1)
    assert part_weight(parts[1]) == len(b.clinicians) * (len(a.activities) + 1) > part_weight(parts[0])
    seen: list[int] = []
    plan = run(both, both_reqs, workers=1, check=False,
               part_progress=lambda done, total, part: seen.append(part["activities"]))
    k = len(a.activities)
    assert len(plan.parts) == 2 and seen == [k + 1, k]
    assert [p["activities"] for p in plan.summary.parts] == [k, k + 1]  # joined in pack order


def test_a_part_with_no_plan_in_its_share_is_tried_once_more(copies: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The first part's first try reports 'unknown' (no plan in time): it is solved again after the other
    part, with at least twice its first budget, and the joined plan has every part."""
    import capacity_planner.solver.join as J

    _, _, both, both_reqs = copies
    real = J.plan_one  # each part's single-model solve (pack, requirements, seconds, ...)
    calls: list[tuple[str, float]] = []

    def no_plan_first_time(*args: Any) -> Any:
        calls.append((args[0].clinicians[0].clinician_id[:2], args[2]))
        plan = real(*args)
        if len(calls) == 1:
            return dataclasses.replace(plan, result=dataclasses.replace(plan.result,
                                                                        status=SolveStatus.UNKNOWN))
        return plan

    monkeypatch.setattr(J, "plan_one", no_plan_first_time)
    seen: list[tuple[int, str, str]] = []
    plan = run(both, both_reqs, workers=1, check=False, time_limit_s=20.0,
               part_progress=lambda done, total, part: seen.append((done, part["name"], part["status"])))
    assert [who for who, _ in calls] == ["a.", "b.", "a."]
    # 20 s, one process, two parts of equal weight: the first gets 20 * 1 * w / 2w = 10 s (less the
    # moments already spent); its second try at least twice that.
    assert calls[0][1] == pytest.approx(10.0, abs=0.5) and calls[2][1] >= 2 * calls[0][1]
    assert [status for _, _, status in seen] == ["unknown", "optimal", "optimal"]
    assert seen[2][0] == 2 and seen[2][1].endswith("(second try)")
    assert plan.status is SolveStatus.OPTIMAL and len(plan.parts) == 2


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(text.split()[0])] = int(text.rsplit(")", 1)[1].split()[1])
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - out
        out |= frontier
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_ctrl_c_during_a_split_solve_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    """The command in its own process on two copies of the service pack (two parts solved in two worker
    processes, each for many seconds): SIGINT once the worker processes exist stops the run with exit 130,
    writes nothing, and leaves no worker process behind."""
    import signal
    import subprocess
    import sys
    import time

    from capacity_planner.pack.samples import generate_sample
    from capacity_planner.pack.write import write_pack

    service = cp.read_pack(generate_sample("service", 0, tmp_path / "svc"))
    both = _joined(_renamed(service, "a."), _renamed(service, "b."))
    write_pack(both, tmp_path / "pack")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "capacity_planner.cli", "plan", str(tmp_path / "pack"),
                             "--out", str(out), "--workers", "2", "--time-limit", "600", "--no-report"],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    workers: set[int] = set()
    deadline = time.monotonic() + 600  # reading and sizing first: minutes on a loaded machine
    while len(workers) < 3 and time.monotonic() < deadline and proc.poll() is None:
        workers = _descendants(proc.pid)  # the fork server and its two pool workers (and a tracker)
        time.sleep(0.2)
    assert len(workers) >= 3, "the part workers never started"
    time.sleep(2.0)  # both parts are now inside CP-SAT
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Interrupted (SIGINT)" in err and "Traceback" not in err
    assert time.monotonic() - t0 < 15
    assert not out.exists()
    time.sleep(1.0)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:1]]


@pytest.mark.slow
def test_dask_local_cluster_gives_the_process_pools_plan(copies: Any) -> None:
    """Issue 16 item 5: the parts on a Dask LocalCluster of 2 single-threaded workers give the same joined
    plan as the pool of 2 processes (a work limit stops each part at the same point wherever it runs)."""
    pytest.importorskip("distributed")
    _, _, both, both_reqs = copies
    local = run(both, both_reqs, workers=2, work_limit=2.0, time_limit_s=600, check=False)
    on_dask = run(both, both_reqs, workers=2, work_limit=2.0, time_limit_s=600, check=False, executor="dask")
    assert len(on_dask.parts) == 2 and on_dask.status is local.status
    for name in ("allocation", "gaps", "clinicians", "changes"):
        pd.testing.assert_frame_equal(on_dask.tables[name], local.tables[name])
    assert [lv.objective for lv in on_dask.result.levels] == [lv.objective for lv in local.result.levels]
    assert on_dask.summary.changed_sessions == local.summary.changed_sessions
