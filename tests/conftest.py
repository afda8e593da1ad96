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
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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
