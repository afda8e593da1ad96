"""Benchmark of demand sizing on the trust-scale sample pack (~10 M appointment rows, Parquet).

Usage::

    .venv/bin/python benchmarks/bench_demand.py [--size trust] [--seed 0] [--charts] [--repeat 3]

The pack is generated on demand into ``benchmarks/_packs/`` (git-ignored). Each measurement runs in a fresh
subprocess so that peak memory (``ru_maxrss``) belongs to that step alone:

* ``pipeline``: ``read_pack`` (the pack reader, which validates every table) and ``size_demand`` (history,
  forecasts in as many processes as the command uses, sizing) timed separately, plus writing the CSV
  outputs (and, with ``--charts``, one PNG per activity); ``tracemalloc`` peak of ``size_demand`` alone.
* ``aggregate``: the same aggregation DuckDB does below, by our code: read referrals, appointments and
  activities from Parquet with pandas, then weekly counts per activity and priority, DNA and hospital-
  cancellation rates, and follow-up ratios.
* ``reader`` / ``reader_history``: what the command does before forecasting (``read_pack``, every table
  read, typed and checked, then ``build_history``), on the whole pack and on a folder of only the files
  DuckDB reads (plus ``delivered``, without which later referrals are refused); the second against DuckDB
  is the target's ratio (medians, same run).
* ``duckdb``: that aggregation as SQL on the Parquet files (DuckDB is only in the ``bench`` extra; the
  package never imports it), with as many threads as cores.

Targets on 2 cores: sizing <= 10 s, <= 2 GB, aggregation <= 2x DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKS = HERE / "_packs"


def _cpu_s() -> float:
    """CPU seconds (user + system, every thread) of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_pipeline(pack_dir: Path, charts: bool) -> dict[str, Any]:
    """Read, size and write in this process; times in seconds, memory in MB."""
    import tempfile
    import tracemalloc

    t0 = time.perf_counter()
    import capacity_planner as cp
    from capacity_planner.demand.pipeline import fork_workers, size_demand
    from capacity_planner.outputs import write_demand_tables

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    pack = cp.read_pack(pack_dir)
    t_read = time.perf_counter() - t0
    rss_after_read = _rss_mb()
    workers = fork_workers()  # as the command does
    t0 = time.perf_counter()
    result = size_demand(pack, workers=workers)
    t_size = time.perf_counter() - t0
    rss_after_size = _rss_mb()
    tracemalloc.start()  # a second run under tracemalloc (which slows it down) for sizing's own peak
    size_demand(pack)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        write_demand_tables(result, out, charts=False)
        t_write = time.perf_counter() - t0
        t_charts = None
        if charts:
            t0 = time.perf_counter()
            write_demand_tables(result, Path(out) / "with_charts", charts=True)
            t_charts = time.perf_counter() - t0
    return {
        "appointment_rows": len(pack.appointments),
        "referral_rows": len(pack.referrals),
        "activities": len(pack.activities),
        "forecast_series": len(result.forecasts),
        "workers": workers,
        "import_s": t_import,
        "read_s": t_read,
        "size_s": t_size,
        "write_csv_s": t_write,
        "write_with_charts_s": t_charts,
        "rss_after_read_mb": rss_after_read,
        "rss_after_size_mb": rss_after_size,
        "size_traced_peak_mb": traced_peak / 2**20,
        "peak_rss_mb": _rss_mb(),
    }


