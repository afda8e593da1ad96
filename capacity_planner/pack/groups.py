"""A large extract read as counts of identical appointments, without the clinician (issue 16).

``capacity-planner demand`` needs from the appointments extract only how many appointments fall on each
day, activity, outcome and new/follow-up flag (:mod:`capacity_planner.demand.history`); the clinician who
held them is not used. The trust sample's 10.6 million rows are 431,003 such groups (3.2 million runs of
identical consecutive rows, :mod:`capacity_planner.pack.runs`, because the clinician changes from row to
row). This module reads the Parquet file in batches of rows (:data:`BATCH_ROWS`), turns each column
into small integer codes, combines them into one integer per row and counts the rows of each value with
:func:`numpy.bincount`: a few passes over integer arrays, no sort, no hash over the rows, no pandas column
of 10.6 million cells.

Every cell of the file is still checked by the reader. The held table is one row per group, with ``count``
= the appointments it stands for and a blank ``clinician_id``, followed by one *witness* row per distinct
clinician: a real row of the file holding that clinician (the first one), with ``count`` = 0. The reader
types and checks every row of this table, so each distinct cell of every column is checked (a check on a
cell depends on that cell alone, :mod:`capacity_planner.pack.parse`), and every clinician is looked up in
the clinicians table; it then drops the witness rows (``RawTable.witnesses``). Any problem (error or
warning) found in a grouped table makes the reader read the pack again row by row
(:func:`capacity_planner.pack.read.read_pack`), so every message names the user's rows.

Why Arrow and NumPy rather than DuckDB or Arrow's own ``group_by``: Arrow's Parquet reader is already how
the pack is read (DuckDB would be a second engine of ~40 MB in the package for one query), and the grouping
keys are Parquet dictionary indices, days and flags, i.e. small integers, for which a mixed-radix code and
one ``bincount`` is cheaper than a hash aggregation (``pyarrow.Table.group_by`` on the four columns: 0.30 s
of CPU on the trust sample, the codes and ``bincount`` below ~0.15 s). DuckDB was measured on this job in
session 14 (docs/benchmarks.md): its two-core aggregate is faster, but handing back 431,003 groups as
typed pandas columns with witness rows costs about what it saves, at 1.6x the CPU. The file is read
with Arrow's thread pool off and a batch at a time: with threads the read cost 0.5-1.0 s more system time
on the 2-core machine (page faults and memory returned between threads), and a batch's buffers are reused
for the next.

A file is not grouped (``None``: the caller reads it as runs or rows) when grouping could change what the
reader reports or cannot be done cheaply: pandas metadata, a column named twice or not in canonical form,
a column not in the table's schema (its warning would name rows), a column of a type other than text,
dates, booleans and signed integers (``uint64`` may exceed the ``int64`` codes), a timestamp with a time
zone, a date column among the dropped ones, a blank date or integer, a ``count`` with blanks or negative
values, counts whose total reaches :data:`EXACT_TOTAL`, a timestamp whose day since 1970 does not fit a
32-bit integer (millions of years away), or more distinct combinations than
:data:`MAX_KEYS` could hold. Any exception while grouping leaves the file to the run or row read
(:mod:`capacity_planner.pack.raw`), which reports the cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["GroupedExtract", "group_counts"]

COUNT = "count"
MAX_KEYS = 1 << 24
"""Largest product of the columns' distinct values (codes of one row) merged with ``bincount``: three
arrays of 8 bytes a code (counts, sums, first group), 3 x 8 x 2**24 bytes = ~400 MB; beyond it the
batches' groups are merged with ``numpy.unique`` (a sort)."""
EXACT_TOTAL = 1 << 53
"""Bound on the file's total ``count``: ``bincount`` sums its weights in float64, exact for integers while
every partial sum stays below 2**53; a file whose counts reach it is not grouped (read as runs or rows)."""
BATCH_ROWS = 65_536
"""Rows decoded and counted at a time: each batch's buffers are small enough for the allocators to reuse
(a fresh process spent 0.38-0.53 s CPU on the trust sample by whole row groups of 268,531 rows, 0.31-0.33 s
by batches of 65,536; 32,768 and 131,072 were no better)."""
_UNITS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


@dataclass
class GroupedExtract:
    """A Parquet extract as counts of identical rows, the ``dropped`` columns left blank.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per group (``count`` = its appointments), then the witness rows (``count`` = 0); columns
        as Arrow's ``to_pandas`` gives them (text as categoricals over the file's distinct values).
    rows : numpy.ndarray
        0-based row in the file of each held row: a row holding the group's cells (which one is not
        specified), or the witness row.
    n_rows : int
        Rows in the file.
    witnesses : int
        The trailing rows of ``frame`` that are witnesses (count 0, one per distinct dropped value).
    """

    frame: pd.DataFrame
    rows: npt.NDArray[np.int64]
    n_rows: int
    witnesses: int


