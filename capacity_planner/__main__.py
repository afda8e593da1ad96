"""``python -m capacity_planner``: the command line without the console script (e.g. on Windows)."""

from capacity_planner.cli import main

main()
