"""Which levels HiGHS is asked on in the trust pack's parts, compared by parts and levels proven (issue 16).

Runs ``capacity-planner plan`` with one HiGHS variant, the parts in forked processes so that the module
settings changed here reach them (``plan`` itself starts its parts from a forkserver, which would re-import
the defaults), then compares the ``parts`` of two runs' summary.json: parts proven, levels proven, and
every level proven in both with a different optimum (there must be none where the earlier levels agree).

Usage::

    .venv/bin/python benchmarks/bench_trust_highs.py run VARIANT PACK --out DIR --work-limit 120 --workers 2
        --time-limit 3000 --no-report      # VARIANT: none | changes | after | both | first-min=SECONDS
    .venv/bin/python benchmarks/bench_trust_highs.py compare DIR_A DIR_B

Variants: ``none`` = HiGHS on no level (what a wall-clock trust run at --time-limit 60 does, every part's
share being under ``HIGHS_MIN_SECONDS``); ``changes`` = HiGHS first on the ``changes`` level only;
``after`` = HiGHS after CP-SAT on the unmet levels only; ``both`` = the defaults (what a work-limit run
does); ``first-min=S`` = wall-clock mode with ``HIGHS_FIRST_MIN_SECONDS`` = S.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _run(variant: str, args: list[str]) -> None:
    import capacity_planner.solver.join as join
    import capacity_planner.solver.solve as solve

    join._start_method = lambda: "fork"  # noqa: SLF001
    if variant in ("none", "after"):
        solve.HIGHS_LEVELS = frozenset()
    if variant in ("none", "changes"):
        solve.HIGHS_AFTER_LEVELS = frozenset()
    if variant.startswith("first-min="):
        solve.HIGHS_FIRST_MIN_SECONDS = float(variant.split("=", 1)[1])
    from capacity_planner.cli import main

    sys.argv = ["capacity-planner", "plan", *args]
    main()


def _compare(a: Path, b: Path) -> None:
    runs = {d: {p["name"]: p for p in json.loads((d / "summary.json").read_text())["parts"]} for d in (a, b)}
    for d, parts in runs.items():
        proven = sum(p["status"] == "optimal" for p in parts.values())
        levels = sum(sum(g == 0 for g in p["gap"].values()) for p in parts.values())
        total = sum(len(p["gap"]) for p in parts.values())
        changes = sum(p["gap"].get("changes") == 0 for p in parts.values())
        print(f"{d}: parts proven {proven}/{len(parts)}, levels proven {levels}/{total},"
              f" changes proven {changes}")
    for name in sorted(runs[a]):
        pa, pb = runs[a][name], runs[b][name]
        same_before = True
        for level, gap in pa["gap"].items():
            both = gap == 0 and pb["gap"].get(level) == 0
            differ = abs(pa["objective"][level] - pb["objective"].get(level, float("nan"))) > 1e-6
            if both and differ and same_before:
                print(f"DIFFERENT OPTIMUM {name} {level}:", pa["objective"][level], pb["objective"][level])
            same_before = same_before and not differ
        if pa["status"] != pb["status"] or pa["gap"] != pb["gap"]:
            print(f"  {name}:", *(f"{p['status']} changes {p['objective'].get('changes')}"
                                  f" (gap {p['gap'].get('changes')})" for p in (pa, pb)), sep=" | ")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        _run(sys.argv[2], sys.argv[3:])
    else:
        _compare(Path(sys.argv[2]), Path(sys.argv[3]))
