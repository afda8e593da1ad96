"""The CP-SAT level models of a plan, captured and re-solved alone, with or without the weekly cover rows
(issue 16; docs/benchmarks.md, "Session 14 (helper C)").

``capture`` solves the chosen parts of a pack as ``plan`` does (work limit, deterministic) and writes each
CP-SAT *search* of a level (not the evaluations of the previous plan with its cells fixed) as
``<part>.<level>.<n>.pb``: the model as CP-SAT was handed it (earlier levels fixed at their optima, the
hint it had), with ``.json`` beside it holding the search's answer (status, objective, bound, work units
and the solution, one value per variable). ``solve`` re-solves one model with CP-SAT (the parameters of
:func:`capacity_planner.solver.solve.configure`: seed, workers, a work limit) in a variant:

* ``--without-cover``: the weekly cover rows and the shortfall row removed (a relaxation, not a valid
  plan); the relaxed plan is then checked against the rows removed (indicators at 1);
* ``--drop-dominated``: a cover row removed when another row with the same :math:`k` has a subset of its
  cells with no larger coefficients (it is implied once every indicator is 1);
* ``--hint OTHER.json``: the solution of another capture as the hint (e.g. the rapid-access level's
  plan for the routine level);
* ``--param 'text'``: extra CP-SAT parameters in text format (repeatable).

It prints status, value, bound and work units: figures that do not depend on the machine's load.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_cpsat_level.py capture PACK OUT_DIR [--parts 9]
        [--work-limit 15] [--workers 1]
    PYTHONPATH=. .venv/bin/python benchmarks/bench_cpsat_level.py solve OUT_DIR/9.unmet_routine.0.pb
        [--without-cover | --drop-dominated] [--hint OUT_DIR/9.unmet_rapid_access.0.json]
        [--param "subsolvers: 'core'"] [--seed 0] [--workers 1] [--work-limit 8]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from google.protobuf import text_format  # type: ignore[import-untyped]
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model

#: Name prefix of the weekly cover indicators B_ar (solver/constraints.py, ``weekly_cover_definition``).
COVERED = "covered["


def capture(args: argparse.Namespace) -> None:
    """Solve the chosen parts, writing every level search's model and answer under ``args.out``."""
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_levels  # the level name of each call (bench_levels._LEVEL)

    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.pack.read import read_pack
    from capacity_planner.solver.decompose import split
    from capacity_planner.solver.problem import build_problem
    from capacity_planner.solver.solve import solve

    args.out.mkdir(parents=True, exist_ok=True)
    bench_levels._record_calls([])  # noqa: SLF001 (names the level of each CP-SAT call)
    original = cp_model.CpSolver.solve
    part = ["?"]
    seen: dict[str, int] = {}

    def solve_and_write(self: cp_model.CpSolver, model: cp_model.CpModel, callback: Any = None) -> Any:
        status = original(self, model, callback)
        if self.parameters.fix_variables_to_their_hinted_value:
            return status  # the previous plan evaluated with its cells fixed: no search
        tag = f"{part[0]}.{bench_levels._LEVEL[0]}"  # noqa: SLF001
        n = seen.get(tag, 0)
        seen[tag] = n + 1
        model.export_to_file(str(args.out / f"{tag}.{n}.pb"))
        r = self.response_proto
        answer = {"status": self.status_name(status), "objective": r.objective_value,
                  "bound": r.best_objective_bound, "work": r.deterministic_time, "solution": list(r.solution)}
        (args.out / f"{tag}.{n}.json").write_text(json.dumps(answer))
        print(f"  {tag}.{n}: {answer['status']} {r.objective_value} / {r.best_objective_bound}, "
              f"{r.deterministic_time:.2f} units")
        return status

    cp_model.CpSolver.solve = solve_and_write  # type: ignore[method-assign,assignment]
    pack = read_pack(args.pack, purpose="plan")
    for i, (p, ppack, preq) in enumerate(split(pack, size_demand(pack).requirements)):
        if args.parts is not None and str(i) not in args.parts and p.name not in args.parts:
            continue
        part[0] = str(i)
        print(f"[{i}] {p.name}")
        solve(build_problem(ppack, preq), time_limit_s=600.0, seed=args.seed, workers=args.workers,
              work_limit=args.work_limit, explain=False)


def _literal_value(solution: list[int], ref: int) -> int:
    return solution[ref] if ref >= 0 else 1 - solution[-ref - 1]


