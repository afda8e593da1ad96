"""Benchmark the sample-pack generator: wall time, peak memory, rows and bytes on disk per size.

Each size runs in a fresh Python process so its peak resident memory (``ru_maxrss``) is its own.

Usage::

    .venv/bin/python benchmarks/bench_generate.py                    # service and trust
    .venv/bin/python benchmarks/bench_generate.py --sizes small service trust --read

``--read`` also times ``read_pack(..., purpose="plan")`` on the generated pack (in its own process).
Packs are written to a temporary folder that is removed afterwards (``--keep DIR`` keeps them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _rows(path: Path) -> int:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_one(size: str, seed: int, out: Path) -> dict[str, object]:
    """Generate one pack in this process and measure it."""
    from capacity_planner.pack.samples import generate_sample

    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    generate_sample(size, seed, out)  # type: ignore[arg-type]
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    files = sorted(p for p in out.iterdir() if p.is_file())
    return {
        "size": size,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mib": round(_peak_mib(), 1),
        "appointments": next(_rows(p) for p in files if p.stem == "appointments"),
        "referrals": next(_rows(p) for p in files if p.stem == "referrals"),
        "bytes": sum(p.stat().st_size for p in files),
        "format": files[0].suffix.lstrip("."),
    }


def read_one(path: Path) -> dict[str, object]:
    """Read and validate a generated pack in this process and measure it."""
    from capacity_planner.pack.read import read_pack

    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    pack = read_pack(path, purpose="plan")
    return {"read_seconds": round(time.perf_counter() - t0, 2),
            "read_cpu_seconds": round(_cpu_seconds() - cpu0, 2),
            "read_peak_mib": round(_peak_mib(), 1),
            "clinicians": len(pack.clinicians), "warnings": len(pack.warnings)}


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one line per size (and a Markdown table)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["service", "trust"],
                        choices=["small", "service", "trust"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--read", action="store_true", help="also time read_pack on each pack")
    parser.add_argument("--keep", type=Path, help="write packs here and keep them")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--read-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.seed, args.out)))
        return
    if args.read_one:
        print(json.dumps(read_one(args.read_one)))
        return

    print(f"# {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        root = args.keep or Path(tmp)
        for size in args.sizes:
            out = root / size
            result = _child(["--one", size, "--seed", str(args.seed), "--out", str(out)])
            if args.read:
                result.update(_child(["--read-one", str(out)]))
            results.append(result)
            print(json.dumps(result), flush=True)
    print()
    print("| size | format | appointment rows | referral rows | on disk | wall time | CPU time "
          "| peak RSS |" + (" read_pack wall / CPU | read peak RSS |" if args.read else ""))
    print("|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if args.read else ""))
    for r in results:
        line = (f"| {r['size']} | {r['format']} | {r['appointments']:,} | {r['referrals']:,} | "
                f"{int(r['bytes']) / 1e6:.1f} MB | {r['seconds']} s | {r['cpu_seconds']} s | "
                f"{r['peak_mib']} MiB |")
        if args.read:
            line += (f" {r['read_seconds']} s / {r['read_cpu_seconds']} s | "
                     f"{r['read_peak_mib']} MiB |")
        print(line)


if __name__ == "__main__":
    main()
