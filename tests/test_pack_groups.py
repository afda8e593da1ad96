"""The appointments extract read as counts of identical appointments without the clinician (issue 16,
capacity_planner/pack/groups.py): the counts equal a pandas groupby of the rows, every clinician is held
in a witness row taken from the file, the demand history is the same as from the rows, and a problem is
still reported on the rows as the user sees them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity_planner.demand.history import build_history
from capacity_planner.pack import groups as groups_module
from capacity_planner.pack.groups import _bool_codes, _Column, _day_codes, _first_rows, group_counts
from capacity_planner.pack.groups import _cells as group_cells
from capacity_planner.pack.read import _load, read_pack
from capacity_planner.pack.schema import TABLES
from capacity_planner.pack.summary import summarise_pack

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

KEYS = ["appointment_date", "activity_id", "outcome", "is_new"]
COLUMNS = TABLES["appointments"].column_names


def _clinicians(rng: np.random.Generator, n: int, kind: str) -> pa.Array:
    """Clinician ids as text (blanks included), integers or booleans (blanks included)."""
    if kind == "int":  # a blank integer is not grouped: none here
        return pa.array(np.array([11, 22, 33])[rng.integers(0, 3, n)], type=pa.int64())
    if kind == "bool":
        return pa.array(list(np.array([True, False, None], dtype=object)[rng.integers(0, 3, n)]), type=pa.bool_())
    text = np.array(["c1", "c2", "c3", None], dtype=object)[rng.integers(0, 4, n)]
    return pa.array(list(text), type=pa.string()).dictionary_encode()


def _random_extract(seed: int, n: int, with_count: bool, clinician_kind: str = "text") -> pa.Table:
    """Rows drawn from few values (blanks included), in no order."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 40, n)
    activity = np.array(["a", "b", None], dtype=object)[rng.integers(0, 3, n)]
    outcome = np.array(["attended", "dna", "cancelled_hospital"], dtype=object)[rng.integers(0, 3, n)]
    is_new = np.array([True, False, None], dtype=object)[rng.integers(0, 3, n)]
    start = np.datetime64("2026-01-05", "ms")
    columns: dict[str, pa.Array] = {
        "appointment_date": pa.array(start + days.astype("timedelta64[D]"), type=pa.timestamp("ms")),
        "activity_id": pa.array(list(activity), type=pa.string()).dictionary_encode(),
        "outcome": pa.array(list(outcome), type=pa.string()),  # plain text, not a dictionary
        "clinician_id": _clinicians(rng, n, clinician_kind),
        "is_new": pa.array(list(is_new), type=pa.bool_()),
    }
    if with_count:
        columns["count"] = pa.array(rng.integers(0, 4, n), type=pa.int32())
    return pa.table(columns)


def _weighted_groups(frame: pd.DataFrame) -> pd.Series:
    weight = frame["count"].astype("int64") if "count" in frame.columns else pd.Series(1, index=frame.index)
    keys = frame[KEYS].astype(object).where(frame[KEYS].notna(), "<blank>")
    sums = weight.astype("int64").groupby([keys[k] for k in KEYS]).sum().sort_index()
    return sums.rename("appointments")


def _cells(frame: pd.DataFrame, columns: list[str]) -> list[tuple[object, ...]]:
    values = frame[columns].astype(object)
    return [tuple(r) for r in values.where(values.notna(), None).itertuples(index=False)]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 300), with_count=st.booleans(),
       row_group=st.integers(1, 80), batch_rows=st.sampled_from([7, 30, 65_536]),
       clinician_kind=st.sampled_from(["text", "int", "bool"]))