def child_aggregate(pack_dir: Path) -> dict[str, Any]:
    """Our aggregation (pandas + numpy) from the Parquet files."""
    import pandas as pd

    from capacity_planner.demand.history import (
        _Encoded,
        _follow_ups,
        _rates_table,
        referral_window,
        weekly_referrals,
    )
    from capacity_planner.pack.model import Activity

    t0 = time.perf_counter()
    ref = pd.read_parquet(pack_dir / "referrals.parquet")
    appts = pd.read_parquet(pack_dir / "appointments.parquet", columns=["activity_id", "outcome", "is_new"])
    acts = pd.read_parquet(pack_dir / "activities.parquet", columns=["activity_id", "follow_up_activity"])
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    weekly = weekly_referrals(ref, referral_window(ref))
    encoded = _Encoded.of(appts)  # one pass over the strings, as build_history does
    rates = _rates_table(encoded)
    activities = tuple(
        Activity(str(a), "DCC", follow_up_activity=None if pd.isna(f) else str(f))
        for a, f in zip(acts["activity_id"], acts["follow_up_activity"], strict=True)
    )
    fu = _follow_ups(encoded, activities)
    t_agg = time.perf_counter() - t0
    return {
        "read_s": t_read,
        "aggregate_s": t_agg,
        "total_s": t_read + t_agg,
        "weekly_rows": len(weekly),
        "rate_rows": len(rates),
        "follow_up_rows": len(fu),
        "peak_rss_mb": _rss_mb(),
    }


DUCKDB_SQL = {
    "weekly": """
        SELECT activity_id, priority, date_trunc('week', referral_date) AS week_start, sum("count") AS value
        FROM read_parquet('{d}/referrals.parquet') GROUP BY ALL""",
    "rates": """
        SELECT activity_id,
               count(*) FILTER (WHERE outcome = 'attended') AS attended,
               count(*) FILTER (WHERE outcome = 'dna') AS dna,
               count(*) FILTER (WHERE outcome = 'cancelled_hospital') AS cancelled_hospital,
               count(*) AS booked,
               dna / nullif(attended + dna, 0) AS dna_rate,
               cancelled_hospital / booked AS hospital_cancellation_rate
        FROM read_parquet('{d}/appointments.parquet') GROUP BY activity_id""",
    "follow_up": """
        WITH att AS (
            SELECT activity_id,
                   count(*) FILTER (WHERE coalesce(is_new, true)) AS new_att,
                   count(*) FILTER (WHERE NOT coalesce(is_new, false)) AS fu_att
            FROM read_parquet('{d}/appointments.parquet') WHERE outcome = 'attended' GROUP BY activity_id),
        feeds AS (SELECT activity_id, follow_up_activity FROM read_parquet('{d}/activities.parquet')
                  WHERE follow_up_activity IS NOT NULL),
        pooled AS (SELECT f.follow_up_activity, sum(coalesce(a.new_att, 0)) AS new_att
                   FROM feeds f LEFT JOIN att a USING (activity_id) GROUP BY ALL)
        SELECT f.activity_id, f.follow_up_activity, p.new_att, coalesce(a.fu_att, 0) AS fu_att,
               coalesce(a.fu_att, 0) / nullif(p.new_att, 0) AS follow_up_ratio
        FROM feeds f JOIN pooled p USING (follow_up_activity)
        LEFT JOIN att a ON a.activity_id = f.follow_up_activity""",
}


def child_duckdb(pack_dir: Path) -> dict[str, Any]:
    """The same aggregation in DuckDB, straight from Parquet."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads TO {os.cpu_count() or 1}")
    t0, cpu0 = time.perf_counter(), _cpu_s()
    rows = {
        name: len(con.execute(sql.format(d=pack_dir.as_posix())).fetchall())
        for name, sql in DUCKDB_SQL.items()
    }
    t_total, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    return {
        "total_s": t_total,
        "cpu_s": cpu,
        **{f"{k}_rows": v for k, v in rows.items()},
        "peak_rss_mb": _rss_mb(),
        "duckdb": duckdb.__version__,
    }


def child_reader(pack_dir: Path) -> dict[str, Any]:
    """What the command does before forecasting: ``read_pack`` (every table read, typed and checked; the
    appointments as counts without the clinician, ``appointment_rows=False``, as ``demand`` reads them) and
    ``build_history`` (the aggregation), in this process."""
    from capacity_planner.demand.history import build_history
    from capacity_planner.pack.read import read_pack

    t0, cpu0 = time.perf_counter(), _cpu_s()
    try:  # as the command reads it: the appointments as counts when the file allows (session 13)
        pack = read_pack(pack_dir, purpose="demand", appointment_rows=False)
    except TypeError:  # code before session 13
        pack = read_pack(pack_dir, purpose="demand")
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_history(pack)
    t_hist, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    rows_read = getattr(pack.source, "rows_read", {})  # absent before session 11: rows held as read
    return {"read_s": t_read, "history_s": t_hist, "total_s": t_read + t_hist, "cpu_s": cpu,
            "peak_rss_mb": _rss_mb(),
            "appointment_rows_held": len(pack.appointments),
            "appointment_rows_read": int(rows_read.get("appointments", len(pack.appointments)))}


HISTORY_FILES = ("activities.parquet", "referrals.parquet", "appointments.parquet", "delivered.parquet",
                 "pack.toml")


def history_pack(pack_dir: Path) -> Path:
    """A pack folder of the files DuckDB reads (activities, referrals, appointments; plus delivered,
    which makes the referrals after the plan start valid, and pack.toml), linked to the trust pack's."""
    folder = pack_dir.parent / f"{pack_dir.name}_history"
    folder.mkdir(exist_ok=True)
    for name in HISTORY_FILES:
        link = folder / name
        if not link.exists():
            link.symlink_to((pack_dir / name).resolve())
    return folder


