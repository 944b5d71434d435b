"""What the paper notebooks call: load a run, then ask for headlines, tables, messages and charts.

Notebooks hold no methodology: every number here comes from :func:`edstats.runs.prepare_run`,
and this module only selects, rounds (DfE round-half-up) and words it. Public outputs only: values
below the suppression threshold arrive here already replaced by ``c``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .charts import bands_chart, funnel_chart, gap_chart, monthly_chart, no_data_chart, trend_chart
from .compare.benchmark import STATUS_COLOURS
from .narrative import key_message
from .disclosure import SYMBOLS, primary_suppression, suppress_parts
from .measures import measure_info
from .measures.dictionary import not_published, series_breaks
from .periods import Period, edition, long_date, reporting_year, time_period, year_in_progress, year_label
from .published_only import prepare_published
from .runs import PreparedRun, kpm_for, load_run, prepare_run, read_kpm, resolve_period
from .settings import load_settings, with_sn_vintage
from .stats import format_number, format_signed, format_value, outside_funnel, shown_difference


#: The measures of the key messages, and of the key performance measures table.
HEADLINE_MEASURES = ("eyfs_gld_pct", "ks2_rwm_exp_pct", "ks4_att8_avg", "ks4_p8_avg", "abs_persistent_pct",
                     "neet_nk_pct", "excl_perm_rate", "sixth_day_within_pct")
KPM_MEASURES = ("pupils_good_outstanding_pct", "eyfs_gld_pct", "ks2_rwm_exp_pct", "ks4_att8_avg", "ks4_p8_avg",
                "ks4_em95_pct", "cla_ks4_att8_avg", "abs_overall_pct", "abs_persistent_pct", "abs_severe_pct",
                "neet_nk_pct", "excl_perm_rate", "excl_susp_rate", "sixth_day_within_pct",
                "sixth_day_without_provision_count")
GROUP_TOPICS = ("Sex", "Disadvantage", "SEN provision", "EAL", "Ethnicity", "Looked after")


class Table:
    """A table for a paper: accessible HTML (header cells, scoped) that the PDF path turns into a
    real typst table. Numeric columns are right-aligned.

    The notebook shows it as markdown holding a raw HTML block (```{=html}), Quarto's way of
    carrying an HTML table: Quarto parses it into a real table for typst and keeps it for HTML,
    and no ``text/html`` output makes Quarto add its require.js and jQuery script tags from a CDN.
    The pip-only renderer turns the block back into HTML (:func:`edstats.render.cellopts.prepare_for_export`).
    """

    def __init__(self, frame: pd.DataFrame, numeric: tuple[str, ...] = (), colours: dict | None = None,
                 widths: tuple[int, ...] = ()):
        self.frame = frame.reset_index(drop=True)
        self.numeric = set(numeric)
        self.colours = colours or {}      # column -> {cell text: colour}; a second cue beside the word
        self.widths = widths              # relative column widths (both renderers); empty: the renderer's own

    def _repr_markdown_(self) -> str:
        return f"```{{=html}}\n{self.html()}\n```\n"

    def html(self) -> str:
        def cls(col):
            # class for the HTML style sheet, style for pandoc (which reads alignment from it).
            return (' class="num" style="text-align: right"' if col in self.numeric
                    else ' style="text-align: left"')

        head = "".join(f'<th scope="col"{cls(c)}>{html.escape(str(c))}</th>' for c in self.frame.columns)
        rows = []
        for _, row in self.frame.iterrows():
            cells = []
            for i, c in enumerate(self.frame.columns):
                text = html.escape(str(row[c]))
                colour = self.colours.get(c, {}).get(str(row[c]))
                if colour:
                    text = f'<span style="color: {colour}; font-weight: 600">{text}</span>'
                cells.append(f'<th scope="row"{cls(c)}>{text}</th>' if i == 0 else f"<td{cls(c)}>{text}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        cols = ""
        if self.widths:
            total = sum(self.widths)
            cols = "<colgroup>" + "".join(f'<col style="width: {100 * w / total:.1f}%">' for w in self.widths) \
                + "</colgroup>"
        return f"<table>{cols}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)


@dataclass(frozen=True)
class Headline:
    """One measure's latest figure for a breakdown, with the year before for comparison."""

    measure_id: str
    time_period: str
    value: float
    ci_lower: float
    ci_upper: float
    numerator: float
    denominator: float
    suppressed: bool
    edition: str
    previous_period: str | None
    previous_value: float | None
    previous_numerator: float | None
    previous_denominator: float | None
    comparable: bool
    to_date: str = ""          # '19 December 2025' for a live measure's year still under way, else ''

    @property
    def year(self) -> str:
        return year_label(self.time_period)


class Paper:
    """A paper's view of one run: the LA, the meeting month and the public results."""

    def __init__(self, run: PreparedRun, period: Period, audience: str, previous_kpm: pd.DataFrame | None = None):
        self.run = run
        self.settings = run.settings
        self.period = period
        self.audience = audience
        self.previous_kpm = previous_kpm

    @cached_property
    def kpm(self) -> pd.DataFrame:
        """The comparison rows (kpm.csv) for every measure and year."""
        return kpm_for(self.run, self.previous_kpm)

    def comparison(self, measure_id: str, time_period: str) -> pd.Series | None:
        rows = self.kpm[(self.kpm["measure_id"] == measure_id) & (self.kpm["time_period"] == time_period)]
        return rows.iloc[0] if len(rows) else None

    @property
    def la_name(self) -> str:
        return self.settings.la.name

    @property
    def synthetic(self) -> bool:
        return self.run.synthetic

    @cached_property
    def results(self) -> pd.DataFrame:
        """Every result with a ``suppressed`` flag (numbers kept for ordering, never shown when set)."""
        return self.run.reportable        # a part year (exclusions to December) is no year's figure

    # -- selecting ---------------------------------------------------------------------------
    def reporting_period(self, measure_id: str) -> str | None:
        """The academic year (time_period) this paper reports for the measure."""
        dataset = measure_info(measure_id)["dataset"]
        tps = self.results.loc[self.results["measure_id"] == measure_id, "time_period"].unique()
        return reporting_year(dataset, tps, self.period)

    def series(self, measure_id: str, topic: str = "Total", breakdown: str = "Total") -> pd.DataFrame:
        """The measure's yearly values up to the reporting year; suppressed values as NaN."""
        tp = self.reporting_period(measure_id)
        r = self.results
        s = r[(r["measure_id"] == measure_id) & (r["breakdown_topic"] == topic) & (r["breakdown"] == breakdown)
              & (r["time_period"] <= (tp or ""))].sort_values("time_period").copy()
        for col in ("value", "ci_lower", "ci_upper"):
            s.loc[s["suppressed"], col] = np.nan
        return s

    def headline(self, measure_id: str, topic: str = "Total", breakdown: str = "Total") -> Headline | None:
        """Latest reported figure and the previous year's, or None when the measure has no data."""
        s = self.series(measure_id, topic, breakdown)
        if s.empty:
            return None
        latest = s.iloc[-1]
        prev = s.iloc[-2] if len(s) > 1 else None
        info = measure_info(measure_id)
        breaks = series_breaks(measure_id)
        consecutive = prev is not None and int(latest["time_period"][:4]) - int(prev["time_period"][:4]) == 1
        to_date = long_date(self.run.as_at) if year_in_progress(info["dataset"], latest["time_period"],
                                                                  self.run.as_at) else ""
        comparable = prev is not None and consecutive and latest["time_period"] not in breaks and not to_date
        return Headline(
            measure_id=measure_id, time_period=latest["time_period"], value=latest["value"],
            ci_lower=latest["ci_lower"], ci_upper=latest["ci_upper"], numerator=latest["numerator"],
            denominator=latest["denominator"], suppressed=bool(latest["suppressed"]),
            edition=f"year to date, to {to_date}" if to_date else edition(info["dataset"], latest["time_period"],
                                                                          self.period),
            previous_period=None if prev is None else prev["time_period"],
            previous_value=None if prev is None or prev["suppressed"] else float(prev["value"]),
            previous_numerator=None if prev is None else float(prev["numerator"]),
            previous_denominator=None if prev is None else float(prev["denominator"]),
            comparable=comparable, to_date=to_date,
        )

    # -- words -------------------------------------------------------------------------------
    def fmt(self, measure_id: str, value) -> str:
        """A value as the papers show it: rounded half-up to the measure's decimal places."""
        info = measure_info(measure_id)
        return format_value(value, info["unit"], int(info["dp"]))

    def headline_sentence(self, measure_id: str) -> str:
        """The key message for one measure (rules in ``edstats.narrative``)."""
        info = measure_info(measure_id)
        h = self.headline(measure_id)
        if h is None:
            return f"**{info['label']}**: not available ({self.run.unavailable.get(measure_id, 'no data supplied')})."
        c = self.comparison(measure_id, h.time_period)
        row = dict(c) if c is not None else {"value": h.value, "suppressed": h.suppressed}
        return key_message(row, info["label"], info["unit"], int(info["dp"]), info["polarity"],
                           f"{h.year} ({h.edition})", year_label(h.previous_period) if h.previous_period else "")

    def title_block(self) -> str:
        audience = {"council": "Full Council", "scrutiny": "Overview and Scrutiny Committee"}.get(self.audience,
                                                                                                  self.audience)
        text = f"**{self.settings.la.council_name}** — {audience}, {self.period.label}."
        if self.run.published_only:
            text += ("\n\n> **Published figures only.** This paper uses the Department for Education's published "
                     "figures for the local authority; sections that need pupil-level data (pupil groups, schools, "
                     "districts) are left out.")
        if self.synthetic:
            text += ("\n\n> **Synthetic data — not real figures.** Every number in this paper was computed from "
                     "invented pupil records for a fictional local authority.")
        return text

    def has_data(self, measure_id: str) -> bool:
        """True when the run holds a figure of the measure for the LA as a whole."""
        r = self.results
        return bool(((r["measure_id"] == measure_id) & (r["breakdown_topic"] == "Total")).any())

    def headline_measures(self) -> list[str]:
        """The key messages' measures: all of them for a pupil-level run (a missing dataset is said
        to be missing); for a published-only run those the DfE files carry."""
        return [m for m in HEADLINE_MEASURES if not self.run.published_only or self.has_data(m)]

    def kpm_measures(self) -> list[str]:
        """The KPM table's measures, chosen as :meth:`headline_measures` chooses."""
        return [m for m in KPM_MEASURES if not self.run.published_only or self.has_data(m)]

    def council_introduction(self) -> str:
        """Purpose, recommendations and contact officer, as a report to Council opens."""
        la = self.settings.la
        recommendations = "\n".join(f"{i}. {text}" for i, text in enumerate(self.settings.recommendations, 1))
        c = self.settings.contact
        contact = ", ".join(part for part in (c.name, c.role, c.email, c.telephone) if part)
        source = ("the Department for Education's published figures" if self.run.published_only
                  else "the council's pupil-level records, computed with the Department for Education's methods")
        return (f"## Purpose\n\nTo report to {self.audience_name} the education performance of {la.name} for the "
                f"{self.period.label} meeting: the latest results for early years, key stages 2 and 4, attendance, "
                f"young people not in education, employment or training and exclusions, from {source}, against "
                f"{self.compared_with()}."
                f"\n\n## Recommendations\n\n{recommendations}"
                + (f"\n\n**Contact officer:** {contact}." if contact else ""))

    def compared_with(self) -> str:
        """What this run compares the LA with: 'England, statistical neighbours, core cities and the
        council's targets', less any it does not have (no core cities for an LA that is not one, no
        targets when none is set)."""
        groups = self.comparator_names()
        parts = ["England"] + ["statistical neighbours"] * bool(groups["sn"]) + ["core cities"] * bool(groups["core"]) \
            + ["the council's targets"] * bool(self.settings.targets)
        return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]

    @property
    def audience_name(self) -> str:
        return {"council": "full Council", "scrutiny": "the Overview and Scrutiny Committee"}.get(self.audience,
                                                                                                 self.audience)

    def about_these_figures(self) -> str:
        """Where the figures come from and what the years mean, true to this run's source."""
        if self.run.published_only:
            releases = sorted(self.run.comparators["release"].dropna().unique()) if "release" in self.run.comparators \
                else []
            sources = sorted(self.run.comparators["source"].dropna().unique()) if "source" in self.run.comparators \
                else []
            return (f"Every figure for {self.la_name} and its comparators is the Department for Education's as "
                    f"published ({', '.join(sources) or 'DfE files'}: {', '.join(releases) or 'none'}); edstats "
                    "has not recomputed them, only rounded them half-up for display. Confidence intervals and "
                    "significance tests need counts, which most of these files do not carry: where a file gives a "
                    "cohort, a difference is tested; otherwise significance is not mentioned. Each measure "
                    "reports the latest year DfE has published by the month of the meeting (full-year absence, for "
                    "example, is published in March). Pupil groups, districts, wards, schools and the council's live "
                    "exclusions data need pupil-level records and are not in this paper; the scrutiny paper gives "
                    "disadvantaged pupils' results where DfE publishes them. Years DfE did not publish (COVID-19; "
                    "Progress 8 for pupils without key stage 2 tests) are gaps in the charts, and a dashed rule marks "
                    "a change of series (GCSE grading in 2016/17, the teacher-assessed grades of 2019/20 to 2021/22).")
        return ("Every figure is computed by edstats from pupil-level records with the Department for Education's "
                "methodology and rounded half-up only for display; `measures.csv` beside this paper holds them "
                "unrounded. Each measure reports the latest year published by the month of the meeting, marked final "
                "or provisional; the sixth-day measures" + (" and the daily attendance feed" if self.run.series.get(
                    "pa_by_month") is not None else "") + " are the council's live data, reported to their last date "
                "as year to date. There were no early years or key stage 2 assessments "
                "in 2019/20 and 2020/21 (COVID-19), nor full-year absence figures for 2019/20; the early years "
                "framework changed in 2021/22 and GCSE grading returned to pre-pandemic standards in 2022/23, so those "
                "years are not compared with the ones before. Progress 8 is not published for 2024/25 and 2025/26: "
                "those pupils had no key stage 2 tests.")

    def disadvantage_table(self) -> Table:
        """Disadvantaged and other pupils for each measure the figures give both for (LAIT's
        ``DAP_*``), latest year, with the gap and England's gap."""
        r = self.results
        rows = []
        for mid in sorted(set(r.loc[r["breakdown_topic"] == "Disadvantage", "measure_id"]),
                          key=lambda m: KPM_MEASURES.index(m) if m in KPM_MEASURES else 99):
            tp = self.reporting_period(mid)
            sel = r[(r["measure_id"] == mid) & (r["time_period"] == tp) & (r["breakdown_topic"] == "Disadvantage")]
            values = dict(zip(sel["breakdown"], sel["value"].where(~sel["suppressed"])))
            if not {"Disadvantaged", "Not disadvantaged"} <= values.keys():
                continue
            england = self.run.comparators
            england = england[(england["measure_id"] == mid) & (england["time_period"] == tp)
                              & (england["geographic_level"] == "National")
                              & (england["breakdown_topic"] == "Disadvantage")] if not england.empty else england
            eng = dict(zip(england["breakdown"], england["value"])) if len(england) else {}
            dp = int(measure_info(mid)["dp"])
            gap = shown_difference(values["Disadvantaged"], values["Not disadvantaged"], dp)
            eng_gap = shown_difference(eng["Disadvantaged"], eng["Not disadvantaged"], dp) \
                if {"Disadvantaged", "Not disadvantaged"} <= eng.keys() else float("nan")
            rows.append({"Measure": f"{measure_info(mid)['label'].split(' (')[0]} ({year_label(tp)})",
                         "Disadvantaged": self.fmt(mid, values["Disadvantaged"]),
                         "Other pupils": self.fmt(mid, values["Not disadvantaged"]),
                         "Gap": format_signed(gap, dp) if not pd.isna(gap) else "x",
                         "England's gap": format_signed(eng_gap, dp) if not pd.isna(eng_gap) else "x"})
        if not rows:
            return Table(pd.DataFrame({"Measure": ["Not available: the figures supplied have no disadvantaged "
                                                   "pupils' results"]}))
        return Table(pd.DataFrame(rows), numeric=("Disadvantaged", "Other pupils", "Gap", "England's gap"))

    # -- tables ------------------------------------------------------------------------------
    def kpm_table(self, measure_ids) -> Table:
        """Key performance measures: the measure with its latest year and edition, latest and
        previous value, direction of travel (arrow and word, * when significant), England,
        statistical neighbours, core cities, rank and band, this year's target and status (a word;
        the colour is only a second cue) and next year's target."""
        rows = []
        for mid in measure_ids:
            info = measure_info(mid)
            h = self.headline(mid)
            c = self.comparison(mid, h.time_period) if h is not None else None
            label = info["label"].split(" (")[0]
            if h is None or c is None:
                rows.append({"Measure": label, "Latest": "x", "Previous": "x", "Change": "x", "England": "x",
                             "Stat. neighbours": "x", "Core cities": "x", "Rank (band)": "x", "Target": "x",
                             "Status": "", "Next target": "x"})
                continue
            value = "c" if h.suppressed else self.fmt(mid, h.value)
            if h.to_date and h.previous_period:
                change = "not compared (part year)"
            elif c["series_break"] and h.previous_period:
                change = "not comparable (series break)"
            elif c["direction"]:
                sig = "*" if c["change_significant"] is True and c["direction_word"] != "no change" else ""
                shown = shown_difference(h.value, h.previous_value, int(info["dp"]))
                change = f"{c['direction']} {format_signed(shown, int(info['dp']))} ({c['direction_word']}){sig}"
            else:
                change = "x"
            rank = "x" if pd.isna(c["rank"]) else f"{int(c['rank'])} of {int(c['las_ranked'])} ({c['band']})"
            next_target = "No target set" if pd.isna(c["next_target"]) else \
                f"{self.fmt(mid, c['next_target'])} ({year_label(c['next_period'])})"
            rows.append({
                "Measure": f"{label} ({h.year}, {h.edition})", "Latest": value,
                "Previous": self.fmt(mid, h.previous_value) if h.previous_period else "x", "Change": change,
                "England": self.fmt(mid, c["england"]), "Stat. neighbours": self.fmt(mid, c["sn_average"]),
                "Core cities": self.fmt(mid, c["core_cities_average"]), "Rank (band)": rank,
                "Target": self.fmt(mid, c["target"]) if not pd.isna(c["target"]) else "No target set",
                "Status": c["status"] or "", "Next target": next_target})
        return Table(pd.DataFrame(rows), numeric=("Latest", "Previous", "England", "Stat. neighbours", "Core cities",
                                                  "Target"),
                     colours={"Status": STATUS_COLOURS},
                     widths=(17, 7, 8, 10, 7, 8, 7, 8, 10, 6, 10))

    def kpm_notes(self) -> str:
        """How to read the KPM table, with the comparator groups by name and the model's vintage."""
        vintage = sorted(set(self.kpm["sn_vintage"].dropna()) - {""})
        groups = self.comparator_names()
        sn = (f"statistical neighbours (DfE model {', '.join(vintage)}): {', '.join(groups['sn'])}" if groups["sn"]
              else "no statistical neighbours were supplied")
        core = (f"core cities: {', '.join(groups['core'])}" if groups["core"] else
                f"{self.la_name} is not a core city, so it is not compared with them")
        targets = "" if self.settings.targets else (
            f" No targets are set for {self.la_name} in the settings, so the target columns say \"No target set\".")
        return ("Change is against the previous year when the two years are comparable: ▲ up, ▼ down, ► no "
                "change, with *better* or *worse* by whether a higher or lower value is good; * marks a change that "
                "is statistically significant at the 95% level. Statistical neighbours and core cities are the simple "
                f"average of the LAs in the group with a value, never including {self.la_name} itself; "
                f"{sn}; {core}. Rank 1 is best among all LAs with a value; band "
                "A is the best quarter of LAs, D the worst. Status against the council's target: Met, Close (not "
                f"met, by no more than {self.close_margins()}) or Not met. x: not available; c: suppressed to "
                "protect individuals." + targets + self.p8_adjustment_note() + self.unavailable_note())

    def close_margins(self) -> str:
        """How near a target 'Close' is, for the measures with a target: '1 percentage point for
        percentages, 0.5 for Average Attainment 8 score'."""
        from .compare.kpm import amber_margin

        parts = {}
        for mid in self.settings.targets:
            info = measure_info(mid)
            margin = format_number(amber_margin(info), 2).rstrip("0").rstrip(".")
            key = f"{margin} percentage point{'s' if margin != '1' else ''} for percentages" if info["unit"] == "%" \
                else f"{margin} for {in_sentence(info['label'].split(' (')[0])}"
            parts[key] = None
        return ", ".join(parts) or "a small margin"

    def comparator_names(self) -> dict[str, list[str]]:
        """The statistical neighbours and core cities by name (``sn``, ``core``)."""
        from .compare.kpm import comparator_names
        from .compare.table import GROUP_COLUMNS

        if self.run.comparators.empty:
            return {"sn": [], "core": []}
        groups = self.run.groups if not self.run.groups.empty else pd.DataFrame(columns=GROUP_COLUMNS)
        return comparator_names(self.run.comparators, groups, self.settings)

    def p8_adjustment_note(self) -> str:
        """Whether the reported Progress 8 is outlier-adjusted, as DfE's headline has been since 2018."""
        tp = self.reporting_period("ks4_p8_avg")
        if tp is None or tp not in self.run.p8_outlier_adjusted:
            return ""
        year = year_label(tp)
        if self.run.p8_outlier_adjusted[tp]:
            return f" Progress 8 ({year}) is outlier-adjusted with DfE's floors for each prior-attainment group."
        return (f" Progress 8 ({year}) is **not** outlier-adjusted: no floors were supplied with DfE's estimates "
                f"(p8_estimates/{tp}/p8_outlier_floors.csv). DfE's published figure is adjusted, so it is usually "
                "a little higher than this one.")

    def unavailable_note(self) -> str:
        """Why each measure of the KPM table shown as x cannot be computed (a dataset it needs is
        missing or empty)."""
        shown = {m: why for m, why in self.run.unavailable.items() if m in KPM_MEASURES}
        if not shown:
            return ""
        if self.run.published_only:           # those rows are left out of the table: name them
            labels = [measure_info(m)["label"].split(" (")[0] for m in KPM_MEASURES if m in shown]
            return " Not in the DfE files supplied, so not in the table: " + "; ".join(labels) + "."
        reasons: dict[str, list[str]] = {}
        for measure, why in shown.items():
            reasons.setdefault(why, []).append(measure_info(measure)["label"].split(" (")[0])
        return " Not available (x): " + "; ".join(f"{', '.join(labels)} — {why}" for why, labels in reasons.items()) + "."

    def breakdown_table(self, measure_id: str, topics=GROUP_TOPICS) -> Table:
        """The measure for pupil groups in the reporting year, with the gap to all pupils."""
        tp = self.reporting_period(measure_id)
        r = self.results
        sel = r[(r["measure_id"] == measure_id) & (r["time_period"] == tp)]
        if self.run.published_only:
            return Table(pd.DataFrame({"Group": ["Not available: this paper uses published figures only"]}))
        if sel.empty:
            return Table(pd.DataFrame({"Group": ["Not available (no data supplied)"]}))
        total = sel[sel["breakdown_topic"] == "Total"].iloc[0]
        dp = int(measure_info(measure_id)["dp"])
        rows = []
        for topic in topics:
            for _, row in sel[sel["breakdown_topic"] == topic].sort_values("breakdown").iterrows():
                shown = not row["suppressed"]
                rows.append({
                    "Group": f"{topic}: {row['breakdown']}",
                    "Pupils": format_number(row["denominator"]) if shown else "c",
                    "Value": self.fmt(measure_id, row["value"]) if shown else "c",
                    "95% CI": f"{self.fmt(measure_id, row['ci_lower'])} to {self.fmt(measure_id, row['ci_upper'])}"
                    if shown else "c",
                    "Gap to all pupils": format_signed(row["value"] - total["value"], dp) if shown else "c",
                })
        return Table(pd.DataFrame(rows), numeric=("Pupils", "Value", "Gap to all pupils"))

    def data_quality_note(self) -> str:
        """How many rows were read, accepted and set aside, by dataset."""
        if self.run.published_only:
            return ("**Data quality.** The figures are the Department for Education's published figures, checked by "
                    "DfE before release; no pupil-level records were read for this paper.")
        counts = self.run.row_counts or {}
        rejected = {k: v for k, v in counts.items() if v.get("rejected")}
        read = sum(v["read"] for v in counts.values())
        if not rejected:
            return f"**Data quality.** All {format_number(read)} rows read passed validation."
        detail = "; ".join(f"{name}: {format_number(v['rejected'])} of {format_number(v['read'])} rows"
                           for name, v in rejected.items())
        return (f"**Data quality.** {format_number(sum(v['rejected'] for v in rejected.values()))} of "
                f"{format_number(read)} rows failed validation and were left out of every figure ({detail}). "
                "The figures that use those datasets may be lower or less complete than they should be.")

    def provenance_table(self) -> Table:
        """Every input file the figures came from, with its rows and SHA-256 (first 16 characters)."""
        rows = [{"Dataset": i["dataset"],
                 # the path inside the data folder names the year (p8_estimates/202324/...); a published
                 # source is named by its file
                 "File": Path(i["file"]).name if self.run.published_only else i["file"],
                 "Rows": format_number(i["rows"]) if i.get("rows") else "", "SHA-256 (start)": i["sha256"][:16]}
                for i in self.run.inputs]
        return Table(pd.DataFrame(rows or [{"Dataset": "none", "File": "", "Rows": "", "SHA-256 (start)": ""}]),
                     numeric=("Rows",))

    def provenance_note(self) -> str:
        """Code version, settings and comparator vintage behind this paper."""
        from . import __version__
        from .runs import code_fingerprint, git_commit

        releases = sorted(self.run.comparators["release"].dropna().unique()) if "release" in self.run.comparators else []
        vintage = sorted(set(self.kpm["sn_vintage"].dropna()) - {""})
        m = self.settings.methodology
        tables = [i for i in self.run.inputs if i.get("kind") == "table"]
        files = len(self.run.inputs) - len(tables)
        if self.run.published_only:
            source = (f"DfE's published files ({', '.join(releases) or 'none named'}), as imported into edstats' "
                      "comparator tables")
        elif tables:        # a database
            source = (f"{len(tables)} pupil-level tables of {tables[0]['source']} and "
                      f"{files} reference files")
        else:
            source = f"{files} pupil-level and reference files"
        settings = "" if self.run.published_only else (
            " Methodology settings: " + "; ".join(f"{k} = {v}" for k, v in vars(m).items()) + ".")
        where = ("the appendix of the scrutiny paper and " if self.audience == "council" else "the table below and ")
        return (f"Produced by edstats {__version__} (code {code_fingerprint()}"
                + (f", commit {git_commit()}" if git_commit() else "") + f") for the meeting of {self.period.label} "
                f"from {source}. " + ("" if self.run.published_only else
                                      f"Comparator release: {', '.join(releases) or 'none'}. ")
                + f"Statistical-neighbour model: {', '.join(vintage) or 'none'}. "
                f"Suppression threshold: {self.settings.suppression_threshold}."
                + settings + f" Every input {'table and ' if tables else ''}file, with its SHA-256 fingerprint, is listed in {where}"
                "the run's manifest.json beside this paper, with every parameter and timing.")

    def symbols_legend(self) -> str:
        return "Symbols: " + "; ".join(f"**{k}** {v}" for k, v in SYMBOLS.items()) + "."

    # -- charts ------------------------------------------------------------------------------
    def trend_chart(self, measure_id: str):
        info = measure_info(measure_id)
        breaks = series_breaks(measure_id)
        k = self.kpm[self.kpm["measure_id"] == measure_id].set_index("time_period")
        comparators = {"England": k["england"], "Statistical neighbours (average)": k["sn_average"],
                       "Core cities (average)": k["core_cities_average"]} if len(k) else {}
        h = self.headline(measure_id)
        return trend_chart(self.series(measure_id), info["label"], info["unit"], self.la_name, breaks, comparators,
                           not_published(measure_id), h.to_date if h is not None else "")

    def trend_alt_text(self, measure_id: str) -> str:
        """Alt text that states the chart's finding."""
        info = measure_info(measure_id)
        s = self.series(measure_id).dropna(subset=["value"])
        if s.empty:
            return f"No data for {info['label']}."
        breaks = series_breaks(measure_id)
        last = s.iloc[-1]
        # across a series break the years are not comparable: the text starts at the latest break
        since = [b for b in breaks if s["time_period"].min() < b <= last["time_period"]]
        if since:
            s = s[s["time_period"] >= max(since)]
        first = s.iloc[0]
        text = (f"Line chart of {in_sentence(info['label'])} for {self.la_name} from {year_label(first['time_period'])} "
                f"({self.fmt(measure_id, first['value'])}) to {year_label(last['time_period'])} "
                f"({self.fmt(measure_id, last['value'])})")
        if since:
            text += f" (the series changed in {year_label(max(since))}: earlier years are not comparable)"
        c = self.comparison(measure_id, last["time_period"])
        if c is not None and not pd.isna(c["england"]):
            text += (f", against England at {self.fmt(measure_id, c['england'])}"
                     + (f" and statistical neighbours at {self.fmt(measure_id, c['sn_average'])}"
                        if not pd.isna(c["sn_average"]) else ""))
        return text + "."

    # -- scrutiny charts ---------------------------------------------------------------------
    def _school_rows(self, measure_id: str):
        tp = self.reporting_period(measure_id)
        r = self.results
        schools = r[(r["measure_id"] == measure_id) & (r["time_period"] == tp) & (r["breakdown_topic"] == "School")
                    & ~r["suppressed"]]
        total = r[(r["measure_id"] == measure_id) & (r["time_period"] == tp) & (r["breakdown_topic"] == "Total")]
        return schools, (float(total["value"].iloc[0]) if len(total) else float("nan")), tp

    def funnel_chart(self, measure_id: str):
        info = measure_info(measure_id)
        schools, overall, tp = self._school_rows(measure_id)
        if schools.empty or self.run.published_only:
            return no_data_chart(f"{info['label']}: schools")
        return funnel_chart(schools, overall, f"{info['label']} by school, {year_label(tp)}", info["unit"],
                            info["polarity"] == "higher")

    def funnel_alt_text(self, measure_id: str) -> str:
        info = measure_info(measure_id)
        schools, overall, tp = self._school_rows(measure_id)
        if schools.empty:
            return "No school-level data."
        above, below = (int(side.sum()) for side in outside_funnel(schools["value"], schools["denominator"], overall))
        return (f"Funnel plot of {in_sentence(info['label'])} for {len(schools)} schools in {year_label(tp)} against the "
                f"local authority's {self.fmt(measure_id, overall)}: {above} above and {below} below the 99.8% limits; "
                "the rest are within what chance would give for their size.")

    def district_table(self, measure_id: str) -> Table:
        """The measure by district of residence, latest year, with the gap to the LA."""
        return self.breakdown_table(measure_id, ("District",))

    def neet_by_month(self) -> pd.DataFrame:
        """The monthly NEET and not-known rates, a month's rate hidden (missing) where it counts
        fewer young people than the suppression threshold, as for any published figure."""
        frame = self.run.series.get("neet_by_month")
        if frame is None or frame.empty:
            return pd.DataFrame()
        frame = frame.copy()
        for measure_id, count in (("neet_pct", "NEET"), ("nk_pct", "NOT_KNOWN")):
            rows = pd.DataFrame({"measure_id": measure_id, "numerator": frame[count], "denominator": frame["cohort"]})
            frame.loc[primary_suppression(rows, self.settings.suppression_threshold,
                                          pd.Series({measure_id: "%"})).to_numpy(), measure_id] = np.nan
        return frame

    def neet_month_chart(self):
        frame = self.neet_by_month()
        if frame.empty:
            return None                   # show_chart says so in words: no empty figure
        frame = frame.tail(24)
        return monthly_chart(frame, "month", {"neet_pct": "NEET", "nk_pct": "Not known"},
                             "16 and 17 year olds NEET and not known, by month", "%")

    def neet_month_alt_text(self) -> str:
        frame = self.neet_by_month()
        if frame.empty:
            return "No CCIS data were supplied, so this paper has no monthly NEET figures."
        last = frame.iloc[-1]
        shown = {m: "c" if pd.isna(last[m]) else f"{format_number(last[m], 1)}%" for m in ("neet_pct", "nk_pct")}
        shown_frame = frame.tail(24).dropna(subset=["nk_pct"])
        peak = ""
        if not shown_frame.empty:     # the chart's own highest not-known month, not a claim about every year
            top = shown_frame.loc[shown_frame["nk_pct"].idxmax()]
            peak = f" Not known was highest in {top['month']} ({format_number(top['nk_pct'], 1)}%)."
        return (f"Line chart of the monthly NEET and not-known rates over the last {min(24, len(frame))} months; in "
                f"{last['month']} {shown['neet_pct']} were NEET and {shown['nk_pct']} not known." + peak)

    def pa_month_chart(self):
        frame = self.run.series.get("pa_by_month")
        if frame is None or frame.empty:
            return None
        return monthly_chart(frame, "as_at", {"pa_pct": "Persistent absence, year to date"},
                             f"Persistent absence year to date, {frame['academic_year'].iloc[0]}", "%")

    def pa_month_alt_text(self) -> str:
        frame = self.run.series.get("pa_by_month")
        if frame is None or frame.empty:
            return "No daily attendance feed was supplied, so this paper has no attendance for the year so far."
        last = frame.iloc[-1]
        return (f"Line chart of persistent absence year to date at the end of each month of {last['academic_year']}, "
                f"{format_number(last['pa_pct'], 1)}% at {last['as_at']}.")

    def provision_bands(self) -> pd.DataFrame:
        """Exclusions by days to full-time provision, with small counts suppressed (primary and
        secondary: :func:`edstats.disclosure.suppress_parts`)."""
        frame = self.run.series.get("provision_bands")
        if frame is None or frame.empty:
            return pd.DataFrame(columns=["band", "exclusions", "shown", "label"])
        # "By day 6" and "Still waiting" are published as measures too: shown or hidden as they are there
        r = self.results
        current = r[(r["breakdown_topic"] == "Total") & (r["time_period"] == time_period(frame["academic_year"].iloc[0]))]

        def shown_in_measures(measure_id):
            row = current[current["measure_id"] == measure_id]
            return pd.NA if row.empty else not bool(row["suppressed"].iloc[0])
        published = frame["band"].map({"By day 6": shown_in_measures("sixth_day_within_pct"),
                                       "Still waiting": shown_in_measures("sixth_day_without_provision_count")})
        hidden = suppress_parts(frame["exclusions"], self.settings.suppression_threshold, published)
        out = frame.copy()
        out["shown"] = out["exclusions"].where(~hidden)
        out["label"] = out["exclusions"].astype(str).where(~hidden, "c")
        return out

    def provision_chart(self):
        frame = self.provision_bands()
        if frame.empty:
            return None
        return bands_chart(frame, f"{frame['academic_year'].iloc[0]}, as at {long_date(frame['as_at'].iloc[0])}")

    def provision_alt_text(self) -> str:
        frame = self.provision_bands()
        if frame.empty:
            return ("The exclusions, provision and calendar data this chart needs were not all supplied, so this "
                    "paper has no time to full-time provision.")
        return ("Bar chart of permanent exclusions this academic year by school days to full-time provision: "
                + "; ".join(f"{b} {v}" for b, v in zip(frame["band"], frame["label"])) + ".")

    def gap_alt_text(self, measure_id: str, topic: str) -> str:
        """Alt text for a gap chart: each group's value and the reference."""
        table = self.breakdown_table(measure_id, (topic,)).frame
        if "Value" not in table:
            return "No data."
        parts = "; ".join(f"{g.split(': ', 1)[-1]} {v}" for g, v in zip(table["Group"], table["Value"]))
        h = self.headline(measure_id)
        return (f"Bar chart of {in_sentence(measure_info(measure_id)['label'])} by {topic}: {parts}; all pupils "
                f"{self.fmt(measure_id, h.value) if h else 'x'}.")

    def gap_chart(self, measure_id: str, topic: str):
        info = measure_info(measure_id)
        tp = self.reporting_period(measure_id)
        if tp is None:                # no year of the measure is published by the meeting month
            return no_data_chart(f"{info['label']} by {topic.lower()}")
        r = self.results
        sel = r[(r["measure_id"] == measure_id) & (r["time_period"] == tp) & ~r["suppressed"]]
        totals = sel[sel["breakdown_topic"] == "Total"]["value"]
        total = totals.iloc[0] if len(totals) else float("nan")
        groups = sel[sel["breakdown_topic"] == topic].assign(reference=total)
        return gap_chart(groups, f"By {topic.lower() if topic not in ('SEN provision', 'EAL') else topic}, {year_label(tp)}",
                         info["unit"],
                         f"All pupils in {self.la_name}")


def in_sentence(label: str) -> str:
    """A measure's label inside a sentence: the first letter lower-cased unless the first word is an
    abbreviation ('NEET or not known', not 'nEET or not known' or 'neet or not known')."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() or first[1:2].isupper() else label[:1].lower() + label[1:]


def show_chart(fig, alt: str) -> None:
    """Display a chart as a PNG whose alt text states its finding (used by both renderers); with
    no chart (``fig`` None: no data), the alt text alone, as a sentence of the paper."""
    from IPython.display import Image, Markdown, display

    if fig is None:
        display(Markdown(f"*{alt}*"))
        return

    display(Image(data=chart_png(fig), format="png"), metadata={"alt": alt})


def chart_png(fig) -> bytes:
    """The chart as a 150 dpi PNG holding all it draws: a legend under the axes wider than the
    figure is not cut off (bbox_inches='tight'). Closes the figure."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", pad_inches=0.1)
    plt.close(fig)
    return buffer.getvalue()


def load_paper(data_dir: str | Path = "../data/raw", period: str = "", settings_file: str | Path = "",
               cache_dir: str | Path = "", audience: str = "council", on_invalid_rows: str = "stop",
               published_only_la: str = "", comparator_sources: str = "", previous_paper: str = "",
               sn_vintage: str = "", run_folder: str | Path = "") -> Paper:
    """The paper of a run, for the meeting month ``period``.

    The pipeline passes ``run_folder``, the finished run it saved (:func:`edstats.runs.save_run`),
    with the settings file that run used: the kernel reads it and nothing else. Opened by hand
    without one, the notebook validates and computes (or loads from the cache); with
    ``published_only_la`` it takes the LA's published figures from ``comparator_sources``
    (';'-separated). ``sn_vintage`` overrides the statistical-neighbour model of the settings."""
    settings = load_settings(settings_file or None)
    if run_folder:
        run = load_run(run_folder, settings)
    elif published_only_la:
        run = prepare_published(published_only_la, [s for s in comparator_sources.split(";") if s], settings,
                                sn_vintage)
    else:
        run = prepare_run(data_dir, with_sn_vintage(settings, sn_vintage), cache_dir or None, on_invalid_rows)
    previous = read_kpm(previous_paper) if previous_paper else None
    return Paper(run, resolve_period(run, period or None), audience, previous)

