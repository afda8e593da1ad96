"""Solve the independent parts of a pack in parallel and join their plans into one (issue 16).

Each part is solved by the single-model path (:func:`~capacity_planner.solver.single.plan_one`) with
``workers // parts`` CP-SAT workers (at least one) and the same seed, in a pool of up to ``workers``
processes started from a small server process (``forkserver``; ``spawn`` where there is none), so a worker
holds one part, not a copy of the whole pack. The time limit is one budget for all the parts: each part is
given, as it starts, its share of the time left by its size (:func:`part_budget`), largest parts first; a
work limit is split by size in advance (:func:`part_work`). A part's plan depends only on its own inputs
and budget, so the joined plan is the same whether the parts run one after another or side by side
(exactly so when every part is proven optimal or stopped by the work limit; see docs/method.md,
"Allocation: decomposition"). Ctrl-C terminates the workers: nothing of a cut-short part is used.

Joining (lexicographic objectives over independent parts): for levels :math:`f_1, f_2, \\dots` and parts
:math:`i`, :math:`\\min \\sum_i f_{1,i} = \\sum_i \\min f_{1,i}`, and fixing :math:`\\sum_i f_{1,i}` at that
least value forces every :math:`f_{1,i}` to its own least value, so level by level the joined optimum is the
sum of the parts' optima. The summary reports each level's objective and bound as sums over the parts.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from capacity_planner.interrupts import RunInterrupted, interrupted
from capacity_planner.plan_summary import PartRecord
from capacity_planner.solver.plan_result import PlanResult, build_summary
from capacity_planner.solver.result import LevelResult, Result, SolveStatus
from capacity_planner.solver.single import plan_one
from capacity_planner.solver.tables import empty_tables

if TYPE_CHECKING:
    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.decompose import Part
    from capacity_planner.solver.options import Allowances, Baseline

PartExecutor = Literal["process", "dask"]
"""Where the parts of a split pack run: local worker processes, or a Dask cluster."""

PartProgress = Callable[[int, int, PartRecord], None]
"""part_progress(parts done, parts in all, that part's line: name, clinicians, status, seconds...)."""

# Worst first: the joined status is the worst of the parts'.
_SEVERITY = (SolveStatus.MODEL_INVALID, SolveStatus.INFEASIBLE, SolveStatus.UNKNOWN, SolveStatus.FEASIBLE,
             SolveStatus.OPTIMAL)
_NUMERIC_KPIS = ("unmet_sessions_per_year", "unmet_dcc_hours_per_year", "annual_cost", "additional_pas",
                 "unassigned_pas", "changed_sessions", "clinicians_affected")
# Row order of the joined tables: the pack's order of the id in this column (stable within it).
_ORDER_BY = {"allocation": "clinician_id", "gaps": "activity_id", "clinicians": "clinician_id",
             "changes": "clinician_id"}


def worst_status(statuses: list[SolveStatus]) -> SolveStatus:
    """The most severe status (model_invalid > infeasible > unknown > feasible > optimal)."""
    return min(statuses, key=_SEVERITY.index)


def _solve_part(args: tuple[PlanningPack, Requirements, float, int, int, Allowances | None, bool,
                             float | None, Baseline | None]) -> PlanResult:
    pack, requirements, limit, seed, cp_workers, allowances, deterministic, work_limit, baseline = args
    return plan_one(pack, requirements, limit, seed, cp_workers, allowances, None, deterministic, work_limit,
                    baseline)


def _quiet_worker() -> None:
    """Pool initialiser: a worker ignores Ctrl-C (the terminal sends it to the whole process group); the
    main process handles it and terminates the workers, so one signal stops the run once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def part_weight(part: Part) -> int:
    """A part's share of the work: clinicians x activities (the size of its assignment model, roughly)."""
    return max(1, len(part.clinician_ids)) * max(1, len(part.activity_ids))


MIN_PART_SECONDS = 2.0
"""The least wall-clock time a part is given, even when the shared limit has run out (a part given no time
finds no plan, and then the whole pack has none)."""


def part_budget(remaining_s: float, slots: int, weight: int, pending_weight: int) -> float:
    r"""Wall-clock seconds for a part about to start (issue 16: one time limit shared by all the parts).

    With :math:`R` seconds left before the shared limit, :math:`n` processes and :math:`W` the weight of
    the parts not yet started (this one included), the part gets its share of the processes' time left,
    :math:`b = \min(R,\ R\,n\,w / W)`, and at least :data:`MIN_PART_SECONDS`. Time a finished part did not
    use is still in :math:`R` for the parts after it, and parts are started largest first, so the small
    ones at the end fill the gaps (longest-processing-time-first scheduling).
    """
    share = remaining_s * slots * weight / max(1, pending_weight)
    return max(MIN_PART_SECONDS, min(remaining_s, share))


def part_work(work_limit: float | None, weight: int, total_weight: int) -> float | None:
    r"""A part's share of a deterministic work limit, :math:`L\,w / W_{total}`: fixed in advance, so a plan
    cut short by work is the same however the parts were scheduled."""
    return None if work_limit is None else work_limit * weight / max(1, total_weight)


def part_line(part: Part, plan: PlanResult) -> PartRecord:
    """One part's line for progress and summary.json ``parts``."""
    return {"name": part.name, "clinicians": len(part.clinician_ids), "activities": len(part.activity_ids),
            "status": plan.status.value, "seconds": round(plan.result.solve_seconds, 3),
            "objective": {lv.name: lv.objective for lv in plan.result.levels},
            "gap": {lv.name: lv.gap for lv in plan.result.levels}}


def _start_method() -> str:
    """``forkserver`` where the platform has it, else ``spawn``: a worker starts from a small server
    process, not as a copy of the main one (which holds the whole pack's history, over a gigabyte for a
    trust), so memory stays that of one part per worker."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def solve_parts(parts: list[tuple[Part, PlanningPack, Requirements]], limit: float, seed: int, n_workers: int,
                allowances: Allowances | None, deterministic: bool, work_limit: float | None,
                part_progress: PartProgress | None = None, executor: PartExecutor = "process",
                scheduler: str | None = None, baseline: Baseline | None = None) -> list[PlanResult]:
    """Each part's plan, in part order; up to ``n_workers`` parts at a time in separate processes.

    ``limit`` is the wall clock for all the parts together (:func:`part_budget`), ``work_limit`` the
    deterministic work for all of them (:func:`part_work`). Parts start largest first. A part that found
    no plan at all in its share (status unknown) is tried once more after the others, with twice its
    first budget (and work) or its share of the time left if more: a trust whose one part has no plan has
    no plan, so the limit is overrun rather than the run failing. Ctrl-C (or SIGTERM)
    terminates the worker processes and raises :class:`~capacity_planner.interrupts.RunInterrupted`.

    ``executor="dask"`` runs the parts on a Dask cluster instead (:func:`_run_dask`): the scheduler at
    ``scheduler``, else a local cluster of ``n_workers`` single-threaded worker processes. The parts, their
    budgets and the join are the same; with a work limit the plan is the same as the process pool's.
    """
    deadline = time.perf_counter() + limit
    weights = [part_weight(p) for p, _, _ in parts]
    total = sum(weights)
    order = sorted(range(len(parts)), key=lambda i: (-weights[i], i))
    client = cluster = None
    if executor == "dask":
        client, cluster = _dask_client(scheduler, n_workers)
        n_workers = max(1, sum(client.nthreads().values()))
    slots = max(1, min(n_workers, len(parts)))
    cp_workers = max(1, n_workers // len(parts))
    pending = sum(weights)
    out: list[PlanResult | None] = [None] * len(parts)
    given: dict[int, tuple[float, float | None]] = {}  # part -> (seconds, work) of its first try
    n_done = 0

    def args(i: int) -> tuple[Any, ...]:
        nonlocal pending
        budget = part_budget(deadline - time.perf_counter(), slots, weights[i], pending)
        work = part_work(work_limit, weights[i], total)
        if i in given:  # second try: twice the first, or its share of what is left if more
            budget, work = max(2 * given[i][0], budget), None if work is None else 2 * work
        given.setdefault(i, (budget, work))
        pending -= weights[i]
        _, pk, rq = parts[i]
        return (pk, rq, budget, seed, cp_workers, allowances, deterministic, work, baseline)

    def done(i: int, plan: PlanResult) -> None:
        nonlocal n_done
        second = out[i] is not None
        out[i] = plan
        n_done += not second
        if part_progress is not None:
            line = part_line(parts[i][0], plan)
            if second:
                line["name"] += " (second try)"
            part_progress(n_done, len(parts), line)

    try:
        for attempt in (order, None):
            if attempt is None:  # parts that found no plan in their share: one more try each, after the rest
                attempt = [i for i in order if _no_plan_found(out[i])]
                pending = sum(weights[i] for i in attempt)
            if client is not None:
                _run_dask(client, attempt, args, done, slots)
            elif slots <= 1 or len(attempt) <= 1:
                for i in attempt:
                    done(i, _solve_part(args(i)))
            else:
                _run_pool(attempt, args, done, slots)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return [p for p in out if p is not None]


def _dask_client(scheduler: str | None, n_workers: int) -> tuple[Any, Any]:
    """A :mod:`distributed` client of the cluster at ``scheduler``, or of a new local cluster of ``n_workers``
    single-threaded worker processes (and that cluster, to close)."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=max(1, n_workers), threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)  # ":0": any free port
    return Client(cluster), cluster


def _run_dask(client: Any, order: list[int], args: Callable[[int], tuple[Any, ...]],
              done: Callable[[int, PlanResult], None], slots: int) -> None:
    """As :func:`_run_pool`, on a Dask cluster: at most ``slots`` parts at a time (one a worker thread), the
    next submitted as one finishes so its budget is computed when it starts; Ctrl-C cancels the parts in
    progress. A part runs as one task (``pure=False``: never taken from Dask's cache)."""
    waiting = list(order)
    running: dict[Any, int] = {}

    def submit() -> None:
        i = waiting.pop(0)
        running[client.submit(_solve_part, args(i), pure=False, key=f"plan-part-{i}-{time.time_ns()}")] = i

    try:
        while waiting and len(running) < slots:
            submit()
        while running:
            if interrupted():
                raise RunInterrupted()
            finished = [f for f in running if f.done()]
            if not finished:
                time.sleep(0.1)
                continue
            for fut in finished:
                i = running.pop(fut)
                done(i, fut.result())  # re-raises a part's error here
                if waiting:
                    submit()
    except BaseException:
        client.cancel(list(running))
        raise


def _no_plan_found(plan: PlanResult | None) -> bool:
    return plan is not None and plan.status is SolveStatus.UNKNOWN


def _finished_ok(finished: queue.Queue[Any], i: int, plan: PlanResult) -> None:
    finished.put((i, plan, None))


def _finished_error(finished: queue.Queue[Any], i: int, error: BaseException) -> None:
    finished.put((i, None, error))


def _run_pool(order: list[int], args: Callable[[int], tuple[Any, ...]],
              done: Callable[[int, PlanResult], None], slots: int) -> None:
    """Run the parts in ``order`` on ``slots`` worker processes, starting the next as one finishes (so its
    time budget is computed when it starts); the main thread waits in short steps, so Ctrl-C is handled
    at once, and then the workers are terminated."""
    finished: queue.Queue[tuple[int, PlanResult | None, BaseException | None]] = queue.Queue()
    waiting = list(order)
    method = _start_method()
    ctx = mp.get_context(method)
    if method == "forkserver":  # the server imports the solver once; each worker forks from it ready
        ctx.set_forkserver_preload(["capacity_planner.solver.plan"])
    pool = ctx.Pool(slots, initializer=_quiet_worker)
    try:
        running = 0

        def submit() -> None:
            nonlocal running
            i = waiting.pop(0)
            pool.apply_async(_solve_part, (args(i),), callback=partial(_finished_ok, finished, i),
                             error_callback=partial(_finished_error, finished, i))
            running += 1

        while waiting and running < slots:
            submit()
        while running:
            if interrupted():
                raise RunInterrupted()
            try:
                i, plan, error = finished.get(timeout=0.1)
            except queue.Empty:
                continue
            running -= 1
            if error is not None:
                raise error
            assert plan is not None
            done(i, plan)
            if waiting:
                submit()
        pool.close()
    except BaseException:
        pool.terminate()  # stops the solves in progress: nothing of a cut-short part is used
        raise
    finally:
        pool.join()


def _join_levels(plans: list[PlanResult]) -> tuple[LevelResult, ...]:
    """Per level, matched by name: objective and bound summed over the parts (None if any part has none),
    worst status, seconds summed; gap = (objective - bound) / max(1e-9, |objective|), 0 when proven.

    A part can have fewer levels than another (no rapid-access activity, nothing to price): a level a part
    does not have is one it has nothing to minimise in, so it adds 0 to the objective and the bound.
    """
    names: dict[str, LevelResult] = {}
    for plan in plans:
        for lv in plan.result.levels:
            names.setdefault(lv.name, lv)
    out = []
    for name, first in names.items():
        levels = [lv for p in plans for lv in p.result.levels if lv.name == name]
        status = worst_status([lv.status for lv in levels])
        objs = [lv.objective for lv in levels]
        bounds = [lv.bound for lv in levels]
        obj = None if any(v is None for v in objs) else float(sum(v for v in objs if v is not None))
        bound = None if any(v is None for v in bounds) else float(sum(v for v in bounds if v is not None))
        gap = None
        if obj is not None and bound is not None:
            gap = max(0.0, (obj - bound) / max(1e-9, abs(obj))) if obj - bound > 1e-9 else 0.0
        out.append(LevelResult(first.name, status, obj, bound, None, None, gap,
                               sum(lv.seconds for lv in levels), first.unit))
    return tuple(out)


def _join_kpis(plans: list[PlanResult]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key in _NUMERIC_KPIS:
        values = [getattr(p.summary, key) for p in plans]
        extra[key] = None if any(v is None for v in values) else round(sum(values), 6)
    extra["cost_breakdown"] = {
        k: round(sum(float((p.summary.cost_breakdown or {}).get(k, 0.0)) for p in plans), 2)
        for k in ("additional_pas", "purchased_sessions")}
    bought: dict[str, Any] = {}
    for p in plans:
        bought.update(p.summary.bought_sessions)
    extra["purchased_sessions"] = bought
    extra["routine_floor"] = [line for p in plans for line in p.summary.routine_floor or []]
    extra["gap_reasons"] = [line for p in plans for line in p.summary.gap_reasons or []]
    extra["notes"] = [note for p in plans for note in p.summary.notes]
    return extra


def _ordered(frame: pd.DataFrame, column: str, order: dict[str, int]) -> pd.DataFrame:
    if frame.empty or column not in frame.columns:
        return frame.reset_index(drop=True)
    key = frame[column].map(order)
    return frame.iloc[key.argsort(kind="stable")].reset_index(drop=True)


def join_plans(pack: PlanningPack, requirements: Requirements, parts: list[Part], plans: list[PlanResult],
               limit: float, n_workers: int, seed: int, deterministic: bool, allowances: Allowances | None,
               wall_seconds: float) -> PlanResult:
    """One plan from the parts' plans (tables in the pack's row order, summary summed per level)."""
    status = worst_status([p.status for p in plans])
    reasons = tuple(f"{part.name}: {r}" for part, p in zip(parts, plans, strict=True)
                    for r in p.result.reasons)
    result = Result(status, _join_levels(plans), None, wall_seconds, reasons, seed, n_workers,
                    plans[0].result.work_limit, any(p.result.wall_clock_stopped for p in plans))
    clin_order = {c.clinician_id: i for i, c in enumerate(pack.clinicians)}
    act_order = {a.activity_id: i for i, a in enumerate(pack.activities)}
    if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        tables = {}
        for name, column in _ORDER_BY.items():
            frame = pd.concat([p.tables[name] for p in plans], ignore_index=True)
            tables[name] = _ordered(frame, column, clin_order if column == "clinician_id" else act_order)
        gap_reasons = _ordered(pd.concat([p.gap_reasons for p in plans], ignore_index=True), "activity_id",
                               act_order)
        extra = _join_kpis(plans)
    else:
        tables = empty_tables()
        gap_reasons = pd.DataFrame({"activity_id": [], "reason": []})
        extra = {"notes": [note for p in plans for note in p.summary.notes]}
    extra["parts"] = [part_line(part, p) for part, p in zip(parts, plans, strict=True)]
    summary = build_summary(pack, result, limit, deterministic, extra, allowances)
    return PlanResult(pack, requirements, None, result, tables, gap_reasons, summary, tuple(plans))


def plan_parts(pack: PlanningPack, requirements: Requirements,
               parts: list[tuple[Part, PlanningPack, Requirements]], limit: float, seed: int, n_workers: int,
               allowances: Allowances | None, deterministic: bool, work_limit: float | None,
               part_progress: PartProgress | None = None, executor: PartExecutor = "process",
               scheduler: str | None = None, baseline: Baseline | None = None) -> PlanResult:
    """Solve the parts (:func:`solve_parts`, each counting changes against ``baseline`` when given) and
    join them (:func:`join_plans`)."""
    t0 = time.perf_counter()
    plans = solve_parts(parts, limit, seed, n_workers, allowances, deterministic, work_limit, part_progress,
                        executor, scheduler, baseline)
    return join_plans(pack, requirements, [p for p, _, _ in parts], plans, limit, n_workers, seed,
                      deterministic, allowances, time.perf_counter() - t0)
