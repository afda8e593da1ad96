"""`capacity-planner plan` of the trust pack with its parts on the process pool and on a Dask LocalCluster.

Both runs use the command users run, the same pack, ``--workers 2`` and a work limit (``--work-limit``,
CP-SAT deterministic units shared by the parts by size), so each part stops at the same point wherever it
runs and the two plans must be byte-identical; the script checks allocation.csv, changes.csv and the
summary's objective. Wall and CPU (``/usr/bin/time -v``; Dask's worker processes are children of the
command, so their CPU is counted once they exit) and the load average are printed.

Usage::

    .venv/bin/python benchmarks/bench_plan_executors.py [--work-limit 40]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench_large_service import BIN, PACKS, _load, _time_v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work-limit", type=float, default=40.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    pack = PACKS / f"trust{args.seed}"
    if not (pack / "pack.toml").exists():
        subprocess.run([str(BIN), "sample", "--size", "trust", "--seed", str(args.seed), "--out", str(pack)],
                       check=True, capture_output=True)
    print("| executor | exit | wall | CPU (user + sys) | peak RSS | solve | status | load before -> after |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    outs = {}
    for executor in ("process", "dask"):
        out = PACKS / f"trust{args.seed}_plan_{executor}"
        before = _load()
        proc = subprocess.run(["/usr/bin/time", "-v", str(BIN), "plan", str(pack), "--out", str(out),
                               "--workers", "2", "--work-limit", str(args.work_limit), "--time-limit", "3600",
                               "--no-report", "--executor", executor], capture_output=True, text=True)
        t = _time_v(proc.stderr)
        summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
        outs[executor] = out
        print(f"| {executor} | {proc.returncode} | {t['wall']:.1f} s | {t['user'] + t['sys']:.1f} s | "
              f"{t['rss_mb']:.0f} MB | {summary.get('solve_seconds')} s | {summary.get('status')} | "
              f"{before} -> {_load()} |", flush=True)
        if proc.returncode:
            print(proc.stderr[-2000:], file=sys.stderr)
    same = all((outs["process"] / f).read_bytes() == (outs["dask"] / f).read_bytes()
               for f in ("allocation.csv", "changes.csv", "gaps.csv", "clinicians.csv"))
    objectives = [json.loads((o / "summary.json").read_text())["objective"] for o in outs.values()]
    print(f"same allocation/changes/gaps/clinicians CSVs: {same}; same objectives: "
          f"{objectives[0] == objectives[1]}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
