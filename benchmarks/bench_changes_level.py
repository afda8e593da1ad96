"""The ``changes`` level of a large single service, captured and re-solved alone (issue 16 item 2;
docs/benchmarks.md, "Session 16 (helper B)").

``capture`` runs ``solve`` on a pack as ``plan`` does and, when the ``changes`` level starts, writes the
level's CP-SAT model (earlier levels' bounds in, objective :math:`\\sum_c k_c`), the previous level's complete
plan (the level's starting plan), each variable's clinician and the seconds the earlier levels used, then
stops. ``highs`` re-solves the whole level with highspy (one thread, the previous plan's value as cutoff;
HiGHS's log shows the root bound after cuts and when a plan is found), ``lns`` runs a large-neighbourhood
search from the previous plan (a few clinicians or slots free at a time, CP-SAT or HiGHS), printing each
step's value and counts; ``rins`` fixes the cells on which the previous plan, the current job plans and the
LP relaxation agree and solves the rest with HiGHS; ``cpsat`` solves the whole level as ``solve``'s CP-SAT;
``centre`` runs the solver's RINS from the centre of the LP's optimal face
(:mod:`capacity_planner.solver.rins`, docs/benchmarks.md "Session 17 (helper D)"); ``bound`` runs HiGHS on the
whole level with a given cutoff until its bound reaches a share of it (its MIP-interrupt callback).

Usage::

    .venv/bin/python benchmarks/bench_changes_level.py capture PACK OUT.pkl [--time-limit 55] [--workers 2]
        [--work-limit W]
    .venv/bin/python benchmarks/bench_changes_level.py highs OUT.pkl [--time-limit 120] [--seed 0] [--log]
        [--start] [--option mip_heuristic_effort=0.3]
    .venv/bin/python benchmarks/bench_changes_level.py lns OUT.pkl [--solver cpsat|highs]
        [--hood clinicians|slots] [--size 20] [--step 2] [--time-limit 60] [--start PLAN.npy]
    .venv/bin/python benchmarks/bench_changes_level.py rins OUT.pkl [--save PLAN.npy] [--time-limit 60]
    .venv/bin/python benchmarks/bench_changes_level.py cpsat OUT.pkl [--hint previous|current]
    .venv/bin/python benchmarks/bench_changes_level.py centre OUT.pkl [--seed 0] [--nodes 20]
        [--time-limit 60] [--save PLAN.npy]
    .venv/bin/python benchmarks/bench_changes_level.py bound OUT.pkl --cutoff 531 [--seed 0] [--share 0.95]
"""

from __future__ import annotations

import argparse
import importlib
import pickle
import time
from pathlib import Path
from typing import Any


class _CapturedError(Exception):
    """Raised once the ``changes`` level is captured, to stop the run."""


def capture(args: argparse.Namespace) -> None:
    """Solve the pack until the ``changes`` level starts and pickle that level's model."""
    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.pack.read import read_pack
    from capacity_planner.solver.milp import _message
    from capacity_planner.solver.problem import build_problem

    solve_module = importlib.import_module("capacity_planner.solver.solve")

    run_class = solve_module._Run  # noqa: SLF001 (a benchmark watching the solver)
    original = run_class.highs_first

    def watched(self: Any, search: Any) -> None:
        if search.level.name == "changes":
            model = self.model
            v = model.variables
            owner: dict[int, int] = {}
            for (c, _s, _a), var in (*v.x.items(), *v.h.items()):
                owner[var.index] = c
            for (c, _s), var in v.alt_slot.items():
                owner[var.index] = c
            for group in (v.changed, v.under, v.apa):
                for c, var in group.items():
                    owner[var.index] = c
            cells = sorted(var.index for var in (*v.x.values(), *v.h.values()))
            record = {"proto": _message(model.cp.proto).SerializeToString(),
                      "previous": [int(x) for x in search.previous.response_proto.solution],
                      "cutoff": search.previous.objective_value,
                      "owner": owner, "cells": cells, "n_clinicians": model.problem.n_clinicians,
                      "current": {var.index: val for var, val in model.current_plan_hint(self.hint)},
                      "elapsed": time.perf_counter() - self.start, "remaining": search.remaining,
                      "levels": [(lv.name, lv.objective_units, lv.bound_units) for lv in self.levels]}
            args.out.write_bytes(pickle.dumps(record))
            print(f"captured {args.out}: cutoff {record['cutoff']:g} at {record['elapsed']:.1f} s; "
                  f"levels {record['levels']}")
            raise _CapturedError
        original(self, search)

    run_class.highs_first = watched  # type: ignore[method-assign]
    pack = read_pack(args.pack, purpose="plan")
    problem = build_problem(pack, size_demand(pack).requirements)
    try:
        solve_module.solve(problem, time_limit_s=args.time_limit, seed=0, workers=args.workers,
                           work_limit=args.work_limit, explain=False)
    except _CapturedError:
        return
    print("no changes level reached")