def cover_rows(proto: cp_model_pb2.CpModelProto) -> tuple[set[int], list[tuple[int, int, dict[int, int]]]]:
    """The constraints that hold a cover indicator (rows and shortfall definitions), and the rows
    :math:`\\sum a x - k B \\ge 0` as (constraint index, :math:`k`, {variable: :math:`a`})."""
    covered = {i for i, v in enumerate(proto.variables) if v.name.startswith(COVERED)}
    holding, rows = set(), []
    for idx, ct in enumerate(proto.constraints):
        if ct.WhichOneof("constraint") != "linear":
            continue
        lin = ct.linear
        if not any(v in covered for v in lin.vars):
            continue
        holding.add(idx)
        sign = -1 if lin.domain[0] < -(2**62) else 1  # a row written as k B - sum a x <= 0
        terms = [(v, sign * c) for v, c in zip(lin.vars, lin.coeffs, strict=True)]
        mine = [(v, c) for v, c in terms if v in covered]
        rest = {v: c for v, c in terms if v not in covered}
        if len(mine) == 1 and mine[0][1] < 0 and all(c > 0 for c in rest.values()):
            rows.append((idx, -mine[0][1], rest))
    return holding, rows


def dominated(rows: list[tuple[int, int, dict[int, int]]]) -> set[int]:
    """Rows implied by another (same :math:`k`, a subset of its cells, no larger coefficients; of two
    identical rows the later one), by constraint index."""
    drop: set[int] = set()
    for i, k_i, a_i in rows:
        for j, k_j, a_j in rows:
            if i == j or j in drop or k_i != k_j:
                continue
            if all(a_i.get(v, 0) >= c for v, c in a_j.items()) and (a_i != a_j or j < i):
                drop.add(i)
                break
    return drop


def resolve(args: argparse.Namespace) -> None:
    """Re-solve one captured model in the variant asked and print the answer."""
    proto = cp_model_pb2.CpModelProto()
    proto.ParseFromString(args.model.read_bytes())
    full = cp_model_pb2.CpModelProto()
    full.CopyFrom(proto)
    holding, rows = cover_rows(proto)
    drop = holding if args.without_cover else dominated(rows) if args.drop_dominated else set()
    kept = [ct for idx, ct in enumerate(proto.constraints) if idx not in drop]
    del proto.constraints[:]
    proto.constraints.extend(kept)
    if args.hint is not None:
        solution = json.loads(args.hint.read_text())["solution"]
        proto.solution_hint.Clear()
        proto.solution_hint.vars.extend(range(len(solution)))
        proto.solution_hint.values.extend(solution)
    model = cp_model.CpModel()
    model.Proto().parse_text_format(text_format.MessageToString(proto))
    solver = cp_model.CpSolver()
    from capacity_planner.solver.solve import configure
    configure(solver, seed=args.seed, workers=args.workers, time_limit_s=args.time_limit,
              work_limit=args.work_limit)
    for text in args.param:
        solver.parameters.merge_text_format(text)
    t0 = time.perf_counter()
    status = solver.solve(model)
    r = solver.response_proto
    print(f"{args.model.name}: {len(rows)} cover rows, {len(drop)} removed; {solver.status_name(status)} "
          f"{r.objective_value} / {r.best_objective_bound}, {r.deterministic_time:.2f} units, "
          f"{time.perf_counter() - t0:.1f} s")
    if args.without_cover and status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solution = [1 if v.name.startswith(COVERED) else value  # every indicator at 1
                    for v, value in zip(full.variables, r.solution, strict=True)]
        missed = sum(sum(c * _literal_value(solution, v) for v, c in a.items()) < k for _, k, a in rows)
        print(f"  cover rows the relaxed plan misses: {missed} of {len(rows)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture")
    cap.add_argument("pack", type=Path)
    cap.add_argument("out", type=Path)
    cap.add_argument("--parts", nargs="*", default=None)
    cap.add_argument("--work-limit", type=float, default=15.0)
    cap.add_argument("--workers", type=int, default=1)
    cap.add_argument("--seed", type=int, default=0)
    sol = sub.add_parser("solve")
    sol.add_argument("model", type=Path)
    sol.add_argument("--without-cover", action="store_true")
    sol.add_argument("--drop-dominated", action="store_true")
    sol.add_argument("--hint", type=Path, default=None)
    sol.add_argument("--param", action="append", default=[])
    sol.add_argument("--seed", type=int, default=0)
    sol.add_argument("--workers", type=int, default=1)
    sol.add_argument("--work-limit", type=float, default=8.0)
    sol.add_argument("--time-limit", type=float, default=300.0)
    args = ap.parse_args()
    capture(args) if args.command == "capture" else resolve(args)


if __name__ == "__main__":
    main()
