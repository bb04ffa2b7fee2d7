"""Evaluation of a model on a spec's validation set, and the metrics' on-chain form.

Metrics are computed with plain numpy so that the numbers a verifier recomputes do not
depend on another library's version. On chain each is stored as ``round(value * 1e9)``
(:class:`cmu_client.types.Metric`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from cmu_client.dataset import Dataset
from cmu_client.errors import CmuError
from cmu_client.predict import load_booster
from cmu_client.spec import Task
from cmu_client.types import Metric

_EPS = 1e-15
FloatArray = npt.NDArray[np.float64]

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


def predict_rows(artifact: bytes, rows: Dataset, booster: lgb.Booster | None = None) -> FloatArray:
    """The model's predictions (probabilities for classification) on labelled rows."""
    if rows.labels is None:
        raise EvaluationError("the data has no label column")
    if rows.rows == 0:
        raise EvaluationError("the data is empty")
    if booster is None:
        booster = load_booster(artifact)
    # LightGBM stores names with spaces as underscores.
    expected = tuple(name.replace(" ", "_") for name in rows.feature_names)
    if tuple(booster.feature_name()) != expected:
        raise EvaluationError("the model's features differ from the data's columns")
    return np.asarray(booster.predict(rows.features, raw_score=False), dtype=np.float64)


def evaluate(artifact: bytes, validation: Dataset, task: Task) -> Evaluation:
    """Every metric of the task for a text model on the labelled validation set."""
    predictions = predict_rows(artifact, validation)
    assert validation.labels is not None  # checked by predict_rows
    return evaluation_of(task, validation.labels, predictions)


def evaluation_of(task: Task, labels: FloatArray, predictions: FloatArray) -> Evaluation:
    """Every metric of the task for these predictions."""
    return Evaluation(
        {name: metric_value(task, name, labels, predictions) for name in TASK_METRICS[task]}
    )


def metric_value(task: Task, metric: str, labels: FloatArray, predictions: FloatArray) -> float:
    """One metric of predictions against labels (``auc``, ``rmse``, ...)."""
    if task is Task.BINARY:
        if metric == "auc":
            return auc(labels, predictions)
        if metric == "logloss":
            return binary_logloss(labels, predictions)
        if metric == "accuracy":
            return float(np.mean((predictions >= 0.5) == (labels >= 0.5)))
    elif task is Task.MULTICLASS:
        classes = labels.astype(np.int64)
        if metric == "accuracy":
            return float(np.mean(np.argmax(predictions, axis=1) == classes))
        if metric == "multi_logloss":
            return multi_logloss(classes, predictions)
    else:
        errors = predictions - labels
        if metric == "rmse":
            return float(np.sqrt(np.mean(errors**2)))
        if metric == "mae":
            return float(np.mean(np.abs(errors)))
        if metric == "r2":
            total = float(np.sum((labels - np.mean(labels)) ** 2))
            return 1.0 - float(np.sum(errors**2)) / total if total > 0 else 0.0
    raise EvaluationError(
        f"metric {metric!r} is not computed for {task.value} models",
        f"available: {', '.join(TASK_METRICS[task])}",
    )


def auc(labels: FloatArray, scores: FloatArray) -> float:
    """Area under the ROC curve (Mann-Whitney U with tied scores sharing their mean rank)."""
    positive = labels >= 0.5
    n_pos = int(np.count_nonzero(positive))
    n_neg = labels.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        raise EvaluationError("AUC needs both classes in the validation set")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    # Runs of equal scores: each member gets the run's mean (1-based) rank. Ranks are
    # half-integers, so their sums are exact in float64.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], sorted_scores.shape[0]] - 1
    ranks = np.empty(scores.shape[0], dtype=np.float64)
    ranks[order] = np.repeat((starts + ends) / 2.0 + 1.0, ends - starts + 1)
    rank_sum = float(np.sum(ranks[positive]))
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def binary_logloss(labels: FloatArray, probs: FloatArray) -> float:
    p = np.clip(probs, _EPS, 1.0 - _EPS)
    return float(-np.mean(labels * np.log(p) + (1.0 - labels) * np.log(1.0 - p)))


def multi_logloss(classes: npt.NDArray[np.int64], probs: npt.NDArray[np.float64]) -> float:
    picked = probs[np.arange(classes.shape[0]), classes]
    return float(-np.mean(np.log(np.clip(picked, _EPS, 1.0))))
