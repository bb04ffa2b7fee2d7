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

from cmu_client.spec import MISSING_TOKENS, FeatureType, ModelSpec, normalise_cell

#: Beyond this an int's decimal text is read as infinite by load_csv (refused).
_LARGEST = 10.0**308


def records_matrix(records: Any, spec: ModelSpec) -> npt.NDArray[np.float64] | None:
    """The (rows, features) float64 matrix ``load_csv`` would give, or None."""
    if isinstance(records, Mapping) and "records" in records:
        records = records["records"]
    if not isinstance(records, list) or not records:
        return None
    features = spec.features
    lookups = [
        {c: float(i) for i, c in enumerate(f.categories)}
        if f.type is FeatureType.CATEGORICAL
        else None
        for f in features
    ]
    out = np.empty((len(records), len(features)), dtype=np.float64)
    for i, record in enumerate(records):
        if type(record) is not dict or any(
            type(k) is not str or normalise_cell(k) != k for k in record
        ):
            return None
        if spec.label in record:
            return None  # the full check also checks labels sent along
        for j, feature in enumerate(features):
            if feature.name not in record:
                return None
            value = record[feature.name]
            lookup = lookups[j]
            if lookup is not None:
                if value is None:
                    text = ""
                elif type(value) is str:
                    text = normalise_cell(value)
                else:
                    return None
                if text in MISSING_TOKENS:
                    if not feature.allow_missing:
                        return None
                    out[i, j] = math.nan
                    continue
                index = lookup.get(text)
                if index is None:
                    return None
                out[i, j] = index
                continue
            kind = type(value)
            if value is None or (kind is float and math.isnan(value)):
                if not feature.allow_missing:
                    return None
                out[i, j] = math.nan
                continue
            if kind is int:
                number = float(value) if abs(value) < _LARGEST else math.inf
            elif kind is float and feature.type is FeatureType.NUMERIC:
                number = value
            else:
                return None  # text, booleans, whole floats for integers: the full check
            if not math.isfinite(number):
                return None
            if feature.min is not None and number < feature.min:
                return None
            if feature.max is not None and number > feature.max:
                return None
            out[i, j] = number
    return out
