"""The data contract as code: each dataset's columns, codes and rules, and the reader.

One module per dataset declares a :class:`Dataset`; :func:`read_dataset` stacks every CSV or
Parquet file of a dataset folder as text, keeping each row's file and line for error reports.
"""

from __future__ import annotations


from .spec import CHARACTERISTICS, Column, Dataset
from .reader import RawDataset, read_dataset
from . import eyfsp, schools

#: Every dataset edstats knows, by folder name.
DATASETS: dict[str, Dataset] = {d.name: d for d in (schools.SCHOOLS, eyfsp.EYFSP)}

__all__ = ["CHARACTERISTICS", "Column", "Dataset", "DATASETS", "RawDataset", "read_dataset"]
