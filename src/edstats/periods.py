"""Reporting periods: which academic year each measure reports in a paper for a given month.

``--period YYYY-MM`` is the month of the meeting. A measure reports the latest academic year
in the data that DfE's usual calendar has published by that month, and says whether the figure
is provisional or final.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SettingsError

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

#: dataset -> (month a year's figures are first published, month of the final edition), as month
#: numbers counted from January of the calendar year in which the academic year ends (13 = the
#: next January). EYFSP: November, once. KS2: September provisional, December revised. KS4:
#: October provisional, February revised. Census absence: full year in March. NEET: the
#: December-February window is complete in March; final in July. Exclusion rates are the LA's
#: own data, reported once the year is complete and provisional until DfE's release (July after
#: the year). Provision (the sixth-day duty), the daily feed and schools are live (``LIVE``):
#: reported to their last date.
LIVE = -3
PUBLICATION = {
    "eyfsp": (11, 11),
    "ks2": (9, 12),
    "ks4_pupils": (10, 14),
    "attendance": (15, 15),
    "attendance_sessions": (LIVE, 9),
    "ccis": (3, 7),
    "exclusions": (9, 19),          # rates are annual: a year is reported once it is complete
    "provision": (LIVE, 19),
    "schools": (LIVE, LIVE),
}


@dataclass(frozen=True, order=True)
class Period:
    """A meeting month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Period":
        m = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise SettingsError(f"The period {text!r} is not a month written YYYY-MM, e.g. 2026-01 for January 2026.")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """'January 2026'."""
        return f"{_MONTHS[self.month - 1]} {self.year}"

    def months_since(self, year: int, month: int) -> int:
        return (self.year - year) * 12 + (self.month - month)


def _year_end(time_period: str) -> int:
    """'202425' -> 2025, the calendar year in which the academic year ends."""
    return int(time_period[:4]) + 1


def is_published(dataset: str, time_period: str, period: Period) -> bool:
    """True when DfE's calendar has published ``time_period`` of ``dataset`` by ``period``."""
    first, _ = PUBLICATION[dataset]
    return period.months_since(_year_end(time_period), 8) >= first - 8


def edition(dataset: str, time_period: str, period: Period) -> str:
    """'final' or 'provisional' for a published year, as of ``period``."""
    _, final = PUBLICATION[dataset]
    return "final" if period.months_since(_year_end(time_period), 8) >= final - 8 else "provisional"


def reporting_year(dataset: str, time_periods, period: Period) -> str | None:
    """The latest of ``time_periods`` published by ``period`` (None when none is)."""
    published = [tp for tp in time_periods if is_published(dataset, tp, period)]
    return max(published) if published else None


def latest_supported_period(available: dict[str, list[str]]) -> Period:
    """The first month in which the latest year of every dataset present has been published."""
    months = []
    for dataset, time_periods in available.items():
        if dataset in PUBLICATION and time_periods and PUBLICATION[dataset][0] != LIVE:
            end = _year_end(max(time_periods))
            first, _ = PUBLICATION[dataset]
            months.append(Period(end + (first - 1) // 12, (first - 1) % 12 + 1))
    if not months:   # only live data: the month after the latest year began
        months = [Period(int(max(tp for tps in available.values() for tp in tps)[:4]), 10)]
    if not months:
        raise SettingsError("The data hold no results that a paper could report, so no period can be chosen.")
    return max(months)


# -- academic years and time periods: the one home of each conversion ------------------------------
# An academic year is written '2024/25' (the data contract); its open-data time period is '202425'.

def academic_year(start_year: int) -> str:
    """The academic year that starts in September of ``start_year``: 2024 -> '2024/25'."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def time_period(academic_year: str) -> str:
    """'2024/25' -> '202425' (the open-data time_period)."""
    return academic_year[:4] + academic_year[5:7]


def year_label(time_period: str) -> str:
    """A time period as the papers write it: '202425' -> '2024/25'."""
    return f"{time_period[:4]}/{time_period[4:]}"


def next_time_period(period: str) -> str:
    """The year after: '202425' -> '202526'."""
    return time_period(academic_year(int(period[:4]) + 1))


def academic_year_of(date) -> str:
    """The academic year (1 September to 31 August) a date falls in: '2025-12-19' -> '2025/26'.
    The one definition in Python; SQL has the macro ``academic_year`` (``engine.FUNCTIONS``)."""
    date = str(date)
    return academic_year(int(date[:4]) - (int(date[5:7]) < 9))


def time_period_of(date) -> str:
    """The open-data time period of the academic year a date falls in: '2025-12-19' -> '202526'."""
    return time_period(academic_year_of(date))


def year_in_progress(dataset: str, time_period: str, as_at: str | None) -> bool:
    """True when ``time_period`` of a live dataset (the sixth-day duty, the daily feed) is the
    academic year still under way at the data's last date ``as_at``: its figure runs only to then."""
    return bool(as_at) and PUBLICATION.get(dataset, (0,))[0] == LIVE and dataset != "schools" \
        and time_period == time_period_of(as_at)


#: Annual figures counted from dated events, so that the data of a year still under way hold part
#: of it: exclusion rates. (A census term or a NEET window is whole once its file is there.)
COUNTED_FROM_EVENTS = ("exclusions",)


def incomplete_year(dataset: str, time_period: str, as_at: str | None) -> bool:
    """True when ``time_period`` of an annual figure counted from events (exclusion rates) is still
    under way at ``as_at``: a part year must never be reported as the year (97 exclusions to
    December over a full year's roll is not the year's rate)."""
    return bool(as_at) and dataset in COUNTED_FROM_EVENTS and time_period == time_period_of(as_at)


def long_date(date: str) -> str:
    """'2025-12-19' -> '19 December 2025'."""
    return f"{int(date[8:10])} {_MONTHS[int(date[5:7]) - 1]} {date[:4]}"

