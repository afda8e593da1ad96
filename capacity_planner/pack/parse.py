"""Turn raw cells into typed columns, vectorised, collecting one :class:`Problem` per bad cell.

Each column is parsed in one pass over the whole column (no per-row Python loop), so a 10-million-row
Parquet extract is checked in seconds. For one kind of mistake in one column, the first
:data:`MAX_PROBLEMS_PER_KIND` rows are listed and the rest counted in one summary line, so the report stays
readable when a whole column is wrong.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capacity_planner import constants as C
from capacity_planner.errors import Problem
from capacity_planner.intake.advice import SHARE_HINT, percent_as_share
from capacity_planner.intake.suggest import did_you_mean, near_misses
from capacity_planner.pack.distinct import distinct
from capacity_planner.pack.raw import RawTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from capacity_planner.pack.schema import ColumnSpec, TableSpec

MAX_PROBLEMS_PER_KIND = 20
FIRST_DATE = pd.Timestamp("1900-01-01")
LAST_DATE = pd.Timestamp("2200-12-31")
LARGEST_NUMBER = 1e12  # no count, rate, cost or PA in a planning pack comes near it
SMALLEST_NONZERO = 1e-9  # below it a number is a slip (1e-300 patients a session), not a value
MAX_TEXT_LENGTH = {"id": 200, "text": 2000}
_THOUSANDS = r"[+-]?£?\d{1,3}(,\d{3})+(\.\d*)?"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Date cells an export gets wrong, each with what it probably is (a refused cell only; session 17 fuzz).
_DATE_SLIPS = (
    (r"\s*(0?[1-9]|1[0-2])/(1[3-9]|2\d|3[01])/\d{4}(\s.*)?",
     "month first, as a US date (mm/dd/yyyy)? Dates are read day first (dd/mm/yyyy), so the other dates "
     "of this column may have been read with day and month swapped: export the column as yyyy-mm-dd"),
    (r"\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(\s.*)?",
     "a two-digit year (1924 or 2024?): write the year in full (dd/mm/yyyy or yyyy-mm-dd)"),
    (r"\s*\d{5}(\.\d+)?\s*",
     "a number, probably an Excel date serial saved as a number (45390 is 2024-04-08): format the column "
     "as dates in Excel before saving the CSV, or write yyyy-mm-dd"),
)
# A time zone written after a time: Z, UTC, GMT or an offset (+01:00, -0500, +01); group 1 is the time.
_TIME_ZONE = r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
DAY_FIRST_FORMATS: tuple[str, ...] = ("%d-%m-%Y", "%d.%m.%Y", "%d-%b-%Y", "%d %b %Y", "%d-%B-%Y", "%d %B %Y")
"""Day-first date forms read besides yyyy-mm-dd and dd/mm/yyyy (05-01-2026, 05.01.2026, 05-Jan-2026,
5 Jan 2026, 5 January 2026): what UK extracts write, none of which can be read month first."""
_NS_PER_DAY = 86_400_000_000_000
_FIRST_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))  # days since 1970-01-01
_LAST_DAY = int(np.datetime64("2200-12-31", "D").astype(np.int64))

_TRUE = {"true", "yes", "y", "1", "t", "1.0"}
_FALSE = {"false", "no", "n", "0", "f", "0.0"}
_DAY_ALIASES = {d.lower(): d for d in C.DAYS} | {
    "monday": "Mon", "tuesday": "Tue", "tues": "Tue", "wednesday": "Wed", "thursday": "Thu",
    "thur": "Thu", "thurs": "Thu", "friday": "Fri", "saturday": "Sat", "sunday": "Sun",
}
_PERIOD_ALIASES = {"am": "AM", "pm": "PM", "eve": "EVE", "evening": "EVE", "morning": "AM",
                   "afternoon": "PM"}


class ProblemSink:
    """Collects problems, listing at most :data:`MAX_PROBLEMS_PER_KIND` rows per kind."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Excel row numbers, per table, of rows holding a cell that could not be read; later
        # cross-table checks skip them so one mistake gives one message.
        self.bad_rows: dict[str, set[int]] = {}

    def add(self, problem: Problem) -> None:
        """Add one problem as is."""
        self.problems.append(problem)

    def rows(self, table: RawTable, mask: np.ndarray, column: str | None,
             values: pd.Series | None, message: str, severity: str = "error") -> None:
        """Add a problem for each row where ``mask`` is true (capped, with a summary line)."""
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        if severity == "error":
            self.bad_rows.setdefault(table.name, set()).update(table.rows[idx].tolist())
        shown = idx[:MAX_PROBLEMS_PER_KIND]
        for i in shown:
            value = None if values is None else _as_text(values.iloc[i])
            self.problems.append(Problem(table.source, message, int(table.rows[i]), column, value,
                                         severity))  # type: ignore[arg-type]
        if idx.size > shown.size:
            self.problems.append(Problem(
                table.source,
                f"… and {idx.size - shown.size:,} more rows with the same problem ({message})",
                None, column, None, severity))  # type: ignore[arg-type]


