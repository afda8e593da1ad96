"""`capacity-planner plan` of a 160-clinician single service (issue 16 item 2), through the command users run.

For each seed: generate the pack with ``capacity-planner sample --size large`` (once; kept in
``benchmarks/_packs/``), then time ``capacity-planner plan PACK --out … --time-limit T --no-report`` with
``/usr/bin/time -v`` and read summary.json: status, each level's value, bound, gap and seconds. The load
average before and after each run is printed with it (the machine is shared: compare CPU times, and the
levels' gaps, rather than wall times across runs).

Target (issue 16): the whole command ≤ 60 s wall on 2 idle cores, the ``changes`` level within 5 % of its
bound, the gap reported when a level is cut short.

Alternative: ``--highs`` also solves the two unmet-demand levels of the same integer model with HiGHS
(``scipy.optimize.milp``, as ``bench_solver.py`` does) and prints its times beside CP-SAT's.

Usage::

    .venv/bin/python benchmarks/bench_large_service.py --seeds 0 1 2 [--workers 2] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKS = HERE / "_packs"
BIN = Path(sys.executable).parent / "capacity-planner"


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _time_v(stderr: str) -> dict[str, float]:
    """User, system, wall seconds and peak RSS (MB) from ``/usr/bin/time -v``."""
    def grab(label: str) -> str:
        m = re.search(rf"{re.escape(label)}: (.+)", stderr)
        return m.group(1).strip() if m else "0"

    wall = grab("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
    seconds = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
    return {"user": float(grab("User time (seconds)")), "sys": float(grab("System time (seconds)")),
            "wall": seconds, "rss_mb": int(grab("Maximum resident set size (kbytes)")) / 1024}


def run_seed(seed: int, workers: int, time_limit: float) -> dict[str, object]:
    pack = PACKS / f"large{seed}"
    if not (pack / "pack.toml").exists():
        subprocess.run([str(BIN), "sample", "--size", "large", "--seed", str(seed), "--out", str(pack)],
                       check=True, capture_output=True)
    out = PACKS / f"large{seed}_plan"
    shutil.rmtree(out, ignore_errors=True)
    before = _load()
    proc = subprocess.run(["/usr/bin/time", "-v", str(BIN), "plan", str(pack), "--out", str(out),
                           "--time-limit", str(time_limit), "--workers", str(workers), "--no-report"],
                          capture_output=True, text=True)
    after = _load()
    times = _time_v(proc.stderr)
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    return {"seed": seed, "exit": proc.returncode, "load": f"{before} -> {after}", **times,
            "status": summary.get("status"), "solve_s": summary.get("solve_seconds"),
            "levels": summary.get("levels", []),
            "unproven": [ln for ln in proc.stdout.splitlines() if ln.startswith("not proven")]}


def highs_levels(seed: int) -> dict[str, object]:
    """HiGHS on the unmet-demand levels of the same integer model (bench_solver.highs_unmet)."""
    sys.path.insert(0, str(HERE))
    from bench_solver import highs_unmet  # type: ignore[import-not-found]

    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.pack.read import read_pack
    from capacity_planner.solver.problem import build_problem

    pack = read_pack(PACKS / f"large{seed}", purpose="plan")
    problem = build_problem(pack, size_demand(pack).requirements)
    return highs_unmet(problem)


def _level_cell(lv: dict[str, object]) -> str:
    value = "-" if lv["objective"] is None else f"{lv['objective']:g}"
    bound = "-" if lv["bound"] is None else f"{lv['bound']:g}"
    gap = "" if lv["gap"] is None else f"{100 * float(lv['gap']):.1f} %, "  # type: ignore[arg-type]
    return f"{lv['name']} {value} / {bound} ({gap}{float(lv['seconds']):.1f} s)"  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--highs", action="store_true")
    args = ap.parse_args()
    print("| seed | exit | wall | CPU (user + sys) | peak RSS | solve | status "
          "| level: value / bound (gap, s) "
          "| load before -> after |")
    print("|---:|---:|---:|---:|---:|---:|---|---|---|")
    for seed in args.seeds:
        r = run_seed(seed, args.workers, args.time_limit)
        levels = "; ".join(_level_cell(lv) for lv in r["levels"])  # type: ignore[attr-defined]
        cpu = r["user"] + r["sys"]  # type: ignore[operator]
        print(f"| {seed} | {r['exit']} | {r['wall']:.1f} s | {cpu:.1f} s | {r['rss_mb']:.0f} MB | "
              f"{r['solve_s']} s | {r['status']} | {levels} | {r['load']} |", flush=True)
        for line in r["unproven"]:  # type: ignore[attr-defined]
            print(f"    {line}")
        if args.highs:
            print(f"    HiGHS unmet levels: {highs_levels(seed)}", flush=True)


if __name__ == "__main__":
    main()
