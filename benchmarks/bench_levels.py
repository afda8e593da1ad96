"""Where a plan's solve time goes, level by level and part by part, in deterministic units (issue 16).

For a pack (a folder from ``capacity-planner sample``), size demand, split it into its independent parts
(as ``plan`` does) and solve the chosen parts one after another in this process with
:func:`capacity_planner.solver.solve.solve`, under a CP-SAT *work limit* (deterministic time): every CP-SAT
call is recorded with its status, objective, bound and deterministic time, and every HiGHS call with its
answer, so two versions of the code can be compared on a shared machine by work units, levels proven and
objective values rather than seconds. Prints one line per level and a JSON record (``--json FILE``).

Usage::

    .venv/bin/python benchmarks/bench_levels.py PACK [--parts 0 5 Dermatology] [--work-limit 40]
        [--workers 2] [--time-limit 600] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model

_LEVEL = ["?"]


def _record_calls(calls: list[dict[str, Any]]) -> None:
    """Wrap CpSolver.solve and the HiGHS call to append one record per call to ``calls``."""
    import capacity_planner.solver.milp as milp

    original = cp_model.CpSolver.solve

    def solve(self: cp_model.CpSolver, model: cp_model.CpModel, callback: Any = None) -> Any:
        t0 = time.perf_counter()
        status = original(self, model, callback)
        r = self.response_proto
        calls.append({"level": _LEVEL[0], "solver": "cp-sat", "status": self.status_name(status),
                      "objective": r.objective_value, "bound": r.best_objective_bound,
                      "work": r.deterministic_time, "seconds": time.perf_counter() - t0,
                      "fixed": bool(self.parameters.fix_variables_to_their_hinted_value)})
        return status

    cp_model.CpSolver.solve = solve  # type: ignore[method-assign]
    import capacity_planner.solver.model as model_module

    init = model_module.AllocationModel.__init__

    def init_and_watch(self: Any, *a: Any, **k: Any) -> None:
        init(self, *a, **k)
        names = {id(lv.expr): lv.name for lv in self.levels}
        minimize = self.cp.minimize

        def minimize_level(expr: Any) -> None:
            _LEVEL[0] = names.get(id(expr), "?")
            minimize(expr)

        self.cp.minimize = minimize_level

    model_module.AllocationModel.__init__ = init_and_watch  # type: ignore[method-assign]
    original_milp = milp.solve_milp

    def solve_milp(*args: Any, **kwargs: Any) -> Any:
        answer = original_milp(*args, **kwargs)
        calls.append({"level": _LEVEL[0], "solver": "highs",
                      "status": "OPTIMAL" if answer.optimal else "STOPPED",
                      "objective": answer.value, "bound": answer.bound, "seconds": answer.seconds,
                      "nodes": kwargs.get("node_limit")})
        return answer

    milp.solve_milp = solve_milp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pack", type=Path)
    ap.add_argument("--parts", nargs="*", default=None,
                    help="part indices or names (default: every part)")
    ap.add_argument("--work-limit", type=float, default=40.0, help="work units per part")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=600.0, help="wall-clock safety net per part")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.pack.read import read_pack
    from capacity_planner.solver.decompose import split
    from capacity_planner.solver.problem import build_problem
    from capacity_planner.solver.solve import solve

    pack = read_pack(args.pack, purpose="plan")
    requirements = size_demand(pack).requirements
    parts = split(pack, requirements)
    chosen = [(i, p) for i, p in enumerate(parts)
              if args.parts is None or str(i) in args.parts or p[0].name in args.parts]
    calls: list[dict[str, Any]] = []
    _record_calls(calls)
    out = []
    for i, (part, ppack, preq) in chosen:
        problem = build_problem(ppack, preq)
        calls.clear()
        t0 = time.perf_counter()
        result = solve(problem, time_limit_s=args.time_limit, seed=args.seed, workers=args.workers,
                       work_limit=args.work_limit, explain=False)
        wall = time.perf_counter() - t0
        work = sum(c.get("work", 0.0) for c in calls if c["solver"] == "cp-sat")
        print(f"[{i}] {part.name}: {len(part.clinician_ids)} clinicians, {result.status.value}, "
              f"{wall:.1f} s, {work:.2f} units")
        for lv in result.levels:
            mine = [c for c in calls if c["level"] == lv.name]
            units = sum(c.get("work", 0.0) for c in mine if c["solver"] == "cp-sat")
            highs = "".join(f" highs:{c['status']}" for c in mine if c["solver"] == "highs")
            print(f"    {lv.name:20s} {lv.status.value:9s} value {lv.objective_units!s:>10} "
                  f"bound {lv.bound_units!s:>12} {lv.seconds:6.1f} s {units:6.2f} units{highs}")
        out.append({"part": i, "name": part.name, "clinicians": len(part.clinician_ids),
                    "status": result.status.value, "wall": wall, "work": work,
                    "levels": [{"name": lv.name, "status": lv.status.value, "value": lv.objective_units,
                                "bound": lv.bound_units, "seconds": lv.seconds} for lv in result.levels],
                    "calls": list(calls)})
    proven = sum(r["status"] == "optimal" for r in out)
    print(f"proven optimal: {proven} of {len(out)}; work {sum(r['work'] for r in out):.1f} units")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
