"""Reading a dataset folder: Parquet text arrives as categoricals of the values used, whatever the
writer stored in each row group's dictionary, and reads the same as the plain-text file."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from edstats.contract import reader
from edstats.contract.reader import FILE_COL, LINE_COL, read_dataset


@pytest.fixture(params=["numpy", "Arrow"], ids=["few values: numpy", "Arrow's unification"])
def codes_by(request, monkeypatch):
    """Text read as dictionaries becomes codes by numpy where every dictionary is short
    (``reader._few_values``), by Arrow's unification otherwise: both routes, read alike."""
    if request.param == "Arrow":
        monkeypatch.setattr(reader, "FEW_VALUES", 0)
    return request.param


def _rows(n=5000, seed=3):
    rng = np.random.default_rng(seed)
    upn = np.array([f"A{i:012d}" for i in rng.integers(0, 2000, n)], dtype=object)
    sex = np.array(["F", "M", None], dtype=object)[rng.integers(0, 3, n)]
    return pd.DataFrame({"upn": upn, "sex": sex, "possible_sessions": rng.integers(0, 300, n)})


def _write(frame: pd.DataFrame, path, categories=None):
    """As a pandas categorical whose every category (used or not) goes into each row group's dictionary,
    in row groups of 700 rows; or as plain text."""
    if categories is not None:
        frame = frame.assign(upn=pd.Categorical(frame["upn"], categories=categories),
                             sex=pd.Categorical(frame["sex"], categories=["F", "M", "X"]))
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=700)


@pytest.mark.parametrize("read_as", ["text, then encoded", "Parquet's dictionaries, then cut"])
def test_row_groups_that_carry_every_category_read_as_the_values_used(tmp_path, monkeypatch, read_as):
    plain, stored = tmp_path / "plain", tmp_path / "stored"
    plain.mkdir(), stored.mkdir()
    frame = _rows()
    every_upn = [f"A{i:012d}" for i in range(50_000)]          # 25 times the UPNs the rows use
    _write(frame, plain / "a.parquet")
    _write(frame, stored / "a.parquet", categories=every_upn)
    stored_dict = pq.ParquetFile(stored / "a.parquet", read_dictionary=["upn"]).read_row_group(0).column("upn")
    assert len(stored_dict.chunk(0).dictionary) == 50_000         # the file is as pathological as meant
    as_dictionaries = reader._read_as_dictionaries(pq.read_metadata(stored / "a.parquet"))
    assert as_dictionaries == ["sex"]                # the UPNs' stored size gives them away
    if read_as == "Parquet's dictionaries, then cut":
        monkeypatch.setattr(reader, "DICTIONARY_BYTES_PER_ROW", 10 ** 9)
        assert reader._read_as_dictionaries(pq.read_metadata(stored / "a.parquet")) == ["upn", "sex"]

    a, b = read_dataset(plain, "attendance").frame, read_dataset(stored, "attendance").frame
    assert set(b["upn"].cat.categories) == set(frame["upn"])          # only the UPNs used
    for column in ("upn", "sex"):
        assert isinstance(b[column].dtype, pd.CategoricalDtype)
        assert b[column].astype(object).equals(a[column].astype(object)), column     # missing stays missing
        assert b[column].astype(object).equals(frame[column].astype(object)), column
    assert b["possible_sessions"].equals(a["possible_sessions"])
    assert list(b[LINE_COL]) == list(range(2, len(frame) + 2))


def test_files_stacked_keep_one_categorical_and_every_row(tmp_path, codes_by):
    folder = tmp_path / "attendance"
    folder.mkdir()
    first, second = _rows(seed=1), _rows(seed=2)
    _write(first, folder / "a_2023-24.parquet", categories=sorted(set(first["upn"]) | {"Z000000000000"}))
    _write(second, folder / "a_2024-25.parquet")
    read = read_dataset(folder, "attendance")
    both = pd.concat([first, second], ignore_index=True)
    assert isinstance(read.frame["upn"].dtype, pd.CategoricalDtype)
    assert read.frame["upn"].astype(object).equals(both["upn"].astype(object))
    assert read.frame["sex"].astype(object).equals(both["sex"].astype(object))
    assert [f.rows for f in read.files] == [len(first), len(second)]
    assert read.frame[FILE_COL].astype(str).str.endswith(".parquet").all()


def test_row_groups_some_using_every_value_some_not_read_alike(tmp_path, codes_by):
    """Row groups whose dictionaries are cut and ones left whole still stack into one column."""
    folder = tmp_path / "attendance"
    folder.mkdir()
    frame = _rows(n=1400)
    frame.loc[:699, "sex"] = ["F", "M", "X"] * 233 + ["F"]      # the first row group uses every category
    _write(frame, folder / "a.parquet", categories=sorted(set(frame["upn"])))
    read = read_dataset(folder, "attendance").frame
    assert read["sex"].astype(object).equals(frame["sex"].astype(object))
    assert read["upn"].astype(object).equals(frame["upn"].astype(object))


def test_files_whose_columns_differ_in_type_still_stack_every_row(tmp_path):
    """Stacked in Arrow when the types agree (an integer column and a float one are promoted), by
    pandas when they cannot be (a column written as numbers in one file and text in another)."""
    import datetime

    folder = tmp_path / "exclusions"
    folder.mkdir()
    first = pd.DataFrame({"upn": ["A000000000001", "A000000000002"], "sessions": [4, 6],
                          "start_date": [datetime.date(2024, 9, 3), datetime.date(2025, 1, 6)]})
    second = pd.DataFrame({"upn": ["A000000000003"], "sessions": [2.5], "start_date": [datetime.date(2025, 3, 3)]})
    third = pd.DataFrame({"upn": ["A000000000004"], "sessions": ["three"], "start_date": [datetime.date(2025, 5, 1)]})
    for i, frame in enumerate((first, second)):
        frame.to_parquet(folder / f"e{i}.parquet", index=False)
    promoted = read_dataset(folder, "exclusions").frame
    assert promoted["sessions"].tolist() == [4.0, 6.0, 2.5]
    assert promoted["start_date"].tolist() == ["2024-09-03", "2025-01-06", "2025-03-03"]    # dates as text
    third.to_parquet(folder / "e2.parquet", index=False)
    mixed = read_dataset(folder, "exclusions")
    assert [str(v) for v in mixed.frame["sessions"]] == ["4", "6", "2.5", "three"]     # as written
    assert mixed.frame["upn"].astype(str).tolist() == [f"A00000000000{i}" for i in range(1, 5)]
    assert mixed.frame[LINE_COL].tolist() == [2, 3, 2, 2]



@pytest.mark.parametrize("row_groups", [1, 2])
def test_a_dictionary_that_repeats_a_value_reads_as_one_category(row_groups, codes_by):
    """pyarrow's writer never repeats a dictionary value, but another writer might: a dictionary
    (one row group's, or one every row group shares, whose codes are then joined as they are) is
    taken as it is only when each value is in it once (pandas needs distinct categories)."""
    from edstats.contract.reader import _to_frame

    dictionary = pa.array(["a", "a", "b"])
    chunks = [pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), dictionary)
              for codes in ([[0, 1, 2, 1, None]] if row_groups == 1 else [[0, 1, 2], [1, None]])]
    frame = _to_frame(pa.table({"x": pa.chunked_array(chunks), "n": [1, 2, 3, 4, 5]}))
    assert list(frame["x"].cat.categories) == ["a", "b"]
    assert frame["x"].astype(object).tolist()[:4] == ["a", "a", "b", "a"] and pd.isna(frame["x"].iloc[4])
    assert frame["n"].tolist() == [1, 2, 3, 4, 5] and list(frame.columns) == ["x", "n"]


