"""Records built a column at a time (pack/build.py ``_records``, issue 16): blanks leave a field at its
default, dates become ``datetime.date``, masked and NumPy scalars become Python values, as cell by cell."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from capacity_planner.pack import model as M
from capacity_planner.pack.build import _records, _value


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "clinician_id": pd.Series(["c1", "c2"], dtype="str"),
        "contracted_pas": [10.0, 8.5],
        "staff_group": pd.Series(["consultant", "sas"], dtype="str"),
        "contract": pd.Series(["consultant_2003", "sas_2021"], dtype="str"),
        "max_pas": [12.0, 10.0],
        "min_spa_pas": [1.5, 1.0],
        "working_weeks": [42.0, 42.0],
        "session_hours": [4.0, 4.0],
        "name": pd.Series(["Dr A", None], dtype="str"),  # blank text: the default (None)
        "annual_cost_per_pa": [np.nan, 11_000.0],  # blank number: the default
        "out_of_hours_opt_in": pd.array([True, None], dtype="boolean"),  # blank: the default (False)
        "signed_off": np.array(["2026-01-05", "NaT"], dtype="datetime64[ns]"),
        "_row": np.array([2, 3], dtype=np.int64),  # not a field: ignored
    })


def test_records_by_hand() -> None:
    first, second = _records(_frame(), M.Clinician)
    assert first == M.Clinician("c1", 10.0, "consultant", "consultant_2003", 12.0, 1.5, 42.0, 4.0,
                                name="Dr A", out_of_hours_opt_in=True, signed_off=dt.date(2026, 1, 5))
    assert second == M.Clinician("c2", 8.5, "sas", "sas_2021", 10.0, 1.0, 42.0, 4.0, annual_cost_per_pa=11_000.0)
    assert type(first.out_of_hours_opt_in) is bool and type(first.signed_off) is dt.date


def test_records_equal_the_cell_by_cell_conversion() -> None:
    frame = _frame()
    cols = [c for c in frame.columns if c in M.Clinician.__dataclass_fields__]
    by_cell = tuple(M.Clinician(**{c: v for c, v in zip(cols, map(_value, row), strict=True) if v is not None})
                    for row in frame[cols].itertuples(index=False, name=None))
    got = _records(frame, M.Clinician)
    assert got == by_cell
    assert [[type(getattr(r, f)) for f in M.Clinician.__dataclass_fields__] for r in got] == \
        [[type(getattr(r, f)) for f in M.Clinician.__dataclass_fields__] for r in by_cell]
