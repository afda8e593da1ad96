"""Reports of a plan: the team job-planning meeting pack and the charts.

A run writes its meeting pack from memory (:func:`capacity_planner.workflow.write_meeting_pack`); a plan
folder can be re-rendered::

    from capacity_planner.report.meeting_pack import write_report_files
    paths = write_report_files(pack, plan_dir, anonymise=False)
    # plan_dir/report.html, plan_dir/plan.xlsx, plan_dir/charts/*.png

Modules:

* :mod:`~capacity_planner.report.tables` — the plan's tables, from a run in memory
  (:func:`~capacity_planner.report.tables.plan_outputs`) or a plan folder
  (:func:`~capacity_planner.report.tables.read_plan_dir`), typed the same way, joined with the pack into
  :class:`~capacity_planner.report.tables.MeetingData`: headline gaps, demand against capacity, the
  timetable, changes, PA summaries, assumptions, solver status.
* :mod:`~capacity_planner.report.meeting_pack` — draws the pack's charts and writes ``report.html``,
  ``plan.xlsx`` and ``charts/*.png``.
* :mod:`~capacity_planner.report.html` — ``report.html`` (self-contained, projector and A4 print); the
  scenario comparison page is :mod:`capacity_planner.scenarios.page`.
* :mod:`~capacity_planner.report.excel` — ``plan.xlsx``: summary, data sheets and one job plan proposal
  per clinician; text is never written as a formula.
* :mod:`~capacity_planner.report.charts` — plan charts (demand vs capacity, timetable heat map, PA mix,
  gap waterfall); :mod:`~capacity_planner.report.plots` — weekly demand charts of the demand step.
* :mod:`~capacity_planner.report.anonymise` — pseudonyms (Clinician A, B, …) for every output, applied
  in memory to a run or to the files of a plan folder.
"""