def _option(text: str) -> tuple[str, Any]:
    """``name=value`` as a HiGHS option (an int, a float, a bool or a string)."""
    name, _, raw = text.partition("=")
    if raw.lower() in ("true", "false"):
        return name, raw.lower() == "true"
    for kind in (int, float):
        try:
            return name, kind(raw)
        except ValueError:
            continue
    return name, raw


def highs(args: argparse.Namespace) -> None:
    """The whole captured level with highspy (one thread), the previous plan's value as cutoff."""
    from ortools.sat import cp_model_pb2

    from capacity_planner.solver.milp import cutoff_rows, highspy_model, to_milp

    record = pickle.loads(args.model.read_bytes())
    proto = cp_model_pb2.CpModelProto()
    proto.ParseFromString(record["proto"])
    m = to_milp(proto)
    assert m is not None
    h = highspy_model(m, cutoff_rows(m, record["cutoff"]), record["previous"] if args.start else None,
                      log=args.log)
    options = {"time_limit": args.time_limit, "mip_rel_gap": args.gap, "random_seed": args.seed, "threads": 1,
               "mip_min_logging_interval": 1.0, **dict(map(_option, args.option))}
    for key, value in options.items():
        h.setOptionValue(key, value)
    t0 = time.perf_counter()
    h.run()
    info = h.getInfo()
    print(f"{args.model} seed {args.seed} start={args.start}: {h.modelStatusToString(h.getModelStatus())}, "
          f"value {info.objective_function_value + m.offset:g}, bound {info.mip_dual_bound + m.offset:g}, "
          f"nodes {info.mip_node_count}, simplex iterations {info.simplex_iteration_count}, "
          f"{time.perf_counter() - t0:.1f} s")


def _cp_model(record: dict[str, Any]) -> Any:
    """The captured level as a CP-SAT model (through the text format: the pybind proto reads no bytes)."""
    from google.protobuf import text_format
    from ortools.sat import cp_model_pb2
    from ortools.sat.python import cp_model

    message = cp_model_pb2.CpModelProto()
    message.ParseFromString(record["proto"])
    message.ClearField("solution_hint")
    model = cp_model.CpModel()
    model.proto.parse_text_format(text_format.MessageToString(message))
    return model


def _highs_step(milp: Any, fixed: list[int], incumbent: list[int], value: float, seconds: float,
                seed: int) -> tuple[Any, str, str, float]:
    """One HiGHS step: the columns ``fixed`` at the incumbent, the incumbent as MIP start and cutoff."""
    import dataclasses

    import numpy as np

    from capacity_planner.solver.milp import cutoff_rows, highspy_model

    lb, ub = milp.lb.copy(), milp.ub.copy()
    idx = np.asarray(fixed, dtype=int)
    vals = np.asarray(incumbent, dtype=float)[idx]
    lb[idx], ub[idx] = vals, vals
    m = dataclasses.replace(milp, lb=lb, ub=ub)
    ts = time.perf_counter()
    h = highspy_model(m, cutoff_rows(m, value), incumbent)
    for key, val in {"time_limit": seconds, "mip_rel_gap": 0.0, "random_seed": seed, "threads": 1}.items():
        h.setOptionValue(key, val)
    h.run()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    counts = f"nodes {info.mip_node_count}, it. {info.simplex_iteration_count}"
    if info.primal_solution_status != 2:
        return None, status, counts, ts
    sol = [round(float(v)) for v in h.getSolution().col_value]
    return (info.objective_function_value + m.offset, sol), status, counts, ts


