"""Regressions found by the session 16 fuzz of the user commands (helper F; DEVELOPMENT.md, "Session 16
fuzz"): odd but valid packs that ended in exit 1, each reduced to the tiny pack."""

from __future__ import annotations

import datetime as dt
import shutil
from typing import TYPE_CHECKING

from click.testing import CliRunner

from capacity_planner.cli import cli

if TYPE_CHECKING:
    from pathlib import Path


def _everyone_on_leave(tiny_path: Path, folder: Path) -> Path:
    """The tiny pack with every clinician on leave every week of the planning year (leave.csv)."""
    shutil.copytree(tiny_path, folder)
    start = dt.date(2026, 4, 6)  # tests/data/tiny/pack.toml planning.start
    ids = [line.split(",")[0] for line in (folder / "clinicians.csv").read_text().splitlines()[1:]]
    rows = [f"{c},{start + dt.timedelta(weeks=w)},1" for c in ids for w in range(52)]
    (folder / "leave.csv").write_text("clinician_id,week_start,weeks\n" + "\n".join(rows) + "\n")
    return folder


def test_every_clinician_on_leave_all_year_is_planned(tiny_path: Path, tmp_path: Path) -> None:
    """Every clinician on leave all year leaves cells of 0 weeks; the rounding cuts of the unmet demand took
    ``demand % 0`` (ZeroDivisionError, exit 1). The plan is made: no session runs, all demand unmet."""
    pack = _everyone_on_leave(tiny_path, tmp_path / "p")
    result = CliRunner().invoke(cli, ["plan", str(pack), "--out", str(tmp_path / "out"), "--workers", "1",
                                      "--work-limit", "5", "--no-report"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "allocation.csv").exists()


def test_leave_without_its_week_start_column_is_reported(tiny_path: Path, tmp_path: Path) -> None:
    """leave.csv without the week_start column: every row's week was read as NaT, taken for "not a Monday",
    and printing the value NaT raised ValueError (exit 1 in validate, plan, backtest...). The missing
    column is reported (exit 2), naming the file and the column, and nothing else about those rows."""
    pack = tmp_path / "p"
    shutil.copytree(tiny_path, pack)
    (pack / "leave.csv").write_text("clinician_id,weeks\nA,1\nB,0.5\n")
    result = CliRunner().invoke(cli, ["validate", str(pack)])
    assert result.exit_code == 2, result.output
    assert "leave.csv" in result.output and "week_start" in result.output
    assert "--debug" not in result.output and "must be the Monday" not in result.output


def test_everyone_on_leave_all_year_buys_sessions_within_a_budget(tiny_path: Path, tmp_path: Path) -> None:
    """With no clinician working a week, the longest cell of an activity is 0 weeks, so the independent
    check read "a whole session beyond need" as any supply at all: sessions bought to meet need exactly
    failed it (internal error, exit 1). A whole session is at least one session-week (one bought session)."""
    pack = _everyone_on_leave(tiny_path, tmp_path / "p")
    result = CliRunner().invoke(cli, ["frontier", str(pack), "--budgets", "0,1000000", "--out",
                                      str(tmp_path / "f"), "--work-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "£1,000,000" in result.output and "internal error" not in result.output


# ---- session 17 (helper A): the leftovers of the session 16 fuzz ------------------------------------------
def _with_unknown_setting(tiny_path: Path, folder: Path) -> Path:
    shutil.copytree(tiny_path, folder)
    with (folder / "pack.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[planning2]\nfoo = 1\n")
    return folder


def test_template_and_review_print_the_packs_warnings(tiny_path: Path, tmp_path: Path) -> None:
    """``template`` (and ``review``) read the pack and went on without a word about what it ignored: an
    unknown setting's warning was printed by ``validate`` only. Both print it as ``validate`` does."""
    pack = _with_unknown_setting(tiny_path, tmp_path / "p")
    runner = CliRunner()
    shown = "  - warning: pack.toml, column planning2.foo: value '1': unknown setting: ignored"
    checked = runner.invoke(cli, ["validate", str(pack)])
    assert checked.exit_code == 0 and shown in checked.output
    template = runner.invoke(cli, ["template", str(pack), "--out", str(tmp_path / "t.xlsx")])
    assert template.exit_code == 0, template.output
    assert shown in template.output
    review = runner.invoke(cli, ["review", str(pack), "--out", str(tmp_path / "r"), "--no-charts"])
    assert review.exit_code == 0, review.output
    assert shown in review.output
    empty = runner.invoke(cli, ["template", "--empty", "--out", str(tmp_path / "e.xlsx")])
    assert empty.exit_code == 0 and "warning" not in empty.output


def _header_only_delivered(tiny_path: Path, folder: Path, referrals_after_start: int) -> Path:
    """The tiny pack with delivered.csv reduced to its header and ``referrals_after_start`` referral rows
    dated in the planning year's first weeks (from 2026-04-06, the plan start)."""
    shutil.copytree(tiny_path, folder)
    delivered = folder / "delivered.csv"
    delivered.write_text(delivered.read_text().splitlines()[0] + "\n")
    rows = [f"{dt.date(2026, 4, 6) + dt.timedelta(days=i)},2ww,2ww,2" for i in range(referrals_after_start)]
    with (folder / "referrals.csv").open("a") as fh:
        fh.write("".join(r + "\n" for r in rows))
    return folder


def test_a_header_only_delivered_table_gives_one_message(tiny_path: Path, tmp_path: Path) -> None:
    """A header-only delivered.csv (session 16 fuzz): the referrals of the quarter, accepted only within the
    delivered weeks, gave one error per row (21 printed for 25 rows here, 280 on the fuzzed pack). One
    problem now names the first row, the count, the dates and the empty delivered.csv (exit 2, nothing
    written); without such referrals the review says that delivered.csv has no rows, where it said that the
    pack had no delivered extract. A review of nothing delivered is refused, not shown as 0 % delivered
    (DEVELOPMENT.md, "Session 17 (helper A)")."""
    from capacity_planner.pack.read import validate_pack

    pack = _header_only_delivered(tiny_path, tmp_path / "p", 25)
    errors = [p for p in validate_pack(pack) if p.severity == "error"]
    assert [(p.source, p.row, p.column, p.value) for p in errors] == [
        ("referrals.csv", 8, "referral_date", "2026-04-06")]  # 6 rows of history, then the 25
    assert errors[0].message.startswith("25 referral rows dated on or after the plan start (2026-04-06), "
                                        "2026-04-06 to 2026-04-30 (rows 8 to 32), and delivered.csv has a "
                                        "header but no rows")
    result = CliRunner().invoke(cli, ["review", str(pack), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert "has 1 problem(s) to fix" in result.output and not (tmp_path / "r").exists()
    quiet = _header_only_delivered(tiny_path, tmp_path / "q", 0)
    result = CliRunner().invoke(cli, ["review", str(quiet), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert "delivered.csv: the table has a header but no rows: the review needs the delivered" in result.output
    assert not (tmp_path / "r").exists()
    (quiet / "delivered.csv").unlink()  # no delivered table at all: as before, and one message too
    (quiet / "referrals.csv").write_text((pack / "referrals.csv").read_text())
    errors = [p for p in validate_pack(quiet) if p.severity == "error"]
    assert len(errors) == 1 and "and the pack has no delivered table" in errors[0].message


def test_every_command_that_reads_a_pack_prints_its_warnings(tiny_path: Path, tmp_path: Path) -> None:
    """``plan``, ``scenarios``, ``frontier``, ``serve`` and ``convert`` read the pack and went on without a
    word about what they ignored (session 17: only ``validate``, ``template`` and ``review`` printed the
    pack's warnings). Each now prints them before its own output; ``serve`` before it refuses a foreign
    output folder."""
    pack = _with_unknown_setting(tiny_path, tmp_path / "p")
    shown = "  - warning: pack.toml, column planning2.foo: value '1': unknown setting: ignored"
    runner = CliRunner()
    fast = ["--work-limit", "2", "--workers", "1"]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "budget.xlsx").write_text("x", encoding="utf-8")
    scenarios = tmp_path / "one.toml"
    scenarios.write_text('[[scenario]]\nname = "dna"\ndna_rate = { relative = -0.25 }\n', encoding="utf-8")
    runs = {
        "plan": (["plan", str(pack), "--out", str(tmp_path / "o"), "--no-report", *fast], 0),
        "scenarios": (["scenarios", str(pack), str(scenarios), "--out", str(tmp_path / "s"), "--work-limit", "1",
                       "--executor", "serial"], 0),
        "frontier": (["frontier", str(pack), "--budgets", "0", "--out", str(tmp_path / "f"), "--work-limit", "2"],
                     0),
        "serve": (["serve", str(pack), "--no-browser", "--out", str(foreign)], 2),
        "convert": (["convert", str(pack), "--to", str(tmp_path / "c.xlsx")], 0),
    }
    for name, (args, code) in runs.items():
        result = runner.invoke(cli, args)
        assert result.exit_code == code, (name, result.output)
        assert shown in result.output, name


# ---- Session 17 fuzz (helper B): extracts as analysts export them (DEVELOPMENT.md, "Session 17 fuzz") ----
def _referral_dates(tiny_path: Path, folder: Path, dates: list[str]) -> Path:
    """The tiny pack with its referral dates rewritten (one per row, in order)."""
    shutil.copytree(tiny_path, folder)
    lines = (folder / "referrals.csv").read_text().splitlines()
    assert len(dates) == len(lines) - 1
    rows = [f"{d},{line.split(',', 1)[1]}" for d, line in zip(dates, lines[1:], strict=True)]
    (folder / "referrals.csv").write_text(lines[0] + "\n" + "\n".join(rows) + "\n")
    return folder


def _demand(pack: Path, out: Path) -> str:
    result = CliRunner().invoke(cli, ["demand", str(pack), "--out", str(out), "--no-charts"])
    assert result.exit_code == 0, result.output
    return (out / "requirements.csv").read_text()


def test_referral_dates_with_a_time_zone_are_read_as_written(tiny_path: Path, tmp_path: Path) -> None:
    """Dates with a time and a time zone (2026-01-05T00:00:00+01:00, ...Z, a mix of offsets, as a system
    exporting ISO 8601 writes them) made pandas return a time-zone-aware column: ``.dt`` on it raised
    AttributeError, a mix of offsets ValueError (exit 1 in validate, demand, backtest, plan). They are read
    as the date written (the wall-clock date, as a Parquet timestamp with a time zone is), so demand is
    the same as with plain dates; a UK date with a time (05/01/2026 09:30, Excel's UK CSV) too."""
    plain = (tiny_path / "referrals.csv").read_text().splitlines()[1:]
    dates = [line.split(",")[0] for line in plain]
    expected = _demand(tiny_path, tmp_path / "plain")
    zoned = [f"{d}T00:00:00+01:00" if i % 2 else f"{d}T23:30:00Z" for i, d in enumerate(dates)]
    uk_time = [f"{d[8:10]}/{d[5:7]}/{d[:4]} 09:30" for d in dates]
    for name, written in (("zoned", zoned), ("uk_time", uk_time)):
        pack = _referral_dates(tiny_path, tmp_path / name, written)
        assert _demand(pack, tmp_path / f"out_{name}") == expected, name


def test_us_two_digit_year_and_serial_dates_are_refused_with_what_they_look_like(
        tiny_path: Path, tmp_path: Path) -> None:
    """A US date (01/13/2026), a two-digit year (05/01/26) and an Excel serial saved as a number (46027) were
    all refused as "not a real date", the US one without saying that the column's other dates (day <= 12)
    were read with day and month swapped. Each is refused (exit 2, nothing written) naming what it looks
    like."""
    dates = ["2026-01-05", "01/13/2026", "05/01/26", "46027", "2026-01-09", "2026-01-12"]
    pack = _referral_dates(tiny_path, tmp_path / "p", dates)
    result = CliRunner().invoke(cli, ["demand", str(pack), "--out", str(tmp_path / "out"), "--no-charts"])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "row 3, column referral_date: value '01/13/2026'" in out and "US date" in out
    assert "row 4, column referral_date: value '05/01/26'" in out and "two-digit year" in out
    assert "row 5, column referral_date: value '46027'" in out and "Excel date serial" in out
    assert not (tmp_path / "out").exists()


def test_referrals_before_2000_and_repeated_rows_are_warned_of_in_demand(tiny_path: Path,
                                                                           tmp_path: Path) -> None:
    """A referral dated 1900-01-01 (a PAS placeholder) or 1998 (a mistyped year) was left out of the demand
    history without a word, and an aggregated extract appended twice was counted twice, also without a
    word; `demand` printed none of the pack's warnings. Each is a warning naming the row, printed by
    `demand` and `backtest` as by `validate`, and the run goes on (exit 0)."""
    pack = tmp_path / "p"
    shutil.copytree(tiny_path, pack)
    lines = (pack / "referrals.csv").read_text().splitlines()
    rows = [lines[1].replace("2026-01-05", "1900-01-01"), *lines[2:], lines[3]]
    (pack / "referrals.csv").write_text(lines[0] + "\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(cli, ["demand", str(pack), "--out", str(tmp_path / "out"), "--no-charts"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "warning: referrals.csv, row 2, column referral_date: value '1900-01-01': referral dated before " \
           "2000" in out
    assert "1 row(s) repeat an earlier row exactly (the first: row 8 repeats row 4)" in out


def test_a_referral_in_the_planning_year_is_named_as_written(tiny_path: Path, tmp_path: Path) -> None:
    """A US date 01/06/2026 (6 January) is read day first as 1 June 2026, after the plan start: the message
    named it '2026-06-01', a date the user never wrote, hiding the swap (session 17 fuzz). It names the
    cell as written."""
    dates = ["2026-01-05", "2026-01-06", "01/06/2026", "2026-01-13", "2026-01-19", "2026-01-20"]
    pack = _referral_dates(tiny_path, tmp_path / "p", dates)
    result = CliRunner().invoke(cli, ["validate", str(pack), "--for", "demand"])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "row 4, column referral_date: value '01/06/2026': referral dated on or after the plan start" in out


def test_unreadable_referral_dates_with_a_count_column_are_reported(tiny_path: Path, tmp_path: Path) -> None:
    """Every referral date unreadable (two-digit years) left the dates blank, the blank rows "repeated"
    each other, and finding the row a repeat repeats compared blank with blank (never equal): IndexError,
    exit 1, in the check added by the same fuzz. The dates are reported (exit 2) and nothing else."""
    pack = tmp_path / "p"
    shutil.copytree(tiny_path, pack)
    rows = [f"{d:02d}/01/26,2ww,2ww,7" for d in (5, 6, 12, 13)]  # same counts, different dates
    (pack / "referrals.csv").write_text("referral_date,activity_id,priority,count\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(cli, ["validate", str(pack), "--for", "demand"])
    assert result.exit_code == 2, result.output
    assert "two-digit year" in result.output and "repeat an earlier row" not in result.output


def test_a_signed_number_in_a_date_cell_is_named_not_a_crash(tiny_path: Path, tmp_path: Path) -> None:
    """ISO 8601 allows a signed year: pandas read a date cell ``-1`` as the year -1 and the column overflowed
    (OutOfBoundsDatetime: exit 1 in every command, session 17 fuzz). Each such cell is now one problem
    naming its file, row, column and value (exit 2)."""
    pack = tmp_path / "p"
    shutil.copytree(tiny_path, pack)
    for name, column, values in (("referrals.csv", 0, ("-1", "-2024-01-05")), ("delivered.csv", 1, ("-1",))):
        lines = (pack / name).read_text().splitlines()
        for i, value in enumerate(values, start=1):
            cells = lines[i].split(",")
            cells[column] = value
            lines[i] = ",".join(cells)
        (pack / name).write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["validate", str(pack)])
    assert result.exit_code == 2, result.output
    assert "referrals.csv, row 2, column referral_date: value '-1': not a real date" in result.output
    assert "referrals.csv, row 3, column referral_date: value '-2024-01-05': not a real date" in result.output
    assert "delivered.csv, row 2, column week_start: value '-1': not a real date" in result.output


def test_day_first_dates_as_uk_extracts_write_them_are_read(tiny_path: Path, tmp_path: Path) -> None:
    """05-01-2026, 06.01.2026, 07-Jan-2026, 8 Jan 2026 and 9 January 2026 (SQL Server's 106 and 113
    styles, dashes and dots) were refused as "not a real date" (session 17 fuzz, helper B). None can be
    read month first, so each is read day first, as dd/mm/yyyy is."""
    from capacity_planner.pack.read import read_pack

    pack = tmp_path / "p"
    shutil.copytree(tiny_path, pack)
    written = ("05-01-2026", "06.01.2026", "07-Jan-2026", "8 Jan 2026", "9 January 2026")
    lines = (pack / "referrals.csv").read_text().splitlines()
    for i, value in enumerate(written, start=1):
        lines[i] = ",".join([value, *lines[i].split(",")[1:]])
    (pack / "referrals.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["validate", str(pack)])
    assert result.exit_code == 0, result.output
    dates = read_pack(pack).referrals["referral_date"].iloc[: len(written)]
    assert [d.date() for d in dates] == [dt.date(2026, 1, d) for d in range(5, 10)]
