"""The school calendar: terms, half-terms, bank holidays and INSET days for each academic year.

Patterned on a typical English LA's calendar: autumn term from early September to just before
Christmas with a week's half-term at the end of October; spring term from early January to the
Easter holidays with a week in mid-February; summer term to late July with the week of the late
May bank holiday off; five INSET days a year. About 190 school days.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from dateutil.easter import easter


def _first_weekday_on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def _last_weekday_of_month(year: int, month: int, weekday: int) -> date:
    d = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def bank_holidays(year: int) -> dict[date, str]:
    """England and Wales bank holidays of a calendar year (with substitute days)."""
    e = easter(year)
    days = {
        e - timedelta(days=2): "Good Friday",
        e + timedelta(days=1): "Easter Monday",
        _first_weekday_on_or_after(date(year, 5, 1), 0): "Early May bank holiday",
        _last_weekday_of_month(year, 5, 0): "Spring bank holiday",
        _last_weekday_of_month(year, 8, 0): "Summer bank holiday",
    }
    new_year = date(year, 1, 1)
    days[new_year if new_year.weekday() < 5 else _first_weekday_on_or_after(new_year, 0)] = "New Year's Day"
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() >= 5:  # Saturday or Sunday: substitutes on Monday and Tuesday
        days[_first_weekday_on_or_after(christmas, 0)] = "Christmas Day (substitute)"
        days[_first_weekday_on_or_after(christmas, 0) + timedelta(days=1)] = "Boxing Day (substitute)"
    else:
        days[christmas] = "Christmas Day"
        days[boxing if boxing.weekday() < 5 else _first_weekday_on_or_after(boxing, 0)] = "Boxing Day"
    return days


def academic_year_calendar(start_year: int) -> pd.DataFrame:
    """Every date from 1 September ``start_year`` to 31 August the next year.

    Columns: ``date`` (ISO), ``is_school_day`` (Y/N), ``term`` (AUT/SPR/SUM or blank), ``note``.
    """
    y0, y1 = start_year, start_year + 1
    holidays = bank_holidays(y0) | bank_holidays(y1)
    e = easter(y1)
    aut_start = _first_weekday_on_or_after(date(y0, 9, 2), 0) + timedelta(days=1)   # a Tuesday
    aut_end = _last_weekday_of_month(y0, 12, 4) if _last_weekday_of_month(y0, 12, 4) < date(y0, 12, 22) \
        else date(y0, 12, 19)
    aut_half = _last_weekday_of_month(y0, 10, 0)
    spr_start = _first_weekday_on_or_after(date(y1, 1, 3), 0)
    spr_half = _first_weekday_on_or_after(date(y1, 2, 12), 0)
    spr_end = e - timedelta(days=3)                               # Thursday before Good Friday
    sum_start = e + timedelta(days=15)                            # Monday a fortnight after Easter Monday
    sum_half = _last_weekday_of_month(y1, 5, 0)
    sum_end = _first_weekday_on_or_after(date(y1, 7, 18), 1) + timedelta(days=1)    # a Wednesday
    terms = [("AUT", aut_start, aut_end, aut_half), ("SPR", spr_start, spr_end, spr_half),
             ("SUM", sum_start, sum_end, sum_half)]
    inset = {aut_start, aut_start + timedelta(days=1), spr_start, sum_start, sum_end}
    rows = []
    d = date(y0, 9, 1)
    while d <= date(y1, 8, 31):
        term, note, school = "", "", False
        for name, start, end, half in terms:
            if start <= d <= end:
                term = name
                if half <= d < half + timedelta(days=7):
                    note = "Half-term"
                elif d.weekday() >= 5:
                    note = "Weekend"
                elif d in holidays:
                    note = holidays[d]
                elif d in inset:
                    note = "INSET day"
                else:
                    school = True
        if not term:
            note = holidays.get(d, "Weekend" if d.weekday() >= 5 else "School holiday")
        rows.append({"date": d.isoformat(), "is_school_day": "Y" if school else "N", "term": term, "note": note})
        d += timedelta(days=1)
    return pd.DataFrame(rows)


def make_calendar(first_year: int, last_year: int) -> pd.DataFrame:
    """Calendars for academic years starting ``first_year`` .. ``last_year``, stacked."""
    return pd.concat([academic_year_calendar(y) for y in range(first_year, last_year + 1)], ignore_index=True)
