"""Fuzz test (issue 15): malformed packs generated from the schema never end in a traceback.

Hypothesis starts from the valid tiny pack and applies a few random mistakes drawn from the schema: wrong
types, blanks, duplicates, unknown IDs, extreme numbers and dates, formula-like text, dropped or renamed
columns, missing tables, other encodings and separators, as a folder or as a workbook. ``validate`` and
``plan`` must end with exit 0, 2 or 3; with exit 2 every problem line names a file or sheet, and nothing
is written. The example database is off and the search derandomised, so CI runs the same bounded set of
cases every time (a few tens of seconds).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from capacity_planner.cli import cli
from capacity_planner.pack.schema import TABLES

TINY = Path(__file__).parent / "data" / "tiny"
BASE = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(TINY.glob("*.csv"))}
TOML = (TINY / "pack.toml").read_text(encoding="utf-8")

ODD_VALUES = st.sampled_from([
    "", " ", "NA", "n/a", "-1", "0", "1e20", "1e-300", "1e308", "-1e308", "inf", "nan", "8,5", "1,500",
    "12.5", "3.0000000001", "9999-12-31", "4712-12-31", "0001-01-01", "1899-12-31", "31/02/2027",
    "2027-13-01", "2027-04-05", "05/04/2027", "yes", "maybe", "Mon", "Funday", "EVE", "=HYPERLINK(\"x\")",
    "+cmd|' /C calc'!A0", "@SUM(A1)", "$\\alpha$", "Z", "unknown_activity", "ß∂ƒ©", "😀", "a/b", "x" * 300,
    "\t", "'", '"', "DCC", "consultant_2003", "true", "2ww", "A",
])


@st.composite
def mutated_pack(draw: st.DrawFn) -> tuple[dict[str, pd.DataFrame], str, str, str]:
    """(tables as text, pack.toml text, encoding, layout) with 1-4 random mistakes."""
    tables = {k: v.copy() for k, v in BASE.items()}
    toml = TOML
    encoding, layout = "utf-8", draw(st.sampled_from(["folder", "folder", "xlsx"]))
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(tables)))
        frame = tables[name]
        kind = draw(st.sampled_from(["cell", "cell", "cell", "row_copy", "drop_column", "rename_column",
                                     "drop_table", "blank_column", "extra_column", "encoding", "toml"]))
        if kind == "cell" and len(frame):
            row = draw(st.integers(0, len(frame) - 1))
            col = draw(st.sampled_from(list(frame.columns)))
            frame.loc[row, col] = draw(ODD_VALUES | st.text(st.characters(exclude_categories=("Cs", "Cc")),
                                                                  max_size=12))
        elif kind == "row_copy" and len(frame):
            frame = pd.concat([frame, frame.iloc[[draw(st.integers(0, len(frame) - 1))]]], ignore_index=True)
        elif kind == "drop_column" and frame.shape[1] > 1:
            frame = frame.drop(columns=[draw(st.sampled_from(list(frame.columns)))])
        elif kind == "rename_column":
            col = draw(st.sampled_from(list(frame.columns)))
            frame = frame.rename(columns={col: draw(st.sampled_from([col.upper(), f" {col} ", "", "x", col + "_"]))})
        elif kind == "drop_table":
            tables.pop(name)
            continue
        elif kind == "blank_column":
            frame[draw(st.sampled_from(list(frame.columns)))] = ""
        elif kind == "extra_column":
            frame["notes"] = draw(ODD_VALUES)
        elif kind == "encoding":
            encoding = draw(st.sampled_from(["latin-1", "utf-16", "utf-8-sig", "semicolon"]))
        elif kind == "toml":
            toml = draw(st.sampled_from([
                toml.replace("2026-04-06", "2026-04-07"), toml.replace("2026-04-06", "9999-12-31"),
                toml + "\n[solver]\nseed = -1\n", toml + "\n[demand]\npercentile = 2\n", "not = [toml",
                toml.replace("service_weeks = 50", "service_weeks = 0"), ""]))
        tables[name] = frame
    return tables, toml, encoding, layout


def _write(folder: Path, tables: dict[str, pd.DataFrame], toml: str, encoding: str, layout: str) -> Path:
    folder.mkdir()
    if layout == "xlsx":
        book = folder / "pack.xlsx"
        with pd.ExcelWriter(book, engine="openpyxl") as xw:
            for name, frame in tables.items():
                frame.to_excel(xw, sheet_name=name, index=False)
        return book
    for name, frame in tables.items():
        text = frame.to_csv(index=False, lineterminator="\n")
        if encoding == "semicolon":
            (folder / f"{name}.csv").write_text(text.replace(",", ";"), encoding="utf-8")
        else:
            (folder / f"{name}.csv").write_bytes(text.encode(encoding, errors="replace"))
    (folder / "pack.toml").write_text(toml, encoding="utf-8")
    return folder


def _check(result_code: int, output: str, sources: set[str]) -> None:
    assert result_code in (0, 2, 3), output
    assert "Traceback" not in output and "run with --debug" not in output, output
    if result_code == 2:
        problems = [line for line in output.splitlines() if line.startswith("  - ")]
        assert problems, output
        for line in problems:
            assert any(s in line for s in sources), line


def _sources(tables: dict[str, pd.DataFrame]) -> set[str]:
    return {f"{t}.csv" for t in TABLES} | {"pack.toml", "pack.xlsx"}


# No shrinking phase: a failure is reported as drawn, so a failing CI run stays as short as a passing one.
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(mutated_pack())
def test_validate_never_ends_in_a_traceback(case: tuple[dict[str, pd.DataFrame], str, str, str]) -> None:
    tables, toml, encoding, layout = case
    work = Path(tempfile.mkdtemp())
    try:
        pack = _write(work / "p", tables, toml, encoding, layout)
        result = CliRunner().invoke(cli, ["validate", str(pack)])
        _check(result.exit_code, result.output, _sources(tables))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(FUZZ, max_examples=12)
@given(mutated_pack())
def test_plan_never_ends_in_a_traceback_and_writes_all_or_nothing(
        case: tuple[dict[str, pd.DataFrame], str, str, str]) -> None:
    tables, toml, encoding, layout = case
    work = Path(tempfile.mkdtemp())
    try:
        pack = _write(work / "p", tables, toml, encoding, layout)
        out = work / "out"
        result = CliRunner().invoke(cli, ["plan", str(pack), "--out", str(out), "--work-limit", "1",
                                          "--time-limit", "30", "--no-report"])
        _check(result.exit_code, result.output, _sources(tables))
        assert out.exists() == (result.exit_code == 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("layout", ["folder", "xlsx"])
def test_the_unmutated_pack_is_valid_in_both_layouts(tmp_path: Path, layout: str) -> None:
    """The fuzz starts from a valid pack, so every failure above is due to a mutation."""
    pack = _write(tmp_path / "p", BASE, TOML, "utf-8", layout)
    result = CliRunner().invoke(cli, ["validate", str(pack)])
    assert result.exit_code == 0, result.output
