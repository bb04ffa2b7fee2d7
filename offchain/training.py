"""Deterministic LightGBM training: the one function that turns a recipe's inputs into bytes.

Reproducibility rests on pinned settings (measured in the toolchain notes): the text model
format, ``deterministic=True``, ``force_row_wise=True``, a fixed ``seed`` and ``num_threads``,
float64 inputs and the same LightGBM version. The model text ends with a ``parameters:``
block that records these, so the whole text is hashed. The worker and ``cmu verify`` both
call :func:`derive_artifact`; nothing else trains.

A recipe with a ``distributed`` entry is trained with ``lightgbm.dask`` on the layout it
records (:mod:`offchain.distributed`), with the same parameters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from cmu_client import lgbm_params
from cmu_client.dataset import Dataset
from cmu_client.errors import CmuError
from cmu_client.lgbm_params import ParamValue
from cmu_client.predict import load_booster
from cmu_client.spec import ModelSpec, Task
from offchain import distributed
from offchain.recipe import DataRef, Distributed, Mode, Recipe

FloatArray = npt.NDArray[np.float64]


class TrainingError(CmuError):
    """Training could not run: bad parameters, empty or inconsistent data."""


@dataclass(frozen=True)
class TrainingInput:
    """Labelled rows ready for LightGBM, and which of their columns are categorical."""

    data: Dataset
    categorical: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.data.labels is None:
            raise TrainingError("training data needs a label column")
        if self.data.features.dtype != np.float64 or self.data.labels.dtype != np.float64:
            raise TrainingError("features and labels must be float64 (same dtype every run)")

    @property
    def labels(self) -> FloatArray:
        assert self.data.labels is not None  # checked in __post_init__
        return self.data.labels

    @property
    def rows(self) -> int:
        return self.data.rows


def categorical_names(spec: ModelSpec) -> tuple[str, ...]:
    """Names of the spec's categorical features, in feature order."""
    names = spec.feature_names
    return tuple(names[i] for i in spec.categorical_indices)


def combine(parts: Sequence[Dataset], spec: ModelSpec) -> TrainingInput:
    """Rows of ``parts`` in order, as one training input."""
    if not parts:
        raise TrainingError("no data to train on")
    try:
        data = parts[0] if len(parts) == 1 else Dataset.concat(parts)
    except ValueError as bad:
        raise TrainingError(f"data sets cannot be trained together: {bad}") from None
    return TrainingInput(data, categorical_names(spec))


def library_versions() -> tuple[tuple[str, str], ...]:
    """Versions of the libraries whose behaviour a recipe depends on, sorted by name."""
    try:
        cmu_version = metadata.version("cmu")
    except metadata.PackageNotFoundError:
        cmu_version = "unknown"
    return (("cmu", cmu_version), ("lightgbm", lgb.__version__), ("numpy", np.__version__))


def resolve_params(spec: ModelSpec) -> dict[str, ParamValue]:
    """The complete LightGBM parameters a recipe records for ``spec``, sorted by name.

    The spec's parameters, with aliases folded to one name, plus the objective and the
    pinned reproducibility settings; ``seed`` and ``num_threads`` default to fixed values.
    The rules are :mod:`cmu_client.lgbm_params`, the ones ``parse_spec`` already applied;
    checked again here for specs built in code.
    """
    refused = lgbm_params.check(spec.training.params)
    if refused:
        first = refused[0]
        raise TrainingError(first.message, first.expected)
    params = lgbm_params.resolve(
        spec.training.params,
        spec.task.value,
        spec.class_count if spec.task is Task.MULTICLASS else None,
    )
    check_reproducible(params)
    return params


def rounds_for(spec: ModelSpec, mode: Mode) -> int:
    """Boosting rounds a recipe of ``mode`` trains: all of them, or one update's worth."""
    if mode == "continue":
        return spec.training.rounds_per_update
    if mode == "unchanged":
        return 0
    return spec.training.num_boost_round


def check_reproducible(params: Mapping[str, object]) -> None:
    """Refuse parameters that cannot give the same bytes on every run."""
    for key in ("deterministic", "force_row_wise"):
        value = lgbm_params.PINNED[key]
        if params.get(key) != value:
            raise TrainingError(f"LightGBM parameter {key} must be {value!r} for reproducibility")
    threads = params.get("num_threads")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise TrainingError("num_threads must be fixed to a positive integer")
    if not isinstance(params.get("seed"), int):
        raise TrainingError("seed must be fixed to an integer")


def layout_for(data: Sequence[DataRef]) -> Distributed | None:
    """The ``distributed`` entry of a recipe training on ``data`` in this context: the
    active Dask trainer's layout (:func:`offchain.distributed.using`), or ``None`` (also
    when there are fewer rows than Dask workers: such data trains on one machine)."""
    trainer = distributed.active()
    rows = sum(ref.rows for ref in data)
    if trainer is None or rows < len(trainer.workers()):
        return None
    layout = trainer.layout(rows)
    return Distributed(
        layout.engine, layout.tree_learner, layout.workers, layout.partitions, layout.libraries
    )