def child_reader_history(pack_dir: Path) -> dict[str, Any]:
    """The command's reading + aggregation (``read_pack`` then ``build_history``, as :func:`child_reader`)
    of the same Parquet files DuckDB reads: the comparison the 2x target is about."""
    return child_reader(history_pack(pack_dir))


def run_command(pack_dir: Path, out: Path) -> dict[str, Any]:
    """``capacity-planner demand PACK --out OUT`` as users run it (charts as by default), in a child
    process: wall seconds and the child's peak RSS (``ru_maxrss`` of a fresh ``wait4``)."""
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "capacity_planner.cli", "demand", str(pack_dir), "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=HERE.parent)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"demand exited {os.waitstatus_to_exitcode(status)}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def _run_child(kind: str, pack_dir: Path, charts: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, "--pack", str(pack_dir)] + (
        ["--charts"] if charts else []
    )
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=HERE.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_pack(size: str, seed: int) -> Path:
    """The benchmark pack, generated into benchmarks/_packs/ when missing."""
    path = PACKS / f"{size}{seed}"
    if not (path / "appointments.parquet").exists() and not (path / "appointments.csv").exists():
        from capacity_planner.pack.samples import generate_sample

        t0 = time.perf_counter()
        generate_sample(size, seed, path)  # type: ignore[arg-type]
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="trust")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each step; the best time is reported")
    parser.add_argument("--charts", action="store_true", help="also time writing one PNG chart per activity")
    parser.add_argument("--child", choices=["pipeline", "aggregate", "duckdb", "reader", "reader_history"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--pack", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fn = {
            "pipeline": lambda: child_pipeline(args.pack, args.charts),
            "aggregate": lambda: child_aggregate(args.pack),
            "duckdb": lambda: child_duckdb(args.pack),
            "reader": lambda: child_reader(args.pack),
            "reader_history": lambda: child_reader_history(args.pack),
        }
        print(json.dumps(fn[args.child]()))
        return
    pack = ensure_pack(args.size, args.seed)
    runs: dict[str, list[dict[str, Any]]] = {
        "pipeline": [], "aggregate": [], "duckdb": [], "reader": [], "reader_history": []
    }
    commands: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        commands.append(run_command(pack, PACKS / "_demand_out"))
        for kind in runs:
            runs[kind].append(_run_child(kind, pack, args.charts and kind == "pipeline"))

    def best(kind: str, key: str) -> float:
        return min(r[key] for r in runs[kind])

    p = runs["pipeline"][0]
    ours, duck = best("aggregate", "total_s"), best("duckdb", "total_s")
    print(
        f"pack: {pack} ({p['appointment_rows']:,} appointment rows, {p['referral_rows']:,} referral rows, "
        f"{p['activities']} activities, {p['forecast_series']} forecast series, forecasts in {p['workers']} "
        f"processes); cores: {os.cpu_count()}; "
        f"best of {args.repeat}"
    )
    print("| step | wall time (s) | peak memory (MB) |")
    print("|---|---:|---:|")
    print(
        f"| read_pack (reader + validation) | {best('pipeline', 'read_s'):.2f} | "
        f"{min(r['rss_after_read_mb'] for r in runs['pipeline']):.0f} (RSS after reading) |"
    )
    print(
        f"| size_demand (history + forecasts + sizing) | {best('pipeline', 'size_s'):.2f} | "
        f"{min(r['size_traced_peak_mb'] for r in runs['pipeline']):.0f} (tracemalloc, sizing only) |"
    )
    print(f"| write requirements.csv + weekly_demand.csv | {best('pipeline', 'write_csv_s'):.2f} | |")
    if args.charts:
        charts_s = best("pipeline", "write_with_charts_s")
        print(f"| write CSVs + {p['forecast_series']} PNG charts | {charts_s:.2f} | |")
    peak = min(r["peak_rss_mb"] for r in runs["pipeline"])
    print(f"| whole process (import, read, size, write) | | {peak:.0f} (ru_maxrss) |")
    print(
        f"| aggregation, ours (Parquet read {best('aggregate', 'read_s'):.2f} s + numpy "
        f"{best('aggregate', 'aggregate_s'):.2f} s) | {ours:.2f} | "
        f"{min(r['peak_rss_mb'] for r in runs['aggregate']):.0f} |"
    )
    print(
        f"| aggregation, DuckDB {runs['duckdb'][0]['duckdb']} | {duck:.2f} | "
        f"{min(r['peak_rss_mb'] for r in runs['duckdb']):.0f} |"
    )
    print(f"| ratio ours / DuckDB | {ours / duck:.2f}x | |")
    med = statistics.median
    reader = med(r["total_s"] for r in runs["reader"])
    duck_med = med(r["total_s"] for r in runs["duckdb"])
    read_s = med(r["read_s"] for r in runs["reader"])
    hist_s = med(r["history_s"] for r in runs["reader"])
    print(f"| the command's reading + aggregation (read_pack {read_s:.2f} s, every table typed and checked, "
          f"+ build_history {hist_s:.2f} s), median | {reader:.2f} | "
          f"{med(r['peak_rss_mb'] for r in runs['reader']):.0f} |")
    print(f"| ratio of that to DuckDB's bare aggregation, medians | {reader / duck_med:.2f}x | |")
    rh = runs["reader_history"]
    hist_reader = med(r["total_s"] for r in rh)
    print(f"| the command's reading + aggregation of DuckDB's files only (read_pack "
          f"{med(r['read_s'] for r in rh):.2f} s of {rh[0]['appointment_rows_read']:,} appointment rows "
          f"held as {rh[0]['appointment_rows_held']:,} groups or runs, + build_history "
          f"{med(r['history_s'] for r in rh):.2f} s), "
          f"median | {hist_reader:.2f} | {med(r['peak_rss_mb'] for r in rh):.0f} |")
    print(f"| **ratio of that to DuckDB's, medians (target <= 2x)** | **{hist_reader / duck_med:.2f}x** | |")
    print(f"| DuckDB's bare aggregation, median of {len(runs['duckdb'])} | {duck_med:.2f} | |")
    cpu_ours, cpu_duck = med(r["cpu_s"] for r in rh), med(r["cpu_s"] for r in runs["duckdb"])
    print(f"| CPU seconds (user + system, all threads), medians: the command's reading + aggregation of "
          f"DuckDB's files {cpu_ours:.2f}, DuckDB {cpu_duck:.2f} | ratio {cpu_ours / cpu_duck:.2f}x | |")
    print(f"| `capacity-planner demand` (the command, charts as by default), median of {len(commands)} | "
          f"{med(c['wall_s'] for c in commands):.2f} (CPU {med(c['cpu_s'] for c in commands):.2f}) | "
          f"{max(c['peak_rss_mb'] for c in commands):.0f} (peak RSS, largest run) |")
    print(f"load average after the runs: {os.getloadavg()}")
    print(
        f"peak RSS after read_pack {min(r['rss_after_read_mb'] for r in runs['pipeline']):.0f} MB, "
        f"after size_demand {min(r['rss_after_size_mb'] for r in runs['pipeline']):.0f} MB"
    )


if __name__ == "__main__":
    main()
