"""Preparing a version: from parsed inputs to recipe, artifact, metrics and decisions.

No IO here: callers fetch and parse data, then upload and publish what this returns. The
same recipe is what ``cmu verify`` re-derives, so the artifact is always produced by
:func:`offchain.training.derive_artifact` on exactly the recipe's inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cmu_client.dataset import Dataset
from cmu_client.errors import CmuError
from cmu_client.predict import load_booster
from cmu_client.spec import ContentRef, ModelSpec, UpdateMode
from cmu_client.types import Metric
from offchain.decide import Candidate, Decision, FloatArray, Judge, select
from offchain.evaluate import Evaluation, evaluate, predict_rows
from offchain.judge import Change
from offchain.recipe import DataRef, Mode, ParentRef, Recipe, sorted_params
from offchain.timing import Stopwatch
from offchain.training import (
    derive_artifact,
    feature_importances,
    layout_for,
    library_versions,
    resolve_params,
    rounds_for,
    tree_count,
)


@dataclass(frozen=True)
class PreparedVersion:
    """Everything a new version needs before it is uploaded and published."""

    recipe: Recipe
    artifact: bytes
    evaluation: Evaluation
    decisions: tuple[Decision, ...]
    importances: Mapping[str, Mapping[str, float]]
    trees: int
    #: The whole-round check of the new model against the parent (updates that accept).
    joint: Change | None = None

    @property
    def metrics(self) -> list[Metric]:
        return self.evaluation.on_chain()

    @property
    def accepted(self) -> tuple[int, ...]:
        return tuple(d.contribution for d in self.decisions if d.accepted)


@dataclass(frozen=True)
class ParentState:
    """The version a round builds on, with what training from it needs."""

    ref: ParentRef
    artifact: bytes
    #: Data sets the parent's lineage learned from, parsed, in recipe order (retrain mode).
    learned: Sequence[tuple[DataRef, Dataset]] = ()


def _recipe(
    model: int,
    mode: Mode,
    parent: ParentRef | None,
    spec: ModelSpec,
    spec_ref: ContentRef,
    data: Sequence[DataRef],
) -> Recipe:
    return Recipe(
        model=model,
        mode=mode,
        parent=parent,
        spec=spec_ref,
        validation=_validation_of(spec),
        data=tuple(data),
        params=sorted_params(resolve_params(spec)),
        num_boost_round=rounds_for(spec, mode),
        libraries=library_versions(),
        distributed=layout_for(data),
    )


def _validation_of(spec: ModelSpec) -> ContentRef:
    if spec.validation is None:
        raise CmuError(
            "the model spec names no validation set",
            "add a validation {cid, sha256} to the spec with `cmu model` before training",
        )
    return spec.validation


def prepare_first_version(
    model: int,
    spec: ModelSpec,
    spec_ref: ContentRef,
    validation: Dataset,
    data_ref: DataRef,
    data: Dataset,
) -> PreparedVersion:
    """A model's first version, trained fresh on its initial data set."""
    recipe = _recipe(model, "fresh", None, spec, spec_ref, [data_ref])
    artifact = derive_artifact(recipe, spec, None, [data])
    evaluation = evaluate(artifact, validation, spec.task)
    return PreparedVersion(
        recipe, artifact, evaluation, (), feature_importances(artifact), tree_count(artifact)
    )


def prepare_update(
    model: int,
    spec: ModelSpec,
    spec_ref: ContentRef,
    validation: Dataset,
    parent: ParentState,
    candidates: Sequence[Candidate],
    screened: Sequence[Decision],
    on_progress: Callable[[Decision, Evaluation], None] | None = None,
    stopwatch: Stopwatch | None = None,
) -> PreparedVersion:
    """A version on top of ``parent`` that settles ``candidates`` and ``screened``.

    ``screened`` are rejections decided without training (duplicates, unreachable or
    invalid data). Candidates are judged by :func:`offchain.decide.select`; when none is
    accepted the version keeps the parent's artifact (mode ``unchanged``) and only settles.
    """
    validation_ref = _validation_of(spec)
    retrain = spec.training.update_mode is UpdateMode.RETRAIN
    mode: Mode = "retrain" if retrain else "continue"
    learned_refs = [ref for ref, _ in parent.learned]
    learned_data = [part for _, part in parent.learned]

    def recipe_for(accepted: Sequence[Candidate]) -> Recipe:
        new_refs = [c.ref for c in accepted]
        if not accepted:
            return _recipe(model, "unchanged", parent.ref, spec, spec_ref, [])
        refs = [*learned_refs, *new_refs] if retrain else new_refs
        return _recipe(model, mode, parent.ref, spec, spec_ref, refs)

    watch = stopwatch or Stopwatch()

    def train_on(accepted: Sequence[Candidate]) -> bytes:
        new_data = [c.data for c in accepted]
        data = [*learned_data, *new_data] if retrain else new_data
        with watch.phase("train"):
            return derive_artifact(recipe_for(accepted), spec, parent.artifact, data)

    parent_booster = load_booster(parent.artifact)

    def predict(artifact: bytes, rows: Dataset) -> FloatArray:
        with watch.phase("evaluate"):
            booster = parent_booster if artifact is parent.artifact else None
            return predict_rows(artifact, rows, booster)

    rule = Judge(
        spec.task,
        spec.acceptance,
        validation,
        validation_ref.sha256,
        parent.artifact,
        train_on,
        predict,
    )
    selection = select(candidates, rule, on_progress)
    recipe = recipe_for(selection.accepted)
    artifact = selection.artifact if selection.artifact is not None else parent.artifact
    decisions = tuple(sorted([*screened, *selection.decisions], key=lambda d: d.contribution))
    with watch.phase("evaluate"):
        importances = feature_importances(artifact)
        trees = tree_count(artifact)
    return PreparedVersion(
        recipe,
        artifact,
        selection.evaluation,
        decisions,
        importances,
        trees,
        selection.joint,
    )
