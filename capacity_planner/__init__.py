"""capacity_planner: match NHS clinical workforce capacity to patient demand.

The public API an analyst imports::

    import capacity_planner as cp
    pack = cp.read_pack("my_service.xlsx")      # or a folder of CSV/Parquet + pack.toml
    pack = cp.sample_pack()                      # the embedded sample

See ``docs/`` for the planning-pack format and the methods.
"""

from capacity_planner._version import __version__
from capacity_planner.errors import CapacityPlannerError, PackValidationError, Problem
from capacity_planner.pack.model import PlanningPack
from capacity_planner.pack.read import read_pack, sample_pack, sample_pack_path
from capacity_planner.pack.write import write_pack

__all__ = [
    "CapacityPlannerError",
    "PackValidationError",
    "PlanningPack",
    "Problem",
    "__version__",
    "read_pack",
    "sample_pack",
    "sample_pack_path",
    "write_pack",
]
