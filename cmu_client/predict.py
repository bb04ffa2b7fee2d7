"""Local, free prediction with a verified model artifact (LightGBM text model).

LightGBM is the ``predict`` extra (``pip install 'cmu[predict]'``): it is imported when a
booster is loaded, so importing this module (and ``cmu --help``) does not need it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from cmu_client.dataset import Dataset
from cmu_client.errors import ArtifactError, UsageError
from cmu_client.spec import ModelSpec, Task

if TYPE_CHECKING:
    import lightgbm as lgb


def load_booster(artifact: bytes) -> lgb.Booster:
    """A booster from the artifact's bytes (only call this after the hash check)."""
    try:
        import lightgbm as lgb
    except ImportError:
        raise UsageError(
            "loading a model needs LightGBM, which is not installed",
            "pip install 'cmu[predict]'",
        ) from None
    try:
        return lgb.Booster(model_str=artifact.decode("utf-8"))
    except (UnicodeDecodeError, lgb.basic.LightGBMError) as exc:
        raise ArtifactError(f"the artifact is not a LightGBM text model ({exc})") from None


def predict(booster: lgb.Booster, data: Dataset, spec: ModelSpec) -> npt.NDArray[np.float64]:
    """Raw predictions: P(class 1) for binary, (rows, classes) probabilities for
    multiclass, values for regression."""
    names = list(booster.feature_name())
    if names != list(data.feature_names):
        raise ArtifactError(
            "the model's features differ from the spec's",
            f"model: {', '.join(names[:6])}...; spec: {', '.join(data.feature_names[:6])}...",
        )
    result = booster.predict(data.features)
    values = np.asarray(result, dtype=np.float64)
    if spec.task is Task.MULTICLASS and values.ndim != 2:
        raise ArtifactError("a multiclass model should give one probability per class")
    return values


def prediction_columns(spec: ModelSpec) -> list[str]:
    if spec.task is Task.REGRESSION:
        return ["prediction"]
    labels = _class_labels(spec)
    if spec.task is Task.BINARY:
        return ["prediction", f"p_{labels[1]}"]
    return ["prediction", *(f"p_{c}" for c in labels)]


def _class_labels(spec: ModelSpec) -> list[str]:
    return list(spec.classes) if spec.classes else [str(i) for i in range(spec.class_count)]


def prediction_rows(values: npt.NDArray[np.float64], spec: ModelSpec) -> list[list[str]]:
    """Predictions as CSV cells (labels by name when the spec names classes)."""
    labels = _class_labels(spec) if spec.task is not Task.REGRESSION else []
    rows: list[list[str]] = []
    if spec.task is Task.REGRESSION:
        rows = [[repr(float(v))] for v in values]
    elif spec.task is Task.BINARY:
        rows = [[labels[int(p >= 0.5)], repr(float(p))] for p in values]
    else:
        for probs in values:
            rows.append([labels[int(np.argmax(probs))], *(repr(float(p)) for p in probs)])
    return rows


def write_predictions_csv(
    source: bytes, values: npt.NDArray[np.float64], spec: ModelSpec
) -> bytes:
    """The input CSV with prediction columns appended, row for row."""
    reader = csv.reader(io.StringIO(source.decode("utf-8-sig"), newline=""))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    header = next(reader)
    writer.writerow([*header, *prediction_columns(spec)])
    predictions = prediction_rows(values, spec)
    for fields, cells in zip(reader, predictions, strict=True):
        writer.writerow([*fields, *cells])
    return out.getvalue().encode("utf-8")


def summary(values: npt.NDArray[np.float64], spec: ModelSpec) -> Sequence[tuple[str, int]]:
    """How many rows got each predicted label (classification only)."""
    if spec.task is Task.REGRESSION:
        return []
    counts: dict[str, int] = {}
    for row in prediction_rows(values, spec):
        counts[row[0]] = counts.get(row[0], 0) + 1
    return sorted(counts.items())
