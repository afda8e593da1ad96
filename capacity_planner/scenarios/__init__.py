"""What-if scenarios: pure transforms of a planning pack, run many at once, compared and costed.

Entry points::

    from capacity_planner.scenarios import load_scenarios, run_scenarios, run_frontier
    comparison = run_scenarios(pack, "scenarios.toml", "out/", executor="process")
    frontier = run_frontier(pack, [0, 50_000, 100_000], "out/frontier")

See :mod:`~capacity_planner.scenarios.spec` for the scenario file, :mod:`~.transforms` for what each key
does, :mod:`~.costs` for the cost model, :mod:`~.runner` for executors and resuming, :mod:`~.compare` for
the comparison columns and :mod:`~.frontier` for the budget frontier.
"""

from capacity_planner.scenarios.frontier import run_frontier
from capacity_planner.scenarios.parse import load_scenarios, parse_scenarios
from capacity_planner.scenarios.runner import ScenarioDone, evaluate_scenario, run_scenarios, text_progress
from capacity_planner.scenarios.spec import Scenario, example_scenarios_path
from capacity_planner.scenarios.transforms import ScenarioError, ScenarioPack, apply_scenario

__all__ = [
    "Scenario",
    "ScenarioDone",
    "ScenarioError",
    "ScenarioPack",
    "apply_scenario",
    "evaluate_scenario",
    "example_scenarios_path",
    "load_scenarios",
    "parse_scenarios",
    "run_frontier",
    "run_scenarios",
    "text_progress",
]
