"""The house chart style and the few chart kinds the papers use.

Charts read in black and white: the LA is a solid dark line with round markers, comparators
use other line styles and markers, and confidence bands are light grey. Colours come from the
Okabe-Ito palette, which stays distinct for the common kinds of colour blindness.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .periods import academic_year, time_period, year_label
from .stats import FUNNEL_LIMITS, funnel_half_width, outside_funnel

OKABE_ITO = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442"]


def apply_house_style() -> None:
    """Set matplotlib defaults for papers (sizes for A4 and screen, no chart junk)."""
    plt.rcParams.update({
        "figure.figsize": (7.0, 3.8), "figure.dpi": 150, "savefig.dpi": 150,
        "font.size": 9.5, "axes.titlesize": 10.5, "axes.titleweight": "bold",
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "axes.grid.axis": "y",
        "grid.color": "#d9d9d9", "grid.linewidth": 0.6, "axes.prop_cycle": plt.cycler(color=OKABE_ITO),
        "legend.frameon": False,
    })


def year_axis(first: str, last: str) -> list[str]:
    """Every academic year from ``first`` to ``last`` as time periods, gaps included."""
    start, end = int(first[:4]), int(last[:4])
    return [time_period(academic_year(y)) for y in range(start, end + 1)]


COMPARATOR_STYLES = {
    "England": dict(color="#0072B2", linestyle="--", marker="s"),
    "Statistical neighbours (average)": dict(color="#D55E00", linestyle=":", marker="^"),
    "Core cities (average)": dict(color="#009E73", linestyle="-.", marker="D"),
}


def trend_chart(series: pd.DataFrame, title: str, unit: str, la_name: str, breaks=(), comparators=None,
                not_published=None, to_date: str = ""):
    """A measure over time for the LA, with its 95% confidence band where it has one.

    ``series`` has ``time_period, value, ci_lower, ci_upper`` (one row per year, suppressed
    years as NaN). A year the LA has no value for is a gap in the line, shaded and labelled with
    the reason when DfE did not publish it (``not_published``: time period -> reason, from the
    measure dictionary, e.g. "COVID-19"), otherwise "No data"; a year with a value is never
    shaded. A series break is a dashed vertical rule. ``to_date`` (e.g. '19 December 2025') marks
    the last year as a year still under way: a hollow point. Returns the matplotlib Figure.
    """
    apply_house_style()
    if series.empty or series["value"].isna().all():
        return no_data_chart(title)
    years = year_axis(series["time_period"].min(), series["time_period"].max())
    s = series.set_index("time_period").reindex(years)
    x = np.arange(len(years))
    fig, ax = plt.subplots()
    if s[["ci_lower", "ci_upper"]].notna().all(axis=1).any():    # no legend entry for a band not drawn
        ax.fill_between(x, s["ci_lower"].astype(float), s["ci_upper"].astype(float), color="#bdbdbd", alpha=0.6,
                        linewidth=0, label=f"{la_name}: 95% confidence interval")
    drawn = [tp for tp in breaks if tp in years and tp != years[0]]
    # no line joins the years either side of a series break: a gap goes in before each break
    cut = [years.index(tp) for tp in drawn]

    def broken(values):
        return np.insert(x.astype(float), cut, np.nan), np.insert(np.asarray(values, dtype=float), cut, np.nan)

    ax.plot(*broken(s["value"]), color="#000000", marker="o", linewidth=2, label=la_name)
    extra = []
    for label, values in (comparators or {}).items():
        v = values.reindex(years).astype(float)
        if v.notna().any():
            ax.plot(*broken(v), linewidth=1.3, markersize=4, label=label, **COMPARATOR_STYLES[label])
            extra.append(v)
    for i, tp in enumerate(years):
        if pd.isna(s.loc[tp, "value"]):
            reason = (not_published or {}).get(tp)
            label = ("c" if "suppressed" in s and s.loc[tp, "suppressed"] is True
                     else f"Not\npublished\n({reason})" if reason else "No data")
            ax.axvspan(i - 0.5, i + 0.5, color="#f0f0f0", zorder=0)
            ax.text(i, 0.04, label, transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=7,
                    color="#4a4a4a")
    for n, tp in enumerate(drawn):       # one legend entry, however many breaks (labels would collide)
        ax.axvline(years.index(tp) - 0.5, color="#4a4a4a", linestyle="--", linewidth=1,
                   label="Series break: not comparable with the years before" if n == 0 else None)
    if to_date and years[-1] in s.index and not pd.isna(s.loc[years[-1], "value"]):
        # the year still under way: a hollow point, labelled, never read as a whole year
        ax.plot([len(years) - 1], [float(s.loc[years[-1], "value"])], marker="o", markersize=9, color="#000000",
                markerfacecolor="white", linestyle="none", label=f"Year to date, to {to_date}")
    crowded = len(years) > 6          # seven or more year labels (2017/18 ...) collide on an A4 width: slant them
    ax.set_xticks(x, [year_label(y) for y in years], rotation=30 if crowded else 0, ha="right" if crowded else "center")
    ax.set_ylabel(unit)
    ax.set_title(title, loc="left")
    # the legend sits under the chart, so it never hides a line
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2 if crowded else -0.12), ncol=3, fontsize=7.5)
    values = pd.concat([s["ci_lower"], s["ci_upper"], s["value"], *extra]).astype(float).dropna()
    if not values.empty:
        span = values.max() - values.min()
        pad = max(span * 0.4, 0.02 * abs(values.mean()), 0.05)
        bottom = values.min() - pad
        if values.min() >= 0 and bottom < 0:     # a rate or a percentage never goes below 0
            bottom = 0
        ax.set_ylim(bottom, values.max() + pad)
    fig.tight_layout()
    return fig


def no_data_chart(title: str):
    """A small placeholder saying the measure has no data, so a paper never fails for a missing dataset."""
    apply_house_style()
    fig, ax = plt.subplots(figsize=(7.0, 1.4))
    ax.axis("off")
    ax.set_title(title, loc="left")
    ax.text(0.0, 0.3, "Not available: the data for this measure were not supplied (shown as x).",
            transform=ax.transAxes, fontsize=9)
    fig.tight_layout()                # the title is never cut off
    return fig


def gap_chart(groups: pd.DataFrame, title: str, unit: str, reference_label: str):
    """Horizontal bars of a measure for pupil groups, with 95% intervals and a reference line.

    ``groups`` has ``breakdown, value, ci_lower, ci_upper, reference`` (reference = the value the
    gap is measured against, the same on every row). Returns the Figure.
    """
    apply_house_style()
    g = groups.reset_index(drop=True)
    if g.empty:
        return no_data_chart(title)
    fig, ax = plt.subplots(figsize=(7.0, 0.45 * len(g) + 1.2))
    y = np.arange(len(g))[::-1]
    value = g["value"].astype(float)
    ax.barh(y, value, color="#0072B2", height=0.6, edgecolor="#000000", linewidth=0.5)
    below = np.clip(value - g["ci_lower"].astype(float), 0, None)   # rounding can make these a hair negative
    above = np.clip(g["ci_upper"].astype(float) - value, 0, None)
    ax.errorbar(value, y, xerr=[below, above],
                fmt="none", ecolor="#000000", capsize=3, linewidth=1)
    ref = float(g["reference"].iloc[0])
    ax.axvline(ref, color="#D55E00", linestyle="--", linewidth=1.5, label=reference_label)
    ax.set_yticks(y, g["breakdown"])
    ax.set_xlabel(unit)
    ax.set_title(title, loc="left")
    ax.grid(axis="x", color="#d9d9d9")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.25 if len(g) < 4 else -0.12), fontsize=8)
    fig.tight_layout()
    return fig


def funnel_chart(schools: pd.DataFrame, overall: float, title: str, unit_label: str, higher_is_better: bool):
    """Funnel plot: each school's rate against its number of pupils, with 95% and 99.8% limits
    around the LA's rate, so small schools are not flagged for chance variation.

    ``schools`` has ``denominator`` and ``value`` (a percentage); ``overall`` is the LA's rate.
    """
    apply_house_style()
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    n = np.linspace(max(5, schools["denominator"].min() * 0.8), schools["denominator"].max() * 1.05, 200)
    for (z, label), style in zip(FUNNEL_LIMITS, ("--", ":")):
        half = funnel_half_width(overall, n, z)
        ax.plot(n, overall + half, color="#4a4a4a", linestyle=style, linewidth=1, label=label)
        ax.plot(n, np.clip(overall - half, 0, None), color="#4a4a4a", linestyle=style, linewidth=1)
    ax.axhline(overall, color="#000000", linewidth=1.2, label="Local authority")
    above, below = outside_funnel(schools["value"], schools["denominator"], overall)
    outside = above | below
    ax.scatter(schools["denominator"][~outside], schools["value"][~outside], s=14, color="#0072B2", marker="o",
               label="School within the 99.8% limits", zorder=3)
    ax.scatter(schools["denominator"][outside], schools["value"][outside], s=30, color="#D55E00", marker="D",
               label="School outside the 99.8% limits", zorder=3)
    ax.set_xlabel("Pupils in the measure")
    ax.set_ylabel(unit_label)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize=7.5)
    fig.tight_layout()
    return fig


def monthly_chart(frame: pd.DataFrame, x: str, lines: dict, title: str, unit: str):
    """Lines by month: ``lines`` maps a column of ``frame`` to its label; styles differ by line."""
    apply_house_style()
    fig, ax = plt.subplots()
    styles = [dict(color="#000000", marker="o", linestyle="-"), dict(color="#D55E00", marker="^", linestyle="--"),
              dict(color="#0072B2", marker="s", linestyle=":")]
    labels = frame[x].astype(str).tolist()
    for (column, label), style in zip(lines.items(), styles):
        ax.plot(range(len(labels)), frame[column].astype(float), label=label, linewidth=1.6, markersize=3.5, **style)
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right")
    ax.set_ylabel(unit)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3, fontsize=7.5)
    fig.tight_layout()
    return fig


def bands_chart(frame: pd.DataFrame, title: str):
    """Horizontal bars of counts by band (suppressed bands drawn empty and labelled c)."""
    apply_house_style()
    g = frame.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.0, 0.42 * len(g) + 1.0))
    y = np.arange(len(g))[::-1]
    counts = g["shown"].astype(float)
    ax.barh(y, counts.fillna(0), color="#0072B2", edgecolor="#000000", linewidth=0.5, height=0.6)
    for yi, count, value in zip(y, counts.fillna(0), g["label"]):
        ax.text(count, yi, f" {value}", va="center", fontsize=8)
    ax.set_xlim(0, max(1.0, counts.max() if counts.notna().any() else 1.0) * 1.15)
    ax.set_yticks(y, g["band"])
    ax.set_xlabel("Permanent exclusions")
    ax.set_title(title, loc="left")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig
