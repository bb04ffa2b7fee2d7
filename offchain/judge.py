"""The statistics of the judging rule ``cmu-judge/2`` (docs/worker.md, "Judging").

Two questions decide whether a contribution is kept, each answered against the round's
parent only, so the order of a round's contributions never matters:

1. **Do its labels agree with the model as well as held-out data does?** The parent's mean
   per-row loss on the contribution's rows is compared with the distribution of the mean
   loss of equally many rows drawn from the validation set (a deterministic bootstrap). A
   contribution whose loss is above that distribution's ``1 - ALPHA`` quantile is
   rejected: its labels disagree with what the model and the validation set agree on far
   more than honest data of its size does by chance. The validation set may lack the rare
   row the model gets badly wrong that honest data does contain, so the resampled
   population gets one more row, at the largest loss (classification losses are capped at
   ``LOSS_CAP``, so one such row cannot decide alone): the rule of succession's prior.
2. **Does the model trained with it get worse beyond noise?** The change of the spec's
   acceptance metric from the parent to the parent plus this contribution is compared with
   a tolerance. An ``auto`` tolerance (the default) is ``Z`` times the standard error of
   that change, from a paired bootstrap over the validation rows: a change the validation
   set cannot tell from noise is not held against anyone.

Resampling is deterministic: row indices come from PCG64's raw 64-bit output (a stream
numpy keeps stable across releases) seeded from the validation set's sha2-256, so every
verifier draws the same rows. Quantiles are order statistics, not interpolations.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cmu_client.spec import Acceptance, Task
from offchain.evaluate import EvaluationError, metric_value

FloatArray = npt.NDArray[np.float64]

#: The rule's name, recorded in every version card it judged.
RULE = "cmu-judge/2"
#: One-sided error rate of each test: an honest contribution is wrongly refused by a test
#: at most this often (when its data is like the validation set).
ALPHA = 0.01
#: The standard normal quantile of ``1 - ALPHA``.
Z = 2.326
#: Bootstrap draws for the label agreement test (means of resampled losses: cheap).
AGREEMENT_DRAWS = 2000
#: Bootstrap draws for the metric change's standard error (each recomputes the metric).
CHANGE_DRAWS = 200
#: Above this many rows the agreement test uses the normal approximation of the mean
#: (the bootstrap's index matrix would be draws x rows); at this size the two agree.
AGREEMENT_BOOTSTRAP_MAX_ROWS = 5000
_EPS = 1e-15
#: Per-row classification losses are capped here (-ln 0.01: the model gave the true class
#: 1%): one confidently wrong row weighs as much as a few, not as much as a hundred.
LOSS_CAP = 4.605170185988091


def seed_for(validation_sha256: bytes, purpose: str) -> int:
    """The bootstrap seed: fixed per validation set and purpose, known to every verifier."""
    digest = hashlib.sha256(RULE.encode() + b"/" + purpose.encode() + validation_sha256).digest()
    return int.from_bytes(digest[:8], "little")


def resample(seed: int, population: int, draws: int, size: int) -> npt.NDArray[np.int64]:
    """``draws`` x ``size`` row indices in ``[0, population)``, drawn with replacement.

    Raw PCG64 output modulo the population: the bias is below 2**-40 for any table that
    fits in memory, and the stream does not depend on numpy's sampling algorithms.
    """
    raw = np.random.PCG64(seed).random_raw(draws * size)
    return (raw % np.uint64(population)).astype(np.int64).reshape(draws, size)


def row_losses(task: Task, predictions: FloatArray, labels: FloatArray) -> FloatArray:
    """Each row's loss: log loss for classification (capped at ``LOSS_CAP``), squared error
    for regression."""
    if task is Task.BINARY:
        p = np.clip(predictions, _EPS, 1.0 - _EPS)
        loss = -(labels * np.log(p) + (1.0 - labels) * np.log(1.0 - p))
        return np.asarray(np.minimum(loss, LOSS_CAP))
    if task is Task.MULTICLASS:
        picked = predictions[np.arange(labels.shape[0]), labels.astype(np.int64)]
        return np.asarray(np.minimum(-np.log(np.clip(picked, _EPS, 1.0)), LOSS_CAP))
    return np.asarray((predictions - labels) ** 2)


@dataclass(frozen=True)
class Agreement:
    """The label agreement test's outcome for one contribution."""

    #: The parent's mean loss on the contribution's rows.
    loss: float
    #: The highest mean loss accepted for that many rows (the bootstrap's 1 - ALPHA quantile).
    limit: float
    #: The parent's mean loss on the validation set, for reference.
    validation_loss: float

    @property
    def passes(self) -> bool:
        return self.loss <= self.limit


