"""Run every benchmark in this folder, one after another, and print their reports (``make bench``).

Protocol (see docs/benchmarks.md): benchmarks run in their own processes on a machine that is otherwise
as idle as we can make it; each reports medians or best-of-N and, where a comparison is made (DuckDB,
HiGHS, executors), both sides are measured in the same run. Large packs are generated on demand into
``benchmarks/_packs/`` (git-ignored). Record the figures in docs/benchmarks.md with the date, machine and
command.

Usage: ``python benchmarks/run.py [NAME ...]`` where NAME is e.g. ``generate``, ``demand``, ``solver``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run the named benchmarks (default: all ``bench_*.py``); return the number that failed."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in argv]
    failed = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(f"=== {script.name}: exit {result.returncode}, {time.perf_counter() - started:.1f} s ===",
              flush=True)
        failed += result.returncode != 0
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