@dataclass
class _Column:
    """One column's distinct cells, met batch by batch, and its codes in each group of rows.

    Text, booleans and integers: ``values`` maps each distinct cell to its code (0, 1, ... in order of
    first appearance; -1 = blank). Dates: the code is the day (days since 1970-01-01)."""

    name: str
    arrow_type: Any
    values: dict[Any, int] = field(default_factory=dict)
    per_day: int = 0  # timestamps: units of the Arrow type per day
    parts: list[npt.NDArray[np.int32]] = field(default_factory=list)  # codes of each batch's groups
    witnesses: list[int] = field(default_factory=list)  # codes of the witness rows
    covered: bool = False  # a dropped text column: every value of the current dictionary has its witness
    _dictionary: Any = None  # the last batch's dictionary and its lookup (batches often share one)
    _lookup: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _days: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # reused

    def is_dictionary_lookup(self, lookup: npt.NDArray[np.int64]) -> bool:
        """Whether ``lookup`` is this text column's lookup of the current dictionary (which ``local``
        keeps from batch to batch, and ``covered`` is about)."""
        return self._dictionary is not None and lookup is self._lookup

    def local(self, cells: Any) -> tuple[npt.NDArray[np.integer], int, npt.NDArray[np.int64], int] | None:
        """One batch's cells as local codes ``0 .. radix - 1`` (integers of any width), their radix,
        and the lookup from local to column code (``code = lookup[local] + shift``); None when the file
        must not be grouped (a blank date or integer)."""
        import pyarrow as pa

        t = cells.type
        if pa.types.is_dictionary(t):
            if cells.num_chunks > 1:  # one dictionary for the batch's chunks
                cells = pa.table({"c": cells}).unify_dictionaries().column(0)
            dictionary = cells.chunk(0).dictionary if cells.num_chunks else pa.array([], pa.string())
            if self._dictionary is None or not dictionary.equals(self._dictionary):
                self._lookup = np.array([self.values.setdefault(v, len(self.values)) if v is not None else -1
                                         for v in dictionary.to_pylist()] + [-1], dtype=np.int64)
                self._dictionary = dictionary
                self.covered = False
            index = pa.chunked_array([c.indices for c in cells.chunks], type=t.index_type)
            if index.null_count:
                index = index.fill_null(len(dictionary))
            return np.asarray(index.to_numpy()), len(dictionary) + 1, self._lookup, 0
        if pa.types.is_boolean(t):
            self.values = {False: 0, True: 1}
            return _bool_codes(cells), 3, np.array([0, 1, -1], dtype=np.int64), 0
        if cells.null_count:
            return None
        if pa.types.is_date32(t):
            days = np.asarray(cells.cast(pa.int32()).to_numpy())
            low = int(days.min()) if days.size else 0
            radix = int(days.max()) - low + 1 if days.size else 1
            return days - np.int32(low), radix, np.arange(radix, dtype=np.int64), low
        if pa.types.is_timestamp(t) or pa.types.is_date64(t):
            self.per_day = _UNITS_PER_DAY[t.unit if pa.types.is_timestamp(t) else "ms"]
            if self._days.size < len(cells):
                self._days = np.empty(len(cells), dtype=np.int32)
            return _day_codes(np.asarray(cells.cast(pa.int64()).to_numpy()), self.per_day, self._days)
        # integers: a code per distinct value
        distinct, inverse = np.unique(np.asarray(cells.cast(pa.int64()).to_numpy()), return_inverse=True)
        lookup = np.array([self.values.setdefault(int(v), len(self.values)) for v in distinct],
                          dtype=np.int64)
        return inverse.astype(np.int64), distinct.size, lookup, 0


def _bool_codes(cells: Any) -> npt.NDArray[np.integer]:
    """Booleans as codes 0 (false), 1 (true), 2 (blank): without blanks, the bits of Arrow's value buffer
    unpacked (one pass, ``numpy.unpackbits``), else cast and filled."""
    import pyarrow as pa

    if cells.num_chunks == 1 and not cells.null_count:
        chunk = cells.chunk(0)
        bits = np.frombuffer(chunk.buffers()[1], dtype=np.uint8)
        return np.unpackbits(bits, count=chunk.offset + len(chunk), bitorder="little")[chunk.offset:]
    return np.asarray(cells.cast(pa.int8()).fill_null(2).to_numpy())


