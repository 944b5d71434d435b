"""The workbook writer (XlsxWriter): what goes in comes back out of openpyxl, cell for cell."""

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from edstats.workbook import write_xlsx


def test_text_numbers_booleans_and_blanks_read_back_as_written(tmp_path):
    frame = pd.DataFrame({
        "name": ["Ash & Elm <Primary>", "  leading spaces", "tab\there", None, "St Mary's \"C of E\"", "é ü 中"],
        "count": pd.array([1, 2, None, 4, 5, 6], dtype="Int64"),
        "value": [0.1, 1 / 3, np.nan, -2.5e-7, 123456789.125, float("inf")],
        "flag": [True, False, True, False, True, False],
        "maybe": [True, None, False, None, None, True],
        "code": pd.Series(["0123", "c", "z", "low", "", "x"], dtype="string"),
    })
    path = write_xlsx(tmp_path / "t.xlsx", {"Data": frame, "Empty": pd.DataFrame({"a": []})})
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Data", "Empty"]
    sheet = book["Data"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(frame.columns)
    assert [r[0] for r in rows[1:]] == ["Ash & Elm <Primary>", "  leading spaces", "tab\there", None,
                                        "St Mary's \"C of E\"", "é ü 中"]
    assert [r[1] for r in rows[1:]] == [1, 2, None, 4, 5, 6]
    values = [r[2] for r in rows[1:]]
    assert values[:2] == [0.1, 1 / 3] and values[2] is None and values[3] == -2.5e-7
    assert values[4] == 123456789.125 and values[5] is None          # infinity has no Excel value: blank
    assert [r[3] for r in rows[1:]] == [True, False, True, False, True, False]
    assert [r[4] for r in rows[1:]] == [True, None, False, None, None, True]
    assert [r[5] for r in rows[1:]] == ["0123", "c", "z", "low", None, "x"]   # text stays text: 0123 keeps its 0
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b and not sheet["A2"].font.b
    # the longest value, in characters (XlsxWriter stores Excel's width, the characters plus its padding)
    assert int(sheet.column_dimensions["A"].width) == len("Ash & Elm <Primary>") + 2
    assert list(book["Empty"].iter_rows(values_only=True)) == [("a",)]


def test_characters_xml_cannot_hold_are_dropped_not_fatal(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"S": pd.DataFrame({"t": ["bell\x07 and nul\x00 gone"]})})
    assert openpyxl.load_workbook(path)["S"]["A2"].value == "bell and nul gone"


@pytest.mark.parametrize("name", ["", "a" * 32, "KPM/2026", "what?"])
def test_a_sheet_name_excel_refuses_is_refused_before_writing(tmp_path, name):
    with pytest.raises(ValueError, match="sheet name"):
        write_xlsx(tmp_path / "t.xlsx", {name: pd.DataFrame({"a": [1]})})
    assert not (tmp_path / "t.xlsx").exists()


def test_pandas_reads_the_whole_sheet_back(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"id": [f"S{i:05d}" for i in range(5000)], "v": rng.normal(size=5000)})
    path = write_xlsx(tmp_path / "t.xlsx", {"Big": frame})
    back = pd.read_excel(path, sheet_name="Big")
    assert back["id"].tolist() == frame["id"].tolist()
    # to 15 significant digits, all that Excel itself holds of a number
    assert all(math.isclose(a, b, rel_tol=1e-15, abs_tol=0) for a, b in zip(back["v"], frame["v"]))
