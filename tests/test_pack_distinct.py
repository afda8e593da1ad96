"""Long columns are typed on their distinct cells (issue 16): same values, same problems, same rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from capacity_planner.pack.distinct import distinct
from capacity_planner.pack.parse import _DISTINCT_FROM, ProblemSink, _parse_cells, parse_column
from capacity_planner.pack.raw import RawTable
from capacity_planner.pack.schema import TABLES


def test_distinct_of_a_categorical_is_in_order_of_first_appearance_with_missing_last():
    s = pd.Series(pd.Categorical(["b", None, "a", "b", "a"], categories=["a", "b", "unused"]))
    d = distinct(s)
    assert list(d.values.astype(object).iloc[:2]) == ["b", "a"]
    assert d.has_missing and pd.isna(d.values.iloc[2])
    assert d.codes.tolist() == [0, 2, 1, 0, 1]
    back = d.expand(d.values)
    assert back.astype(object).where(back.notna(), None).tolist() == ["b", None, "a", "b", "a"]


def test_distinct_of_objects_and_booleans():
    d = distinct(pd.Series([7, "x", None, 7], dtype=object))
    assert d.values.tolist()[:2] == [7, "x"] and d.codes.tolist() == [0, 1, 2, 0]
    b = distinct(pd.Series([False, True, False]))
    assert b.values.tolist() == [False, True] and b.codes.tolist() == [0, 1, 0]


def _long_table(name: str, columns: dict[str, list[object]], categorical: bool) -> RawTable:
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({c: (pd.Categorical(v) if categorical else pd.Series(v, dtype=object))
                          for c, v in columns.items()})
    return RawTable(name, f"{name}.parquet", frame, np.arange(n, dtype=np.int64) + 2, typed=True)


def _problems(sink: ProblemSink) -> list[tuple[object, ...]]:
    return [(p.source, p.row, p.column, p.value, p.message, p.severity) for p in sink.problems]


@pytest.mark.parametrize("categorical", [False, True])
def test_a_long_column_gives_the_same_values_and_problems_as_cell_by_cell(categorical: bool):
    n = _DISTINCT_FROM * 3
    rng = np.random.default_rng(0)
    outcome: list[object] = list(rng.choice(["attended", "dna", "Attended ", "cancelled_hospital"], n))
    outcome[5], outcome[2000], outcome[2999] = "atended", "nonsense", None  # a near miss, a bad label, a blank
    activity: list[object] = [f"a{i % 7}" for i in range(n)]
    activity[17] = "  "
    activity[40] = "x" * 300  # too long for an ID
    is_new: list[object] = list(rng.choice(["yes", "no", "TRUE", ""], n))
    is_new[9] = "maybe"
    counts: list[object] = [str(i % 5) for i in range(n)]
    counts[3], counts[1500], counts[2500] = "-1", "2.5", "8,5"
    dates: list[object] = [dt.date(2026, 1, 1 + i % 28) for i in range(n)]
    dates[11], dates[12] = "31/02/2026", "9999-12-31"
    columns = {"outcome": outcome, "activity_id": activity, "is_new": is_new, "count": counts,
               "appointment_date": dates}
    spec = TABLES["appointments"]
    for name, values in columns.items():
        col = spec.column(name)
        fast_sink, slow_sink = ProblemSink(), ProblemSink()
        table = _long_table("appointments", {name: values}, categorical and name != "appointment_date")
        fast = parse_column(table, col, fast_sink, categorical)
        slow = _parse_cells(table, col, slow_sink, categorical)
        assert _problems(fast_sink) == _problems(slow_sink), name
        assert fast_sink.bad_rows == slow_sink.bad_rows, name
        assert fast.dtype == slow.dtype, name
        pd.testing.assert_series_equal(fast.reset_index(drop=True), slow.reset_index(drop=True), obj=name)
        assert fast_sink.problems, f"{name}: the test needs a problem to compare"


def test_the_near_miss_hint_and_row_numbers_of_a_long_extract_column():
    n = _DISTINCT_FROM * 2
    outcome: list[object] = ["attended"] * n
    outcome[1234] = "atended"
    table = _long_table("appointments", {"outcome": outcome}, categorical=True)
    sink = ProblemSink()
    parse_column(table, TABLES["appointments"].column("outcome"), sink, categorical=True)
    (p,) = sink.problems
    assert (p.row, p.column, p.value) == (1236, "outcome", "atended")
    assert "did you mean 'attended'" in p.message


def test_an_unused_category_without_missing_cells_expands():
    s = pd.Series(pd.Categorical(["b", "a", "b"], categories=["a", "b", "unused"]))
    d = distinct(s)
    assert not d.has_missing
    assert d.expand(d.values).astype(object).tolist() == ["b", "a", "b"]
    assert d.expand_mask([True, False]).tolist() == [True, False, True]
