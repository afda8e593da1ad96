"""Getting NHS data in: Data Dictionary codes, extract import with a column-mapping file, input templates.

* :mod:`~capacity_planner.intake.codes` — NHS Data Model and Dictionary codes accepted in the
  appointments table (ATTENDED OR DID NOT ATTEND, FIRST ATTENDANCE, OUTCOME OF ATTENDANCE) and the
  treatment function names.
* :mod:`~capacity_planner.intake.follow_up` — follow-up ratios measured from OUTCOME OF ATTENDANCE.
* :mod:`~capacity_planner.intake.mapping` / :mod:`~capacity_planner.intake.importer` — the ``import``
  command: an outpatient extract (CSV, Parquet, xlsx) and a staff list into a planning pack.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

EXAMPLE_MAPPINGS = ("sus_outpatients.toml", "esr_staff.toml")


def example_mapping_paths() -> list[Path]:
    """The shipped example mapping files (a SUS-style outpatient extract, an ESR-style staff list), each
    next to a small synthetic extract of the same name (``.csv``)."""
    root = resources.files("capacity_planner.intake").joinpath("examples")
    return [Path(str(root.joinpath(name))) for name in EXAMPLE_MAPPINGS]
