"""The data contract as code: each dataset's columns, codes and rules, and the reader.

One module per dataset declares a :class:`Dataset`; :func:`read_dataset` stacks every CSV or
Parquet file of a dataset folder as text, keeping each row's file and line for error reports.
"""

from __future__ import annotations


from .spec import CHARACTERISTICS, Column, Dataset
from .reader import RawDataset, read_dataset
from . import attendance, calendar, ccis, eyfsp, exclusions, ks2, ks4, schools

#: Every dataset edstats knows, by folder name (the order validation reads them in).
DATASETS: dict[str, Dataset] = {d.name: d for d in (
    schools.SCHOOLS, schools.SCHOOL_CENSUS, calendar.CALENDAR, eyfsp.EYFSP, ks2.KS2, ks4.KS4_PUPILS, ks4.KS4_RESULTS,
    attendance.ATTENDANCE, attendance.ATTENDANCE_SESSIONS, ccis.CCIS, exclusions.EXCLUSIONS, exclusions.PROVISION,
)}

__all__ = ["CHARACTERISTICS", "Column", "Dataset", "DATASETS", "RawDataset", "read_dataset"]
