"""The appointments extract read as its runs of identical consecutive rows (issue 16,
capacity_planner/pack/runs.py): the counts per distinct row equal a plain pandas groupby of the rows, the
demand history is the same as from the rows, and a problem is reported on the rows as the user sees them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity_planner.demand.history import build_history
from capacity_planner.pack.read import _load
from capacity_planner.pack.runs import collapse_runs
from capacity_planner.pack.summary import summarise_pack
from capacity_planner.pack.write import write_pack

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

KEYS = ["appointment_date", "activity_id", "outcome", "clinician_id", "is_new"]


def _random_extract(seed: int, n: int, with_count: bool) -> pa.Table:
    """Rows drawn from few values, repeated in runs so that consecutive rows are often identical."""
    rng = np.random.default_rng(seed)
    distinct = max(1, n // 4)
    days = rng.integers(0, 20, distinct)
    pick = np.repeat(np.arange(distinct), rng.integers(1, 6, distinct))[:n]
    rng.shuffle(pick[: n // 3])  # part shuffled: identical rows that are not consecutive too
    activity = np.array(["a", "b", None], dtype=object)[rng.integers(0, 3, distinct)]
    clinician = np.array(["c1", "c2", None], dtype=object)[rng.integers(0, 3, distinct)]
    outcome = np.array(["attended", "dna", "cancelled_hospital"], dtype=object)[rng.integers(0, 3, distinct)]
    is_new = np.array([True, False, None], dtype=object)[rng.integers(0, 3, distinct)]
    start = np.datetime64("2026-01-05", "ms")
    columns: dict[str, pa.Array] = {
        "appointment_date": pa.array(start + days[pick].astype("timedelta64[D]"), type=pa.timestamp("ms")),
        "activity_id": pa.array(list(activity[pick]), type=pa.string()).dictionary_encode(),
        "outcome": pa.array(list(outcome[pick]), type=pa.string()),  # plain text, not a dictionary
        "clinician_id": pa.array(list(clinician[pick]), type=pa.string()).dictionary_encode(),
        "is_new": pa.array(list(is_new[pick]), type=pa.bool_()),
    }
    if with_count:
        columns["count"] = pa.array(rng.integers(0, 4, len(pick)), type=pa.int32())
    return pa.table(columns)


def _weighted_groups(frame: pd.DataFrame) -> pd.Series:
    weight = frame["count"].astype("int64") if "count" in frame.columns else pd.Series(1, index=frame.index)
    keys = frame[KEYS].astype(object).where(frame[KEYS].notna(), "<blank>")
    return weight.astype("int64").groupby([keys[k] for k in KEYS]).sum().sort_index().rename("appointments")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 300), with_count=st.booleans(),
       row_group=st.integers(1, 50))
def test_counts_per_distinct_row_equal_a_pandas_groupby_of_the_rows(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, with_count: bool, row_group: int
) -> None:
    path = tmp_path_factory.mktemp("runs") / "appointments.parquet"
    table = _random_extract(seed, n, with_count)
    pq.write_table(table, path, row_group_size=row_group)  # several row groups: chunked dictionaries
    file = pq.ParquetFile(path)
    got = collapse_runs(file, file.schema_arrow)
    assert got is not None
    frame, first, n_rows = got
    rows = table.to_pandas()
    assert n_rows == len(rows) and len(frame) == len(first) <= len(rows)
    pd.testing.assert_series_equal(_weighted_groups(frame), _weighted_groups(rows))
    # each run names its first row, which holds the run's values
    for k in KEYS:
        want = rows[k].iloc[first].reset_index(drop=True).astype(object)
        assert want.where(want.notna(), None).tolist() == frame[k].astype(object).where(
            frame[k].notna(), None).tolist()


def test_runs_of_identical_rows_by_hand(tmp_path: Path) -> None:
    day, other = dt.date(2026, 1, 5), dt.date(2026, 1, 6)
    table = pa.table({
        "appointment_date": pa.array([day, day, day, other, day], type=pa.date32()),
        "activity_id": ["a", "a", "a", "a", "a"],
        "outcome": ["dna", "dna", "attended", "attended", "attended"],
    })
    path = tmp_path / "appointments.parquet"
    pq.write_table(table, path)
    file = pq.ParquetFile(path)
    got = collapse_runs(file, file.schema_arrow)
    assert got is not None
    frame, first, n_rows = got
    assert first.tolist() == [0, 2, 3, 4] and n_rows == 5  # rows 2-3, 4, 5 and 6 as the user sees them
    assert frame["count"].tolist() == [2, 1, 1, 1]
    assert frame["outcome"].tolist() == ["dna", "attended", "attended", "attended"]


def test_counts_with_blanks_or_pandas_metadata_are_read_row_by_row(tmp_path: Path) -> None:
    blank = pa.table({"activity_id": ["a", "a"], "count": pa.array([1, None], type=pa.int64())})
    pq.write_table(blank, tmp_path / "blank.parquet")
    pd.DataFrame({"activity_id": ["a", "a"]}).to_parquet(tmp_path / "pandas.parquet")
    for name in ("blank", "pandas"):
        file = pq.ParquetFile(tmp_path / f"{name}.parquet")
        assert collapse_runs(file, file.schema_arrow) is None


def test_the_sample_read_as_runs_gives_the_history_of_its_rows(parquet_sample: Callable[..., Path]) -> None:
    pack_dir = parquet_sample()
    runs, problems = _load(pack_dir, "demand")
    rows, row_problems = _load(pack_dir, "demand", collapse=False)
    assert runs is not None and rows is not None and problems == row_problems
    n_rows = len(rows.appointments)
    assert runs.source.rows_read == {"appointments": n_rows} and len(runs.appointments) < n_rows
    assert int(runs.appointments["count"].sum()) == n_rows
    assert runs.differences(rows) == []  # the same appointments, as runs and as rows
    a, b = build_history(runs), build_history(rows)
    pd.testing.assert_frame_equal(a.rates, b.rates)
    pd.testing.assert_frame_equal(a.follow_ups, b.follow_ups)
    pd.testing.assert_frame_equal(a.weekly, b.weekly)
    assert a.notes == b.notes
    assert summarise_pack(runs) == summarise_pack(rows)  # "appointments: N rows" counts the file's rows


def test_a_problem_in_a_collapsed_extract_names_the_users_row(parquet_sample: Callable[..., Path]) -> None:
    pack_dir = parquet_sample()
    path = pack_dir / "appointments.parquet"
    table = pq.read_table(path)
    bad = [7, 8]  # 0-based, two identical rows (one run): rows 9 and 10 as the user sees them
    assert table.slice(7, 1).to_pylist() == table.slice(8, 1).to_pylist()
    activity = table.column("activity_id").to_pylist()
    for i in bad:
        activity[i] = "no.such.clinic"
    pq.write_table(table.set_column(1, "activity_id", pa.array(activity)), path)
    runs_pack, problems = _load(pack_dir, "demand")
    rows_pack, row_problems = _load(pack_dir, "demand", collapse=False)
    assert runs_pack is None and rows_pack is None
    assert problems == row_problems
    mine = [p for p in problems if p.source == "appointments.parquet" and p.severity == "error"]
    assert [(p.row, p.column, p.value) for p in mine] == [(i + 2, "activity_id", "no.such.clinic") for i in bad]


@pytest.mark.parametrize("table_format", ["csv", "parquet"])
def test_a_pack_read_as_runs_is_written_and_read_back_as_the_same_pack(tmp_path: Path, parquet_sample: Callable[..., Path], table_format: str) -> None:
    pack_dir = parquet_sample()
    runs, _ = _load(pack_dir, "demand")
    rows, _ = _load(pack_dir, "demand", collapse=False)
    assert runs is not None and rows is not None
    write_pack(runs, tmp_path / "written", table_format)  # type: ignore[arg-type]
    back, problems = _load(tmp_path / "written", "demand")
    assert back is not None and [p for p in problems if p.severity == "error"] == []
    assert back.differences(rows) == []
    pd.testing.assert_frame_equal(build_history(back).rates, build_history(rows).rates)
