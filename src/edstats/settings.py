"""Settings: edstats.yml read into a validated, typed object.

Every methodology point that DfE's published guidance leaves open is a named setting here,
with its default and the reason for the default (see docs/methodology.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import SettingsError


@dataclass(frozen=True)
class LocalAuthority:
    """The LA the papers are about, as DfE's comparator files name it."""

    name: str = "Wyvern City"
    new_la_code: str = "E08999999"
    old_la_code: str = "999"
    region_code: str = "E12999999"
    region_name: str = "Middle Shires"
    council_name: str = "Wyvern City Council"


@dataclass(frozen=True)
class Methodology:
    """Uncertain methodology points (methodology.md section 10), each an explicit choice."""

    # Register #1. Whole-child "A" (not assessed) EYFSP records: DfE's current text does not say.
    # Default False follows the historic (pre-2021) practice of dropping them from every
    # calculation; reconcile with the published children_count before first publication.
    eyfsp_include_not_assessed_in_denominator: bool = False

    # Register #3. DfE's secondary accountability guide and LAIT's dictionary: English is double
    # weighted only when both English language and literature were taken; one DfE release words it
    # otherwise. False double-weights a lone English GCSE.
    ks4_english_double_weight_requires_both: bool = True

    # Section 3.3. A combined science double award graded e.g. 6-5 fills two slots; "mean" gives
    # each slot the mean of the pair (5.5 and 5.5, DfE's published practice), "each_grade" gives
    # one grade to each slot (6 and 5).
    ks4_combined_science_points: str = "mean"

    # Register #4. EBacc APS: the five pillars' points (science counting two grades) over 6.
    ks4_ebacc_aps_divisor: int = 6

    # Section 3.4. When a pupil has only one of KS2 reading and maths, use it as prior attainment
    # (true) or leave the pupil out of Progress 8 (false).
    ks4_prior_from_one_subject: bool = True

    # Register #7 and section 4.3. Which terms a year's census absence covers: "full_year"
    # (three terms, DfE's headline), "autumn_spring" or "autumn". Years without all the terms
    # needed are not reported (e.g. 2019/20, when summer 2020 was not collected).
    absence_period: str = "full_year"

    # Register #7. Pupil referral units and alternative provision are outside DfE's headline
    # absence figures (state-funded primary, secondary and special schools).
    absence_include_pru_ap: bool = False

    # Register #8. NEET and not known: the three months' counts averaged ("counts", as DfE publishes
    # them: its dashboard's cohort is the December-February average) or the mean of the three
    # monthly rates ("rates", not DfE's method).
    neet_average: str = "counts"


CORE_CITIES = ("Birmingham", "Bristol", "Leeds", "Liverpool", "Manchester", "Newcastle", "Nottingham", "Sheffield")


@dataclass(frozen=True)
class Comparators:
    """Which comparator groups the papers use."""

    # Statistical-neighbour model by vintage as named in the groups table (DfE's "2021" or "2025",
    # "synthetic 2025" for the synthetic data); empty means the newest vintage available.
    sn_vintage: str = ""
    # Core cities by name (a name matches an LA whose DfE name starts with it, e.g. "Newcastle"
    # matches "Newcastle upon Tyne") or old LA code. Empty: the comparator folder's core_cities group.
    core_cities: tuple = CORE_CITIES
    # Where imported comparator tables are (``edstats comparators import`` writes there); a
    # ``comparators/`` folder inside the data folder is used first when present.
    folder: str = "data/processed/comparators"


@dataclass(frozen=True)
class Contact:
    """The officer a council paper names as its contact (all blank: the paper names none)."""

    name: str = ""
    role: str = ""
    email: str = ""
    telephone: str = ""


@dataclass(frozen=True)
class Data:
    """Where the datasets are read from (the command line's ``--data`` overrides ``location``)."""

    # A folder of dataset folders, a DuckDB database file, or a PostgreSQL database
    # (postgresql://analyst@warehouse/education) with one table or view per dataset. A password
    # is refused here: keep it in ~/.pgpass, which the connection reads.
    location: str = "data/raw"
    # With a database: the folder that holds what a data folder's reference folders would
    # (p8_estimates/, comparators/, SYNTHETIC.md). Unused with a folder, which holds its own.
    reference_folder: str = ""


#: The council paper's recommendation when the settings give none.
DEFAULT_RECOMMENDATIONS = ("That Council notes the education performance set out in this report.",)


@dataclass(frozen=True)
class Settings:
    """Everything a run depends on besides the data. Recorded in every manifest.

    ``targets``, ``contact``, ``recommendations`` and ``comparators`` belong to the LA named in
    ``la``: a run for another LA (published-only mode) never uses them (:func:`for_la`).
    """

    la: LocalAuthority = field(default_factory=LocalAuthority)
    data: Data = field(default_factory=Data)
    methodology: Methodology = field(default_factory=Methodology)
    comparators: Comparators = field(default_factory=Comparators)
    # Targets: measure id -> academic year ("2025/26") -> value; the papers show a status against them.
    targets: dict = field(default_factory=dict)
    contact: Contact = field(default_factory=Contact)
    # The council paper's recommendations, one sentence each.
    recommendations: tuple = DEFAULT_RECOMMENDATIONS
    # Counts below this (1..threshold-1) are suppressed in public outputs, as are rates
    # whose numerator or denominator is below it. 0 is a true zero and is shown.
    suppression_threshold: int = 5

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


