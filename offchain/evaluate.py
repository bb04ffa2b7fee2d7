"""Evaluation of a model on a spec's validation set, and the metrics' on-chain form.

Metrics are computed with plain numpy so that the numbers a verifier recomputes do not
depend on another library's version. On chain each is stored as ``round(value * 1e9)``
(:class:`cmu_client.types.Metric`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cmu_client.dataset import Dataset
from cmu_client.errors import CmuError
from cmu_client.predict import load_booster
from cmu_client.spec import Task
from cmu_client.types import Metric

_EPS = 1e-15

#: Metrics computed per task, in the order they are recorded.
TASK_METRICS: Mapping[Task, tuple[str, ...]] = {
    Task.BINARY: ("auc", "logloss", "accuracy"),
    Task.MULTICLASS: ("accuracy", "multi_logloss"),
    Task.REGRESSION: ("rmse", "mae", "r2"),
}
#: Prefix of metric keys on chain (``val_auc``), saying where they were measured.
KEY_PREFIX = "val_"


class EvaluationError(CmuError):
    """A model cannot be evaluated on the validation set."""


@dataclass(frozen=True)
class Evaluation:
    """Metric values of one model on the validation set."""

    values: Mapping[str, float]

    def on_chain(self) -> list[Metric]:
        """The metrics as ``publish_version`` records them (``val_auc`` = value x 1e9)."""
        return [Metric.from_float(KEY_PREFIX + name, value) for name, value in self.values.items()]

    def get(self, metric: str) -> float:
        try:
            return self.values[metric]
        except KeyError:
            raise EvaluationError(
                f"metric {metric!r} was not computed", f"available: {sorted(self.values)}"
            ) from None


def evaluate(artifact: bytes, validation: Dataset, task: Task) -> Evaluation:
    """Every metric of the task for a text model on the labelled validation set."""
    if validation.labels is None:
        raise EvaluationError("the validation set has no label column")
    if validation.rows == 0:
        raise EvaluationError("the validation set is empty")
    booster = load_booster(artifact)
    # LightGBM stores names with spaces as underscores.
    expected = tuple(name.replace(" ", "_") for name in validation.feature_names)
    if tuple(booster.feature_name()) != expected:
        raise EvaluationError("the model's features differ from the validation set's columns")
    raw = booster.predict(validation.features, raw_score=False)
    predictions = np.asarray(raw, dtype=np.float64)
    labels = validation.labels
    values: dict[str, float]
    if task is Task.BINARY:
        values = {
            "auc": auc(labels, predictions),
            "logloss": binary_logloss(labels, predictions),
            "accuracy": float(np.mean((predictions >= 0.5) == (labels >= 0.5))),
        }
    elif task is Task.MULTICLASS:
        classes = labels.astype(np.int64)
        values = {
            "accuracy": float(np.mean(np.argmax(predictions, axis=1) == classes)),
            "multi_logloss": multi_logloss(classes, predictions),
        }
    else:
        errors = predictions - labels
        total = float(np.sum((labels - np.mean(labels)) ** 2))
        values = {
            "rmse": float(np.sqrt(np.mean(errors**2))),
            "mae": float(np.mean(np.abs(errors))),
            "r2": 1.0 - float(np.sum(errors**2)) / total if total > 0 else 0.0,
        }
    return Evaluation(values)


def auc(labels: npt.NDArray[np.float64], scores: npt.NDArray[np.float64]) -> float:
    """Area under the ROC curve (Mann-Whitney U with tied scores sharing their mean rank)."""
    positive = labels >= 0.5
    n_pos = int(np.count_nonzero(positive))
    n_neg = labels.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        raise EvaluationError("AUC needs both classes in the validation set")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(scores.shape[0], dtype=np.float64)
    start = 0
    # Walk runs of equal scores and give each member the run's mean rank (1-based).
    while start < sorted_scores.shape[0]:
        end = start
        while end + 1 < sorted_scores.shape[0] and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    rank_sum = float(np.sum(ranks[positive]))
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def binary_logloss(labels: npt.NDArray[np.float64], probs: npt.NDArray[np.float64]) -> float:
    p = np.clip(probs, _EPS, 1.0 - _EPS)
    return float(-np.mean(labels * np.log(p) + (1.0 - labels) * np.log(1.0 - p)))


def multi_logloss(classes: npt.NDArray[np.int64], probs: npt.NDArray[np.float64]) -> float:
    picked = probs[np.arange(classes.shape[0]), classes]
    return float(-np.mean(np.log(np.clip(picked, _EPS, 1.0))))