def _cpsat_step(model: Any, fixed: list[int], incumbent: list[int], seconds: float, seed: int,
                workers: int) -> tuple[Any, str, str]:
    """One CP-SAT step: the columns ``fixed`` at the incumbent (their domains, restored after), every
    variable hinted with the incumbent (a complete feasible hint)."""
    from ortools.sat.python import cp_model

    proto = model.proto
    saved = [(j, proto.variables[j].domain[0], proto.variables[j].domain[1]) for j in fixed]
    for j in fixed:
        domain = proto.variables[j].domain
        domain[0] = domain[1] = incumbent[j]
    model.clear_hints()
    for j, v in enumerate(incumbent):
        model.add_hint(model.get_int_var_from_proto_index(j), v)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers, prm.max_time_in_seconds, prm.random_seed = workers, seconds, seed
    prm.linearization_level = 2
    status = solver.solve(model)
    for j, lo, hi in saved:
        domain = proto.variables[j].domain
        domain[0], domain[1] = lo, hi
    counts = f"units {solver.response_proto.deterministic_time:.2f}"
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.status_name(status), counts
    return (solver.objective_value, [int(x) for x in solver.response_proto.solution]), \
        solver.status_name(status), counts


def lns(args: argparse.Namespace) -> None:
    """The large-neighbourhood search from the previous plan: each step frees the cells of ``--size``
    clinicians (drawn with weights 1 + their sessions changed in the incumbent) or, ``--hood slots``, every
    clinician's cells in ``--size`` weekly slots, fixes every other cell at the incumbent and re-solves with
    CP-SAT or HiGHS for at most ``--step`` seconds, the incumbent as hint (MIP start) and cutoff."""
    import random

    record = pickle.loads(args.model.read_bytes())
    model = _cp_model(record)
    proto = model.proto
    owner, n = record["owner"], record["n_clinicians"]
    obj_vars = list(proto.objective.vars)
    milp = None
    if args.solver == "highs":
        from ortools.sat import cp_model_pb2

        from capacity_planner.solver.milp import to_milp

        message = cp_model_pb2.CpModelProto()
        message.ParseFromString(record["proto"])
        milp = to_milp(message)
    # the cells and alternate-week slot literals of each clinician, and each one's weekly slot
    fixable: dict[int, list[int]] = {c: [] for c in range(n)}
    cells = set(record["cells"])
    for j, c in owner.items():
        if j in cells or proto.variables[j].name.startswith("alternate_weeks["):
            fixable[c].append(j)
    slot_of = {j: proto.variables[j].name.split(", ")[1].rstrip("]") for js in fixable.values() for j in js}
    slot_names = sorted(set(slot_of.values()))
    incumbent = list(record["previous"])
    if args.start:  # a saved plan (``rins --save``) instead of the previous plan
        import numpy as np

        incumbent = [int(v) for v in np.load(args.start)]
    value = round(sum(incumbent[j] for j in obj_vars))
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    print(f"start {value}; {len(slot_names)} slots")
    step = 0
    while time.perf_counter() - t0 < args.time_limit:
        if args.hood == "slots":
            free = set(rng.sample(slot_names, min(args.size, len(slot_names))))
            fixed = [j for js in fixable.values() for j in js if slot_of[j] not in free]
        else:
            k_of = {owner[j]: incumbent[j] for j in obj_vars}
            chosen: set[int] = set()
            while len(chosen) < min(args.size, n):
                chosen.add(rng.choices(range(n), [1 + k_of.get(c, 0) for c in range(n)])[0])
            fixed = [j for c in range(n) if c not in chosen for j in fixable[c]]
        ts = time.perf_counter()
        if milp is not None:
            new, status, counts, _ = _highs_step(milp, fixed, incumbent, value, args.step, step)
        else:
            new, status, counts = _cpsat_step(model, fixed, incumbent, args.step, step, args.workers)
        step += 1
        if new is not None and new[0] < value - 0.5:
            incumbent, value = new[1], round(new[0])
        print(f"step {step}: {status}, {None if new is None else round(new[0])} -> {value}, {counts}, "
              f"{time.perf_counter() - ts:.2f} s, elapsed {time.perf_counter() - t0:.1f} s")


