"""Run many scenarios: serially, in a process pool, or on a Dask cluster; stream results to disk.

Each scenario is an independent task: apply its transforms to the pack, size demand, plan the allocation
(CP-SAT with the pack's seed and **one** worker, so a scenario's plan does not depend on where it runs),
then cost the plan and compute its comparison row. The solver stops on a *work limit* (CP-SAT
deterministic time, :mod:`capacity_planner.solver.solve`), not on seconds: a plan cut short stops at the
same point whatever the machine's load, so the comparison is identical whichever executor runs it. A
wall-clock limit (default ten times the work limit) is only a safety net; a scenario it stops says so in
its reason. Tasks run in

* ``serial``: this process, one after another;
* ``process``: a :class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method) whose workers
  receive the pack once, through the pool initializer;
* ``dask``: a :mod:`distributed` cluster, through its :class:`concurrent.futures` executor
  (``Client.get_executor``); ``scheduler`` is the address of an existing cluster, else a
  ``LocalCluster(n_workers=max_workers, threads_per_worker=1, processes=True)`` is started and closed.
  The pack is scattered to every worker once.

Workers return results in memory; only this process writes files, so a remote cluster needs no shared
disk. As each scenario finishes its folder is written (``<out>/<scenario>/``: requirements.csv,
allocation.csv, gaps.csv, clinicians.csv, changes.csv, gap_reasons.csv, summary.json, costs.csv,
scenario.json), then its row file ``row.json`` atomically. ``row.json`` records a hash of the inputs (the
pack's content, the scenario, the work and time limits, seed, anonymisation and package version): a later
run with ``resume=True`` skips every scenario whose row file holds the same hash, so an interrupted sweep
keeps what finished. A scenario that fails (a transform that does not apply, rules that cannot all hold,
no plan in time, an error) gets a row with its status and reason; the others complete.

The comparison (``comparison.csv``, ``costs.csv``, ``gaps.csv``, ``charts/``, ``comparison.html``) is
rebuilt from the row files at the end (:mod:`capacity_planner.scenarios.compare`).

The output folder follows the ownership rule (:class:`capacity_planner._files.OwnedFolder`): new, empty or
a previous sweep's. When the sweep starts, everything but the finished scenarios it can resume is removed
(an old comparison, scenarios no longer in the file); at the end whatever this run did not write is gone
and the manifest marks the folder complete. Ctrl-C or SIGTERM (:mod:`capacity_planner.interrupts`) stops
the scenario being solved without writing it, so the folder keeps only scenarios that finished on their
own, and a rerun resumes to exactly the results of an uninterrupted sweep.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import logging
import math
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import pandas as pd

from capacity_planner._csv import write_csv
from capacity_planner._files import replace_files, write_file_atomic
from capacity_planner._version import __version__
from capacity_planner.errors import PlanCheckError
from capacity_planner.scenarios.parse import ScenarioSource, resolve_scenarios
from capacity_planner.scenarios.spec import BASELINE, Scenario, baseline_scenario
from capacity_planner.scenarios.transforms import ScenarioError, ScenarioPack, apply_scenario

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack

ExecutorName = Literal["serial", "process", "dask"]
EXECUTORS: tuple[str, ...] = ("serial", "process", "dask")
ROW_FILE = "row.json"
SCENARIO_FILE = "scenario.json"
RESULT_FORMAT = 1
SCENARIO_FILES = ("requirements.csv", "allocation.csv", "gaps.csv", "clinicians.csv", "changes.csv",
                  "gap_reasons.csv", "summary.json", "costs.csv", SCENARIO_FILE)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScenarioDone:
    """Progress event: ``done`` of ``total`` scenarios finished; ``resumed`` when read from disk."""

    done: int
    total: int
    scenario: str
    status: str
    seconds: float
    resumed: bool = False


Progress = Callable[[ScenarioDone], None]


def text_progress(stream: IO[str] | None = None, width: int = 24) -> Progress:
    """A progress callback printing one line per finished scenario with a text bar."""
    out = stream or sys.stderr

    def show(ev: ScenarioDone) -> None:
        filled = round(width * ev.done / max(1, ev.total))
        tail = "resumed" if ev.resumed else f"{ev.seconds:.1f} s"
        print(f"[{'#' * filled}{'.' * (width - filled)}] {ev.done}/{ev.total} {ev.scenario}: {ev.status} "
              f"({tail})", file=out, flush=True)

    return show


# ---- one scenario ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One scenario to run, with the solver settings and the hash of its inputs."""

    scenario: Scenario
    time_limit_s: float
    seed: int
    inputs_hash: str = ""
    work_limit: float | None = None


