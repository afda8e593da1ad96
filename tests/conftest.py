"""Shared fixtures (paths of the committed test packs) and the Hypothesis profile every run uses.

Property tests draw the same examples on every machine and every day: the ``repro`` profile derandomises
(the examples are a function of the test's source and the Hypothesis version, which CI and ``make test``
pin in ``constraints.txt``), reads and writes no example database (a ``.hypothesis/`` folder left by a
local run can never replay a stored failure that CI would not see), and has no deadline (a loaded machine
must not turn a slow example into a failure). ``CP_HYPOTHESIS_PROFILE=explore`` searches with fresh random
examples (still no database; a failure prints the ``@reproduce_failure`` blob to pin it) for local bug
hunting; it is never the default.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from collections.abc import Callable

DATA = Path(__file__).parent / "data"

settings.register_profile("repro", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", derandomize=False, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("CP_HYPOTHESIS_PROFILE", "repro"))


@pytest.fixture()
def tiny_path() -> Path:
    """The tiny valid pack (tests/data/tiny), built by tests/data/make_test_packs.py."""
    return DATA / "tiny"


@pytest.fixture()
def parquet_sample(tmp_path: Path) -> Callable[..., Path]:
    """A maker of the embedded sample pack with its appointments as a Parquet file written by Arrow (no
    pandas metadata), dates as millisecond timestamps; ``row_group_size`` as Arrow's default when None."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from capacity_planner.pack.read import sample_pack_path

    def make(row_group_size: int | None = None) -> Path:
        pack = tmp_path / "pack"
        shutil.copytree(sample_pack_path(), pack)
        csv = pack / "appointments.csv"
        table = pacsv.read_csv(csv)
        table = table.set_column(0, "appointment_date", table.column(0).cast(pa.timestamp("ms")))
        pq.write_table(table, pack / "appointments.parquet", row_group_size=row_group_size)
        csv.unlink()
        return pack

    return make
