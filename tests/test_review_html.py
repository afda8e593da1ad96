"""review.html in words a meeting reads: KPI names in plain words, clinicians by name, flags as words,
shares as percentages to one decimal, no empty columns, no dump of every row; and every headline figure
equal to the row of review.csv / kpis.csv it comes from."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from capacity_planner.cli import cli
from capacity_planner.review.html import (
    MISSING,
    NOT_FLAGGED,
    _table,
    count_text,
    flag_text,
    kpi_label,
    kpi_value_text,
    pct_text,
)
from capacity_planner.review.kpis import KPI_LABELS

CARD = re.compile(r'<div class="card (?:ok|bad)">\s*<dt>(.*?)</dt>\s*<dd class="big">(.*?)</dd>\s*<dd>(.*?)</dd>')
TAG = re.compile(r"<[^>]+>")


def _review(args: list[str], out: Path) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    result = CliRunner().invoke(cli, ["review", *args, "--out", str(out), "--no-charts"])
    assert result.exit_code == 0, result.output
    page = (out / "review.html").read_text(encoding="utf-8")
    review = pd.read_csv(out / "review.csv", keep_default_na=False, na_values=[""])
    kpis = pd.read_csv(out / "kpis.csv", keep_default_na=False, na_values=[""])
    return page, review, kpis


def _cards(page: str) -> dict[str, tuple[str, str]]:
    return {html.unescape(t): (html.unescape(v), html.unescape(s)) for t, v, s in CARD.findall(page)}


def _text(page: str) -> str:
    """The words a reader sees (tags and embedded images removed)."""
    return html.unescape(TAG.sub(" ", re.sub(r"<style>.*?</style>", "", page, flags=re.S)))


def _headline_from_csvs(review: pd.DataFrame, kpis: pd.DataFrame, threshold: float = 10.0) -> dict[str, str]:
    """The headline figures worked out again from the CSVs alone (independently of the renderer)."""
    total = review.loc[review["level"] == "total"].iloc[0]
    flagged = review.loc[review["flagged"].astype(str).str.lower().isin(["true", "1", "1.0"])
                         & review["level"].isin(["clinician", "activity", "staff_group"])]
    demand = kpis.loc[kpis["kpi"] == "demand_variance_pct"]
    active = kpis.loc[(kpis["kpi"] == "active_job_plan_pct") & (kpis["group"] == "all"), "value"].iloc[0]
    return {
        "delivered / planned": f"{total['delivered_sessions']:,.0f} / {total['planned_sessions']:,.0f}",
        "variance": f"{total['variance_pct']:+.1f} %",
        "flagged": str(len(flagged)),
        "ahead": str(int((demand["value"] > threshold).sum())),
        "active": f"{active:.1f} %",
    }


def _headline_on_page(page: str) -> dict[str, str]:
    cards = _cards(page)
    return {
        "delivered / planned": cards["Sessions delivered / planned"][0],
        "variance": cards["Sessions delivered / planned"][1],
        "flagged": cards["Rows beyond ±10 %"][0],
        "ahead": cards["Activities with referrals more than 10 % above forecast"][0],
        "active": cards[KPI_LABELS["active_job_plan_pct"][0]][0],
    }


# ---- formatting rules ---------------------------------------------------------------------------------
def test_shares_and_rates_read_as_percentages_to_one_decimal() -> None:
    # The review once showed DNA rates as "0.1 share": 6.8 % and 5.9 % looked the same.
    assert kpi_value_text("dna_rate_actual", 0.068, "share") == "6.8 %"
    assert kpi_value_text("dna_rate_planned", 0.059, "share") == "5.9 %"
    assert kpi_value_text("planned_dcc_ratio", 0.75, "ratio") == "75.0 %"
    assert kpi_value_text("active_job_plan_pct", 75.0, "%") == "75.0 %"
    assert kpi_value_text("session_variance_pct", -2.17, "%") == "-2.2 %"  # variances carry their sign
    assert kpi_value_text("demand_variance_pct", 25.97, "%") == "+26.0 %"
    assert kpi_value_text("dcc_spa_ratio", 3.0, "DCC PAs per SPA PA") == "3.0"
    assert kpi_value_text("premium_spend", 1234.5, "GBP") == "£1,234"  # 1,234.5 rounds half to even
    assert kpi_value_text("locum_sessions", 2.0, "sessions") == "2"
    assert kpi_value_text("dcc_spa_ratio", float("nan"), "DCC PAs per SPA PA") == MISSING
    assert pct_text(6.849) == "6.8 %" and pct_text(17.66, signed=True) == "+17.7 %"
    assert count_text(10.5) == "10.5" and count_text(1234.0) == "1,234"


def test_flags_are_words_and_every_kpi_has_a_label_in_plain_words() -> None:
    assert flag_text(True) == "yes" and flag_text(False) == NOT_FLAGGED and flag_text(1.0) == "yes"
    for kpi in KPI_LABELS:
        assert "_" not in kpi_label(kpi) and kpi_label(kpi)[0].isupper()
    assert kpi_label("active_job_plan_pct").startswith("Job plans active")


def test_a_column_empty_in_every_row_is_left_out() -> None:
    table = _table(["Who", "Empty", "Value"], [["Ada", "", "1"], ["Ben", MISSING, "2"]], "c", ("Value",))
    assert "Empty" not in table and '<th scope="col" class="num">Value</th>' in table
    assert table.count("<td") == 4


# ---- the page written by `review` ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_review(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    tiny = Path(__file__).parent / "data" / "tiny"
    return _review([str(tiny)], tmp_path_factory.mktemp("review") / "r")


def test_headline_figures_equal_their_csv_rows(tiny_review: tuple[str, pd.DataFrame, pd.DataFrame]) -> None:
    page, review, kpis = tiny_review
    assert _headline_on_page(page) == _headline_from_csvs(review, kpis)


def test_the_page_speaks_in_names_words_and_percentages(
        tiny_review: tuple[str, pd.DataFrame, pd.DataFrame]) -> None:
    page, _, kpis = tiny_review
    text = _text(page)
    for kpi in set(kpis["kpi"]):
        assert kpi not in text, kpi  # codes stay in kpis.csv
        assert kpi_label(kpi) in text
    # clinicians by name (tests/data/tiny/clinicians.csv), in the per-clinician rows
    for name in ("Dr Ada Ames", "Dr Ben Bell", "Dr Sam Shaw", "Nia Nash"):
        assert re.search(rf"<td>Clinician</td><td>{name}</td>", page), name
    assert "Two-week-wait clinic" in text  # activities by name
    # DNA rates as percentages to one decimal, equal to kpis.csv
    for _, r in kpis.loc[kpis["kpi"].str.startswith("dna_rate")].iterrows():
        assert f"{100 * r['value']:.1f} %" in text
    # flags as words, never 1.0/0.0 or True/False
    assert not re.search(r"<td[^>]*>(True|False|1\.0|0\.0)</td>", page)
    assert "<td>yes</td>" in page or f"<td>{NOT_FLAGGED}</td>" in page
    # no dump of every row; the CSVs are linked by file name instead
    assert "All rows" not in text
    assert 'href="review.csv"' in page and 'href="kpis.csv"' in page
    assert "clinician_activity" not in text and "Clinician × activity" not in text
    # no empty header cell and no column of dashes only
    for table in re.findall(r"<table>.*?</table>", page, flags=re.S):
        heads = re.findall(r"<th[^>]*>(.*?)</th>", table)
        rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]]
        for i, head in enumerate(heads):
            assert head.strip()
            assert any(r[i] not in ("", MISSING) for r in rows), head


def test_anonymised_page_shows_pseudonyms_only(tmp_path: Path) -> None:
    tiny = Path(__file__).parent / "data" / "tiny"
    page, review, kpis = _review([str(tiny), "--anonymise"], tmp_path / "r")
    assert re.search(r"<td>Clinician</td><td>Clinician A</td>", page)
    for real in ("Ada", "Ames", "Ben Bell", "Sam Shaw", "Nia Nash"):
        assert real not in page
    assert _headline_on_page(page) == _headline_from_csvs(review, kpis)


@pytest.mark.slow
def test_embedded_sample_headline_is_the_documented_worked_number(tmp_path: Path) -> None:
    """docs/method.md, "Quarterly review": 763 sessions delivered of 780 planned (−2.2 %)."""
    page, review, kpis = _review([], tmp_path / "r")
    headline = _headline_on_page(page)
    assert headline == _headline_from_csvs(review, kpis)
    assert headline["delivered / planned"] == "763 / 780" and headline["variance"] == "-2.2 %"


# ---- the page in a browser ----------------------------------------------------------------------------
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p),
                None)


def _console_messages(page: Path) -> tuple[list[str], str]:
    """Console messages Chromium logs while loading ``page`` (``--enable-logging=stderr``), and the DOM."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=180, check=False)
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line], run.stdout


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CP_REQUIRE_BROWSER"),
                    reason="Chromium is not installed (apt-get install chromium)")