def test_row_groups_sharing_one_dictionary_read_as_every_value(codes_by):
    """Row groups with one dictionary (as a writer of a column of a few codes gives them) and row
    groups with dictionaries of their own, in other orders, read as the same values."""
    from edstats.contract.reader import _to_frame

    shared = pa.array(["F", "M"])
    same = [pa.DictionaryArray.from_arrays(pa.array(c, pa.int32()), shared) for c in ([1, 0, None], [0, 0, 1])]
    own = [pa.DictionaryArray.from_arrays(pa.array([0, 1, None], pa.int32()), pa.array(["M", "F"])),
           pa.DictionaryArray.from_arrays(pa.array([0, 0, 1], pa.int32()), pa.array(["F", "M"]))]
    read = [_to_frame(pa.table({"sex": pa.chunked_array(chunks)}))["sex"] for chunks in (same, own)]
    for sex in read:
        assert sex.astype(object).where(sex.notna(), None).tolist() == ["M", "F", None, "F", "F", "M"]


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

    read = read_dataset(folder, "attendance")
    assert [p["file"] for p in read.problems] == [str(folder / "b.parquet")]
    assert "could not be read" in read.problems[0]["rule"]
    assert [f.path for f in read.files] == [str(folder / "a.parquet"), str(folder / last)]
    both = pd.concat([frames[0], frames[2]], ignore_index=True)
    assert read.frame["upn"].astype(object).equals(both["upn"].astype(object))
    assert read.frame[FILE_COL].astype(str).tolist() == [str(folder / "a.parquet")] * 3000 + [str(folder / last)] * 3000
    assert read.frame[LINE_COL].tolist() == list(range(2, 3002)) * 2


@pytest.mark.parametrize("largest, bits", [(327, 16), (328, 32), (-328, 32), (21_474_836, 32), (21_474_837, 64)])
def test_whole_numbers_are_held_in_the_fewest_bits_that_leave_a_hundredfold_headroom(tmp_path, largest, bits):
    """Counts read from Parquet as 64-bit integers are held in 16 or 32 bits when 100 times their
    largest magnitude fits (national attendance's counts: 0.8 GB instead of 2.5 GB); the values
    are exactly those written, and typed they keep that width and share the memory."""
    from edstats.contract import DATASETS
    from edstats.validate import to_typed

    folder = tmp_path / "schools"
    folder.mkdir()
    headcount = np.array([0, 5, largest, 12], dtype=np.int64)
    pd.DataFrame({"school_urn": ["100001", "100002", "100003", "100004"], "headcount": headcount}).to_parquet(
        folder / "s.parquet", index=False)
    frame = read_dataset(folder, "schools").frame
    read = frame["headcount"]
    assert read.dtype == np.dtype(f"int{bits}")
    assert read.tolist() == headcount.tolist()
    typed = to_typed(DATASETS["schools"], frame)["headcount"]
    assert str(typed.dtype) == f"Int{bits}" and typed.tolist() == headcount.tolist()
    assert np.shares_memory(typed.array._data, read.to_numpy())      # wrapped, not copied
    as_text = to_typed(DATASETS["schools"], pd.DataFrame({"headcount": [str(v) for v in headcount]}))["headcount"]
    assert str(as_text.dtype) == f"Int{bits}"           # the same width, whether written as text or numbers


def test_a_sum_of_counts_that_would_overflow_16_bits_is_right(tmp_path):
    """Possible sessions and both absences of 20,000 (an error, reported): 16 bits would hold each
    value but not their sum (40,000 wraps to a negative number and the row would pass), so the
    headroom puts them in 32 bits and the row check's sum is right."""
    from edstats.contract import DATASETS
    from edstats.validate import check_dataset

    folder = tmp_path / "attendance"
    folder.mkdir()
    pd.DataFrame({"upn": ["A000000000001"], "academic_year": ["2024/25"], "term": ["AUT"], "school_urn": ["100001"],
                  "ncyear": [7], "age_start_of_year": [11], "possible_sessions": [20_000],
                  "authorised_absence": [20_000], "unauthorised_absence": [20_000]}).to_parquet(folder / "a.parquet",
                                                                                              index=False)
    raw = read_dataset(folder, "attendance")
    assert raw.frame["authorised_absence"].dtype == np.int32 and raw.frame["ncyear"].dtype == np.int16
    problems = check_dataset(DATASETS["attendance"], raw)
    assert "absences (authorised + unauthorised) exceed possible sessions" in set(problems["rule"])