#: Settings that take one of a few words.
CHOICES = {
    "ks4_combined_science_points": ("mean", "each_grade"),
    "absence_period": ("full_year", "autumn_spring", "autumn"),
    "neet_average": ("rates", "counts"),
}


def _build(cls, raw, where: str):
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise SettingsError(f"In edstats.yml, '{where}' must be a mapping of names to values, not {raw!r}.")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise SettingsError(
            f"In edstats.yml, '{where}' has unknown setting(s) {', '.join(unknown)}. "
            f"Known settings there are: {', '.join(known)}. Check the spelling."
        )
    values = {}
    for name, value in raw.items():
        f = known[name]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if dataclasses.is_dataclass(default):
            values[name] = _build(type(default), value, f"{where}.{name}" if where else name)
            continue
        expected = type(default)
        if expected is tuple:
            if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
                raise SettingsError(f"In edstats.yml, '{where}.{name}' must be a list of names or codes.")
            values[name] = tuple(str(v) for v in value)
            continue
        if expected is dict:
            values[name] = _targets(value) if name == "targets" else value
            continue
        if expected is str and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise SettingsError(
                f"In edstats.yml, '{(where + '.') if where else ''}{name}' must be "
                f"{'true or false' if expected is bool else 'a ' + expected.__name__}, not {value!r}."
            )
        if name in CHOICES and value not in CHOICES[name]:
            raise SettingsError(f"In edstats.yml, '{where}.{name}' must be one of {', '.join(CHOICES[name])}, "
                                f"not {value!r}.")
        values[name] = value
    return cls(**values)


def _targets(raw) -> dict:
    from .measures.dictionary import measure_dictionary

    if not isinstance(raw, dict):
        raise SettingsError("In edstats.yml, 'targets' must map measure ids to years and values, e.g. "
                            "eyfs_gld_pct: {2025/26: 68.0}.")
    known = set(measure_dictionary().index)
    out = {}
    for measure_id, years in raw.items():
        if measure_id not in known:
            raise SettingsError(f"In edstats.yml, 'targets' names an unknown measure {measure_id!r}; "
                                "the ids are listed in docs/methodology.md and measures.meta.csv.")
        if not isinstance(years, dict):
            raise SettingsError(f"In edstats.yml, targets for {measure_id} must map years (2025/26) to values.")
        out[measure_id] = {}
        for year, value in years.items():
            year = str(year)
            if not (len(year) == 7 and year[4] == "/" and year[:4].isdigit()) or isinstance(value, bool) or \
                    not isinstance(value, (int, float)):
                raise SettingsError(f"In edstats.yml, the target {measure_id}: {year}: {value!r} must be a year "
                                    "written 2025/26 and a number.")
            out[measure_id][year] = float(value)
    return out


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate ``edstats.yml``; defaults when ``path`` is None or the file is absent.

    Raises :class:`SettingsError` naming the bad key and what it should be.
    """
    if path is None or not Path(path).exists():
        return Settings()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path} is not valid YAML: {exc}") from None
    settings = _build(Settings, raw or {}, "")
    if settings.suppression_threshold < 1:
        raise SettingsError("In edstats.yml, 'suppression_threshold' must be 1 or more (the default is 5).")
    from .sources import has_password

    if has_password(settings.data.location):
        raise SettingsError("In edstats.yml, 'data.location' holds a password. The settings are copied into every "
                            "report's manifest: keep the password in ~/.pgpass (or PGPASSWORD) instead, and give "
                            "the address without it (postgresql://analyst@warehouse/education).")
    return settings


def for_la(settings: Settings, old_la_code: str, new_la_code: str = "") -> tuple[Settings, bool]:
    """(the settings a run for the LA ``old_la_code`` may use, whether they were written for it).

    Targets, contact, recommendations and comparator choices are one LA's own: when ``settings``
    name another LA (``la.old_la_code`` / ``la.new_la_code``), they are replaced by the defaults (no
    target set, no contact, DfE's newest statistical-neighbour model, and DfE's eight core cities
    when the LA is one of them).
    Methodology and the suppression threshold apply to any LA and are kept.
    """
    own = settings.la.old_la_code == str(old_la_code) or bool(new_la_code and settings.la.new_la_code == new_la_code)
    if own:
        return settings, True
    return Settings(methodology=settings.methodology, suppression_threshold=settings.suppression_threshold,
                    comparators=Comparators(core_cities=(), folder=settings.comparators.folder)), False


def with_sn_vintage(settings: Settings, vintage: str | None) -> Settings:
    """``settings`` with another statistical-neighbour model (a run parameter); unchanged when empty."""
    if not vintage:
        return settings
    return dataclasses.replace(settings, comparators=dataclasses.replace(settings.comparators, sn_vintage=vintage))