def test_page_loads_in_chromium_without_console_messages(tmp_path: Path) -> None:
    if CHROMIUM is None:
        raise RuntimeError("CP_REQUIRE_BROWSER is set but Chromium is not installed")
    bad = tmp_path / "bad.html"  # the check itself sees a console error
    bad.write_text("<!DOCTYPE html><html><body><script>console.error('probe')</script></body></html>")
    messages, _ = _console_messages(bad)
    assert any("probe" in m for m in messages), messages
    tiny = Path(__file__).parent / "data" / "tiny"
    out = tmp_path / "r"
    result = CliRunner().invoke(cli, ["review", str(tiny), "--out", str(out)])  # with its XmR charts
    assert result.exit_code == 0, result.output
    messages, dom = _console_messages(out / "review.html")
    assert messages == []
    assert "Tiny dermatology: quarterly review" in dom and "Dr Ben Bell" in dom


# ---- the console summary -------------------------------------------------------------------------------
def test_console_summary_speaks_in_names_and_words(tmp_path: Path) -> None:
    """`review` prints the flagged rows by name with the page's wording: never level codes or IDs."""
    tiny = Path(__file__).parent / "data" / "tiny"
    result = CliRunner().invoke(cli, ["review", str(tiny), "--out", str(tmp_path / "r"), "--no-charts"])
    assert result.exit_code == 0, result.output
    out = result.output
    # tests/data/tiny: 2 of 4.25 planned sessions delivered in the week of 6 April 2026 (review.csv total),
    # weekday-true: Monday cells plan 0 (Easter Monday), other cells 1 - 8.4/52 = 0.8385 (42 working weeks,
    # no leave rows) or 1 - 5.4/52 = 0.8962 (N, 45): A 2 x 0.8385, B 2 x 0.8385, S 0, N 0.8962.
    assert out.splitlines()[0].startswith("Review 06 Apr 2026 to 12 Apr 2026 (1 week): 2 sessions delivered "
                                          "of 4.2 planned (-52.9 %)")
    assert "  - Clinician Dr Ada Ames: +19.3 % (2 of 1.7 sessions) – extra sessions" in out
    # (the SAS doctor's only cell is on the Monday bank holiday: nothing planned, nothing delivered, no flag)
    assert "  - Activity Two-week-wait clinic: " in out and "  - Staff group Nurse: " in out
    for code in ("staff_group", "clinician_activity", " 2ww", " sas:", "clinician A:", "flagged"):
        assert code not in out, code
    anonymous = CliRunner().invoke(cli, ["review", str(tiny), "--out", str(tmp_path / "a"), "--no-charts",
                                         "--anonymise"]).output
    assert "  - Clinician Clinician A: " in anonymous and "Ada" not in anonymous