def _day_codes(stamps: npt.NDArray[np.int64], per_day: int, out: npt.NDArray[np.int32] | None = None,
               ) -> tuple[npt.NDArray[np.integer], int, npt.NDArray[np.int64], int]:
    """Timestamps (``per_day`` units a day) as day codes ``day - low`` (``day = stamp // per_day``, days
    since 1970-01-01; ``low`` the batch's first day), their radix, the lookup and ``low``.

    ``stamp // per_day - low = (stamp - low * per_day) // per_day`` exactly, and the right side is
    computed in ``int32`` (into ``out`` when given, an array reused from batch to batch) when the batch's
    span fits it (a day in ms: 8.6e7 < 2**31): half the bytes of the ``int64`` division, no new array."""
    if not stamps.size:
        return stamps, 1, np.arange(1, dtype=np.int64), 0
    first, last = int(stamps.min()), int(stamps.max())
    low, high = first // per_day, last // per_day
    codes: npt.NDArray[np.integer]
    if last - low * per_day < 2**31:  # then per_day < 2**31 too, or every code is 0
        codes = out[: stamps.size] if out is not None and out.size >= stamps.size else np.empty(
            stamps.size, dtype=np.int32)
        np.subtract(stamps, np.int64(low * per_day), out=codes, casting="unsafe")  # 0 .. 2**31 - 1: exact
        codes //= np.int32(min(per_day, 2**31 - 1))
    else:
        codes = (stamps - np.int64(low * per_day)) // per_day
    radix = high - low + 1
    return codes, radix, np.arange(radix, dtype=np.int64), low


def group_counts(path: Path, schema: Any, known: Iterable[str], dropped: Iterable[str] = ("clinician_id",),
                 ) -> GroupedExtract | None:
    """The Parquet file at ``path`` as counts of identical rows, ignoring the ``dropped`` columns.

    Each batch of rows is counted on its own (its cells as small local codes, one mixed-radix integer per
    row, ``bincount``), then the batches' groups are merged (``bincount``, or ``numpy.unique`` when their
    combined codes are too many).

    Parameters
    ----------
    path : Path
    schema : pyarrow.Schema
        The file's schema (``pyarrow.parquet.read_schema``).
    known : iterable of str
        The table's columns (the schema's): a file with any other column is not grouped.
    dropped : iterable of str
        Columns not grouped on: blank in the groups, each distinct value held in a witness row.

    Returns
    -------
    GroupedExtract or None
        None when the file should be read as runs or rows (module docstring).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = list(schema.names)
    allowed = set(known)
    if (schema.pandas_metadata is not None or len(set(names)) != len(names)
            or any(n != n.strip().lower() or n not in allowed for n in names)):
        return None
    if not all(_groupable(schema.field(n).type) for n in names):
        return None
    text = [n for n in names if _is_text(schema.field(n).type)]
    file = pq.ParquetFile(path, read_dictionary=text)  # text columns as dictionary indices
    n = int(file.metadata.num_rows)
    if n < 2:
        return None
    drop = {c for c in names if c in set(dropped)}
    if any(_is_date(schema.field(c).type) for c in drop):
        return None  # a dropped column's witnesses are kept by value codes, which dates do not have
    columns = [_Column(c, file.schema_arrow.field(c).type) for c in names if c != COUNT]
    counts: list[npt.NDArray[np.int64]] = []
    total_count = 0
    rows: list[npt.NDArray[np.int64]] = []
    witness_rows: list[int] = []
    work = _Work()
    start = 0
    for batch in file.iter_batches(batch_size=BATCH_ROWS, use_threads=False):
        group = pa.Table.from_batches([batch])
        weights = None
        if COUNT in names:
            count = group.column(COUNT)
            if count.null_count or not pa.types.is_integer(count.type):
                return None
            values = np.asarray(count.to_numpy())
            if values.size and (values.min() < 0 or int(values.max()) >= EXACT_TOTAL // max(values.size, 1)):
                return None  # negative, or a batch sum that could reach 2**53 (or wrap int64)
            total_count += int(values.sum(dtype=np.int64))
            if total_count >= EXACT_TOTAL:
                return None
            weights = values.astype(np.float64)  # exact: every partial sum < 2**53
        if not _count_row_group(group, columns, drop, weights, start, counts, rows, witness_rows, work):
            return None
        start += group.num_rows
        del group
    pa.default_memory_pool().release_unused()
    return _merge(columns, drop, counts, rows, witness_rows, n)


@dataclass
class _Work:
    """Arrays reused from batch to batch (a fresh array per batch costs its allocation and page faults):
    the rows' keys, ``0 .. rows - 1``, and a row of each key."""

    key: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    where: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def sized(self, m: int, total: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                                 npt.NDArray[np.int64]]:
        """Views of ``m`` keys, rows ``0 .. m - 1`` and ``total`` key slots, grown when too small."""
        if self.key.size < m:
            self.key = np.empty(m, dtype=np.int64)
            self.row = np.arange(m, dtype=np.int64)
        if self.where.size < total:
            self.where = np.empty(total, dtype=np.int64)
        return self.key[:m], self.row[:m], self.where[:total]


