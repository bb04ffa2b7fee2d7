"""CSV validation against the spec: arrays out, or row-level problems. No chain needed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fixtures_client import csv_rows, make_spec, rows, to_csv

from cmu_client.dataset import Dataset, load_csv
from cmu_client.errors import DataError

HEADER = "age,income,region,score,bought\n"


def problems(raw: bytes, **kwargs: object) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_csv(raw, make_spec(), **kwargs)  # type: ignore[arg-type]
    return caught.value.details()


def test_valid_csv_becomes_float_arrays() -> None:
    raw = (HEADER + "30,1000.5,east,0.25,yes\n41,,north,1e-1,no\n55,NA,west,0.9,1\n").encode()
    data = load_csv(raw, make_spec())
    assert data.rows == 3
    assert data.feature_names == ("age", "income", "region", "score")
    assert data.features.dtype == np.float64
    assert data.features[0].tolist() == [30.0, 1000.5, 2.0, 0.25]  # east = category index 2
    assert math.isnan(data.features[1][1]) and math.isnan(data.features[2][1])
    assert data.labels is not None and data.labels.tolist() == [1.0, 0.0, 1.0]


def test_column_order_is_free_and_a_bom_is_ignored() -> None:
    raw = "\ufeffbought,score,region,income,age\nyes,0.5,south,10,20\n".encode()
    data = load_csv(raw, make_spec())
    assert data.features[0].tolist() == [20.0, 10.0, 1.0, 0.5]


def test_large_generated_file_is_valid() -> None:
    data = load_csv(csv_rows(2000, seed=3), make_spec())
    assert data.rows == 2000
    assert np.isnan(data.features[:, 1]).sum() > 0  # missing incomes stay missing


def test_every_bad_cell_is_reported_with_row_column_and_expectation() -> None:
    raw = (
        HEADER
        + "30,abc,east,0.5,yes\n"  # row 1: income not a number
        + "-4,10,east,0.5,yes\n"  # row 2: age below min
        + "31.5,10,east,0.5,yes\n"  # row 3: age not whole
        + "30,10,mars,0.5,yes\n"  # row 4: unknown category
        + "30,10,east,,yes\n"  # row 5: score may not be missing
        + "30,10,east,0.5,\n"  # row 6: missing label
        + "30,10,east,0.5,maybe\n"  # row 7: unknown class
        + "30,10,east\n"  # row 8: too few values
        + "30,inf,east,0.5,no\n"  # row 9: not finite
        + "30,1_000,east,0.5,no\n"  # row 10: python-only number syntax
    ).encode()
    found = problems(raw)
    expected = [
        "row 1, column 'income': 'abc' is not a number (expected a decimal number",
        "row 2, column 'age': -4 is below the minimum (expected >= 0)",
        "row 3, column 'age': '31.5' is not a whole number (expected an integer)",
        "row 4, column 'region': unknown category 'mars' (expected one of 'north', 'south'",
        "row 5, column 'score': missing value (expected a value (this feature does not allow",
        "row 6, column 'bought': missing label",
        "row 7, column 'bought': unknown class 'maybe'",
        "row 8: 3 values (expected 5 values, as in the header)",
        "row 9, column 'income': 'inf' is not a number",
        "row 10, column 'income': '1_000' is not a number",
    ]
    assert len(found) == len(expected)
    for line, start in zip(found, expected, strict=True):
        assert line.startswith(start), (line, start)


def test_header_problems() -> None:
    found = problems(b"age,age,region,score,bought,colour\n1,2,east,0.1,no,red\n")
    joined = "\n".join(found)
    assert "row 0, column 'age': duplicate column" in joined
    assert "row 0, column 'income': missing column" in joined
    assert "row 0, column 'colour': column not in the spec" in joined


def test_missing_label_column_is_refused_for_training_but_fine_for_prediction() -> None:
    table = [r[:4] for r in rows(5)]
    table[0].append("customer_id")
    for i, r in enumerate(table[1:]):
        r.append(str(i))
    raw = to_csv(table)
    assert any("missing label column" in p for p in problems(raw))
    data = load_csv(raw, make_spec(), require_label=False, allow_extra_columns=True)
    assert data.labels is None and data.rows == 5


def test_file_level_problems() -> None:
    assert "the file is empty" in problems(b"")[0]
    assert "no data rows" in problems(HEADER.encode())[0]
    assert "not UTF-8 text" in problems(HEADER.encode() + b"30,\xff\xfe,east,0.5,yes\n")[0]
    assert "empty line" in problems((HEADER + "\n30,1,east,0.5,yes\n").encode())[0]


def test_problem_list_is_capped_and_counts_the_rest() -> None:
    raw = (HEADER + "x,1,east,0.5,yes\n" * 80).encode()
    with pytest.raises(DataError) as caught:
        load_csv(raw, make_spec(), max_problems=10)
    error = caught.value
    assert len(error.problems) == 10 and error.more == 70
    assert error.message.startswith("data: 80 problems; first: row 1, column 'age'")
    assert error.details()[-1] == "... and 70 more"


def test_labels_by_index_and_multiclass_range() -> None:
    from fixtures_client import spec_document

    from cmu_client.spec import parse_spec

    spec = parse_spec(
        spec_document(
            task="multiclass", classes=None, num_classes=3, acceptance={"metric": "accuracy"}
        )
    )
    ok = load_csv((HEADER + "1,1,east,0.1,2\n2,2,west,0.2,0\n").encode(), spec)
    assert ok.labels is not None and ok.labels.tolist() == [2.0, 0.0]
    with pytest.raises(DataError) as caught:
        load_csv((HEADER + "1,1,east,0.1,3\n").encode(), spec)
    assert "expected an integer from 0 to 2" in str(caught.value.problems[0])


def test_concat_keeps_order() -> None:
    spec = make_spec()
    a = load_csv(csv_rows(3, seed=1), spec)
    b = load_csv(csv_rows(4, seed=2), spec)
    both = Dataset.concat([a, b])
    assert both.rows == 7
    assert np.array_equal(both.features[3:], b.features, equal_nan=True)
