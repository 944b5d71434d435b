"""UPN check letters (data contract: weights 2-13, mod 23, alphabet without I, O, S)."""

import pandas as pd

from edstats.contract.identifiers import is_valid_upn, upn_check_letter, valid_upn_mask


def test_check_letter_worked_by_hand():
    # 9*2 + 9*3 + 9*4 + 2*5 + 1*6 + 6*7 + 0*8 + 0*9 + 0*10 + 0*11 + 0*12 + 1*13 = 152; 152 mod 23 = 14
    # index 14 of ABCDEFGHJKLMNPQRTUVWXYZ is Q.
    assert upn_check_letter("999216000001") == "Q"
    assert is_valid_upn("Q999216000001")


def test_wrong_check_letter_and_bad_shapes_are_invalid():
    assert not is_valid_upn("A999216000001")
    assert not is_valid_upn("Q99921600000")       # 12 characters
    assert not is_valid_upn("I999216000001")      # I is never used
    assert not is_valid_upn("")


def test_temporary_upn_letter_in_last_place():
    body = "99921600000"
    for letter in "ABC":
        upn_rest = body + letter
        upn = upn_check_letter(upn_rest) + upn_rest
        assert is_valid_upn(upn)


def test_vectorised_check_agrees_with_scalar(small_data):
    upns = pd.concat([pd.read_csv(p, dtype=str)["upn"] for p in (small_data / "eyfsp").glob("*.csv")])
    tampered = upns.str[0].map(lambda c: "B" if c != "B" else "C") + upns.str[1:]
    sample = pd.concat([upns, tampered, pd.Series(["", "x", None])], ignore_index=True)
    assert valid_upn_mask(sample).tolist() == [is_valid_upn(u) for u in sample]
    assert valid_upn_mask(upns).all()


def test_identifiers_in_free_text_are_masked():
    """A parser's message quoting a pupil's row (pyarrow's 'Expected 30 columns, got 31: ...')."""
    from edstats.contract.identifiers import mask_identifiers

    text = "Expected 30 columns, got 31: T999216000001,2024/25,F,2020-02-13,extra"
    masked = mask_identifiers(text)
    assert "T999216000001" not in masked and "2020-02-13" not in masked
    assert "T99*********1" in masked and "2024/25" in masked and "Expected 30 columns" in masked
    assert mask_identifiers(text, dates=False).endswith("2020-02-13,extra")


def test_a_upn_typed_into_another_column_is_masked_in_the_problem_report():
    import pandas as pd

    from edstats.contract import DATASETS, RawDataset
    from edstats.contract.reader import FILE_COL, LINE_COL
    from edstats.validate import check_dataset

    frame = pd.DataFrame({"upn": ["T999216000001"], "sex": ["T999216000001"], FILE_COL: "e.csv", LINE_COL: [2]})
    problems = check_dataset(DATASETS["ks4_pupils"], RawDataset("ks4_pupils", frame))
    value = problems.loc[problems["column"] == "sex", "value"].iloc[0]
    assert value == "T99*********1"
