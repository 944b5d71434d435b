"""Charts say only what their data show (issue 19 items 4 and 9)."""

import matplotlib
import numpy as np
import pandas as pd

from edstats.charts import trend_chart
from edstats.measures.dictionary import not_published

matplotlib.use("Agg")


def series(values: dict, ci=True):
    tps = sorted(values)
    v = pd.Series([values[t] for t in tps], dtype=float)
    return pd.DataFrame({"time_period": tps, "value": v, "ci_lower": v - 1 if ci else np.nan,
                         "ci_upper": v + 1 if ci else np.nan, "suppressed": False})


def texts(fig):
    return [t.get_text().replace("\n", " ") for t in fig.axes[0].texts]


def legend(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_a_year_with_data_is_never_marked_as_missing():
    """Persistent absence 2020/21 was published (and NEET every year): no 'No data (COVID-19)' band over it."""
    pa = series({"201819": 10.9, "202021": 12.1, "202122": 22.5, "202223": 21.2})
    fig = trend_chart(pa, "PA", "%", "LA", comparators={}, not_published=not_published("abs_persistent_pct"))
    assert texts(fig) == ["Not published (COVID-19)"]           # 2019/20 only, the one year without a value
    neet = series({"201819": 5.5, "201920": 5.5, "202021": 5.5})
    assert texts(trend_chart(neet, "NEET", "%", "LA", not_published=not_published("neet_nk_pct"))) == []


def test_a_gap_dfe_published_is_no_data_not_covid():
    fig = trend_chart(series({"202122": 1.0, "202324": 2.0}), "x", "%", "LA", not_published=not_published("excl_perm_rate"))
    assert texts(fig) == ["No data"]


def test_progress_8_gaps_give_dfe_reasons():
    gaps = not_published("ks4_p8_avg")
    assert gaps["201920"] == "COVID-19" and gaps["202425"] == "no key stage 2 tests"
    assert not_published("ks4_att8_avg") == {}                 # Attainment 8 was published in 2019/20 and 2020/21


def test_no_interval_no_interval_legend():
    """Published-only charts have no interval: the legend must not promise one."""
    without = trend_chart(series({"202223": 1.0, "202324": 2.0}, ci=False), "x", "%", "LA")
    assert not any("confidence interval" in t for t in legend(without))
    with_ci = trend_chart(series({"202223": 1.0, "202324": 2.0}), "x", "%", "LA")
    assert any("confidence interval" in t for t in legend(with_ci))


def test_many_years_slant_their_labels():
    fig = trend_chart(series({f"{y}{(y + 1) % 100:02d}": 1.0 for y in range(2014, 2026)}), "x", "%", "LA")
    assert fig.axes[0].get_xticklabels()[0].get_rotation() == 30


def test_only_event_counted_annual_figures_have_part_years():
    from edstats.periods import incomplete_year, year_in_progress

    assert incomplete_year("exclusions", "202526", "2025-12-19")
    assert not incomplete_year("exclusions", "202425", "2025-12-19")
    assert not incomplete_year("ccis", "202526", "2025-12-19")          # a NEET window is whole once supplied
    assert year_in_progress("provision", "202526", "2025-12-19") and not year_in_progress("provision", "202425",
                                                                                          "2025-12-19")
    assert not year_in_progress("schools", "202526", "2025-12-19")


def test_no_line_joins_the_years_either_side_of_a_series_break():
    """Attainment 8 2019/20-2021/22 (teacher-assessed grades) were drawn as one line with the years around them."""
    fig = trend_chart(series({"201819": 46.7, "201920": 50.2, "202021": 50.9}), "A8", "score", "LA",
                      breaks=["201920", "202021"])
    la_line = fig.axes[0].get_lines()[0]
    y = la_line.get_ydata()
    assert np.isnan(y).sum() == 2 and list(np.asarray(y)[~np.isnan(y)]) == [46.7, 50.2, 50.9]
    assert any("Series break" in t for t in legend(fig))


def test_a_year_to_date_point_is_marked():
    fig = trend_chart(series({"202425": 64.3, "202526": 60.4}), "Sixth day", "%", "LA", to_date="19 December 2025")
    assert "Year to date, to 19 December 2025" in legend(fig)


def test_eight_years_of_labels_are_slanted():
    """Eight labels (2017/18 to 2024/25) collided on the GLD chart."""
    fig = trend_chart(series({f"{y}{(y + 1) % 100:02d}": 1.0 for y in range(2017, 2025)}), "x", "%", "LA")
    assert fig.axes[0].get_xticklabels()[0].get_rotation() == 30


def test_the_saved_chart_holds_the_whole_legend():
    """The legend under the axes was cut off at the left edge ('Vyvern City: 95% confidence interval')."""
    import io

    from PIL import Image

    from edstats.papers import chart_png

    fig = trend_chart(series({"202223": 1.0, "202324": 2.0}), "x", "%", "Wyvern City",
                      comparators={"England": pd.Series({"202223": 1.5, "202324": 1.6}),
                                   "Statistical neighbours (average)": pd.Series({"202223": 1.2, "202324": 1.3}),
                                   "Core cities (average)": pd.Series({"202223": 1.1, "202324": 1.4})},
                      breaks=["202324"])
    fig.set_dpi(150)
    fig.canvas.draw()
    legend = fig.axes[0].get_legend().get_window_extent()
    width = fig.get_figwidth() * 150
    assert legend.x0 < 0 or legend.x1 > width            # this legend is wider than the figure itself
    saved = Image.open(io.BytesIO(chart_png(fig))).size[0]
    assert saved >= legend.width