def train(
    params: Mapping[str, ParamValue],
    num_boost_round: int,
    data: TrainingInput,
    init_model: bytes | None = None,
    layout: Distributed | None = None,
    trainer: distributed.DaskTrainer | None = None,
) -> bytes:
    """Train ``num_boost_round`` trees on ``data`` (on top of ``init_model``) -> model text.

    With ``layout``, on Dask: ``trainer``, or the active one in this context.
    """
    check_reproducible(params)
    if data.rows == 0:
        raise TrainingError("no rows to train on")
    if layout is not None:
        return _train_distributed(params, num_boost_round, data, init_model, layout, trainer)
    dataset = lgb.Dataset(
        data.data.features,
        label=data.labels,
        feature_name=list(data.data.feature_names),
        categorical_feature=list(data.categorical) if data.categorical else "auto",
        params=dict(params),
        free_raw_data=True,
    )
    init = None if init_model is None else load_booster(init_model)
    try:
        booster = lgb.train(
            dict(params),
            dataset,
            num_boost_round=num_boost_round,
            init_model=init,
            keep_training_booster=False,
        )
    except lgb.basic.LightGBMError as failed:
        raise TrainingError(f"LightGBM refused to train: {failed}") from None
    return model_bytes(booster)


def _train_distributed(
    params: Mapping[str, ParamValue],
    num_boost_round: int,
    data: TrainingInput,
    init_model: bytes | None,
    layout: Distributed,
    trainer: distributed.DaskTrainer | None,
) -> bytes:
    trainer = trainer or distributed.active()
    if trainer is None:
        raise TrainingError(
            f"the recipe was trained on Dask ({layout.workers} workers) and no Dask"
            " cluster is set up here"
        )
    try:
        text = trainer.train(
            params,
            num_boost_round,
            data.data.features,
            data.labels,
            list(data.data.feature_names),
            list(data.categorical),
            distributed.Layout(
                layout.workers,
                layout.partitions,
                layout.libraries,
                layout.engine,
                layout.tree_learner,
            ),
            None if init_model is None else load_booster(init_model),
        )
    except distributed.DistributedError as failed:
        raise TrainingError(failed.message, failed.hint) from None
    return text.encode("utf-8")


def derive_artifact(
    recipe: Recipe,
    spec: ModelSpec,
    parent_artifact: bytes | None,
    data: Sequence[Dataset],
    trainer: distributed.DaskTrainer | None = None,
) -> bytes:
    """The artifact a recipe describes, from the parent's bytes and the recipe's data sets.

    ``data`` holds one parsed data set per ``recipe.data`` entry, in the same order;
    ``spec`` is the spec document the recipe names (it says which columns are categorical).
    A distributed recipe trains on ``trainer`` (default: the active one).
    """
    if len(data) != len(recipe.data):
        raise TrainingError(f"recipe lists {len(recipe.data)} data sets, got {len(data)}")
    for ref, part in zip(recipe.data, data, strict=True):
        if ref.rows != part.rows:
            raise TrainingError(f"data {ref.cid} has {part.rows} rows, the recipe says {ref.rows}")
    if recipe.mode == "unchanged":
        if parent_artifact is None:
            raise TrainingError("an 'unchanged' recipe needs the parent artifact")
        return parent_artifact
    if recipe.mode == "continue":
        if parent_artifact is None:
            raise TrainingError("a 'continue' recipe needs the parent artifact")
        return train(
            recipe.param_dict,
            recipe.num_boost_round,
            combine(data, spec),
            parent_artifact,
            recipe.distributed,
            trainer,
        )
    return train(
        recipe.param_dict,
        recipe.num_boost_round,
        combine(data, spec),
        None,
        recipe.distributed,
        trainer,
    )


def model_bytes(booster: lgb.Booster) -> bytes:
    """The text model of every iteration, as stored in IPFS and hashed on chain."""
    return booster.model_to_string(num_iteration=-1).encode("utf-8")


def sha256_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def feature_importances(artifact: bytes) -> dict[str, dict[str, float]]:
    """Per feature: total split ``gain`` and ``split`` count over all trees."""
    booster = load_booster(artifact)
    names = booster.feature_name()
    gains = booster.feature_importance(importance_type="gain")
    splits = booster.feature_importance(importance_type="split")
    return {
        name: {"gain": round(float(gain), 6), "split": float(split)}
        for name, gain, split in zip(names, gains, splits, strict=True)
    }


def tree_count(artifact: bytes) -> int:
    """Number of trees in a text model (iterations times trees per iteration)."""
    return int(load_booster(artifact).num_trees())
