"""Parquet files are read column by column when they carry no pandas metadata (issue 16: the reader's
memory on a 10-million-row extract); the cells must be exactly those of Arrow's one-table conversion."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from capacity_planner.pack.raw import _parquet_frame, read_raw

if TYPE_CHECKING:
    from pathlib import Path


def _arrow_table() -> pa.Table:
    day = dt.date(2026, 1, 5)
    return pa.table(
        {
            "text": pa.array(["a", None, "c", "a"]),
            "ints": pa.array([1, None, 3, 4], type=pa.int64()),
            "floats": pa.array([1.5, None, 2.0, float("nan")]),
            "flags": pa.array([True, None, False, True]),
            "dates": pa.array([day, None, day, day], type=pa.date32()),
            "stamps": pa.array(
                [dt.datetime(2026, 1, 5, 9), None, None, dt.datetime(2026, 2, 1)], type=pa.timestamp("ms")
            ),
            "codes": pa.array(["x", "y", None, "x"]).dictionary_encode(),
        }
    )


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert list(a.dtypes) == list(b.dtypes)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_a_file_without_pandas_metadata_reads_as_one_table_would(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(_arrow_table(), path, row_group_size=2)  # two row groups: chunked columns
    file = pq.ParquetFile(path)
    assert file.schema_arrow.pandas_metadata is None
    _same(_parquet_frame(file, file.schema_arrow), pq.read_table(path).to_pandas())


def test_a_file_written_by_pandas_keeps_its_dtypes_and_drops_its_index(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"n": pd.array([1, None, 3], dtype="Int64"), "s": ["a", "b", None]}, index=[10, 11, 12]
    )
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)  # the index is stored as a column, restored from the pandas metadata
    file = pq.ParquetFile(path)
    got = _parquet_frame(file, file.schema_arrow)
    _same(got, pq.read_table(path).to_pandas())
    assert str(got["n"].dtype) == "Int64" and list(got.columns) == ["n", "s"]


def test_an_empty_file_and_a_read_pack_table(tmp_path: Path) -> None:
    path = tmp_path / "referrals.parquet"
    pq.write_table(_arrow_table().slice(0, 0), path)
    file = pq.ParquetFile(path)
    _same(_parquet_frame(file, file.schema_arrow), pq.read_table(path).to_pandas())
    pq.write_table(
        pa.table(
            {
                "referral_date": pa.array([dt.date(2026, 1, 5)] * 3),
                "activity_id": pa.array(["A", "B", "A"]).dictionary_encode(),
            }
        ),
        path,
    )
    table = read_raw(tmp_path).tables["referrals"]
    assert table.rows.tolist() == [2, 3, 4]
    assert isinstance(table.frame["activity_id"].dtype, pd.CategoricalDtype)
    assert table.frame["activity_id"].astype(str).tolist() == ["A", "B", "A"]


def test_unknown_ids_of_a_categorical_match_the_cell_by_cell_lookup() -> None:
    """check_references looks a categorical up on its categories (issue 16): same rows as per cell."""
    from capacity_planner.pack.validate import _unknown

    cells = ["A", None, "Z", "B", "A", None, "Y"]
    known = pd.Index(["A", "B", "C"], dtype="str")
    as_text = pd.Series(cells, dtype="str")
    as_categorical = pd.Series(pd.Categorical(cells, categories=["Y", "A", "unused", "Z", "B"]))
    expected = [False, False, True, False, False, False, True]
    assert _unknown(as_text, known).tolist() == expected
    assert _unknown(as_categorical, known).tolist() == expected