@dataclass(frozen=True, eq=False)
class Outcome:
    """What a worker returns: the comparison row, per-activity gaps, cost lines and the plan to write."""

    scenario: Scenario
    status: str
    reason: str
    row: dict[str, Any]
    seconds: float
    gaps: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    requirements: pd.DataFrame | None = None
    plan: Any = None  # capacity_planner.solver.plan_result.PlanResult, with a pack stripped of history tables
    notes: tuple[str, ...] = ()
    new_post_ids: tuple[str, ...] = ()
    persist: bool = True  # False: a crash of the executor, not of the scenario (re-run on resume)


def _light(pack: PlanningPack) -> PlanningPack:
    """The pack without its history tables (small to send back from a worker)."""
    return pack.replace(referrals=pack.referrals.iloc[:0], appointments=pack.appointments.iloc[:0],
                        delivered=pack.delivered.iloc[:0], leave=pack.leave.iloc[:0])


def _failed(scenario: Scenario, status: str, reason: str, t0: float, spack: ScenarioPack | None = None,
            **extra: Any) -> Outcome:
    from capacity_planner.scenarios.compare import base_metrics

    row = {"scenario": scenario.name, "description": scenario.description, "status": status,
           "reason": reason, **base_metrics(spack)}
    return Outcome(scenario, status, reason, row, time.perf_counter() - t0,
                   notes=() if spack is None else spack.notes,
                   new_post_ids=() if spack is None else tuple(sorted(spack.new_post_ids)), **extra)


def evaluate_scenario(pack: PlanningPack, scenario: Scenario, *, time_limit_s: float, seed: int,
                      work_limit: float | None = None) -> Outcome:
    """Apply, size, plan and cost one scenario (never raises for a failing scenario).

    ``work_limit`` (deterministic work units) and ``time_limit_s`` (wall-clock seconds) bound the solve
    (:func:`~capacity_planner.solver.plan.plan_allocation`)."""
    from capacity_planner.application import PlanOptions, plan_pack
    from capacity_planner.scenarios.compare import base_metrics, plan_metrics
    from capacity_planner.scenarios.costs import cost_breakdown, cost_totals
    from capacity_planner.scenarios.levers import scenario_shortfall

    t0 = time.perf_counter()
    try:
        spack = apply_scenario(pack, scenario)
    except ScenarioError as exc:
        return _failed(scenario, "error", str(exc), t0)
    try:
        run = plan_pack(spack.pack, PlanOptions(time_limit_s=time_limit_s, seed=seed, workers=1,
                                                allowances=spack.allowances, raise_on_failure=False,
                                                work_limit=work_limit))
        demand, plan = run.demand, run.plan
    except PlanCheckError:
        raise  # a plan breaking a rule is a bug: stop the run (exit 1), never report it as a scenario
    except Exception as exc:  # a failing scenario must not stop the others
        return _failed(scenario, "error", f"{type(exc).__name__}: {exc}", t0, spack)
    status = plan.status.value
    light = dataclasses.replace(plan, pack=_light(spack.pack))
    requirements = demand.requirements.table
    if not plan.has_plan:
        reason = "; ".join(plan.result.reasons) or {
            "unknown": _limit_text("no plan found within", time_limit_s, work_limit),
            "model_invalid": "internal error: the solver rejected the allocation model"}.get(status, status)
        return _failed(scenario, status, reason, t0, spack, requirements=requirements, plan=light)
    try:
        bought = {str(k): float(v) for k, v in plan.summary.bought_sessions.items()}
        costs = cost_breakdown(spack, plan.clinicians, bought, scenario.name)
        reason = ""
        if status != "optimal":
            reason = ("work limit reached before every level was proven optimal" if plan.result.reproducible
                      else "wall-clock limit reached before every level was proven optimal; the plan may "
                           "differ from run to run (raise --time-limit)")
        row = {"scenario": scenario.name, "description": scenario.description, "status": status,
               "reason": reason, **plan_metrics(spack, plan.tables, plan.summary, requirements),
               **base_metrics(spack), **cost_totals(costs),
               "levers_not_bought": scenario_shortfall(spack, plan.tables, bought, costs)}
        gaps = plan.gaps[["activity_id", "gap_sessions_per_year", "gap_dcc_hours_per_year"]].copy()
    except Exception as exc:  # costing or comparing failed: keep the plan, report the scenario as failed
        return _failed(scenario, "error", f"{type(exc).__name__}: {exc}", t0, spack,
                       requirements=requirements, plan=light)
    return Outcome(scenario, status, reason, row, time.perf_counter() - t0, gaps=gaps, costs=costs,
                   requirements=requirements, plan=light, notes=spack.notes,
                   new_post_ids=tuple(sorted(spack.new_post_ids)))