def _count_row_group(group: Any, columns: list[_Column], drop: set[str], weights: Any, start: int,
                     counts: list[npt.NDArray[np.int64]], rows: list[npt.NDArray[np.int64]],
                     witness_rows: list[int], work: _Work | None = None) -> bool:
    """Count one batch's identical rows into the columns' ``parts``, ``counts`` and ``rows``; record
    its witness rows; False when the file must not be grouped."""
    work = work if work is not None else _Work()
    local = {}
    for column in columns:
        got = column.local(group.column(column.name))
        if got is None:
            return False
        local[column.name] = got
    m = group.num_rows
    keyed = [c for c in columns if c.name not in drop]
    total = 1
    for column in keyed:
        total *= local[column.name][1]
        if total > MAX_KEYS:
            return False
    dense = total <= 4 * m + 1024
    key, row, where = work.sized(m, total if dense else 0)
    key[:] = local[keyed[0].name][0] if keyed else 0
    for column in keyed[1:]:  # key = ((c0 * r1 + c1) * r2 + c2) ...: mixed radix, in place
        codes, radix, _, _ = local[column.name]
        key *= radix
        key += codes
    if dense:
        present = np.bincount(key, minlength=total)
        found = np.flatnonzero(present)
        where[key] = row  # a row of each group (any one of its rows)
        summed = present if weights is None else np.bincount(key, weights=weights, minlength=total)
        counts.append(np.asarray(summed[found]).astype(np.int64))  # float sums < 2**53: exact
        rows.append(where[found] + start)
    else:  # local codes too sparse for a counts array: sort them
        found, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        counts.append(np.bincount(inverse, weights=weights, minlength=found.size).astype(np.int64))
        rows.append(first.astype(np.int64) + start)
    rest = found
    for column in reversed(keyed):
        codes, radix, lookup, shift = local[column.name]
        rest, code = np.divmod(rest, radix)
        held = lookup[code] + shift
        if column.per_day and held.size and not -(2**31) <= int(held.min()) <= int(held.max()) < 2**31:
            return False  # a timestamp millions of years away: its day does not fit the int32 parts
        column.parts.append(held.astype(np.int32))  # value codes < rows; days of date32 and those above
    for column in (c for c in columns if c.name in drop):  # a witness row for each new distinct value
        if not column.covered:  # else this dictionary's values all have their witness: nothing new
            _witness(column, columns, local, m, start, witness_rows)
    return True


def _witness(column: _Column, columns: list[_Column], local: dict[str, Any], m: int, start: int,
             witness_rows: list[int]) -> None:
    """Record a witness row (its cells' codes in every column) for each value of the dropped ``column``
    met for the first time in this batch; mark a text column ``covered`` when every value of its
    dictionary has one."""
    codes, radix, lookup, _ = local[column.name]
    held = np.zeros(len(column.values) + 1, dtype=bool)  # the last entry: blank (-1), never a witness
    held[np.asarray(column.witnesses, dtype=np.int64)] = True
    held[-1] = True
    used = np.flatnonzero(np.bincount(codes, minlength=radix))
    new = used[~held[lookup[used]]].tolist()
    if new:
        first = _first_rows(codes, radix, new)
        for j in new:
            r = int(first[j])
            witness_rows.append(start + r)
            for other in columns:
                o_codes, _, o_lookup, o_shift = local[other.name]
                other.witnesses.append(int(o_lookup[o_codes[r]] + o_shift))
        held[lookup[new]] = True
    column.covered = column.is_dictionary_lookup(lookup) and bool(held[lookup].all())


