"""``cmu serve``'s shortcut for JSON records gives exactly what the full check gives, and
leaves everything doubtful to the full check (and its messages). No network needed."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from test_spec_init import messy_table

from cmu_client.dataset import load_csv
from cmu_client.errors import DataError
from cmu_client.spec import ModelSpec, parse_spec
from cmu_client.spec_infer import infer_spec
from cmu_client.tables import records_to_csv
from offchain.serve.fastpath import records_matrix


@pytest.fixture(scope="module")
def spec_and_records() -> tuple[ModelSpec, list[dict[str, Any]]]:
    header, rows = messy_table(seed=3)
    doc = infer_spec(header, rows, "diagnosis").document
    for feature in doc["features"]:
        feature["allow_missing"] = feature["name"] != "mean_texture"
    spec = parse_spec(doc)
    records = []
    for row in rows[:300]:
        record: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            if name == "diagnosis":
                continue
            feature = next((f for f in spec.features if f.name == name), None)
            if cell.strip() in ("", "NA"):
                record[name] = None
            elif feature is not None and feature.type.value == "integer":
                record[name] = int(cell)
            elif feature is not None and feature.type.value == "numeric":
                record[name] = float(cell)
            else:
                record[name] = cell  # categories as written, spaces and all
        records.append(record)
    return spec, records


def full_check(records: Any, spec: ModelSpec) -> np.ndarray[Any, Any]:
    data = load_csv(
        records_to_csv(records),
        spec,
        require_label=False,
        allow_extra_columns=True,
        subject="request",
    )
    return data.features


def test_same_matrix_as_the_full_check(
    spec_and_records: tuple[ModelSpec, list[dict[str, Any]]],
) -> None:
    spec, records = spec_and_records
    fast = records_matrix(records, spec)
    assert fast is not None
    assert np.isnan(fast).any()  # missing values were sent as null
    np.testing.assert_array_equal(fast, full_check(records, spec))
    also = records_matrix({"records": records}, spec)
    assert also is not None
    np.testing.assert_array_equal(also, fast)


def test_random_changes_agree_or_fall_back(
    spec_and_records: tuple[ModelSpec, list[dict[str, Any]]],
) -> None:
    spec, records = spec_and_records
    rng = random.Random(12)
    changes: list[Any] = [
        None,
        math.nan,
        math.inf,
        -1.0,
        2.0,
        0.5,
        3,
        7.0,
        True,
        "3",
        "NA",
        " low",
        "high ",
        "nope",
        "",
        10**400,
        [1],
        {"a": 1},
    ]
    names = [f.name for f in spec.features]
    fell_back = agreed = 0
    for _ in range(600):
        batch = [dict(r) for r in rng.sample(records, 5)]
        for _ in range(rng.randint(1, 3)):
            batch[rng.randrange(5)][rng.choice(names)] = rng.choice(changes)
        fast = records_matrix(batch, spec)
        try:
            full = full_check(batch, spec)
        except DataError:
            assert fast is None, batch  # refusals always come from the full check
            fell_back += 1
            continue
        if fast is None:
            fell_back += 1
        else:
            np.testing.assert_array_equal(fast, full)
            agreed += 1
    assert agreed > 20 and fell_back > 100


@pytest.mark.parametrize(
    "change",
    [
        {"mean_radius ": "high"},  # a key spelled with a space: the full check decides
        {"diagnosis": "benign"},  # a label sent along is checked by the full check
        {"visits": 3.0},  # a whole float for an integer feature is '3.0' as text
        {"mean_texture": None},  # missing where not allowed
    ],
)
def test_doubtful_records_go_to_the_full_check(
    spec_and_records: tuple[ModelSpec, list[dict[str, Any]]], change: dict[str, Any]
) -> None:
    spec, records = spec_and_records
    assert records_matrix([{**records[0], **change}], spec) is None
    assert records_matrix([], spec) is None
    assert records_matrix([records[0], "row"], spec) is None