_WORKER_PACK: PlanningPack | None = None


def _init_worker(pack: PlanningPack) -> None:
    global _WORKER_PACK
    _WORKER_PACK = pack


def _run_task(pack: PlanningPack | None, task: Task) -> Outcome:
    """Worker entry point: ``pack`` is None in a process pool (set by the initializer)."""
    use = pack if pack is not None else _WORKER_PACK
    if use is None:
        raise RuntimeError("worker has no planning pack")
    return evaluate_scenario(use, task.scenario, time_limit_s=task.time_limit_s, seed=task.seed,
                             work_limit=task.work_limit)


def _limit_text(what: str, time_limit_s: float, work_limit: float | None) -> str:
    if work_limit is None:
        return f"{what} the time limit ({time_limit_s:g} s)"
    return f"{what} the work limit ({work_limit:g} units) or the time limit ({time_limit_s:g} s)"


def solver_limits(pack: PlanningPack, work_limit: float | None, time_limit_s: float | None,
                  ) -> tuple[float, float]:
    """(work limit, wall-clock seconds) per plan for scenarios and the frontier: the work limit defaults to
    pack.toml ``solver.work_limit``, else ``solver.time_limit_s`` read as work units; the wall clock to ten
    times the work limit (at least 60 s), a safety net that a reproducible run never reaches."""
    settings = pack.settings
    default = settings.work_limit if settings.work_limit is not None else settings.time_limit_s
    work = float(work_limit if work_limit is not None else default)
    wall = float(time_limit_s) if time_limit_s is not None else max(60.0, 10.0 * work)
    return work, wall


# ---- hashing --------------------------------------------------------------------------------------------
def pack_digest(pack: PlanningPack) -> str:
    """SHA-256 of a pack's content (records, settings and history tables; not where it was read from)."""
    h = hashlib.sha256()
    for f in dataclasses.fields(pack):
        if f.name in ("source", "warnings", "defaults_applied", "tables_present"):
            continue
        value = getattr(pack, f.name)
        h.update(f.name.encode())
        if isinstance(value, pd.DataFrame):
            _hash_frame(h, value)
        elif f.name == "extra_columns":
            for k in sorted(value):
                h.update(str(k).encode())
                _hash_frame(h, value[k])
        else:
            h.update(json.dumps(_canonical(value), sort_keys=True, default=str).encode())
    return h.hexdigest()


