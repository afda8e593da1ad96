"""Getting NHS data in: Data Dictionary codes, extract import with a column-mapping file, input templates.

* :mod:`~capacity_planner.intake.codes` — NHS Data Model and Dictionary codes accepted in the
  appointments table (ATTENDED OR DID NOT ATTEND, FIRST ATTENDANCE, OUTCOME OF ATTENDANCE) and the
  treatment function names.
* :mod:`~capacity_planner.intake.follow_up` — follow-up ratios measured from OUTCOME OF ATTENDANCE.
* :mod:`~capacity_planner.intake.mapping` / :mod:`~capacity_planner.intake.importer` — the ``import``
  command: an outpatient extract (CSV, Parquet, xlsx) and a staff list into a planning pack.
"""