# ---- what the demand is compared over (issue 18: every number traceable) ------------------------------
def test_compared_over_in_words() -> None:
    import datetime as dt

    from capacity_planner.review.delivered import ReviewPeriod
    from capacity_planner.review.html import compared_over_text

    period = ReviewPeriod(dt.date(2026, 4, 6), dt.date(2026, 7, 5))
    weekly = compared_over_text(pd.DataFrame({"activity_id": ["a"]}), period)
    assert weekly.startswith("Compared over the weeks of the review period, 06 Apr 2026 to 05 Jul 2026 "
                             "(13 weeks)")
    months = pd.DataFrame({"activity_id": ["a", "b"],
                           "compared_over": ["calendar months: April 2026, May 2026, June 2026"] * 2})
    text = compared_over_text(months, period, monthly=True)
    assert text.startswith("Compared over whole calendar months: April 2026, May 2026, June 2026.")
    assert text.count("calendar months") == 1  # the column's prefix is not repeated
    none = compared_over_text(pd.DataFrame(columns=["activity_id", "compared_over"]), period, monthly=True)
    assert none.startswith("No whole calendar month to compare")


def test_monthly_pack_review_page_says_which_months_it_compares(tmp_path: Path) -> None:
    """The monthly pack of tests/test_demand_monthly.py (review 6 April to 3 May 2026: only April has at
    least half its days inside): the page names April 2026, as the demand comparison's compared_over does."""
    import dataclasses
    import datetime as dt

    from capacity_planner.pack.read import read_pack
    from capacity_planner.review import run_review, write_review

    base = read_pack(Path(__file__).parent / "data" / "tiny")
    months = pd.date_range("2023-04-01", "2026-05-01", freq="MS")
    referrals = pd.DataFrame({"referral_date": months, "activity_id": "2ww", "priority": "2ww",
                              "count": 2 * months.days_in_month.to_numpy()}).astype(
        {"activity_id": "str", "priority": "str", "count": "int64"})
    pack = base.replace(settings=dataclasses.replace(base.settings, frequency="monthly"), referrals=referrals)
    result = run_review(pack, dt.date(2026, 4, 6), dt.date(2026, 5, 3))
    assert set(result.demand["compared_over"]) == {"calendar months: April 2026"}
    write_review(pack, result, tmp_path / "r", charts=False)
    text = _text((tmp_path / "r" / "review.html").read_text(encoding="utf-8"))
    assert "Compared over whole calendar months: April 2026." in text