def test_counts_equal_a_pandas_groupby_and_every_clinician_has_a_witness_row(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, with_count: bool, row_group: int,
    batch_rows: int, clinician_kind: str,
) -> None:
    path = tmp_path_factory.mktemp("groups") / "appointments.parquet"
    table = _random_extract(seed, n, with_count, clinician_kind)
    pq.write_table(table, path, row_group_size=row_group)  # several row groups: dictionaries per group
    with mock.patch.object(groups_module, "BATCH_ROWS", batch_rows):  # small: groups merged across batches
        got = group_counts(path, pq.read_schema(path), COLUMNS)
    assert got is not None
    rows = table.to_pandas()
    groups = got.frame.iloc[: len(got.frame) - got.witnesses]
    witnesses = got.frame.iloc[len(got.frame) - got.witnesses:]
    assert got.n_rows == n and len(got.rows) == len(got.frame)
    pd.testing.assert_series_equal(_weighted_groups(groups), _weighted_groups(rows))
    assert groups["clinician_id"].isna().all() and (witnesses["count"] == 0).all()
    # one witness per distinct clinician: the first row holding it, all its cells as in the file
    clinicians = rows["clinician_id"].dropna()
    first = clinicians.groupby(clinicians.astype(str)).head(1).index.to_numpy()
    assert sorted(got.rows[len(groups):].tolist()) == sorted(first.tolist())
    order = np.argsort(got.rows[len(groups):])
    every = [*KEYS, "clinician_id"]
    assert _cells(witnesses.iloc[order], every) == _cells(rows.iloc[np.sort(first)], every)
    # each group names a row of the file holding the group's cells
    assert _cells(groups, KEYS) == _cells(rows.iloc[got.rows[: len(groups)]], KEYS)


