"""England and Wales bank holidays (capacity_planner.calendar, from the ``holidays`` package) against the
dates GOV.UK publishes, the one-off days proclaimed since 1999, and an independent statement of the
standing rules for the years nobody has published yet."""

from __future__ import annotations

import datetime as dt

import pytest

from capacity_planner.calendar import bank_holidays, english_bank_holidays

# https://www.gov.uk/bank-holidays (England and Wales; the page and its JSON, bank-holidays.json, list
# 2018 onwards). Month-day of every bank holiday of the year, in date order.
GOV_UK = {
    2018: ["01-01", "03-30", "04-02", "05-07", "05-28", "08-27", "12-25", "12-26"],
    2019: ["01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26"],
    # VE Day 75: the early May bank holiday moved from Monday 4 to Friday 8 May.
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    # Platinum Jubilee: spring bank holiday moved to Thursday 2 June, extra Friday 3 June; the Queen's
    # state funeral Monday 19 September; Christmas Day on a Sunday, so Tuesday 27 December substitutes.
    2022: ["01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26", "12-27"],
    # Coronation of King Charles III: Monday 8 May.
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}

# One-off days before GOV.UK's list, by royal proclamation under the Banking and Financial Dealings Act
# 1971 (The Gazette): (days added, rule-based days they replace).
PROCLAIMED = {
    1999: ({"1999-12-31"}, set()),  # Millennium
    2002: ({"2002-06-03", "2002-06-04"}, {"2002-05-27"}),  # Golden Jubilee; spring holiday moved to 4 June
    2011: ({"2011-04-29"}, set()),  # royal wedding
    2012: ({"2012-06-04", "2012-06-05"}, {"2012-05-28"}),  # Diamond Jubilee; spring holiday moved to 4 June
}


@pytest.mark.parametrize("year", sorted(GOV_UK))
def test_bank_holidays_are_gov_uk_s(year: int) -> None:
    assert [d.strftime("%m-%d") for d in english_bank_holidays(year)] == GOV_UK[year]


def test_a_range_of_years_is_the_union_of_its_years_in_date_order() -> None:
    got = bank_holidays(2022, 2024)
    assert list(got) == sorted(got)
    assert {d.isoformat() for d in got} == {f"{y}-{md}" for y in (2022, 2023, 2024) for md in GOV_UK[y]}


@pytest.mark.parametrize("year", sorted(PROCLAIMED))
def test_proclaimed_one_off_days(year: int) -> None:
    added, replaced = PROCLAIMED[year]
    got = {d.isoformat() for d in english_bank_holidays(year)}
    assert added <= got
    assert not replaced & got
    assert got == (standing_rules(year) - replaced) | added


# ---- an independent statement of the standing rules (no one-off days) -------------------------------
def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Meeus/Jones/Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def mondays(year: int, month: int) -> list[dt.date]:
    days = [dt.date(year, month, 1) + dt.timedelta(days=i) for i in range(31)]
    return [d for d in days if d.month == month and d.weekday() == 0]


def next_weekday_not_taken(day: dt.date, taken: set[dt.date]) -> dt.date:
    while day.weekday() >= 5 or day in taken:
        day += dt.timedelta(days=1)
    return day


def standing_rules(year: int) -> set[str]:
    """The Act's days: New Year's Day, Good Friday, Easter Monday, first Monday in May, last Mondays in
    May and August, Christmas Day, Boxing Day; a fixed day on a weekend moves to the next weekday that is
    not already a holiday (so a Saturday Christmas gives Monday 27 and Tuesday 28)."""
    easter = easter_sunday(year)
    days = {easter - dt.timedelta(days=2), easter + dt.timedelta(days=1), mondays(year, 5)[0],
            mondays(year, 5)[-1], mondays(year, 8)[-1]}
    for fixed in (dt.date(year, 1, 1), dt.date(year, 12, 25), dt.date(year, 12, 26)):
        days.add(next_weekday_not_taken(fixed, days))
    return {d.isoformat() for d in days}


def test_easter_algorithm_of_the_independent_rules() -> None:
    assert easter_sunday(2025) == dt.date(2025, 4, 20)
    assert easter_sunday(2038) == dt.date(2038, 4, 25)  # the latest possible date is 25 April


@pytest.mark.parametrize("year", [y for y in range(2013, 2061) if y not in (2020, 2022, 2023)])
def test_years_without_one_off_days_follow_the_standing_rules(year: int) -> None:
    assert {d.isoformat() for d in english_bank_holidays(year)} == standing_rules(year)


def test_gov_uk_years_agree_with_the_standing_rules_apart_from_the_one_off_days() -> None:
    # The check of the independent rules themselves: they give GOV.UK's list in every year without a
    # proclamation (2018, 2019, 2021, 2024-2027).
    for year, days in GOV_UK.items():
        if year not in (2020, 2022, 2023):
            assert standing_rules(year) == {f"{year}-{md}" for md in days}


def test_bank_holidays_never_fall_on_a_weekend() -> None:
    assert all(d.weekday() < 5 for d in bank_holidays(1995, 2060))


def test_weekday_working_weeks_2026_27_by_hand() -> None:
    """Planning year Monday 6 April 2026 to Sunday 4 April 2027, bank holidays as GOV.UK publishes them
    (https://www.gov.uk/bank-holidays): Mondays 6 April (Easter Monday), 4 and 25 May, 31 August,
    28 December (Boxing Day substitute), 29 March 2027 (Easter Monday) = 6; Fridays 25 December,
    1 January 2027, 26 March 2027 (Good Friday) = 3. With 42 working weeks (52 − 6 − 0.4 − 8/5 − 2):
    Monday 42 + 1.6 − 6 = 37.6, Friday 42 + 1.6 − 3 = 40.6, Tuesday to Thursday and weekends 43.6."""
    from capacity_planner.calendar import planning_year_bank_holidays, weekday_working_weeks

    start = dt.date(2026, 4, 6)
    assert len(planning_year_bank_holidays(start)) == 9
    weeks = weekday_working_weeks(start, 42.0)
    assert weeks == pytest.approx({"Mon": 37.6, "Tue": 43.6, "Wed": 43.6, "Thu": 43.6, "Fri": 40.6,
                                   "Sat": 43.6, "Sun": 43.6})
    # Over the weekdays: 5 × 42 + 8 − 9 = 209 (one bank holiday more than the standard year's 8).
    assert sum(weeks[d] for d in ("Mon", "Tue", "Wed", "Thu", "Fri")) == pytest.approx(209.0)


def test_weekday_working_weeks_never_negative() -> None:
    from capacity_planner.calendar import weekday_working_weeks

    assert min(weekday_working_weeks(dt.date(2026, 4, 6), 2.0).values()) == 0.0  # 2 + 1.6 − 6 < 0 → 0