def rins(args: argparse.Namespace) -> None:
    """RINS with two references: fix every cell on which the previous plan (or ``--reference``, a saved plan),
    the current job plans and the level's LP relaxation agree, and solve the rest with HiGHS (one thread, the
    previous plan's value as cutoff); the plan found is saved to ``--save`` (numpy, one value per column)."""
    import dataclasses

    import numpy as np
    from ortools.sat import cp_model_pb2

    from capacity_planner.solver.milp import cutoff_rows, highspy_model, to_milp

    record = pickle.loads(args.model.read_bytes())
    message = cp_model_pb2.CpModelProto()
    message.ParseFromString(record["proto"])
    m = to_milp(message)
    assert m is not None
    previous = np.load(args.reference) if args.reference else np.asarray(record["previous"], dtype=float)
    current = previous.copy()
    for j, v in record["current"].items():
        current[j] = v
    cells = np.asarray(record["cells"])
    t0 = time.perf_counter()
    keep = previous[cells] == current[cells]
    lp_iterations = 0
    for lp_seed in args.lp_seeds or [args.seed]:  # a cell is fixed only if every LP vertex agrees
        lp_model = m
        if args.lp_bias:  # among the LP's optima, prefer cells as in the current plans (or, < 0, not)
            c = m.c.copy()
            towards = current if args.lp_bias > 0 else previous
            c[cells] += abs(args.lp_bias) * np.where(towards[cells] == 1, -1.0, 1.0)
            lp_model = dataclasses.replace(m, c=c)
        lp = highspy_model(lp_model, cutoff_rows(m, record["cutoff"]))
        for key, value in {"solve_relaxation": True, "threads": 1, "random_seed": lp_seed}.items():
            lp.setOptionValue(key, value)
        lp.run()
        x = np.asarray(lp.getSolution().col_value)
        keep &= np.abs(x[cells] - current[cells]) <= 1e-6
        lp_iterations += lp.getInfo().simplex_iteration_count
    lp_seconds = time.perf_counter() - t0
    agree = cells[keep]
    lb, ub = m.lb.copy(), m.ub.copy()
    lb[agree] = ub[agree] = current[agree]
    fixed = dataclasses.replace(m, lb=lb, ub=ub)
    h = highspy_model(fixed, cutoff_rows(fixed, record["cutoff"]), log=args.log)
    for key, value in {"time_limit": args.time_limit, "mip_rel_gap": 0.0, "threads": 1,
                       "random_seed": args.seed, "mip_min_logging_interval": 1.0}.items():
        h.setOptionValue(key, value)
    t1 = time.perf_counter()
    h.run()
    info = h.getInfo()
    found = info.primal_solution_status == 2
    if found and args.save:
        np.save(args.save, np.round(np.asarray(h.getSolution().col_value)))
    ones = int((current[agree] == 1).sum())
    value = info.objective_function_value + m.offset if found else None
    print(f"{args.model}: LP {lp.getInfo().objective_function_value + m.offset:g} ({lp_iterations} it., "
          f"{lp_seconds:.1f} s); {len(agree)} of {len(cells)} cells fixed ({ones} at 1); "
          f"{h.modelStatusToString(h.getModelStatus())}, value {value}, "
          f"bound {info.mip_dual_bound + m.offset:g}, "
          f"nodes {info.mip_node_count}, simplex iterations {info.simplex_iteration_count}, "
          f"{time.perf_counter() - t1:.1f} s")