def test_weekly_pack_review_page_says_it_compares_the_weeks(
        tiny_review: tuple[str, pd.DataFrame, pd.DataFrame]) -> None:
    """The tiny pack's referrals end in January 2026, before the review week (6 April): nothing to compare
    (the page once set no referrals against the forecast, -100 %)."""
    page, _, kpis = tiny_review
    assert "No referrals to compare" in _text(page)
    assert "demand_variance_pct" not in set(kpis["kpi"])


def test_compared_over_the_weeks_the_referrals_reach_in_words() -> None:
    import datetime as dt

    from capacity_planner.review.delivered import ReviewPeriod
    from capacity_planner.review.html import compared_over_text

    period = ReviewPeriod(dt.date(2026, 4, 6), dt.date(2026, 7, 5))
    short = pd.DataFrame({"activity_id": ["a"], "compared_over": ["weeks: 06 Apr 2026 to 31 May 2026 (8 of 13 "
                                                                  "weeks)"]})
    assert compared_over_text(short, period).startswith(
        "Compared over the weeks of the review period the referrals reach, 06 Apr 2026 to 31 May 2026 (8 of "
        "13 weeks)")
    whole = pd.DataFrame({"activity_id": ["a"], "compared_over": ["weeks: 06 Apr 2026 to 05 Jul 2026 (13 of 13 "
                                                                  "weeks)"]})
    assert compared_over_text(whole, period).startswith("Compared over the weeks of the review period, 06 Apr")
