"""A large extract read as its runs of identical rows: one row per run, with a ``count`` (issue 16).

The appointments extract of a trust (10.6 million rows in the trust sample) lists one row per
appointment; consecutive rows are often identical (same day, clinic, clinician, outcome and
new/follow-up flag). Every consumer of the appointments counts them through the optional ``count``
column (:func:`capacity_planner.demand.appointments.appointment_weights`; blank = 1), so a run of ``k``
identical consecutive rows stands for exactly what the single row with ``count = k`` does. Collapsing the
runs in Arrow, before any pandas column is made, cuts the rows the reader types and checks (3.2 of the
10.6 million in the trust sample) without changing any result.

Only *consecutive* identical rows are merged: finding them is one comparison per column and row (no
sort, no hash table), and the row number of a run's first row still names a real row of the file. A
problem found in a collapsed table is always reported from the rows themselves: the reader then reads
the file again row by row (:func:`capacity_planner.pack.read.read_pack`), so every message names the row
as the user sees it.

A file is read row by row (``None`` here) when the collapse could change what the reader reports: pandas
metadata or a column named twice (the table reader's own path), a column of a type other than dates,
text, booleans and integers, nulls in a date column, or a ``count`` column with blanks or negative values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["collapse_runs"]

COUNT = "count"


def collapse_runs(file: Any, schema: Any) -> tuple[pd.DataFrame, npt.NDArray[np.int64], int] | None:
    """A Parquet file's runs of identical consecutive rows, or None to read it row by row.

    Parameters
    ----------
    file : pyarrow.parquet.ParquetFile
    schema : pyarrow.Schema
        The file's schema (``pyarrow.parquet.read_schema``).

    Returns
    -------
    (frame, first_rows, n_rows) or None
        ``frame``: one row per run, the file's columns converted as the row-by-row reader converts them
        (dictionary columns as categoricals), with ``count`` = the appointments the run stands for (its
        length, or the sum of the file's ``count`` over the run); ``first_rows``: the 0-based row of each
        run's first row in the file; ``n_rows``: the file's rows.
    """
    import pyarrow as pa

    names = list(schema.names)
    if schema.pandas_metadata is not None or len(set(names)) != len(names) or file.metadata.num_rows < 2:
        return None
    if any(n != n.strip().lower() for n in names):  # the row path canonicalises (and checks) the names
        return None
    if not all(_comparable(schema.field(n).type) for n in names):
        return None
    table = file.read().unify_dictionaries()
    if COUNT in names and not _clean_counts(table.column(COUNT)):
        return None
    codes: dict[str, npt.NDArray[Any]] = {}
    for name in (n for n in names if n != COUNT):
        code = _codes(table.column(name))
        if code is None:
            return None
        codes[name] = code
    n = table.num_rows
    starts = _run_starts(list(codes.values()), n)
    if COUNT in names:
        counts = np.add.reduceat(np.asarray(table.column(COUNT).to_numpy(), dtype=np.int64), starts)
    else:
        counts = np.diff(np.append(starts, n)).astype(np.int64)
    take = pa.array(starts)
    frame = pd.DataFrame({name: _run_values(table.column(name), codes[name], starts, take)
                          for name in names if name != COUNT}, index=pd.RangeIndex(len(starts)), copy=False)
    del codes, table
    frame[COUNT] = counts
    pa.default_memory_pool().release_unused()
    return frame, starts.astype(np.int64), n


def _run_values(column: Any, code: npt.NDArray[Any], starts: npt.NDArray[np.intp], take: Any) -> Any:
    """The column's cells at the runs' first rows, as Arrow's ``to_pandas`` gives them; a dictionary
    column straight from its indices (a categorical over the file's dictionary: no strings gathered)."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type) and column.num_chunks:
        categories = pd.CategoricalDtype(column.chunk(0).dictionary.to_pandas())
        return pd.Categorical.from_codes(code[starts], dtype=categories)
    return column.take(take).to_pandas()


def _comparable(arrow_type: Any) -> bool:
    """Types whose cells the collapse compares: dates, text (plain or dictionary), booleans, integers."""
    import pyarrow as pa

    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    return bool(pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_string(t)
                or pa.types.is_large_string(t) or pa.types.is_boolean(t) or pa.types.is_integer(t))


def _clean_counts(column: Any) -> bool:
    """A ``count`` column the collapse may sum: integers, no blank, none negative."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_integer(column.type) or column.null_count:
        return False
    low = pc.min(column).as_py()
    return low is None or low >= 0


def _codes(column: Any) -> npt.NDArray[Any] | None:
    """One integer per cell, equal only when the cells are equal (blank = -1 for text and booleans; a
    dictionary naming one value twice merely collapses less); None for a date column with blanks (read
    row by row, where the blank is reported). Dictionary indices and dates keep their own width (no copy
    to 64 bits)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = column.type
    if pa.types.is_dictionary(t):  # one dictionary for every chunk (``unify_dictionaries``)
        indices = pa.chunked_array([c.indices for c in column.chunks], type=t.index_type)
        return _numpy(indices.fill_null(-1) if indices.null_count else indices)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        encoded = pc.dictionary_encode(column).combine_chunks()
        return _numpy(encoded.indices.fill_null(-1))
    if pa.types.is_boolean(t):
        return _numpy(column.cast(pa.int8()).fill_null(-1))
    if column.null_count:
        return None  # dates and integers: a blank has no sentinel that no cell can hold
    if pa.types.is_timestamp(t) or pa.types.is_date64(t):
        return _numpy(column.cast(pa.int64()))
    if pa.types.is_date32(t):
        return _numpy(column.cast(pa.int32()))
    return _numpy(column)


def _numpy(values: Any) -> npt.NDArray[Any]:
    """A chunked Arrow array without blanks as one NumPy array."""
    return np.asarray(values.to_numpy())


def _run_starts(codes: list[npt.NDArray[Any]], n: int) -> npt.NDArray[np.intp]:
    """Rows (0-based) where a run of identical rows starts: row 0, and every row differing from the one
    before it in some column."""
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for code in codes:
        change[1:] |= code[1:] != code[:-1]
    return np.flatnonzero(change)