def _as_text(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""  # NaT is a datetime whose .time() raises
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_DISTINCT_FROM = 1_000  # cells: longer object columns are parsed on their distinct values


def _on_distinct(series: pd.Series, transform: Callable[[pd.Series], pd.Series], *,
                 categorical: bool = False, missing: str | None = None) -> pd.Series:
    """Apply an element-wise ``transform`` to the distinct values only, then expand (Arrow ``take``).

    Extracts hold few distinct IDs and labels in millions of rows, so this is much faster than
    transforming every row. Missing cells stay missing, or become ``missing`` when given. With
    ``categorical`` the result is a pandas categorical (the distinct values once, plus one small integer
    code a row) rather than a string per row: 10.6 million appointment rows take about 10 MB per ID column
    instead of 170 MB (issue 16; values that the transform makes equal share one category).
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = transform(pd.Series(uniques, dtype=object)).astype("str")
    if missing is not None:  # one more distinct value, for the missing cells
        mapped = pd.concat([mapped, pd.Series([missing], dtype="str")], ignore_index=True)
        codes = np.where(codes < 0, len(uniques), codes)
    if not categorical:
        return pd.Series(mapped.array.take(codes, allow_fill=True), index=series.index)
    inverse, merged = pd.factorize(mapped, use_na_sentinel=True)  # distinct value -> merged category
    safe = np.where(codes < 0, 0, codes)
    new_codes = np.where(codes < 0, -1, inverse[safe] if len(inverse) else -1).astype(np.int64)
    categories = pd.Index(np.asarray(merged, dtype=object), dtype="str")
    return pd.Series(pd.Categorical.from_codes(new_codes, dtype=pd.CategoricalDtype(categories)),
                     index=series.index)


def _clean_text(values: pd.Series) -> pd.Series:
    return values.map(_as_text).astype("str").str.strip()


def blank_mask(series: pd.Series) -> np.ndarray:
    """True where a cell is empty (missing, or only spaces)."""
    if series.dtype == object or isinstance(series.dtype, pd.CategoricalDtype) or \
            pd.api.types.is_string_dtype(series.dtype):
        return (_text(series) == "").to_numpy(dtype=bool)
    return series.isna().to_numpy()


def _text(series: pd.Series, categorical: bool = False) -> pd.Series:
    """Cells as trimmed text ("" when missing); whole numbers from Excel (7.0) become "7". With
    ``categorical``, as a categorical (see :func:`_on_distinct`)."""
    if pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        text = series.astype("str").fillna("")
        return text.astype("category") if categorical else text
    return _on_distinct(series, lambda u: _clean_text(u).fillna(""), categorical=categorical, missing="")


def _parse_float(series: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Numbers, the mask of cells that are not numbers, and the mask of cells with a comma that cannot
    be a thousands separator (``8,5``: a decimal comma, refused rather than read as 85)."""
    none = np.zeros(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype("float64")
        return values, none, none
    text = _text(series)
    comma = text.str.contains(",", regex=False).to_numpy(dtype=bool)
    decimal_comma = comma & ~text.str.fullmatch(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
    text = text.str.replace(",", "", regex=False).str.replace("£", "", regex=False)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    values[decimal_comma] = np.nan
    bad = values.isna().to_numpy() & (text != "").to_numpy() & ~decimal_comma
    return values, bad, decimal_comma


def _parse_bool(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean"), np.zeros(len(series), dtype=bool)
    text = _text(series).str.lower()
    is_true = text.isin(_TRUE).to_numpy()
    is_false = text.isin(_FALSE).to_numpy()
    blank = (text == "").to_numpy()
    out = pd.Series(pd.array([pd.NA] * len(series), dtype="boolean"), index=series.index)
    out[is_true] = True
    out[is_false] = False
    return out, ~(is_true | is_false | blank)


def _parse_date(series: pd.Series, *, distinct: bool = True) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Dates (midnight), the mask of cells that are not dates and the mask of dates outside
    :data:`FIRST_DATE`..:data:`LAST_DATE` (left missing: HR sentinels such as 9999-12-31, Excel serials
    below 1, years beyond pandas' range). ``distinct`` parses a long object column on its distinct cells
    (once: the distinct cells themselves are parsed cell by cell, however many there are)."""
    if distinct and series.dtype == object and len(series) > _DISTINCT_FROM:
        # Workbook cells are Python objects; an extract repeats a few hundred days over 100,000s of rows, so
        # the per-cell checks below run on the distinct cells only and are expanded by position.
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        parsed, bad_u, far_u = _parse_date(pd.Series(uniques, dtype=object), distinct=False)
        missing = codes < 0
        safe = np.where(missing, 0, codes)
        stamps = (parsed.to_numpy()[safe] if len(uniques)
                  else np.full(len(series), np.datetime64("NaT"), "M8[ns]"))
        stamps[missing] = np.datetime64("NaT")
        bad_cells = np.where(missing, False, bad_u[safe] if len(uniques) else False)
        far_cells = np.where(missing, False, far_u[safe] if len(uniques) else False)
        return (pd.Series(stamps, index=series.index, dtype="datetime64[ns]"), bad_cells.astype(bool),
                far_cells.astype(bool))
    n = len(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        stamps = values.to_numpy()
        unit, _ = np.datetime_data(stamps.dtype)
        per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": _NS_PER_DAY}.get(unit)
        if per_day is None:  # pragma: no cover - pandas keeps s, ms, us or ns
            stamps, per_day = stamps.astype("datetime64[ns]"), _NS_PER_DAY
        # Whole-column integer arithmetic on the day numbers (one new array, the rest in place), not
        # masked assignment: a 10-million-row extract's dates in a few passes (issue 16).
        nat = np.isnat(stamps)
        days = stamps.view(np.int64) // per_day
        far = ~nat & ((days < _FIRST_DAY) | (days > _LAST_DAY))
        days *= _NS_PER_DAY
        out_ns = days.view("datetime64[ns]")
        if nat.any() or far.any():
            out_ns[nat | far] = np.datetime64("NaT")
        return pd.Series(out_ns, index=series.index, copy=False), np.zeros(n, dtype=bool), far
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    far = np.zeros(n, dtype=bool)
    if series.dtype == object:
        # Excel and Parquet cells: datetime/date objects, numbers (Excel serial dates) or text.
        is_dt = series.map(lambda v: hasattr(v, "year"), na_action="ignore").fillna(False).to_numpy(
            dtype=bool)
        is_num = series.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool),
                            na_action="ignore").fillna(False).to_numpy(dtype=bool)
    else:
        is_dt = np.zeros(n, dtype=bool)
        is_num = np.zeros(n, dtype=bool)
    if is_dt.any():
        years = series[is_dt].map(lambda v: int(v.year)).to_numpy(dtype=np.int64)
        inside = (years >= FIRST_DATE.year) & (years <= LAST_DATE.year)
        idx = np.flatnonzero(is_dt)
        far[idx[~inside]] = True
        ok = idx[inside]
        iso = series.iloc[ok].map(lambda v: f"{v.year:04d}-{v.month:02d}-{v.day:02d}")
        out.iloc[ok] = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    if is_num.any():
        serial = pd.to_numeric(series[is_num], errors="coerce").to_numpy(dtype="float64")
        last = (LAST_DATE - _EXCEL_EPOCH).days
        with np.errstate(invalid="ignore"):
            inside = np.isfinite(serial) & (serial >= (FIRST_DATE - _EXCEL_EPOCH).days) & (serial <= last)
        idx = np.flatnonzero(is_num)
        far[idx[~inside]] = True
        out.iloc[idx[inside]] = _EXCEL_EPOCH + pd.to_timedelta(np.round(serial[inside]), unit="D")
    rest = ~(is_dt | is_num)
    if rest.any():
        # A time zone after a time (2024-04-08T00:00:00+01:00, ...Z, as a system exporting UTC or local
        # time with its offset writes it) is dropped: the date is the one written, the wall-clock date of
        # the system that recorded it, as a Parquet timestamp with a time zone is read (above). Parsed
        # with it, pandas gives a time-zone-aware column (no .dt.normalize on a mix of offsets).
        text = _text(series[rest]).str.replace(_TIME_ZONE, r"\1", regex=True)
        # ISO 8601 allows a signed year: pandas reads "-1" or "-2024-01-05" as a year before 0 and the column
        # then overflows (OutOfBoundsDatetime, exit 1; session 17 fuzz). A date cell starts with a digit.
        text = text.where(text.str.match(r"\d", na=False))
        iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        iso_dt = pd.to_datetime(text, format="ISO8601", errors="coerce")
        uk = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
        parsed = iso.fillna(iso_dt).fillna(uk)
        # A UK date with a time (08/04/2024 09:30, as Excel saves a date-time cell in a UK-locale CSV), and
        # the other day-first forms UK extracts write (SQL Server's 106/113 styles, dashes, dots).
        for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", *DAY_FIRST_FORMATS):
            if parsed.isna().any():
                parsed = parsed.fillna(pd.to_datetime(text, format=fmt, errors="coerce"))
        parsed = parsed.dt.normalize()
        # The year as written (ISO first, else UK); fillna between two columns, not bfill(axis=1), which
        # pandas runs row by row (minutes for a 300,000-row extract).
        found = text.str.extract(r"^(\d{4})-|[/.\s-](\d{4})(?:$|\s)")
        year = pd.to_numeric(found[0].fillna(found[1]), errors="coerce").to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            outside = (year < FIRST_DATE.year) | (year > LAST_DATE.year)
        parsed[outside] = None
        out[rest] = parsed.to_numpy()
        far[np.flatnonzero(rest)[outside]] = True
    bad = out.isna().to_numpy() & ~blank_mask(series) & ~far
    return out, bad, far


def _parse_label(series: pd.Series, spec: ColumnSpec, categorical: bool = False,
                 ) -> tuple[pd.Series, np.ndarray]:
    text = _text(series, categorical=categorical)
    if spec.choices == C.DAYS:
        mapping = _DAY_ALIASES
    elif spec.choices == C.PERIODS:
        mapping = _PERIOD_ALIASES
    else:
        mapping = {c.lower(): c for c in spec.choices}
    out = _on_distinct(text, lambda u: u.str.lower().map(mapping), categorical=categorical)
    bad = out.isna().to_numpy() & (text != "").to_numpy()
    return out, bad


CATEGORICAL_TABLES = frozenset({"appointments", "referrals"})
"""The extracts whose ID, text and label columns are read as categoricals: millions of rows over a few hundred
distinct values (issue 16: the trust's 10.6 million appointment rows held 5 string columns of 80-170 MB each).
The other tables keep ``str`` columns (their columns are compared with one another, which categoricals with
different categories refuse)."""


def parse_column(table: RawTable, spec: ColumnSpec, sink: ProblemSink,
                 categorical: bool = False) -> pd.Series:
    """Parse one column of ``table`` according to ``spec``; bad cells become missing, with a problem.

    Returns
    -------
    pandas.Series
        ``float64`` for numbers, ``Int64`` for whole numbers, ``boolean`` for booleans,
        ``datetime64[ns]`` for dates and ``str`` (missing = None/NaN) for text and labels, or with
        ``categorical`` a categorical of ``str`` categories for them (:data:`CATEGORICAL_TABLES`).
    """
    raw = table.frame[spec.name]
    if len(raw) > _DISTINCT_FROM and (raw.dtype == object or isinstance(raw.dtype, pd.CategoricalDtype)
                                      or pd.api.types.is_string_dtype(raw.dtype)):
        return _parse_on_distinct(table, spec, sink, categorical)
    return _parse_cells(table, spec, sink, categorical)


def _parse_cells(table: RawTable, spec: ColumnSpec, sink: ProblemSink, categorical: bool) -> pd.Series:
    """:func:`parse_column`, cell by cell (vectorised over the whole column)."""
    raw = table.frame[spec.name]
    blank = blank_mask(raw)
    out: pd.Series
    if spec.kind in ("id", "text"):
        text = _text(raw, categorical=categorical)
        limit = MAX_TEXT_LENGTH[spec.kind]
        long = (text.str.len() > limit).to_numpy(dtype=bool)
        shown = raw.map(lambda v: f"{str(v)[:40]}... ({len(str(v)):,} characters)",
                        na_action="ignore") if long.any() else None  # a string a cell only when reported
        sink.rows(table, long, spec.name, shown, f"too long: at most {limit:,} characters")
        out = text.where(~blank & ~long, None)
    elif spec.kind == "float" or spec.kind == "int":
        if spec.max == 1:
            raw = percent_as_share(raw)  # "7%" in a share column is 0.07 (issue 17)
        out, bad, decimal_comma = _parse_float(raw)
        sink.rows(table, bad, spec.name, raw, f"not a number: expected {spec.expected()}")
        sink.rows(table, decimal_comma, spec.name, raw,
                  "a comma here cannot separate thousands (groups of three digits, as in 1,500): write "
                  f"decimals with a point, e.g. 8.5 not 8,5; expected {spec.expected()}")
        arr = out.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(arr)
        nonfinite = ~finite & ~out.isna().to_numpy()
        sink.rows(table, nonfinite, spec.name, raw, f"not a finite number: expected {spec.expected()}")
        with np.errstate(invalid="ignore"):
            huge = finite & (np.abs(arr) > LARGEST_NUMBER)
            tiny = finite & (arr != 0) & (np.abs(arr) < SMALLEST_NONZERO)
        sink.rows(table, huge, spec.name, raw,
                  f"too large to be meant (beyond 10^12): expected {spec.expected()}")
        sink.rows(table, tiny, spec.name, raw,
                  f"too close to zero to be meant (below 10^-9; 0 if none): expected {spec.expected()}")
        out = out.where(finite & ~huge & ~tiny)
        out = out.where(~_check_limits(table, spec, out, raw, sink))
        if spec.kind == "int":
            frac = (out.notna() & (out % 1 != 0)).to_numpy(dtype=bool)
            sink.rows(table, frac, spec.name, raw, f"not a whole number: expected {spec.expected()}")
            out = out.where(~frac).round().astype("Int64")
    elif spec.kind == "bool":
        out, bad = _parse_bool(raw)
        sink.rows(table, bad, spec.name, raw, f"not understood: expected {spec.expected()}")
    elif spec.kind == "date":
        out, bad, far = _parse_date(raw)
        expected = f"expected {spec.expected()} (day first; no impossible dates)"
        if bad.any():
            for pattern, why in _DATE_SLIPS:  # the usual export slips, named (issue 12)
                hit = bad & _text(raw).str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
                sink.rows(table, hit, spec.name, raw, f"not a real date: {why}; {expected}")
                bad = bad & ~hit
        sink.rows(table, bad, spec.name, raw, f"not a real date: {expected}")
        sink.rows(table, far, spec.name, raw,
                  "outside the years 1900 to 2200: expected a real date such as 2027-04-05 (an 'end of "
                  "time' date such as 9999-12-31 or 4712-12-31 means none: leave the cell blank)")
    elif spec.kind == "label":
        out, bad = _parse_label(raw, spec, categorical)
        message = f"unknown label: expected {spec.expected()}"
        for value, hint in near_misses(raw[bad], spec.choices).items():  # "did you mean" (issue 17)
            hit = bad & (_text(raw) == value).to_numpy(dtype=bool)
            sink.rows(table, hit, spec.name, raw, message + hint)
            bad = bad & ~hit
        sink.rows(table, bad, spec.name, raw, message)
    else:  # pragma: no cover - the schema only uses the kinds above
        raise ValueError(spec.kind)
    if spec.required:
        sink.rows(table, blank, spec.name, None, f"required cell is blank: expected {spec.expected()}")
    return out


class _Recorder(ProblemSink):
    """A sink that keeps the :meth:`ProblemSink.rows` calls made while parsing a column's distinct values,
    to be replayed on the full column (:func:`_parse_on_distinct`)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[np.ndarray, str | None, pd.Series | None, str, str]] = []

    def rows(self, table: RawTable, mask: np.ndarray, column: str | None,
             values: pd.Series | None, message: str, severity: str = "error") -> None:
        self.calls.append((np.asarray(mask, dtype=bool), column, values, message, severity))


class _Expanded:
    """``values`` of the distinct cells read row by row of the full column (``.iloc[i]``), without building
    the full column: a problem shows the value of at most :data:`MAX_PROBLEMS_PER_KIND` rows."""

    def __init__(self, values: pd.Series, codes: np.ndarray):
        self._values, self._codes = values, codes

    @property
    def iloc(self) -> _Expanded:
        return self

    def __getitem__(self, i: int) -> object:
        return self._values.iloc[int(self._codes[i])]


def _parse_on_distinct(table: RawTable, spec: ColumnSpec, sink: ProblemSink, categorical: bool) -> pd.Series:
    """:func:`parse_column` of a long column, done on its distinct cells and expanded by position.

    Typing and checking a cell depends on that cell alone, so the distinct cells (in order of first
    appearance, plus one missing cell) are parsed as a small table; each problem found there is replayed on
    the rows holding those cells, in the same order and with the same rows, values and messages as a
    row-by-row parse. A 10-million-row extract column of a few hundred IDs costs a few passes over its
    integer codes instead of string operations on every row (issue 16).
    """
    d = distinct(table.frame[spec.name])
    small = RawTable(table.name, table.source, pd.DataFrame({spec.name: d.values.reset_index(drop=True)}),
                     np.arange(len(d.values), dtype=np.int64), table.typed)
    recorder = _Recorder()
    parsed = _parse_cells(small, spec, recorder, categorical)
    for mask, column, values, message, severity in recorder.calls:
        if not mask.any():
            continue
        shown = None if values is None else _Expanded(values.reset_index(drop=True), d.codes)
        sink.rows(table, d.expand_mask(mask), column, shown, message, severity)  # type: ignore[arg-type]
    return d.expand(parsed.reset_index(drop=True))


def _check_limits(table: RawTable, spec: ColumnSpec, values: pd.Series, raw: pd.Series,
                  sink: ProblemSink) -> np.ndarray:
    """Report values outside the column's limits; return the mask of those rows."""
    arr = values.to_numpy(dtype="float64", na_value=np.nan)
    out = np.zeros(len(arr), dtype=bool)
    with np.errstate(invalid="ignore"):
        if spec.min is not None:
            low = arr <= spec.min if spec.min_exclusive else arr < spec.min
            word = "negative" if spec.min == 0 and not spec.min_exclusive else "too small"
            sink.rows(table, low, spec.name, raw, f"{word}: expected {spec.expected()}")
            out |= low
        if spec.max is not None:
            high = arr >= spec.max if spec.max_exclusive else arr > spec.max
            percent = high & (arr > 1) & (spec.max <= 1)  # 7 for 7 % in a share column
            sink.rows(table, high & ~percent, spec.name, raw, f"too large: expected {spec.expected()}")
            sink.rows(table, percent, spec.name, raw, f"too large: expected {spec.expected()}; {SHARE_HINT}")
            out |= high
    return out


def parse_table(table: RawTable, spec: TableSpec, sink: ProblemSink) -> tuple[pd.DataFrame,
                                                                              pd.DataFrame]:
    """Parse every known column; report missing required columns and unknown ones.

    Returns
    -------
    (typed, extras)
        ``typed`` has every column of ``spec`` (absent optional columns all-missing) and a ``_row``
        column of Excel row numbers; ``extras`` holds the unknown columns as read (kept, ignored).
    """
    present = set(table.frame.columns)
    unknown = [c for c in table.frame.columns if c not in spec.column_names]
    for name in spec.required_columns:
        if name not in present:
            sink.add(Problem(table.source, "required column is missing (expected a column named "
                             f"'{name}': {spec.column(name).description})" + did_you_mean(name, unknown),
                             row=1, column=name))
    for name in unknown:
        sink.add(Problem(table.source, "unknown column: kept but not used" + did_you_mean(
            name, spec.column_names), row=1, column=name, severity="warning"))
    columns: dict[str, pd.Series] = {}
    categorical = spec.name in CATEGORICAL_TABLES
    for col in spec.columns:
        if col.name in present:
            columns[col.name] = parse_column(table, col, sink, categorical).reset_index(drop=True)
        else:
            columns[col.name] = _missing_column(col, len(table.frame), categorical)
    columns["_row"] = pd.Series(table.rows, copy=False)
    typed = pd.DataFrame(columns, copy=False)  # the parsed columns are new: no second copy of an extract
    # Unknown columns are kept as text (blank = missing) so they survive any conversion unchanged.
    extras = pd.DataFrame(
        {c: _text(table.frame[c]).where(~blank_mask(table.frame[c]), None).reset_index(drop=True)
         for c in unknown},
        index=range(len(table.frame)),
    )
    if spec.key and all(k in present for k in spec.key):
        check_duplicates(table, spec, typed, sink)
    return typed, extras


def _missing_column(col: ColumnSpec, n: int, categorical: bool = False) -> pd.Series:
    """An all-missing column of ``n`` rows, built from arrays (not a list of n Python objects: an absent
    optional column of a 10-million-row extract took a minute that way)."""
    if col.kind == "float":
        return pd.Series(np.full(n, np.nan), dtype="float64")
    if col.kind == "int":
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)))
    if col.kind == "bool":
        return pd.Series(pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool)))
    if col.kind == "date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if categorical:
        return pd.Series(pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8),
                                                   dtype=pd.CategoricalDtype(pd.Index([], dtype="str"))))
    return pd.Series(pd.array([], dtype="str")).reindex(range(n))