def _canonical(value: Any) -> Any:
    """A JSON-able form of records that is the same in every process (sets sorted: their iteration order
    depends on the per-process string hash seed)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, {f.name: _canonical(getattr(value, f.name))
                                       for f in dataclasses.fields(value)}]
    if isinstance(value, frozenset | set):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, float):
        return repr(value)
    return value


def _hash_frame(h: Any, frame: pd.DataFrame) -> None:
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())


def inputs_hash(digest: str, scenario: Scenario, time_limit_s: float, seed: int, anonymise: bool,
                work_limit: float | None = None) -> str:
    """Hash of everything a scenario's results depend on."""
    text = json.dumps({"pack": digest, "scenario": scenario.canonical_json(), "time_limit_s": time_limit_s,
                       "work_limit": work_limit,
                       "seed": seed, "anonymise": anonymise, "version": __version__,
                       "format": RESULT_FORMAT}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


# ---- executors ------------------------------------------------------------------------------------------
def _outcomes(executor: str, pack: PlanningPack, tasks: Sequence[Task], *, scheduler: str | None,
              max_workers: int | None) -> Iterator[Outcome]:
    """Outcomes as tasks finish (any order)."""
    if not tasks:
        return
    if executor == "serial":
        for t in tasks:
            yield _run_task(pack, t)
        return
    n = max(1, min(max_workers or os.cpu_count() or 1, len(tasks)))
    cluster = client = None
    if executor == "process":
        ex: cf.Executor = cf.ProcessPoolExecutor(
            max_workers=n, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
            initargs=(pack,))
        pack_arg: Any = None
    elif executor == "dask":
        from distributed import Client, LocalCluster

        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=logging.ERROR)  # ":0": any free port, never a clash
            client = Client(cluster)
        pack_arg = client.scatter(pack, broadcast=True)
        ex = client.get_executor(pure=False)
    else:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    futures: dict[cf.Future[Outcome], Task] = {}
    finished = False
    try:
        futures = {ex.submit(_run_task, pack_arg, t): t for t in tasks}
        for fut in cf.as_completed(futures):
            try:
                yield fut.result()
            except PlanCheckError:
                raise
            except Exception as exc:  # the worker died or could not run the task: not the scenario's fault
                t = futures[fut]
                reason = f"the {executor} executor failed to run this scenario: {type(exc).__name__}: {exc}"
                yield dataclasses.replace(_failed(t.scenario, "error", reason, time.perf_counter()),
                                          persist=False)
        finished = True
    finally:
        for fut in futures:
            fut.cancel()
        if client is not None:
            client.close()
            if cluster is not None:
                cluster.close()
        else:
            if not finished and isinstance(ex, cf.ProcessPoolExecutor):
                # Interrupted: stop the workers' solves now rather than waiting for them at exit.
                for proc in list(getattr(ex, "_processes", {}).values()):
                    proc.terminate()
            ex.shutdown(wait=finished, cancel_futures=True)


# ---- files ----------------------------------------------------------------------------------------------
def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _json_safe(value.item())
    if value is pd.NA:
        return None
    return value


def _atomic_json(path: Path, value: Any) -> None:
    text = json.dumps(_json_safe(value), indent=2, ensure_ascii=False) + "\n"
    write_file_atomic(path, text.encode("utf-8"))


def _frame_records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    return [] if frame is None else _json_safe(frame.to_dict("records"))


class _Anonymiser:
    """Pseudonyms of the pack's clinicians (new posts keep their generated IDs: they are not people)."""

    def __init__(self, pack: PlanningPack):
        from capacity_planner.report.anonymise import Pseudonyms

        self.ps = Pseudonyms.from_pack(pack)

    def for_posts(self, new_ids: Sequence[str]) -> Any:
        from capacity_planner.report.anonymise import Pseudonyms

        return Pseudonyms({**self.ps.mapping, **{i: i for i in new_ids}}, self.ps.names)

    def name(self, name: str) -> str:
        parts = re.split(r"([-_.+])", name)
        out = [self.ps.slug(p) if p in self.ps.mapping else p for p in parts]
        return re.sub(r"[^A-Za-z0-9._+-]", "_", self.ps.scrub_text("".join(out)))


def folder_name(scenario: str, anonymiser: _Anonymiser | None) -> str:
    """The scenario's folder name (its name; pseudonymised when anonymising)."""
    return anonymiser.name(scenario) if anonymiser is not None else scenario


def read_record(folder: Path, inputs_hash_: str) -> dict[str, Any] | None:
    """The row file of a finished scenario if its inputs hash matches, else None."""
    path = folder / ROW_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != RESULT_FORMAT or \
            record.get("inputs_hash") != inputs_hash_:
        return None
    return record


