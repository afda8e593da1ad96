"""Reports of a plan: the team job-planning meeting pack and the charts.

Entry point for ``capacity-planner plan``::

    from capacity_planner.report.html import write_report_files
    paths = write_report_files(pack, plan_dir, anonymise=False)
    # plan_dir/report.html, plan_dir/plan.xlsx, plan_dir/charts/*.png

Modules:

* :mod:`~capacity_planner.report.tables` — reads a plan output folder (DESIGN.md section 4 columns) and
  joins it with the pack into :class:`~capacity_planner.report.tables.MeetingData`: headline gaps, demand
  against capacity, the timetable, changes, PA summaries, assumptions, solver status.
* :mod:`~capacity_planner.report.html` — ``report.html`` (self-contained, projector and A4 print) and
  ``write_report_files`` (the scenario comparison page is :mod:`capacity_planner.scenarios.page`).
* :mod:`~capacity_planner.report.excel` — ``plan.xlsx``: summary, data sheets and one job plan proposal
  per clinician; text is never written as a formula.
* :mod:`~capacity_planner.report.charts` — plan charts (demand vs capacity, timetable heat map, PA mix,
  gap waterfall); :mod:`~capacity_planner.report.plots` — weekly demand charts of the demand step.
* :mod:`~capacity_planner.report.anonymise` — pseudonyms (Clinician A, B, …) for every output, and a
  scanner that checks an output folder, inside xlsx and PNG text too, for names and IDs.
"""
