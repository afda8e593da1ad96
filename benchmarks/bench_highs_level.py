"""The HiGHS level models of a plan, captured and re-solved alone with HiGHS's node and iteration counts
(issue 16; docs/benchmarks.md, "Session 11").

``capture`` solves the chosen parts of a pack as ``plan`` does (work limit, deterministic) and writes each
``changes`` level handed to HiGHS as a pickle: the translated model (:class:`~capacity_planner.solver.milp.
Milp`), the cutoff and the previous plan (one value per column, the plan at the cutoff). ``solve`` re-solves
one with :mod:`highspy` (one thread, a seed, a time limit), with or without that plan as a MIP start, and
prints status, value, bound, nodes and simplex iterations: counts that do not depend on the machine's load.

Usage::

    .venv/bin/python benchmarks/bench_highs_level.py capture PACK OUT_DIR [--parts 1 Cardiology]
        [--work-limit 15] [--workers 2]
    PYTHONPATH=. .venv/bin/python benchmarks/bench_highs_level.py solve OUT_DIR/0.pkl
        [--start] [--seed 0] [--time-limit 60] [--option mip_heuristic_effort=0.2 ...]
"""

from __future__ import annotations

import argparse
import importlib
import pickle
import time
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model


def capture(args: argparse.Namespace) -> None:
    """Solve the chosen parts, pickling every ``changes`` level model HiGHS is asked about."""
    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.pack.read import read_pack
    from capacity_planner.solver.decompose import split
    from capacity_planner.solver.milp import to_milp
    from capacity_planner.solver.problem import build_problem

    solve_module = importlib.import_module("capacity_planner.solver.solve")
    original = solve_module._highs_level  # noqa: SLF001 (a benchmark watching the solver)
    args.out.mkdir(parents=True, exist_ok=True)
    count = [0]

    def watched(model: Any, cutoff: float | None, *rest: Any) -> Any:
        changed = {v.index for v in model.variables.changed.values()}
        if cutoff is not None and set(model.cp.proto.objective.vars) == changed:
            fixed = cp_model.CpSolver()  # the previous plan: the model's hint holds its decisions
            fixed.parameters.fix_variables_to_their_hinted_value = True
            fixed.parameters.num_workers = 1
            fixed.parameters.max_time_in_seconds = 60.0
            if fixed.solve(model.cp) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                record = {"milp": to_milp(model.cp.proto), "cutoff": cutoff,
                          "start": [int(v) for v in fixed.response_proto.solution]}
                (args.out / f"{count[0]}.pkl").write_bytes(pickle.dumps(record))
                print(f"captured {args.out / f'{count[0]}.pkl'}: cutoff {cutoff:g}")
                count[0] += 1
        return original(model, cutoff, *rest)

    solve_module._highs_level = watched  # noqa: SLF001
    pack = read_pack(args.pack, purpose="plan")
    requirements = size_demand(pack).requirements
    for i, (part, ppack, preq) in enumerate(split(pack, requirements)):
        if args.parts is not None and str(i) not in args.parts and part.name not in args.parts:
            continue
        result = solve_module.solve(build_problem(ppack, preq), time_limit_s=600.0, seed=0,
                                    workers=args.workers, work_limit=args.work_limit, explain=False)
        changes = [lv for lv in result.levels if lv.name == "changes"]
        print(f"[{i}] {part.name}: " + ", ".join(f"changes {lv.status.value} {lv.objective_units}"
                                                 for lv in changes))


def _option(text: str) -> tuple[str, Any]:
    """``name=value`` as a HiGHS option: the value as an int, a float, a bool (true/false) or a string."""
    name, _, raw = text.partition("=")
    value: Any = raw
    if raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
    else:
        for kind in (int, float):
            try:
                value = kind(raw)
                break
            except ValueError:
                continue
    return name, value


def solve(args: argparse.Namespace) -> None:
    """Re-solve one captured model with highspy and print HiGHS's counts."""
    from capacity_planner.solver.milp import cutoff_rows, highspy_model

    record = pickle.loads(args.model.read_bytes())
    m, cutoff = record["milp"], record["cutoff"]
    h = highspy_model(m, cutoff_rows(m, cutoff), record["start"] if args.start else None, log=args.log)
    options: dict[str, Any] = {"time_limit": args.time_limit, "mip_rel_gap": 0.0, "random_seed": args.seed,
                               "threads": 1}
    options.update(_option(text) for text in args.option)
    for key, value in options.items():
        h.setOptionValue(key, value)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    print(f"{args.model} start={args.start} seed {args.seed} {' '.join(args.option)}: {status}, "
          f"value {info.objective_function_value + m.offset:g}, bound {info.mip_dual_bound + m.offset:g}, "
          f"nodes {info.mip_node_count}, simplex iterations {info.simplex_iteration_count}, {seconds:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture")
    cap.add_argument("pack", type=Path)
    cap.add_argument("out", type=Path)
    cap.add_argument("--parts", nargs="*", default=None, help="part indices or names (default: every part)")
    cap.add_argument("--work-limit", type=float, default=40.0)
    cap.add_argument("--workers", type=int, default=2)
    run = sub.add_parser("solve")
    run.add_argument("model", type=Path)
    run.add_argument("--start", action="store_true", help="the previous plan as HiGHS's MIP start")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--time-limit", type=float, default=60.0)
    run.add_argument("--log", action="store_true", help="HiGHS's own log")
    run.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                     help="a HiGHS option (repeatable), e.g. mip_heuristic_effort=0.2")
    args = ap.parse_args()
    capture(args) if args.command == "capture" else solve(args)


if __name__ == "__main__":
    main()