def _first_rows(codes: npt.NDArray[np.integer], radix: int, wanted: list[int]) -> npt.NDArray[np.int64]:
    """The first row holding each local code (``len(codes)`` for a code not held), exact for the
    ``wanted`` codes: found in the shortest prefix of 1,024 x 4**k rows holding them all (a batch's
    first rows usually hold every clinician of its dictionary), not by sorting the whole batch."""
    size = 1_024
    while True:
        first = np.full(radix, len(codes), dtype=np.int64)
        met, at = np.unique(codes[:size], return_index=True)
        first[met] = at
        if size >= len(codes) or (first[wanted] < len(codes)).all():
            return first
        size *= 4


def _merge(columns: list[_Column], drop: set[str], counts: list[npt.NDArray[np.int64]],
           rows: list[npt.NDArray[np.int64]], witness_rows: list[int], n: int) -> GroupedExtract | None:
    """The batches' groups merged into the file's (groups sorted by their cells), then the witness
    rows."""
    keyed = [c for c in columns if c.name not in drop]
    parts = {c.name: np.concatenate(c.parts) for c in keyed}
    key = np.zeros(next(iter(parts.values())).size if parts else 0, dtype=np.int64)
    total = 1
    radices = []
    for column in keyed:
        codes = parts[column.name]
        low = int(codes.min()) if codes.size else 0
        radix = int(codes.max()) - low + 1 if codes.size else 1
        total *= radix
        if total > 1 << 62:
            return None
        radices.append((column.name, low, radix))
        key *= radix
        key += codes - low
    weights = np.concatenate(counts).astype(np.float64)  # total < EXACT_TOTAL: float sums exact
    if total <= MAX_KEYS:  # one counts array over the codes: no sort
        summed = np.bincount(key, weights=weights, minlength=total)
        found = np.flatnonzero(np.bincount(key, minlength=total))
        first = np.empty(total, dtype=np.int64)
        end = key.size
        for part in reversed([p.size for p in counts]):  # a key is unique within a batch's groups: writing
            begin = end - part  # the batches last to first leaves each key's first batch (no repeated index)
            first[key[begin:end]] = np.arange(begin, end, dtype=np.int64)
            end = begin
        first, appointments = first[found], summed[found]
    else:
        found, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        appointments = np.bincount(inverse, weights=weights, minlength=found.size)
    held = {}
    for column in columns:  # each column's codes: the groups', then the witness rows'
        cells = np.empty(found.size + len(column.witnesses), dtype=np.int64)
        cells[: found.size] = parts[column.name][first] if column.name in parts else -1
        cells[found.size:] = column.witnesses
        held[column.name] = _cells(column, cells)
    w = len(witness_rows)
    frame = pd.DataFrame(held, index=pd.RangeIndex(found.size + w), copy=False)
    frame[COUNT] = np.concatenate([appointments.astype(np.int64), np.zeros(w, dtype=np.int64)])
    all_rows = np.concatenate([np.concatenate(rows)[first], np.array(witness_rows, dtype=np.int64)])
    return GroupedExtract(frame, all_rows, n, w)


def _is_text(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _is_date(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type))


def _groupable(arrow_type: Any) -> bool:
    """Text (plain or dictionary), dates (no time zone), booleans and integers."""
    import pyarrow as pa

    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    if pa.types.is_dictionary(arrow_type) and not _is_text(t):
        return False
    if pa.types.is_timestamp(t):
        return t.tz is None
    return bool(_is_text(t) or pa.types.is_date(t) or pa.types.is_boolean(t) or pa.types.is_signed_integer(t)
                or (pa.types.is_integer(t) and t.bit_width < 64))


def _cells(column: _Column, codes: npt.NDArray[np.int64]) -> Any:
    """The cells of ``codes`` as Arrow's ``to_pandas`` gives the column (text: a categorical over the
    distinct values met, in order of first appearance)."""
    import pyarrow as pa

    t = column.arrow_type
    blank = codes < 0
    if pa.types.is_dictionary(t) or _is_text(t):
        categories = pa.array(list(column.values), type=pa.string()).to_pandas()
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(pd.Index(categories)))
    if pa.types.is_boolean(t):
        return pa.array(codes.astype(bool), mask=blank).to_pandas()
    held = np.where(blank, 0, codes)  # code -1 (blank) must not index from the end
    if pa.types.is_date32(t):
        return pa.array(held.astype(np.int32), type=pa.int32(), mask=blank).cast(t).to_pandas()
    if _is_date(t):
        return pa.array(held * column.per_day, type=pa.int64(), mask=blank).cast(t).to_pandas()
    values = np.array(list(column.values) or [0], dtype=np.int64)
    return pa.array(values[held], type=pa.int64(), mask=blank).cast(t).to_pandas()