def write_outcome(out_dir: Path, task: Task, outcome: Outcome,
                  anonymiser: _Anonymiser | None) -> dict[str, Any]:
    """Write a finished scenario's folder, then its row file (atomically); returns the row record."""
    from capacity_planner.outputs import write_plan_tables
    from capacity_planner.report.anonymise import anonymise_frame, anonymise_json, anonymise_plan

    name = outcome.scenario.name
    folder = out_dir / folder_name(name, anonymiser)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ROW_FILE).unlink(missing_ok=True)  # the folder is incomplete until the row file is back
    ps = anonymiser.for_posts(outcome.new_post_ids) if anonymiser is not None else None
    row = dict(outcome.row)
    costs, gaps = outcome.costs, outcome.gaps
    plan, requirements = outcome.plan, outcome.requirements
    info: dict[str, Any] = {"scenario": name, "description": outcome.scenario.description,
                            "spec": outcome.scenario.spec, "status": outcome.status, "reason": outcome.reason,
                            "notes": list(outcome.notes), "seconds": round(outcome.seconds, 3),
                            "inputs_hash": task.inputs_hash, "time_limit_s": task.time_limit_s,
                            "work_limit": task.work_limit,
                            "seed": task.seed, "version": __version__}
    if ps is not None:
        row = anonymise_json(row, ps)
        row["scenario"] = folder.name
        info = anonymise_json(info, ps)
        info["scenario"] = folder.name
        costs = None if costs is None else anonymise_frame(costs, ps)
        if costs is not None:
            costs["scenario"] = folder.name
        # pseudonyms in memory, before anything is written (issue 14: nothing is written, read back and
        # rewritten)
        plan = None if plan is None else anonymise_plan(plan, ps)
        requirements = None if requirements is None else anonymise_frame(requirements, ps)
    with replace_files(folder, SCENARIO_FILES) as stage:
        if plan is not None:
            write_plan_tables(plan, stage)  # includes gap_reasons.csv
        if requirements is not None:
            write_csv(requirements, stage / "requirements.csv")
        if costs is not None:
            write_csv(costs, stage / "costs.csv")
        _atomic_json(stage / SCENARIO_FILE, info)
    record = {"format": RESULT_FORMAT, "inputs_hash": task.inputs_hash, "scenario": row["scenario"],
              "status": outcome.status, "seconds": round(outcome.seconds, 3), "row": row,
              "gaps": _frame_records(gaps), "costs": _frame_records(costs)}
    if outcome.persist:
        _atomic_json(folder / ROW_FILE, record)
    return record


