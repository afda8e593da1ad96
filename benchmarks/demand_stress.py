"""Stress table of demand sizing (issue 12): generated weekly series and real monthly A&E attendances.

Usage: python benchmarks/demand_stress.py [n_series] [ae_attendances.csv] [seed] [diagnose|halves] [alt|large]
       [dips]
Prints one row per stress class (docs/method.md, "Back-test", records the output), with the standard
errors of pooled coverage and of the pinball ratio (series-origins as clusters). Another ``seed`` draws
other generated series and other thinnings of the real ones: the tables' Monte Carlo error. With
``diagnose`` it also prints, per class and by whether a level step was used, the median forecast mean
over the test year's mean and the sized level over the test year's 80th centile. With ``halves`` it
prints the real table only, once for each half of the providers (split by the rank of their code, even
and odd; nothing is fitted to either half, so each is a hold-out score of the other's choices). With
``alt`` the generated series come from the second, independent generator (``generator="alt"`` of
:func:`~capacity_planner.demand.stress.stress_runs`: a two-harmonic winter peak, a summer-holiday dip,
AR(1) rho 0.7-0.8, NB2 alpha 1/10); with ``large`` from the third (``generator="large"``: the second at
800-1,500 a week, NB2 alpha 0.005, weekly A&E-sized counts). The real table does not depend on either.
With ``dips`` the generated table is of :data:`~capacity_planner.demand.stress.RECENT_DIP_CLASSES`
(temporary changes within the last two years, session 15) and the real table is not run.
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from capacity_planner.demand.stress import (
    RECENT_DIP_CLASSES,
    STRESS_CLASSES,
    diagnose,
    real_stress_runs,
    stress_runs,
    summarise_stress,
)


def main() -> None:
    n_series = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    real = sys.argv[2] if len(sys.argv) > 2 else "../../shared/data/real/ae_attendances.csv"
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    words = set(sys.argv[4:])
    show_diagnosis = "diagnose" in words
    generator = next((word for word in ("alt", "large") if word in words), "base")
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    if "halves" in words:
        print_provider_halves(real, seed)
        return
    start = time.perf_counter()
    print(
        f"Generated weekly series ({generator} generator): {n_series} series x 4 plan starts per class "
        f"(seed {seed})"
    )
    classes = RECENT_DIP_CLASSES if "dips" in words else STRESS_CLASSES
    runs = stress_runs(classes, n_series=n_series, seed=seed, generator=generator)
    print(summarise_stress(runs).round(3).to_string(index=False))
    if show_diagnosis:
        print(diagnose(runs).round(3).to_string(index=False))
    print(f"({time.perf_counter() - start:.0f} s)")
    if "dips" in words:
        return
    start = time.perf_counter()
    print("\nReal monthly A&E attendances (type 1, 130 providers, every quarterly start the history allows)")
    runs = real_stress_runs(real, seed=seed)
    print(summarise_stress(runs).round(3).to_string(index=False))
    if show_diagnosis:
        print(diagnose(runs).round(3).to_string(index=False))
    print(f"({time.perf_counter() - start:.0f} s)")


def print_provider_halves(real: str, seed: int) -> None:
    """The real table for each half of the providers (even and odd rank of their code)."""
    runs = real_stress_runs(real, seed=seed)
    rank = {code: i for i, code in enumerate(sorted(runs["series"].unique()))}
    for half, parity in (("A (even rank)", 0), ("B (odd rank)", 1)):
        part = runs[runs["series"].map(rank) % 2 == parity]
        print(f"\nReal, providers half {half}: {part['series'].nunique()} providers (seed {seed})")
        print(summarise_stress(part).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
