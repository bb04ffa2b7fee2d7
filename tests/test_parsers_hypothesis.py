"""Property-based tests of the two parsers of untrusted input: CSV data and spec documents.

Whatever the bytes or the JSON, ``load_csv`` and ``parse_spec`` either return a result or
raise the project's own error (``DataError`` / ``SpecError``, both ``CmuError``) with a
non-empty message: never a ``ValueError``, ``IndexError``, ``RecursionError``... from
inside. Inputs are generated from scratch and also by mutating valid documents, so that
the search reaches the cell and field checks rather than stopping at the first byte.

No chain or IPFS needed (``CMU_TESTS_NO_NETWORK=1`` runs this file alone without them).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from typing import Any

import numpy as np
from fixtures_client import FEATURES, csv_rows, spec_document
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cmu_client.dataset import Dataset, load_csv
from cmu_client.errors import CmuError, DataError, SpecError
from cmu_client.spec import ModelSpec, parse_spec

SPEC = parse_spec(spec_document())
REGRESSION = parse_spec(
    spec_document(task="regression", classes=None, acceptance={"metric": "rmse"})
)
MULTICLASS = parse_spec(
    spec_document(task="multiclass", classes=None, num_classes=4, acceptance={"metric": "accuracy"})
)
SPECS = st.sampled_from([SPEC, REGRESSION, MULTICLASS])
HEADER = [*FEATURES, "bought"]
RUNS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_csv_outcome(raw: bytes, spec: ModelSpec, **options: Any) -> None:
    try:
        data = load_csv(raw, spec, **options)
    except DataError as refused:
        assert refused.message and refused.problems, "a refusal says what is wrong"
        assert refused.hint, "a refusal says what to do"
        assert len(refused.message) < 2_000, "one readable line, not a dump of the input"
        return
    assert isinstance(data, Dataset)
    assert data.features.dtype == np.float64
    assert data.features.shape == (data.rows, len(spec.features))
    assert data.rows >= 1
    if data.labels is not None:
        assert data.labels.shape == (data.rows,)
        assert np.isfinite(data.labels).all(), "a label is never missing or infinite"
    # Values present are finite: NaN only stands for a missing cell.
    present = data.features[~np.isnan(data.features)]
    assert np.isfinite(present).all()


# --- CSV: arbitrary bytes -------------------------------------------------------------


@RUNS
@given(raw=st.binary(max_size=2_000), spec=SPECS)
@example(raw=b"", spec=SPEC)
@example(raw=b"\xef\xbb\xbf", spec=SPEC)
@example(raw=b"PK\x03\x04\x14\x00", spec=SPEC)
@example(raw=b"age,income\x00,region", spec=SPEC)
def test_csv_arbitrary_bytes(raw: bytes, spec: ModelSpec) -> None:
    _check_csv_outcome(raw, spec)


@RUNS
@given(text=st.text(max_size=1_500), spec=SPECS)
def test_csv_arbitrary_text(text: str, spec: ModelSpec) -> None:
    _check_csv_outcome(text.encode("utf-8", "surrogatepass"), spec)


# --- CSV: the right header, hostile cells ----------------------------------------------

CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "NA",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "1e999",
            "-1e999",
            "1e-999",
            "0x10",
            "1_000",
            " 7 ",
            "+3",
            "-0",
            ".5",
            "5.",
            "1e5",
            "9" * 400,
            "-" + "9" * 5_000,
            "0" * 500 + "1",
            "north",
            "yes",
            "no",
            "0",
            "1",
            "2",
            "3",
            "-1",
            "\u00a0",
            '"',
            "a,b",
            "\r",
            "\n",
            "\uff2e\uff41\uff2e",  # fullwidth NaN
            "\u0661\u0662",  # Arabic-Indic digits
        ]
    ),
    st.text(max_size=12),
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@RUNS
@given(
    cells=st.lists(st.lists(CELL, min_size=0, max_size=7), min_size=0, max_size=8),
    spec=SPECS,
    bom=st.booleans(),
    crlf=st.booleans(),
    options=st.sampled_from(
        [{}, {"require_label": False, "allow_extra_columns": True}, {"max_problems": 1}]
    ),
)
def test_csv_hostile_cells(
    cells: list[list[str]], spec: ModelSpec, bom: bool, crlf: bool, options: dict[str, Any]
) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n" if crlf else "\n").writerows([HEADER, *cells])
    raw = buffer.getvalue().encode("utf-8", "surrogatepass")
    _check_csv_outcome((b"\xef\xbb\xbf" if bom else b"") + raw, spec, **options)


@RUNS
@given(
    position=st.integers(min_value=0, max_value=10_000),
    junk=st.binary(min_size=1, max_size=8),
    cut=st.booleans(),
)
def test_csv_mutated_valid_file(position: int, junk: bytes, cut: bool) -> None:
    valid = csv_rows(40, seed=7)
    at = position % len(valid)
    raw = valid[:at] if cut else valid[:at] + junk + valid[at:]
    _check_csv_outcome(raw, SPEC)


def test_csv_huge_integer_and_label_cells_are_refused_not_crashing() -> None:
    """Found while writing these tests: int() refuses > 4,300 digits and float() overflows
    above 1e308; both escaped load_csv as ValueError/OverflowError."""
    for cell in ("9" * 5_000, "9" * 400, "-" + "9" * 400):
        raw = f"age,income,region,score,bought\n{cell},1,north,0.5,yes\n".encode()
        try:
            load_csv(raw, SPEC)
        except DataError as refused:
            assert "row 1, column 'age'" in refused.message
            assert "chars)" in refused.message or "out of range" in refused.message
        else:
            raise AssertionError("a 400-digit age was accepted")
    label = "age,income,region,score,bought\n30,1,north,0.5," + "1" * 5_000 + "\n"
    try:
        load_csv(label.encode(), SPEC)
    except DataError as refused:
        assert "column 'bought'" in refused.message
    else:
        raise AssertionError("a 5,000-digit class index was accepted")
    # leading zeros are still a small number
    ok = load_csv(
        ("age,income,region,score,bought\n" + "0" * 500 + "31,1,north,0.5,yes\n").encode(), SPEC
    )
    assert ok.features[0][0] == 31.0


# --- specs ------------------------------------------------------------------------------

JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(
        [
            "binary",
            "multiclass",
            "regression",
            "numeric",
            "integer",
            "categorical",
            "auc",
            "rmse",
            "accuracy",
            "continue",
            "retrain",
            "",
            "NA",
            "0x" + "ab" * 32,
        ]
    ),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
SPEC_KEYS = [
    "format",
    "name",
    "description",
    "task",
    "label",
    "classes",
    "num_classes",
    "features",
    "lightgbm",
    "acceptance",
    "validation",
]


def _check_spec_outcome(raw: Any) -> None:
    try:
        spec = parse_spec(raw)
    except SpecError as refused:
        assert refused.message and refused.hint
        return
    except CmuError as other:  # still the project's own, but specs should say SpecError
        raise AssertionError(f"parse_spec raised {type(other).__name__}, not SpecError") from None
    assert isinstance(spec, ModelSpec)
    # Whatever was accepted has a canonical form that parses back to the same spec.
    assert parse_spec(spec.to_bytes()) == spec
    tolerance = spec.acceptance.tolerance  # None: auto
    assert tolerance is None or (math.isfinite(tolerance) and tolerance >= 0)


@RUNS
@given(raw=st.binary(max_size=600))
@example(raw=b"[" * 100_000)
@example(raw=b'{"name": ' + b"1" * 5_000 + b"}")
@example(raw=b"\xff\xfe{\x00}\x00")
@example(raw=b"NaN")
def test_spec_arbitrary_bytes(raw: bytes) -> None:
    _check_spec_outcome(raw)


@RUNS
@given(doc=st.dictionaries(st.sampled_from([*SPEC_KEYS, "extra"]), JSON_VALUE, max_size=11))
def test_spec_arbitrary_documents(doc: dict[str, Any]) -> None:
    _check_spec_outcome(doc)
    _check_spec_outcome(json.dumps(doc))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


BASE = spec_document(validation=None)
BASE["lightgbm"]["params"].update({"seed": 7, "num_threads": 1, "bagging_fraction": 0.8})
BASE_PATHS = _paths(BASE)


@RUNS
@given(
    path=st.sampled_from(BASE_PATHS),
    value=st.one_of(JSON_VALUE, st.just("__delete__")),
    extra_param=st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from(
                [
                    "early_stopping_round",
                    "input_model",
                    "n_jobs",
                    "num_threads",
                    "seed",
                    "objective",
                    "deterministic",
                    "metric",
                    "num_iterations",
                    "device",
                    "verbose",
                    "random_state",
                    "num_class",
                    "output_model",
                    "machines",
                    "boosting",
                ]
            ),
            JSON_LEAF,
        ),
    ),
)
def test_spec_mutated_valid_document(
    path: tuple[Any, ...], value: Any, extra_param: tuple[str, Any] | None
) -> None:
    doc = copy.deepcopy(BASE)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if value == "__delete__":
        assume(isinstance(parent, dict))
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    lightgbm = doc.get("lightgbm")
    if (
        extra_param is not None
        and isinstance(lightgbm, dict)
        and isinstance(lightgbm.get("params"), dict)
    ):
        lightgbm["params"][extra_param[0]] = extra_param[1]
    _check_spec_outcome(doc)


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from(
        [
            "early_stopping_round",
            "early_stopping_rounds",
            "n_iter_no_change",
            "input_model",
            "model_in",
            "output_model",
            "data",
            "valid",
            "machines",
            "objective",
            "metric",
            "num_iterations",
            "n_estimators",
        ]
    ),
    value=JSON_LEAF,
)
def test_forbidden_params_are_refused_whatever_their_value(key: str, value: Any) -> None:
    doc = copy.deepcopy(BASE)
    doc["lightgbm"]["params"][key] = value
    try:
        parse_spec(doc)
    except SpecError as refused:
        assert any(p.column == f"lightgbm.params.{key}" for p in refused.problems), refused
    else:
        raise AssertionError(f"lightgbm.params.{key}={value!r} was accepted")
