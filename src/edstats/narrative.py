"""Key messages written from the numbers: one plain-English sentence per measure.

Every sentence is built from a row of the comparison (``kpm.csv``) by the rules below, so the
same numbers always give the same words:

* a suppressed figure is never described, only said to be suppressed;
* a change is described only against a comparable previous year (consecutive, no series break),
  as up/down and better/worse by the measure's polarity, and as statistically significant or not
  when that could be tested; values equal after rounding are "the same";
* the LA is "significantly above/below England" when the test says so and "above/below England,
  but not significantly" when it says not; when no test could be run (no counts or interval,
  e.g. a published mean without its spread) significance is not mentioned; equal after rounding
  is "the same as England";
* statistical neighbours and core cities: above/below/the same after rounding;
* the target for the year, when set, with met / not met, but close / not met (the status of
  ``kpm.csv``), and next year's target when set;
* the change since the previous paper is stated when there was one.
"""

from __future__ import annotations

from .periods import long_date, year_label
from .stats import format_number, format_value, is_missing, round_half_up, shown_difference


def _for_year(time_period) -> str:
    return f" for {year_label(time_period)}" if isinstance(time_period, str) and len(time_period) == 6 else ""


def _compare(value, other, dp: int) -> int:
    """-1, 0 or 1 after rounding both to ``dp`` places (so a 'tie' is what the reader sees)."""
    a, b = round_half_up(value, dp), round_half_up(other, dp)
    return (a > b) - (a < b)


def key_message(row: dict, label: str, unit: str, dp: int, polarity: str, year: str, previous_year: str = "") -> str:
    """The key message for one measure from its comparison row (see the module notes)."""
    if row.get("suppressed"):
        return f"**{label}**: the {year} figure is suppressed (c) because it concerns very few pupils."
    value = row.get("value")
    if is_missing(value):
        return f"**{label}**: not available for {year}."
    show = lambda v: format_value(v, unit, dp)  # noqa: E731
    def points(size: str) -> str:
        return "" if unit != "%" else " percentage point" if size == "1" else " percentage points"
    parts = [f"**{label}**: {show(value)} in {year}"]
    previous = row.get("previous_value")
    if not previous_year:
        parts.append("; there is no earlier year to compare with.")
    elif isinstance(row.get("to_date"), str) and row["to_date"]:
        parts.append(f"; not compared with the whole of {previous_year}, as this year's figure runs only to "
                     f"{long_date(row['to_date'])}.")
    elif row.get("series_break"):
        parts.append(f"; not compared with {previous_year} because the series changed between them.")
    elif is_missing(previous) or is_missing(row.get("change")):
        parts.append(f"; no comparison with {previous_year} (that figure is not available or not comparable).")
    else:
        direction = _compare(value, previous, dp)
        if direction == 0:
            parts.append(f", the same as in {previous_year} ({show(previous)}).")
        else:
            better = (direction > 0) == (polarity == "higher")
            size = format_number(abs(shown_difference(value, previous, dp)), dp)
            sig = row.get("change_significant")
            tested = "" if sig is None or is_missing(sig) else (
                ", a statistically significant change" if sig else ", not a statistically significant change")
            parts.append(f", {'up' if direction > 0 else 'down'} {size}{points(size)} from {show(previous)} in "
                         f"{previous_year} ({'better' if better else 'worse'}{tested}).")
    england = row.get("england")
    if not is_missing(england):
        side = _compare(value, england, dp)
        sig = row.get("vs_england_significant")
        if side == 0:
            parts.append(f" The same as England ({show(england)}).")
        elif is_missing(sig):           # no test could be run: say nothing about significance
            parts.append(f" {'Above' if side > 0 else 'Below'} England ({show(england)}).")
        elif sig:
            parts.append(f" Significantly {'above' if side > 0 else 'below'} England ({show(england)}).")
        else:
            parts.append(f" {'Above' if side > 0 else 'Below'} England ({show(england)}), but not significantly.")
    for key, name in (("sn_average", "statistical neighbours"), ("core_cities_average", "core cities")):
        other = row.get(key)
        if not is_missing(other):
            side = _compare(value, other, dp)
            word = "the same as" if side == 0 else "above" if side > 0 else "below"
            parts.append(f" {word.capitalize()} {name} ({show(other)}).")
    target = row.get("target")
    if not is_missing(target):
        status = {"Met": "met", "Close": "not met, but close"}.get(row.get("status"), "not met")
        parts.append(f" Target{_for_year(row.get('time_period'))}: {show(target)}, {status}.")
    upcoming = row.get("next_target")
    if not is_missing(upcoming):
        parts.append(f" The target{_for_year(row.get('next_period'))} is {show(upcoming)}.")
    last = row.get("previous_paper_value")
    if not is_missing(last):
        side = _compare(value, last, dp)
        parts.append(" Unchanged since the last paper." if side == 0 else
                     f" {'Up' if side > 0 else 'Down'} from {show(last)} in the last paper.")
    return "".join(parts)
