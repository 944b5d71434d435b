"""Reading a dataset folder into DuckDB: every file's rows, each with its file and line, Parquet's
numbers as numbers and its text as text, whatever the files' types."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from edstats.contract.reader import FILE_COL, LINE_COL, read_dataset
from edstats.engine import connect


def _rows(n=5000, seed=3):
    rng = np.random.default_rng(seed)
    upn = np.array([f"A{i:012d}" for i in rng.integers(0, 2000, n)], dtype=object)
    sex = np.array(["F", "M", None], dtype=object)[rng.integers(0, 3, n)]
    return pd.DataFrame({"upn": upn, "sex": sex, "possible_sessions": rng.integers(0, 300, n)})


def _read(folder, name):
    """(the dataset read, its rows as a pandas frame in the order they were read)."""
    con = connect()
    raw = read_dataset(folder, name, con)
    return raw, con.execute(f"SELECT * FROM {raw.frame} ORDER BY {FILE_COL}, {LINE_COL}").df()


def test_files_whose_columns_differ_in_type_still_stack_every_row(tmp_path):
    """An integer column and a float one are promoted to numbers; a column written as numbers in one
    file and text in another is text, each value as written."""
    import datetime

    folder = tmp_path / "exclusions"
    folder.mkdir()
    first = pd.DataFrame({"upn": ["A000000000001", "A000000000002"], "sessions": [4, 6],
                          "start_date": [datetime.date(2024, 9, 3), datetime.date(2025, 1, 6)]})
    second = pd.DataFrame({"upn": ["A000000000003"], "sessions": [2.5], "start_date": [datetime.date(2025, 3, 3)]})
    third = pd.DataFrame({"upn": ["A000000000004"], "sessions": ["three"], "start_date": [datetime.date(2025, 5, 1)]})
    for i, frame in enumerate((first, second)):
        frame.to_parquet(folder / f"e{i}.parquet", index=False)
    _, promoted = _read(folder, "exclusions")
    assert promoted["sessions"].tolist() == [4.0, 6.0, 2.5]
    assert promoted["start_date"].tolist() == ["2024-09-03", "2025-01-06", "2025-03-03"]    # dates as text
    third.to_parquet(folder / "e2.parquet", index=False)
    _, mixed = _read(folder, "exclusions")
    assert [str(v) for v in mixed["sessions"]] == ["4", "6", "2.5", "three"]     # as written
    assert mixed["upn"].astype(str).tolist() == [f"A00000000000{i}" for i in range(1, 5)]
    assert mixed[LINE_COL].tolist() == [2, 3, 2, 2]


@pytest.mark.parametrize("last", ["c.parquet", "c.csv"])
def test_a_parquet_file_whose_data_cannot_be_read_is_reported_and_the_others_are_read(tmp_path, last):
    """Its footer reads (so its columns and rows are known) but a data page is corrupt: the file is
    named in a problem, and the files before and after it are read whole, each row with its own file."""
    folder = tmp_path / "attendance"
    folder.mkdir()
    frames = [_rows(n=3000, seed=s) for s in (1, 2, 3)]
    for name, frame in zip(("a.parquet", "b.parquet", last), frames):
        if name.endswith(".csv"):
            frame.to_csv(folder / name, index=False)
        else:
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / name, compression="snappy")
    broken = bytearray((folder / "b.parquet").read_bytes())
    broken[200:3000] = bytes((x * 7 + 13) % 256 for x in broken[200:3000])
    (folder / "b.parquet").write_bytes(bytes(broken))

    read, rows = _read(folder, "attendance")
    assert [p["file"] for p in read.problems] == [str(folder / "b.parquet")]
    assert "could not be read" in read.problems[0]["rule"]
    assert [f.path for f in read.files] == [str(folder / "a.parquet"), str(folder / last)]
    both = pd.concat([frames[0], frames[2]], ignore_index=True)
    assert rows["upn"].astype(object).equals(both["upn"].astype(object))
    assert rows[FILE_COL].astype(str).tolist() == [str(folder / "a.parquet")] * 3000 + [str(folder / last)] * 3000
    assert rows[LINE_COL].tolist() == list(range(2, 3002)) * 2


def test_a_csv_file_reads_as_its_parquet_twin(tmp_path):
    """The same rows written as CSV and as Parquet: the same text, numbers and lines (blanks missing)."""
    frame = _rows(n=2000, seed=9)
    for kind in ("csv", "parquet"):
        (tmp_path / kind / "attendance").mkdir(parents=True)
    frame.to_csv(tmp_path / "csv" / "attendance" / "a.csv", index=False)
    frame.to_parquet(tmp_path / "parquet" / "attendance" / "a.parquet", index=False)
    _, from_csv = _read(tmp_path / "csv" / "attendance", "attendance")
    _, from_parquet = _read(tmp_path / "parquet" / "attendance", "attendance")
    assert from_csv["upn"].tolist() == from_parquet["upn"].tolist() == frame["upn"].tolist()
    assert from_csv["sex"].isna().tolist() == from_parquet["sex"].isna().tolist() == frame["sex"].isna().tolist()
    assert [int(v) for v in from_csv["possible_sessions"]] == from_parquet["possible_sessions"].tolist()
    assert from_csv[LINE_COL].tolist() == from_parquet[LINE_COL].tolist() == list(range(2, 2002))


def test_a_sum_of_counts_that_would_overflow_16_bits_is_right(tmp_path):
    """Possible sessions and both absences of 20,000 (an error, reported): 16 bits would hold each
    value but not their sum (40,000 wraps to a negative number and the row would pass)."""
    from edstats.contract import DATASETS
    from edstats.validate import check_dataset

    folder = tmp_path / "attendance"
    folder.mkdir()
    pd.DataFrame({"upn": ["A000000000001"], "academic_year": ["2024/25"], "term": ["AUT"], "school_urn": ["100001"],
                  "ncyear": [7], "age_start_of_year": [11], "possible_sessions": np.array([20_000], dtype=np.int16),
                  "authorised_absence": np.array([20_000], dtype=np.int16),
                  "unauthorised_absence": np.array([20_000], dtype=np.int16)}).to_parquet(folder / "a.parquet",
                                                                                          index=False)
    con = connect()
    raw = read_dataset(folder, "attendance", con)
    problems = check_dataset(DATASETS["attendance"], raw, con)
    assert "absences (authorised + unauthorised) exceed possible sessions" in set(problems["rule"])