def worst_loss(task: Task, validation_losses: FloatArray) -> float:
    """The loss of the extra row the agreement test assumes: a confidently wrong one
    (``LOSS_CAP``) for classification, the worst validation row for regression (squared
    errors have no natural cap, and the contribution must not set its own bar)."""
    if task is Task.REGRESSION:
        return float(np.max(validation_losses))
    return LOSS_CAP


def agreement(
    validation_losses: FloatArray, losses: FloatArray, seed: int, worst: float
) -> Agreement:
    """Whether ``losses`` (the parent's on a contribution) look like held-out losses."""
    rows = int(losses.shape[0])
    mean = float(np.mean(losses))
    reference = float(np.mean(validation_losses))
    # One more row at the worst loss: held-out data may lack the rare bad row.
    population_losses = np.append(validation_losses, worst)
    if rows > AGREEMENT_BOOTSTRAP_MAX_ROWS:
        spread = float(np.std(population_losses)) / math.sqrt(rows)
        return Agreement(mean, float(np.mean(population_losses)) + Z * spread, reference)
    population = int(population_losses.shape[0])
    means = np.sort(population_losses[resample(seed, population, AGREEMENT_DRAWS, rows)].mean(1))
    limit = float(means[math.ceil((1.0 - ALPHA) * AGREEMENT_DRAWS) - 1])
    return Agreement(mean, limit, reference)


@dataclass(frozen=True)
class Change:
    """How the acceptance metric moved from one model to another on the validation set."""

    before: float
    after: float
    #: Improvement in the metric's direction (negative: worse).
    gain: float
    #: The worsening that is still accepted: the spec's fixed tolerance, or Z standard
    #: errors of the change under ``auto``.
    tolerance: float
    #: The bootstrap standard error of the change (0 when the tolerance is fixed).
    standard_error: float

    @property
    def passes(self) -> bool:
        return self.gain >= -self.tolerance


def change(
    acceptance: Acceptance,
    task: Task,
    labels: FloatArray,
    before: FloatArray,
    after: FloatArray,
    seed: int,
) -> Change:
    """The metric's change from predictions ``before`` to ``after`` and its tolerance."""
    metric = acceptance.metric
    value_before = metric_value(task, metric, labels, before)
    value_after = metric_value(task, metric, labels, after)
    gain = -acceptance.worse_by(value_after, value_before)
    if acceptance.tolerance is not None:
        return Change(value_before, value_after, gain, acceptance.tolerance, 0.0)
    rows = int(labels.shape[0])
    gains = np.empty(CHANGE_DRAWS, dtype=np.float64)
    for i, idx in enumerate(resample(seed, rows, CHANGE_DRAWS, rows)):
        sample = labels[idx]
        gains[i] = -acceptance.worse_by(
            _metric_or_nan(task, metric, sample, after[idx]),
            _metric_or_nan(task, metric, sample, before[idx]),
        )
    finite = gains[np.isfinite(gains)]
    error = float(np.std(finite)) if finite.shape[0] > 1 else 0.0
    return Change(value_before, value_after, gain, Z * error, error)


def _metric_or_nan(task: Task, metric: str, labels: FloatArray, predictions: FloatArray) -> float:
    """The metric on a resample, NaN when it is undefined there (AUC on one class)."""
    try:
        return metric_value(task, metric, labels, predictions)
    except EvaluationError:
        return math.nan