# ---- the run --------------------------------------------------------------------------------------------
def run_scenarios(pack: PlanningPack, spec_path_or_specs: ScenarioSource, out_dir: str | Path, *,
                  executor: ExecutorName = "serial", scheduler: str | None = None,
                  max_workers: int | None = None, time_limit_s: float | None = None, anonymise: bool = False,
                  progress: Progress | None = None, resume: bool = True,
                  work_limit: float | None = None) -> pd.DataFrame:
    """Run every scenario (and the ``baseline``) and write the comparison into ``out_dir``.

    Parameters
    ----------
    pack : PlanningPack
        The pack the scenarios transform.
    spec_path_or_specs : path or sequence of Scenario
        A scenarios TOML file (:func:`~capacity_planner.scenarios.spec.load_scenarios`) or scenarios.
    out_dir : path
        Output folder: comparison.csv, costs.csv, gaps.csv, charts/, comparison.html and one folder per
        scenario.
    executor : {"serial", "process", "dask"}
        Where scenarios run (module docstring). Results are the same whichever is used.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``); without it a local cluster is started.
    max_workers : int, optional
        Processes (process pool) or workers (local Dask cluster); default: the number of cores.
    time_limit_s : float, optional
        Wall-clock safety net per scenario, seconds; default ten times the work limit (at least 60 s).
    anonymise : bool
        Clinicians appear only as pseudonyms in every output.
    progress : callable, optional
        Called with a :class:`ScenarioDone` as each scenario finishes (see :func:`text_progress`).
    resume : bool
        Skip scenarios whose row file in ``out_dir`` has the same inputs hash.
    work_limit : float, optional
        Solver work per scenario, CP-SAT deterministic time units (about a core-second each); default
        pack.toml ``solver.work_limit``, else ``solver.time_limit_s`` (:func:`solver_limits`).

    Returns
    -------
    DataFrame
        The comparison table (``comparison.csv``), baseline first, then scenarios in file order.

    Raises
    ------
    PackValidationError
        When the scenarios file is wrong (nothing is run).
    """
    from capacity_planner.scenarios.compare import comparison_table, write_comparison_outputs

    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    from capacity_planner._files import OwnedFolder
    from capacity_planner.workflow import pack_inputs

    scenarios = [baseline_scenario(), *resolve_scenarios(spec_path_or_specs)]
    out = Path(out_dir)
    spec_file = spec_path_or_specs if isinstance(spec_path_or_specs, str | Path) else None
    owned = OwnedFolder(out, "scenarios", inputs=(*pack_inputs(pack), spec_file), keep_previous=resume)
    work, limit = solver_limits(pack, work_limit, time_limit_s)
    seed = int(pack.settings.seed)
    digest = pack_digest(pack)
    anonymiser = _Anonymiser(pack) if anonymise else None
    tasks = [Task(s, limit, seed, inputs_hash(digest, s, limit, seed, anonymise, work), work)
             for s in scenarios]
    records: dict[str, dict[str, Any]] = {}
    todo = []
    done = 0
    for t in tasks:
        rec = read_record(out / folder_name(t.scenario.name, anonymiser), t.inputs_hash) if resume else None
        if rec is None:
            todo.append(t)
            continue
        records[t.scenario.name] = rec
        done += 1
        if progress:
            progress(ScenarioDone(done, len(tasks), t.scenario.name, str(rec.get("status")), 0.0, True))
    # Only the scenarios that finished (and still match) stay while the sweep runs: an old comparison or
    # a scenario since removed from the file must not sit beside this run's results.
    folders = {t.scenario.name: out / folder_name(t.scenario.name, anonymiser) for t in tasks}
    owned.prune(_files_under(folders[name] for name in records))
    by_name = {t.scenario.name: t for t in todo}
    for outcome in _outcomes(executor, pack, todo, scheduler=scheduler, max_workers=max_workers):
        name = outcome.scenario.name
        records[name] = write_outcome(out, by_name[name], outcome, anonymiser)
        owned.record(_files_under([folders[name]]))
        done += 1
        log.info("scenario %s: %s (%.1f s)", name, outcome.status, outcome.seconds)
        if progress:
            progress(ScenarioDone(done, len(tasks), name, outcome.status, outcome.seconds))
    ordered = [records[t.scenario.name] for t in tasks]
    comparison = comparison_table([r["row"] for r in ordered])
    gaps = _long([(r["scenario"], r["gaps"]) for r in ordered],
                 ("scenario", "activity_id", "gap_sessions_per_year", "gap_dcc_hours_per_year"))
    from capacity_planner.scenarios.costs import BREAKDOWN_COLUMNS

    costs = _long([(r["scenario"], r["costs"]) for r in ordered], BREAKDOWN_COLUMNS)
    from capacity_planner.scenarios.page import ComparisonContext

    context = ComparisonContext.from_pack(pack, scenarios, anonymise=anonymise)
    written = write_comparison_outputs(out, comparison, gaps, costs, context)
    owned.finish([*_files_under(folders.values()), *written])
    return comparison


def _files_under(folders: Iterable[Path]) -> list[Path]:
    return [p for f in folders if f.is_dir() for p in sorted(f.rglob("*"))
            if p.is_file() and not p.name.startswith(".")]


def _long(parts: Sequence[tuple[str, list[dict[str, Any]]]], columns: Sequence[str]) -> pd.DataFrame:
    rows = [{**rec, "scenario": name} for name, recs in parts for rec in recs]
    return pd.DataFrame(rows, columns=list(columns))


__all__ = [
    "BASELINE",
    "EXECUTORS",
    "Outcome",
    "Progress",
    "ScenarioDone",
    "Task",
    "evaluate_scenario",
    "folder_name",
    "inputs_hash",
    "pack_digest",
    "read_record",
    "run_scenarios",
    "solver_limits",
    "text_progress",
    "write_outcome",
]
