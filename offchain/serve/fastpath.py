"""JSON records straight to the feature matrix, when every value is plainly valid.

The full check (:func:`cmu_client.tables.records_to_csv` then
:func:`cmu_client.dataset.load_csv`) writes every value as CSV text and parses it again,
which dominates the cost of a 1,000-row request. :func:`records_matrix` builds the same
matrix directly from the decoded JSON values, but only when nothing could be a problem:
numbers for numeric features (whole ``int``\\ s for integer ones), known category names
for categorical ones, ``null`` or NaN where missing values are allowed, every bound
kept, every feature key present and spelled as in the spec, no label column. Anything
else returns None and the request goes through the full check, so every refusal keeps
the CLI's messages and the values it accepts are exactly the ones ``load_csv`` would
produce
(``tests/test_serve_fastpath.py`` compares the two).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from cmu_client.spec import MISSING_TOKENS, Feature, FeatureType, ModelSpec, normalise_cell

#: Beyond this an int's decimal text is read as infinite by load_csv (refused).
_LARGEST = 10.0**308


def records_matrix(records: Any, spec: ModelSpec) -> npt.NDArray[np.float64] | None:
    """The (rows, features) float64 matrix ``load_csv`` would give, or None."""
    if isinstance(records, Mapping) and "records" in records:
        records = records["records"]
    if not isinstance(records, list) or not records:
        return None
    if not all(type(record) is dict for record in records):
        return None
    keys: set[Any] = set().union(*records)
    if spec.label in keys:
        return None  # the full check also checks labels sent along
    if any(type(k) is not str or normalise_cell(k) != k for k in keys):
        return None
    out = np.empty((len(records), len(spec.features)), dtype=np.float64)
    for j, feature in enumerate(spec.features):
        try:
            values = [record[feature.name] for record in records]
        except KeyError:
            return None
        column = (
            _categorical(values, feature)
            if feature.type is FeatureType.CATEGORICAL
            else _numbers(values, feature)
        )
        if column is None:
            return None
        out[:, j] = column
    return out


def _categorical(values: list[Any], feature: Feature) -> npt.NDArray[np.float64] | None:
    lookup = {c: float(i) for i, c in enumerate(feature.categories)}
    if feature.allow_missing:
        lookup.update(dict.fromkeys(MISSING_TOKENS, math.nan))
    column: list[float] = []
    for value in values:
        if value is None:
            value = ""
        elif type(value) is not str:
            return None
        index = lookup.get(normalise_cell(value))
        if index is None:
            return None
        column.append(index)
    return np.array(column, dtype=np.float64)


def _numbers(values: list[Any], feature: Feature) -> npt.NDArray[np.float64] | None:
    kinds = set(map(type, values))
    allowed = {int, type(None)} if feature.type is FeatureType.INTEGER else {int, float, type(None)}
    if not kinds <= allowed:
        return None  # text, booleans, whole floats for integers: the full check
    if int in kinds and any(type(v) is int and abs(v) >= _LARGEST for v in values):
        return None
    column = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    missing = np.isnan(column)
    if missing.any() and not feature.allow_missing:
        return None
    present = column[~missing]
    if not np.isfinite(present).all():
        return None
    if feature.min is not None and (present < feature.min).any():
        return None
    if feature.max is not None and (present > feature.max).any():
        return None
    return column