def centre(args: argparse.Namespace) -> None:
    """RINS from the centre of the LP's optimal face as the solver runs it (:func:`rins_plan`): the
    interior-point LP without crossover, every cell within 1e-3 of the previous plan fixed, HiGHS on the rest
    (``--seed``, ``--nodes``, the previous plan's value as cutoff)."""
    import numpy as np
    from ortools.sat import cp_model_pb2

    from capacity_planner.solver.milp import to_milp
    from capacity_planner.solver.rins import rins_plan

    record = pickle.loads(args.model.read_bytes())
    message = cp_model_pb2.CpModelProto()
    message.ParseFromString(record["proto"])
    m = to_milp(message)
    assert m is not None
    t0 = time.perf_counter()
    answer = rins_plan(m, record["previous"], record["cells"], record["cutoff"], seed=args.seed,
                       seconds=args.time_limit, nodes=args.nodes, rounds=args.rounds)
    if answer.values is not None and args.save:
        np.save(args.save, np.asarray(answer.values))
    print(f"{args.model} seed {args.seed}: from {record['cutoff']:g}, value {answer.value}; rounds: values "
          f"{answer.found}, cells fixed {answer.fixed}, nodes {answer.nodes}, s {answer.seconds}; "
          f"{answer.lp_iterations} interior-point it., time-stopped {answer.time_stopped}, "
          f"{time.perf_counter() - t0:.1f} s")


def bound(args: argparse.Namespace) -> None:
    """HiGHS on the whole level (one thread), ``--cutoff`` as its cutoff row, stopped by its MIP-interrupt
    callback once its dual bound reaches ``--share`` of the cutoff (a fact of the search, not of the clock:
    HiGHS's ``simplex_iteration_limit`` does not stop its MIP, and its root stall ignores the time limit);
    prints when the bound passed 90 % and the share, as (bound, nodes, callbacks, seconds)."""
    import highspy
    from ortools.sat import cp_model_pb2

    from capacity_planner.solver.milp import cutoff_rows, highspy_model, to_milp

    record = pickle.loads(args.model.read_bytes())
    message = cp_model_pb2.CpModelProto()
    message.ParseFromString(record["proto"])
    m = to_milp(message)
    assert m is not None
    h = highspy_model(m, cutoff_rows(m, args.cutoff))
    for key, value in {"threads": 1, "random_seed": args.seed, "time_limit": args.time_limit}.items():
        h.setOptionValue(key, value)
    t0, calls, marks = time.perf_counter(), [0], {}

    def watch(kind: int, message: str, out: Any, into: Any, user: Any) -> None:
        calls[0] += 1
        dual = out.mip_dual_bound + m.offset
        for share in (0.9, args.share):
            if dual >= share * args.cutoff and share not in marks:
                seconds = round(time.perf_counter() - t0, 1)
                marks[share] = (round(dual, 1), out.mip_node_count, calls[0], seconds)
        if dual >= args.share * args.cutoff:
            into.user_interrupt = True

    h.setCallback(watch, None)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
    h.run()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    print(f"{args.model} cutoff {args.cutoff:g} seed {args.seed}: {status}, "
          f"bound {info.mip_dual_bound + m.offset:.1f}, callbacks {calls[0]}, passed {marks}, "
          f"{time.perf_counter() - t0:.1f} s")


