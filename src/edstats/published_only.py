"""A run from DfE's published figures alone (``--published-only --la CODE``): no pupil-level data,
the LA's own values taken from the comparator tables."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pandas as pd

from .compare.importers import import_files, resolve_la_code
from .compare.table import read_comparators
from .contract.reader import file_sha256
from .errors import EdstatsError
from .measures.result import RESULT_KEY
from .runs import PreparedRun
from .settings import Settings, for_la, with_sn_vintage


def prepare_published(la_code: str, sources, settings: Settings, sn_vintage: str = "") -> PreparedRun:
    """A run from DfE's published figures alone: the LA's values come from the comparator table.

    ``sources`` are comparator folders (made by ``edstats comparators import``) or DfE files,
    imported on the fly. Pupil-level sections of the papers are left out and say so. The
    settings' targets, contact and comparator choices are used only when they are this LA's
    (:func:`edstats.settings.for_la`); ``sn_vintage`` (a run parameter) applies either way.
    """
    tables, groups = [], []
    files = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            t, g = read_comparators(source)
            files += sorted(source.glob("*.csv"))
        else:
            t, g, _ = import_files([source])
            files.append(source)
        tables.append(t)
        groups.append(g)
    table = pd.concat([t for t in tables if not t.empty], ignore_index=True) if any(not t.empty for t in tables) \
        else pd.DataFrame()
    group = pd.concat([g for g in groups if not g.empty], ignore_index=True) if any(not g.empty for g in groups) \
        else pd.DataFrame(columns=["group_type", "vintage", "la_code", "member_code", "rank", "closeness"])
    if table.empty:
        raise EdstatsError("No comparator figures were found in " + ", ".join(map(str, sources)) + ".")
    la_code = resolve_la_code(table, la_code)   # the old code, given either code; an unknown code is refused
    own_rows = table[(table["geographic_level"] == "Local authority") & (table["old_la_code"] == str(la_code))]
    own = own_rows[own_rows["breakdown_topic"] == "Total"]
    if own.empty:
        raise EdstatsError(f"The comparator figures hold no local authority with the old code {la_code}.")
    name = own["area_name"].mode().iloc[0]
    region = group[(group["group_type"] == "region") & (group["la_code"] == str(la_code))]["member_code"]
    new_code = own["area_code"].dropna().iloc[-1] if own["area_code"].notna().any() else ""
    settings, own_settings = for_la(settings, str(la_code), new_code)
    if not own_settings:
        logging.getLogger("edstats").warning(
            f"edstats: warning: the settings file is for another LA, so its targets, contact officer and comparator "
            f"choices are not used for {name} ({la_code}); the papers show 'no target set'. Give --settings a file "
            f"whose la: block has old_la_code: \"{la_code}\" to use {name}'s own.")
    settings = with_sn_vintage(settings, sn_vintage)
    la = dataclasses.replace(settings.la, name=name, old_la_code=str(la_code), new_la_code=new_code,
                             region_code="", region_name=region.iloc[0] if len(region) else "",
                             council_name=name)     # the papers say, on their first page, that the figures are DfE's
    settings = dataclasses.replace(settings, la=la)
    # the LA's own figures, Total and the pupil groups DfE publishes (disadvantaged pupils in LAIT);
    # a figure with counts (an EES file) is preferred to the same figure without (LAIT)
    results = pd.DataFrame({"measure_id": own_rows["measure_id"], "time_period": own_rows["time_period"],
                            "breakdown_topic": own_rows["breakdown_topic"], "breakdown": own_rows["breakdown"],
                            "numerator": own_rows["numerator"], "denominator": own_rows["denominator"],
                            "value": own_rows["value"], "ci_lower": float("nan"),
                            "ci_upper": float("nan")}).dropna(subset=["value"])
    results = (results.sort_values("denominator", na_position="first", kind="stable")
               .drop_duplicates(subset=RESULT_KEY, keep="last")
               .sort_values(["measure_id", "breakdown_topic", "breakdown", "time_period"]).reset_index(drop=True))
    from .measures import measure_dictionary

    dictionary = measure_dictionary()
    present = set(results.loc[results["breakdown_topic"] == "Total", "measure_id"])
    unavailable = {m: "not in the DfE files supplied" for m in dictionary.index[dictionary["status"] == "built"]
                   if m not in present}
    inputs = [{"dataset": "comparators", "file": str(p), "sha256": file_sha256(p)} for p in files]
    return PreparedRun(results=results, settings=settings, synthetic=False, inputs=inputs, warnings=pd.DataFrame(),
                       cache_key="published", comparators=table, groups=group, published_only=True,
                       unavailable=unavailable)