def test_day_and_boolean_codes_by_hand() -> None:
    """Day codes ``stamp // per_day - low`` (int32 when the span fits, int64 beyond), and booleans from
    their bits, a slice's offset included, or cast with blanks as 2."""
    day = 86_400_000  # ms
    stamps = np.array([3 * day + 5, -day, 2**40, 0], dtype=np.int64)  # 2**40 ms: ~12,700 days on
    codes, radix, lookup, low = _day_codes(stamps, day)
    assert codes.dtype == np.int64 and low == -1 and radix == 2**40 // day + 2
    assert codes.tolist() == [4, 0, 2**40 // day + 1, 1] and lookup.size == radix
    codes, radix, _, low = _day_codes(np.array([day * 10 + 1, day * 12 - 1], np.int64), day)
    assert codes.dtype == np.int32 and codes.tolist() == [0, 1] and (radix, low) == (2, 10)
    bits = pa.chunked_array([pa.array([True, False, True, True, False, False, True, False, False, True])[3:]])
    assert _bool_codes(bits).tolist() == [1, 0, 0, 1, 0, 0, 1]
    blanks = pa.chunked_array([pa.array([True, None, False])])
    assert _bool_codes(blanks).tolist() == [1, 2, 0]


def test_first_rows_of_wanted_codes_found_beyond_the_first_prefixes() -> None:
    codes = np.zeros(20_000, dtype=np.int32)
    codes[[5, 3_000, 19_999]] = [1, 2, 3]  # code 2 beyond 1,024 rows, code 3 beyond 16,384
    codes[7] = 1
    first = _first_rows(codes, 5, [1, 2, 3])
    assert first[[0, 1, 2, 3]].tolist() == [0, 5, 3_000, 19_999] and first[4] == 20_000  # 4: not held
    assert _first_rows(codes, 5, [1])[1] == 5


def test_counts_by_hand(tmp_path: Path) -> None:
    day, other = dt.date(2026, 1, 5), dt.date(2026, 1, 6)
    table = pa.table({
        "appointment_date": pa.array([day, other, day, day, day], type=pa.date32()),
        "activity_id": ["a", "a", "a", "a", "a"],
        "outcome": ["dna", "attended", "attended", "dna", "attended"],
        "clinician_id": ["x", "y", "x", "x", "z"],
    })
    path = tmp_path / "appointments.parquet"
    pq.write_table(table, path)
    got = group_counts(path, pq.read_schema(path), COLUMNS)
    assert got is not None and got.n_rows == 5 and got.witnesses == 3
    frame = got.frame
    assert frame["count"].tolist() == [2, 2, 1, 0, 0, 0]  # (Jan 5, dna), (Jan 5, attended), (Jan 6, ...)
    assert frame["outcome"].tolist()[:3] == ["dna", "attended", "attended"]
    assert frame["clinician_id"].astype(object).where(frame["clinician_id"].notna(), None).tolist() == [
        None, None, None, "x", "y", "z"]
    assert got.rows[3:].tolist() == [0, 1, 4]  # rows 2, 3 and 6 as the user sees them


@pytest.mark.parametrize("case", ["pandas", "unknown column", "blank date", "negative count", "float",
                                  "far date"])
def test_files_grouping_could_misreport_are_not_grouped(tmp_path: Path, case: str) -> None:
    path = tmp_path / "appointments.parquet"
    day = dt.date(2026, 1, 5)
    base = {"appointment_date": pa.array([day, day], type=pa.date32()), "activity_id": ["a", "a"]}
    if case == "pandas":
        pd.DataFrame({"activity_id": ["a", "a"]}).to_parquet(path)
    else:
        extra = {"unknown column": {"room": ["r1", "r1"]},
                 "blank date": {"appointment_date": pa.array([day, None], type=pa.date32())},
                 "negative count": {"count": pa.array([1, -1], type=pa.int64())},
                 "float": {"count": pa.array([1.0, 2.0])},
                 "far date": {"appointment_date": pa.array([0, 2**31 * 86_400], type=pa.timestamp("s"))}}[case]
        pq.write_table(pa.table({**base, **extra}), path)
    assert group_counts(path, pq.read_schema(path), COLUMNS) is None


def test_the_sample_read_as_counts_gives_the_history_of_its_rows(parquet_sample: Callable[..., Path]) -> None:
    pack_dir = parquet_sample(5_000)
    grouped, problems = _load(pack_dir, "demand", group=True)
    rows, row_problems = _load(pack_dir, "demand", collapse=False)
    assert grouped is not None and rows is not None and problems == row_problems
    n_rows = len(rows.appointments)
    assert grouped.source.rows_read == {"appointments": n_rows} and len(grouped.appointments) < n_rows
    assert int(grouped.appointments["count"].sum()) == n_rows and (grouped.appointments["count"] > 0).all()
    assert grouped.appointments["clinician_id"].isna().all()  # the witness rows are dropped
    a, b = build_history(grouped), build_history(rows)
    pd.testing.assert_frame_equal(a.rates, b.rates)
    pd.testing.assert_frame_equal(a.follow_ups, b.follow_ups)
    pd.testing.assert_frame_equal(a.weekly, b.weekly)
    assert a.notes == b.notes
    assert summarise_pack(grouped) == summarise_pack(rows)  # "appointments: N rows" counts the file's rows
    assert len(read_pack(pack_dir, "demand").appointments) < n_rows  # the default: runs, clinicians kept
    assert read_pack(pack_dir, "demand").appointments["clinician_id"].notna().any()


@pytest.mark.parametrize("mistake", ["unknown clinician", "long clinician", "unknown activity"])
def test_a_problem_in_a_grouped_extract_names_the_users_rows(tmp_path: Path, parquet_sample: Callable[..., Path], mistake: str) -> None:
    pack_dir = parquet_sample(5_000)
    path = pack_dir / "appointments.parquet"
    table = pq.read_table(path)
    column, value = {"unknown clinician": ("clinician_id", "no.such.person"),
                     "long clinician": ("clinician_id", "x" * 300),
                     "unknown activity": ("activity_id", "no.such.clinic")}[mistake]
    bad = [7, 8, 9_000]  # 0-based: rows 9, 10 and 9,002 as the user sees them
    cells = table.column(column).to_pylist()
    for i in bad:
        cells[i] = value
    at = table.column_names.index(column)
    pq.write_table(table.set_column(at, column, pa.array(cells)), path, row_group_size=5_000)
    grouped, problems = _load(pack_dir, "demand", group=True)
    rows, row_problems = _load(pack_dir, "demand", collapse=False)
    assert grouped is None and rows is None
    assert problems == row_problems
    mine = [p for p in problems if p.source == "appointments.parquet" and p.severity == "error"]
    assert [(p.row, p.column) for p in mine] == [(i + 2, column) for i in bad]


def test_a_dropped_integer_column_is_blank_in_the_groups(tmp_path: Path) -> None:
    """Code -1 (blank) must not pick the last value met (33)."""
    table = pa.table({"activity_id": ["a", "a", "b"], "clinician_id": pa.array([11, 22, 33], type=pa.int64())})
    path = tmp_path / "appointments.parquet"
    pq.write_table(table, path)
    got = group_counts(path, pq.read_schema(path), COLUMNS)
    assert got is not None and got.witnesses == 3
    assert got.frame["count"].tolist() == [2, 1, 0, 0, 0]
    assert got.frame["clinician_id"].iloc[:2].isna().all()
    assert got.frame["clinician_id"].iloc[2:].tolist() == [11, 22, 33]


@pytest.mark.parametrize("arrow_type", [pa.date32(), pa.timestamp("ms"), pa.int16(), pa.bool_()])
def test_blank_codes_give_blank_cells_for_dates_integers_and_booleans(arrow_type: pa.DataType) -> None:
    """Code -1 is blank, not day -1 (1969-12-31) nor the last value met."""
    values = {11: 0, 22: 1} if arrow_type == pa.int16() else {}
    column = _Column("clinician_id", arrow_type, values=values, per_day=86_400_000)
    cells = pd.Series(group_cells(column, np.array([-1, 1, -1], dtype=np.int64)))
    assert cells.isna().tolist() == [True, False, True]
    if arrow_type == pa.int16():
        assert cells.iloc[1] == 22
    elif arrow_type != pa.bool_():
        assert pd.Timestamp(cells.iloc[1]) == pd.Timestamp("1970-01-02")


def test_a_dropped_date_column_is_not_grouped(tmp_path: Path) -> None:
    day = dt.date(2026, 1, 5)
    table = pa.table({"activity_id": ["a", "a"], "clinician_id": pa.array([day, day], type=pa.date32())})
    path = tmp_path / "appointments.parquet"
    pq.write_table(table, path)
    assert group_counts(path, pq.read_schema(path), COLUMNS) is None


def test_counts_are_summed_in_integers_and_a_total_past_2_53_is_not_grouped(tmp_path: Path) -> None:
    big = 2**52 + 1  # big + (big - 2) = 2**53: float64 sums would no longer be exact
    table = pa.table({"activity_id": ["a", "a", "b"], "count": pa.array([big, big - 2, 3], type=pa.int64())})
    path = tmp_path / "appointments.parquet"
    pq.write_table(table, path)
    assert group_counts(path, pq.read_schema(path), COLUMNS) is None  # 2**53 + 2 would not be exact
    small = pa.table({"activity_id": ["a", "a", "b"], "count": pa.array([2**51 + 1, 2**51, 3], type=pa.int64())})
    pq.write_table(small, path)
    got = group_counts(path, pq.read_schema(path), COLUMNS)
    assert got is not None and got.frame["count"].tolist() == [2**52 + 1, 3]
    assert got.frame["count"].dtype == np.int64


def test_uint64_columns_are_not_grouped(tmp_path: Path) -> None:
    table = pa.table({"activity_id": ["a", "a"], "outcome": pa.array([1, 2**64 - 1], type=pa.uint64())})
    path = tmp_path / "appointments.parquet"
    pq.write_table(table, path)
    assert group_counts(path, pq.read_schema(path), COLUMNS) is None
    small = pa.table({"activity_id": ["a", "a"], "count": pa.array([1, 2], type=pa.uint32())})
    pq.write_table(small, path)
    got = group_counts(path, pq.read_schema(path), COLUMNS)
    assert got is not None and got.frame["count"].tolist() == [3]


@pytest.mark.parametrize("how", ["uint64 outcome", "grouping raises"])
def test_grouping_never_refuses_a_file_the_row_read_names_the_cells(tmp_path: Path, parquet_sample: Callable[..., Path], how: str) -> None:
    """Bad input is reported by row and column as the row read reports it, never as 'cannot be read'."""
    pack_dir = parquet_sample(5_000)
    path = pack_dir / "appointments.parquet"
    table = pq.read_table(path)
    if how == "uint64 outcome":
        outcome = np.ones(table.num_rows, dtype=np.uint64)
        outcome[5] = 2**64 - 1
        at = table.column_names.index("outcome")
        pq.write_table(table.set_column(at, "outcome", pa.array(outcome, type=pa.uint64())), path)
        rows, row_problems = _load(pack_dir, "demand", collapse=False)
        grouped, problems = _load(pack_dir, "demand", group=True)
    else:
        rows, row_problems = _load(pack_dir, "demand", collapse=False)
        with mock.patch.object(groups_module, "_merge", side_effect=ValueError("boom")):
            grouped, problems = _load(pack_dir, "demand", group=True)
    assert problems == row_problems
    assert not any("cannot be read as Parquet" in p.message for p in problems)
    if how == "uint64 outcome":
        assert grouped is None and rows is None
        assert any(p.row is not None and p.column == "outcome" for p in problems)
    else:
        assert grouped is not None and rows is not None
        assert len(grouped.appointments) <= len(rows.appointments)