def cpsat(args: argparse.Namespace) -> None:
    """The whole captured level with CP-SAT as ``solve`` configures it, hinted with the previous plan
    (complete and feasible) or, as ``solve`` does, with the current job plans' cells."""
    from ortools.sat.python import cp_model

    from capacity_planner.solver.solve import configure

    record = pickle.loads(args.model.read_bytes())
    model = _cp_model(record)
    values = list(record["previous"])
    if args.hint == "current":
        for j, v in record["current"].items():
            values[j] = v
    for j, v in enumerate(values):
        model.add_hint(model.get_int_var_from_proto_index(j), v)
    solver = cp_model.CpSolver()
    configure(solver, seed=args.seed, workers=args.workers, time_limit_s=args.time_limit)
    t0 = time.perf_counter()
    status = solver.solve(model)
    print(f"{args.model} hint {args.hint}: {solver.status_name(status)}, value {solver.objective_value:g}, "
          f"bound {solver.best_objective_bound:g}, units {solver.response_proto.deterministic_time:.2f}, "
          f"{time.perf_counter() - t0:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture")
    cap.add_argument("pack", type=Path)
    cap.add_argument("out", type=Path)
    cap.add_argument("--time-limit", type=float, default=55.0)
    cap.add_argument("--work-limit", type=float, default=None)
    cap.add_argument("--workers", type=int, default=2)
    hs = sub.add_parser("highs")
    hs.add_argument("model", type=Path)
    hs.add_argument("--time-limit", type=float, default=120.0)
    hs.add_argument("--seed", type=int, default=0)
    hs.add_argument("--gap", type=float, default=0.0)
    hs.add_argument("--start", action="store_true")
    hs.add_argument("--log", action="store_true")
    hs.add_argument("--option", action="append", default=[], metavar="NAME=VALUE")
    ln = sub.add_parser("lns")
    ln.add_argument("model", type=Path)
    ln.add_argument("--time-limit", type=float, default=60.0)
    ln.add_argument("--step", type=float, default=2.0)
    ln.add_argument("--size", type=int, default=20)
    ln.add_argument("--seed", type=int, default=0)
    ln.add_argument("--workers", type=int, default=1)
    ln.add_argument("--solver", choices=("cpsat", "highs"), default="cpsat")
    ln.add_argument("--hood", choices=("clinicians", "slots"), default="clinicians")
    ln.add_argument("--start", type=Path, default=None, help="a plan saved by rins --save")
    ri = sub.add_parser("rins")
    ri.add_argument("model", type=Path)
    ri.add_argument("--reference", type=Path, default=None, help="a saved plan instead of the previous plan")
    ri.add_argument("--save", type=Path, default=None)
    ri.add_argument("--time-limit", type=float, default=60.0)
    ri.add_argument("--seed", type=int, default=0)
    ri.add_argument("--log", action="store_true")
    ri.add_argument("--lp-bias", type=float, default=0.0,
                    help="per cell, added to the LP's objective where it differs from the current plans "
                         "(< 0: from the previous plan)")
    ri.add_argument("--lp-seeds", type=int, nargs="*", default=None,
                    help="HiGHS seeds of the LP relaxations whose agreement fixes a cell (default: --seed)")
    cs = sub.add_parser("cpsat")
    cs.add_argument("model", type=Path)
    cs.add_argument("--hint", choices=("previous", "current"), default="previous")
    cs.add_argument("--time-limit", type=float, default=30.0)
    cs.add_argument("--seed", type=int, default=0)
    cs.add_argument("--workers", type=int, default=2)
    ce = sub.add_parser("centre")
    ce.add_argument("model", type=Path)
    ce.add_argument("--seed", type=int, default=0)
    ce.add_argument("--nodes", type=int, default=20)
    ce.add_argument("--time-limit", type=float, default=60.0)
    ce.add_argument("--save", type=Path, default=None)
    ce.add_argument("--rounds", type=int, default=2)
    bo = sub.add_parser("bound")
    bo.add_argument("model", type=Path)
    bo.add_argument("--cutoff", type=float, required=True)
    bo.add_argument("--seed", type=int, default=0)
    bo.add_argument("--share", type=float, default=0.95)
    bo.add_argument("--time-limit", type=float, default=120.0)
    args = ap.parse_args()
    {"capture": capture, "highs": highs, "lns": lns, "cpsat": cpsat, "rins": rins,
     "centre": centre, "bound": bound}[args.command](args)


if __name__ == "__main__":
    main()
