"""Benchmark of a scenario sweep on the service-scale sample pack: serial vs process pool vs Dask.

Usage::

    .venv/bin/python benchmarks/bench_scenarios.py [--scenarios 100] [--work-limit 2] [--workers 2]
        [--executors serial process dask] [--seed 0] [--out benchmarks/_packs/scenarios_out]

The pack is ``generate_sample("service", seed)`` (~40 clinicians, ~290 k appointment rows), generated into
``benchmarks/_packs/service<seed>/`` when missing. The sweep is a ``[sweep]`` grid over DNA-rate changes,
locum follow-up sessions and additional PAs per clinician (5 x 5 x 4 = 100 scenarios, plus the baseline;
``--scenarios N`` keeps the first N). Every executor runs the same sweep from scratch (``resume=False``)
into its own folder; each scenario is solved with CP-SAT on one worker and the work limit given (CP-SAT
deterministic time; ``--time-limit`` sets the wall-clock safety net, default ten times the work limit).

Reported per executor: wall time of ``run_scenarios`` (including starting the process pool or the local
Dask cluster and writing every output), scenarios a minute, per-scenario time (mean and max of
``row.json`` ``seconds``: apply, size, plan, cost, in the worker), statuses, whether ``comparison.csv``
is byte-identical to the first executor's, and how many rows differ in unmet sessions or annual cost.
Scenarios that stop at the work limit (status ``feasible``) stop at the same point whatever the load, so
the tables should be identical; ``--time-limit-only`` runs the old wall-clock mode for comparison.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKS = HERE / "_packs"

DNA_POINTS = [0.0, -0.01, -0.02, -0.03, -0.05]
LOCUM_FU = [0, 100, 200, 400, 800]
APA = [0, 1, 2, 3]


def sweep_toml(n: int) -> str:
    """A scenarios file: the first ``n`` combinations of the grid as [[scenario]] tables."""
    grid = list(itertools.product(DNA_POINTS, LOCUM_FU, APA))[:n]
    parts = []
    for dna, locum, apa in grid:
        name = f"dna-{dna:g}_locum-{locum}_apa-{apa}"
        body = [f'[[scenario]]\nname = "{name}"']
        if dna:
            body.append(f"dna_rate = {{ points = {dna} }}")
        if locum:
            body.append(f"locum = {{ fu = {locum} }}")
        if apa:
            body.append(f"additional_pas = {{ per_clinician = {apa} }}")
        parts.append("\n".join(body))
    return "\n\n".join(parts) + "\n"


def run(executor: str, pack: Any, spec: Path, out: Path, work_limit: float | None, time_limit: float | None,
        workers: int) -> dict[str, Any]:
    """Run the sweep with one executor; timings in seconds."""
    from capacity_planner.scenarios import run_scenarios

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    df = run_scenarios(pack, spec, out, executor=executor, max_workers=workers,  # type: ignore[arg-type]
                       work_limit=work_limit, time_limit_s=time_limit, resume=False)
    wall = time.perf_counter() - t0
    per = [json.loads((out / name / "row.json").read_text())["seconds"] for name in df["scenario"]]
    return {"executor": executor, "scenarios": len(df), "wall_s": round(wall, 1),
            "scenarios_per_min": round(60 * len(df) / wall, 1),
            "per_scenario_mean_s": round(sum(per) / len(per), 2), "per_scenario_max_s": round(max(per), 2),
            "parent_cpu_s": round(time.process_time() - cpu0, 1),
            "statuses": df["status"].value_counts().to_dict()}


def main() -> None:
    """Generate the pack if needed, run the sweep with each executor, print and save the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=100)
    ap.add_argument("--work-limit", type=float, default=2.0)
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--time-limit-only", action="store_true",
                    help="wall clock only: an unreachable work limit and --time-limit seconds")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--executors", nargs="+", default=["serial", "process", "dask"])
    ap.add_argument("--out", type=Path, default=PACKS / "scenarios_out")  # git-ignored
    args = ap.parse_args()

    import capacity_planner as cp
    from capacity_planner.pack.samples import generate_sample

    pack_dir = PACKS / f"service{args.seed}"
    if not (pack_dir / "clinicians.csv").exists():
        generate_sample("service", args.seed, pack_dir)
    pack = cp.read_pack(pack_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    spec = args.out / "sweep.toml"
    spec.write_text(sweep_toml(args.scenarios), encoding="utf-8")
    results = []
    for ex in args.executors:
        work = 1e6 if args.time_limit_only else args.work_limit
        res = run(ex, pack, spec, args.out / ex, work, args.time_limit, args.workers)
        results.append(res)
        print(json.dumps(res), flush=True)
    import pandas as pd

    base = args.out / args.executors[0] / "comparison.csv"
    ref = pd.read_csv(base).set_index("scenario")
    for res in results:
        path = args.out / res["executor"] / "comparison.csv"
        res["identical_to_" + args.executors[0]] = path.read_bytes() == base.read_bytes()
        other = pd.read_csv(path).set_index("scenario").reindex(ref.index)
        for col in ("unmet_sessions_per_year", "annual_cost"):
            diff = (other[col] - ref[col]).abs()
            res[f"rows_differing_{col}"] = int((diff > 1e-6).sum())
            res[f"max_diff_{col}"] = round(float(diff.max()), 4)
    meta = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_avg": os.getloadavg(), "time_limit_s": args.time_limit,
            "work_limit": None if args.time_limit_only else args.work_limit, "workers": args.workers,
            "scenarios_requested": args.scenarios, "clinicians": len(pack.clinicians)}
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    print(json.dumps(meta))
    print("| executor | scenarios | wall time | scenarios/min | per scenario (mean / max) | statuses | "
          "comparison.csv identical | rows with other unmet / cost |")
    print("|---|---:|---:|---:|---:|---|---|---|")
    for r in results:
        st = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
        print(f"| {r['executor']} | {r['scenarios']} | {r['wall_s']} s | {r['scenarios_per_min']} | "
              f"{r['per_scenario_mean_s']} / {r['per_scenario_max_s']} s | {st} | "
              f"{r['identical_to_' + args.executors[0]]} | {r['rows_differing_unmet_sessions_per_year']} / "
              f"{r['rows_differing_annual_cost']} |")


if __name__ == "__main__":
    main()
