"""Benchmark workbooks through the commands users run (issue 16 item 4): ``convert`` of the service sample to
.xlsx, ``validate`` of that workbook, and ``validate`` of a workbook whose clinicians sheet is formatted
down to row 1,048,576 (as Excel leaves it after formatting whole columns).

Beside each, the bare work done by the alternative in the same run: openpyxl's write-only writer for the
same tables (what ``convert`` used before), openpyxl's read-only reader iterating every cell (what the
reader used before), and calamine's bare read of every sheet (the floor for reading: no typing, no checks).

Every command runs in its own process (``sys.executable -m capacity_planner.cli``); wall time is the median
of ``--repeat`` runs, peak memory the largest ``ru_maxrss`` of the child processes.

Usage::

    .venv/bin/python benchmarks/bench_workbooks.py --repeat 3
"""

from __future__ import annotations

import argparse
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKS = HERE / "_packs"
CLI = [sys.executable, "-m", "capacity_planner.cli"]


def _timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB of the children so far, exit code) of one command."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode not in (0,):
        print(done.stderr[-2000:], file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, done.returncode


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def formatted_to_last_row(book: Path, out: Path, sheet: str = "clinicians") -> Path:
    """A copy of ``book`` whose ``sheet`` has a style on column A of every row down to 1,048,576 (no values),
    written straight into the sheet XML (openpyxl takes ~45 s to save such a sheet)."""
    from capacity_planner.pack.xlsx_parts import sheet_parts

    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        member = dict(sheet_parts(zin))[sheet]
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == member:
                xml = data.decode("utf-8")
                last = max(int(r) for r in re.findall(r'<row r="(\d+)"', xml))
                empty = "".join(f'<row r="{r}"><c r="A{r}" s="2"/></row>'
                                for r in range(last + 1, 1_048_577))
                data = xml.replace("</sheetData>", empty + "</sheetData>").encode("utf-8")
            zout.writestr(item, data)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    pack = PACKS / "service0"
    if not pack.exists():
        subprocess.run([*CLI, "sample", "--size", "service", "--out", str(pack)], check=True)
    work = PACKS / "workbooks"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rows: dict[str, list[float]] = {}
    peaks: dict[str, float] = {}

    def record(name: str, cmd: list[str], before: Any = None) -> None:
        for _ in range(args.repeat):
            if before:
                before()
            seconds, peak, code = _timed(cmd)
            assert code == 0, f"{name}: exit {code}"
            rows.setdefault(name, []).append(seconds)
            peaks[name] = peak
        print(f"{name}: {', '.join(f'{t:.2f}' for t in rows[name])} s", flush=True)

    book = work / "service.xlsx"
    record("convert service -> .xlsx (command)", [*CLI, "convert", str(pack), "--to", str(book)],
           before=lambda: book.unlink(missing_ok=True))
    record("validate service.xlsx (command)", [*CLI, "validate", str(book)])
    last = formatted_to_last_row(book, work / "formatted.xlsx")
    record("validate, clinicians formatted to row 1,048,576 (command)", [*CLI, "validate", str(last)])
    tables = (f"from capacity_planner.pack.read import read_pack; from capacity_planner.pack.write import "
              f"pack_to_tables; t = pack_to_tables(read_pack({str(pack)!r}))\n")
    old = work / "openpyxl.xlsx"
    record("openpyxl write-only, same tables (bare write)", _python(
        tables + "import openpyxl\nwb = openpyxl.Workbook(write_only=True)\n"
        "for n, f in t.items():\n ws = wb.create_sheet(n); ws.append(list(f.columns))\n"
        " for r in f.astype(object).where(f.notna(), None).itertuples(index=False, name=None): ws.append(r)\n"
        f"wb.save({str(old)!r})"), before=lambda: old.unlink(missing_ok=True))
    record("openpyxl read-only, every cell (bare read)", _python(
        f"import openpyxl\nwb = openpyxl.load_workbook({str(book)!r}, read_only=True, data_only=True)\n"
        "n = sum(1 for ws in wb for _ in ws.iter_rows(values_only=True))"))
    record("calamine, every sheet (bare read)", _python(
        f"from python_calamine import CalamineWorkbook\nwb = CalamineWorkbook.from_path({str(book)!r})\n"
        "n = sum(len(wb.get_sheet_by_name(s).to_python()) for s in wb.sheet_names)"))
    record("openpyxl read-only, formatted sheet (bare read)", _python(
        f"import openpyxl\nwb = openpyxl.load_workbook({str(last)!r}, read_only=True, data_only=True)\n"
        "n = sum(1 for _ in wb['clinicians'].iter_rows(values_only=True))"))
    print(f"machine: {platform.machine()}, {platform.python_version()}, cores: "
          f"{len(__import__('os').sched_getaffinity(0))}; load {__import__('os').getloadavg()}")
    print(f"{'step':<62}{'median s':>10}{'min s':>8}{'max s':>8}")
    for name, times in rows.items():
        print(f"{name:<62}{statistics.median(times):>10.2f}{min(times):>8.2f}{max(times):>8.2f}")
    print(f"peak RSS of any child so far: {max(peaks.values()):.0f} MB; "
          f"workbook {book.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
