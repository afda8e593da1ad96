"""Sites and travel (issue 19 item 4) on the ``service`` sample (~40 clinicians): the plan with its DCC
activities split over two sites 45 minutes apart (30 allowed), against the same pack without sites.

Prints the model's size (constraints, variables) and each level's status, value, bound and time, with one
CP-SAT worker and a fixed seed; the machine is shared, so compare the statuses and values rather than the
seconds.

Usage::

    .venv/bin/python benchmarks/bench_sites.py [--seed 0] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from bench_solver import requirements_for

import capacity_planner as cp
from capacity_planner.pack.model import PlanningPack, TravelTime
from capacity_planner.pack.samples import generate_sample
from capacity_planner.solver import build_problem, plan_allocation
from capacity_planner.solver.model import AllocationModel


def with_sites(pack: PlanningPack) -> PlanningPack:
    """DCC activities alternately at Main and Annex (45 minutes apart); others anywhere; 30 minutes
    allowed."""
    dcc = [a for a in pack.activities if a.is_dcc]
    site = {a.activity_id: ("Main", "Annex")[i % 2] for i, a in enumerate(dcc)}
    acts = tuple(dataclasses.replace(a, site=site.get(a.activity_id)) for a in pack.activities)
    return pack.replace(activities=acts, travel=(TravelTime("Main", "Annex", 45.0),),
                        settings=dataclasses.replace(pack.settings, travel_minutes_between_sessions=30.0))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = cp.read_pack(generate_sample("service", args.seed, Path(tmp) / "service"))
    requirements, _ = requirements_for(base)
    for name, pack in (("no sites", base), ("two sites", with_sites(base))):
        proto = AllocationModel(build_problem(pack, requirements)).cp.Proto()
        plan = plan_allocation(pack, requirements, time_limit_s=args.time_limit, seed=args.seed, workers=1,
                               raise_on_failure=False)
        print(f"{name}: {len(pack.clinicians)} clinicians, {len(proto.constraints)} constraints, "
              f"{len(proto.variables)} variables; {plan.status.value}")
        for lv in plan.result.levels:
            print(f"   {lv.name:20s} {lv.status.value:9s} objective {lv.objective} bound {lv.bound} "
                  f"{lv.seconds:.1f} s")


if __name__ == "__main__":
    main()