def _shown(value: object) -> str:
    """A key cell as the user wrote it: a date without the midnight time pandas gives it."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return str(value)


def check_duplicates(table: RawTable, spec: TableSpec, typed: pd.DataFrame, sink: ProblemSink) -> None:
    """Report every row whose key repeats an earlier row's key."""
    keys = typed[list(spec.key)]
    optional = [c.name for c in spec.columns if c.name in spec.key and not c.required]
    if optional:  # a blank optional key (job_plans.week: every week) is a value of its own
        keys = keys.astype({k: "object" for k in optional}).fillna({k: "" for k in optional})
    dup = keys.duplicated(keep="first").to_numpy() & keys.notna().all(axis=1).to_numpy()
    if not dup.any():
        return
    first_row = typed.assign(_k=keys.astype(str).agg("|".join, axis=1)).groupby("_k")["_row"].transform(
        "min")
    label = " + ".join(spec.key)
    for i in np.flatnonzero(dup)[:MAX_PROBLEMS_PER_KIND]:
        value = ", ".join(_shown(keys.iloc[i][k]) for k in spec.key)
        sink.add(Problem(table.source, f"duplicate {label}: already used on row {int(first_row.iloc[i])}",
                         int(table.rows[i]), spec.key[0] if len(spec.key) == 1 else label, value))
    extra = int(dup.sum()) - MAX_PROBLEMS_PER_KIND
    if extra > 0:
        sink.add(Problem(table.source, f"… and {extra:,} more duplicate rows", None, label))
