"""The model spec document: what a model predicts, from which features, trained how.

A spec is a JSON document stored in IPFS; the chain records its CID and sha2-256.
Example (every key explained in docs/client.md)::

    {
      "format": "cmu-model-spec/1",
      "name": "breast-cancer",
      "task": "binary",
      "label": "target",
      "classes": ["malignant", "benign"],
      "features": [
        {"name": "mean radius", "type": "numeric"},
        {"name": "site", "type": "categorical", "categories": ["a", "b"]},
        {"name": "visits", "type": "integer", "min": 0, "allow_missing": false}
      ],
      "lightgbm": {"params": {"learning_rate": 0.1, "num_leaves": 15},
                   "num_boost_round": 50, "rounds_per_update": 20,
                   "update_mode": "retrain"},
      "acceptance": {"metric": "auc"},
      "validation": {"cid": "bafk...", "sha256": "<64 hex chars>"}
    }

:func:`parse_spec` checks everything and reports every problem with its JSON path.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import msgspec

from cmu_client import lgbm_params
from cmu_client.documents import ABSENT, canonical_json, check_fields, says, to_builtins
from cmu_client.errors import Problem, SpecError

SPEC_FORMAT = "cmu-model-spec/1"
#: Spec documents are small; readers refuse anything larger before downloading it.
MAX_SPEC_BYTES = 1024 * 1024

#: Cell texts that mean "missing" in a CSV; LightGBM sees them as NaN.
MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL"})


def normalise_cell(text: str) -> str:
    """A data cell, a category or a class name as they are compared: surrounding
    whitespace stripped. Data cells (:mod:`cmu_client.dataset`) and the spec's categories
    and classes go through this one function, so ``"WD "`` in a spec matches ``WD`` in
    the data and the other way round."""
    return text.strip()


class Task(enum.Enum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


class FeatureType(enum.Enum):
    NUMERIC = "numeric"
    INTEGER = "integer"
    CATEGORICAL = "categorical"


class UpdateMode(enum.Enum):
    #: Each version continues boosting from its parent (``init_model``).
    CONTINUE = "continue"
    #: Each version is retrained from scratch on all accepted data.
    RETRAIN = "retrain"


#: Metric name -> (tasks it applies to, higher is better).
METRICS: Mapping[str, tuple[frozenset[Task], bool]] = {
    "auc": (frozenset({Task.BINARY}), True),
    "logloss": (frozenset({Task.BINARY}), False),
    "accuracy": (frozenset({Task.BINARY, Task.MULTICLASS}), True),
    "multi_logloss": (frozenset({Task.MULTICLASS}), False),
    "rmse": (frozenset({Task.REGRESSION}), False),
    "mae": (frozenset({Task.REGRESSION}), False),
    "r2": (frozenset({Task.REGRESSION}), True),
}


@dataclass(frozen=True)
class Feature:
    name: str
    type: FeatureType
    categories: tuple[str, ...] = ()
    allow_missing: bool = True
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class TrainingSpec:
    params: Mapping[str, Any] = field(default_factory=dict)
    num_boost_round: int = 50
    rounds_per_update: int = 20
    update_mode: UpdateMode = UpdateMode.RETRAIN


@dataclass(frozen=True)
class Acceptance:
    """How contributions are judged: by ``metric``, which may get worse by at most the
    tolerance. ``tolerance`` is a fixed amount in the metric's units, or ``None`` for
    ``auto``: the noise of the metric's change on the validation set (offchain/judge.py)."""

    metric: str
    tolerance: float | None
    higher_is_better: bool

    @property
    def tolerance_text(self) -> str:
        return "auto" if self.tolerance is None else f"{self.tolerance:g}"

    def worse_by(self, with_data: float, without_data: float) -> float:
        """How much worse ``with_data`` is than ``without_data`` (negative: better)."""
        delta = without_data - with_data
        return delta if self.higher_is_better else -delta


@dataclass(frozen=True)
class ContentRef:
    """A CID plus the sha2-256 of its bytes."""

    cid: str
    sha256: bytes


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """A parsed, checked model spec (:func:`parse_spec`); :meth:`to_bytes` stores it.
    Fields in the document's order."""

    name: str
    description: str = ""
    task: Task
    #: The label column's name.
    label: str
    classes: tuple[str, ...] = ()
    num_classes: int = 0
    features: tuple[Feature, ...]
    training: TrainingSpec
    acceptance: Acceptance
    validation: ContentRef | None
    #: The validation set is committed (its CID and hash are known) but not published:
    #: trainers hold it, and it is revealed when the owner rotates to a new one
    #: (docs/worker.md, "A private validation set").
    validation_private: bool = False

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.type is FeatureType.CATEGORICAL]

    @property
    def class_count(self) -> int:
        """Classes of a classification task (2 for binary), 0 for regression."""
        if self.task is Task.BINARY:
            return 2
        if self.task is Task.MULTICLASS:
            return self.num_classes or len(self.classes)
        return 0

    def with_validation(self, ref: ContentRef, private: bool = False) -> ModelSpec:
        return replace(self, validation=ref, validation_private=private)

    def document(self) -> SpecDocument:
        """The spec as its typed JSON document (what :meth:`to_bytes` encodes)."""
        multiclass_count = self.task is Task.MULTICLASS and not self.classes
        return SpecDocument(
            format=SPEC_FORMAT,
            name=self.name,
            description=self.description,
            task=self.task,
            label=self.label,
            classes=list(self.classes) if self.classes else None,
            num_classes=self.num_classes if multiclass_count else None,
            features=[
                FeatureDocument(
                    name=f.name,
                    type=f.type,
                    categories=list(f.categories) if f.categories else None,
                    allow_missing=f.allow_missing,
                    min=f.min,
                    max=f.max,
                )
                for f in self.features
            ],
            lightgbm=LightgbmDocument(
                params=dict(self.training.params),
                num_boost_round=self.training.num_boost_round,
                rounds_per_update=self.training.rounds_per_update,
                update_mode=self.training.update_mode,
            ),
            acceptance=AcceptanceDocument(
                metric=self.acceptance.metric,
                tolerance=self.acceptance.tolerance,
                higher_is_better=self.acceptance.higher_is_better,
            ),
            validation=None
            if self.validation is None
            else ValidationDocument(
                self.validation.cid, self.validation.sha256.hex(), self.validation_private
            ),
        )

    def to_document(self) -> dict[str, Any]:
        """The spec as plain JSON values."""
        doc: dict[str, Any] = to_builtins(self.document())
        return doc

    def to_bytes(self) -> bytes:
        """Canonical bytes (:func:`cmu_client.documents.canonical_json`): what is stored
        and hashed."""
        return canonical_json(self.to_document())


# --- the document, typed ---------------------------------------------------------------
#
# The structs below say what each key holds, and (``says``) how a value of the wrong type
# or range is reported. :func:`parse_spec` checks every key against them
# (:func:`cmu_client.documents.check_fields`), so it reports every problem with its JSON
# path instead of stopping at the first, then applies the rules that involve several keys
# (classes against the task, a feature named like the label, a metric for the task, ...).


_NonEmpty = Annotated[str, says("missing or empty", None, pattern=r"\S")]
_Bound = Annotated[float | None, says("must be a finite number on a numeric or integer feature")]
_Rounds = Annotated[
    int, says("{value!r} is not valid", "an integer from 1 to 100000", ge=1, le=100_000)
]


class FeatureDocument(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: _NonEmpty
    type: Annotated[FeatureType, says("unknown type {value!r}", "numeric, integer or categorical")]
    categories: Annotated[
        list[str] | None,
        says(
            "missing or not a list of strings",
            "every category, in a fixed order (their index is the encoding)",
        ),
    ] = None
    allow_missing: Annotated[bool, says("not a boolean")] = True
    min: _Bound = None
    max: _Bound = None


class LightgbmDocument(msgspec.Struct, forbid_unknown_fields=True):
    params: Annotated[dict[str, Any], says("not an object")] = msgspec.field(default_factory=dict)
    num_boost_round: _Rounds = 50
    rounds_per_update: _Rounds = 20
    update_mode: Annotated[UpdateMode, says("unknown mode {value!r}", "continue or retrain")] = (
        UpdateMode.RETRAIN
    )


class AcceptanceDocument(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    metric: Annotated[str, says("unknown metric {value!r}", ", ".join(sorted(METRICS)))]
    #: Absent: ``auto`` (the noise of the metric's change; offchain/judge.py).
    tolerance: Annotated[
        Annotated[float, msgspec.Meta(ge=0)] | None,
        says("{value!r} is not valid", "a number >= 0, or leave it out for auto"),
    ] = None
    higher_is_better: bool | None = None


class ValidationDocument(msgspec.Struct, omit_defaults=True):
    cid: Annotated[str, says("missing", None, min_length=1)]
    sha256: Annotated[
        str,
        says("not a sha2-256 hex digest", "64 hex characters", pattern="^(0x)?[0-9a-fA-F]{64}$"),
    ]
    #: Committed, not published: the CID is what the set will have once revealed.
    private: Annotated[bool, says("not a boolean")] = False


class SpecDocument(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The model spec document as stored (``cmu-model-spec/1``)."""

    name: Annotated[str, says("missing or empty", "a non-empty string", pattern=r"\S")]
    task: Annotated[Task, says("unknown task {value!r}", "binary, multiclass or regression")]
    label: Annotated[str, says("missing or empty", "the label column's name", min_length=1)]
    features: Annotated[
        list[FeatureDocument], says("missing or empty", "a list of {name, type} objects")
    ]
    acceptance: Annotated[AcceptanceDocument, says("missing", '{"metric": ..., "tolerance": ...}')]
    format: Annotated[str | None, says("unsupported format {value!r}", repr(SPEC_FORMAT))] = None
    description: Annotated[str, says("not a string")] = ""
    classes: Annotated[list[str] | None, says("not a list of non-empty strings")] = None
    num_classes: Annotated[
        int | None, says("{value!r} is not a valid class count", "an integer >= 3")
    ] = None
    lightgbm: Annotated[LightgbmDocument, says("not an object")] = msgspec.field(
        default_factory=LightgbmDocument
    )
    validation: Annotated[
        ValidationDocument | None, says("not an object", '{"cid": ..., "sha256": ...}')
    ] = None


class _Collector:
    """Gathers problems with their JSON path instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, problem: str, expected: str | None = None) -> None:
        self.problems.append(Problem(row=None, column=path, problem=problem, expected=expected))


def parse_spec(raw: bytes | str | Mapping[str, Any]) -> ModelSpec:
    """Parse and check a spec document; raises :class:`SpecError` listing every problem."""
    if isinstance(raw, bytes | str):
        try:
            doc = json.loads(raw)
        except RecursionError:
            raise SpecError(
                "model spec",
                [Problem(None, None, "not valid JSON: nested too deeply")],
                "the spec must be a JSON object; see docs/client.md",
            ) from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a 4,300+ digit int
            raise SpecError(
                "model spec",
                [Problem(None, None, f"not valid JSON: {str(exc)[:200]}")],
                "the spec must be a JSON object; see docs/client.md",
            ) from None
    else:
        doc = dict(raw)
    if not isinstance(doc, dict):
        raise SpecError(
            "model spec",
            [Problem(None, None, "not a JSON object")],
            "the spec must be a JSON object; see docs/client.md",
        )

    c = _Collector()
    values = check_fields(doc, SpecDocument, "", c.problems, list_keys=True)
    assert values is not None
    if "format" in values and values["format"] != SPEC_FORMAT:
        c.add("format", f"unsupported format {values['format']!r}", repr(SPEC_FORMAT))
    task: Task | None = values.get("task")
    label: str = values.get("label", "")
    classes = _check_classes(doc, values, task, c)
    num_classes = _check_num_classes(doc, values, task, classes, c)
    features = _check_features(values.get("features") or [], label, c)
    training = _check_training(values.get("lightgbm"), c)
    acceptance = _check_acceptance(values.get("acceptance"), task, c)
    validation = values.get("validation")

    if c.problems or task is None or acceptance is None:
        problems = sorted(c.problems, key=_position)
        raise SpecError("model spec", problems, "fix the listed keys; see docs/client.md")
    return ModelSpec(
        name=values["name"],
        task=task,
        label=label,
        features=tuple(features),
        training=training,
        acceptance=acceptance,
        validation=None
        if validation is None
        else ContentRef(validation["cid"], bytes.fromhex(validation["sha256"].removeprefix("0x"))),
        validation_private=bool(validation and validation.get("private", False)),
        classes=tuple(classes),
        num_classes=num_classes,
        description=values.get("description", ""),
    )


#: The order problems are listed in: the document's keys as people read them (unknown
#: keys first), and within an object its keys in the same spirit.
_ORDER = (
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
)
_SUB_ORDER = {
    "features": ("name", "type", "categories", "allow_missing", "min", "max"),
    "lightgbm": ("params", "num_boost_round", "rounds_per_update", "update_mode"),
    "acceptance": ("metric", "tolerance", "higher_is_better"),
    "validation": ("cid", "sha256"),
}
_PATH = re.compile(r"^(?P<top>\w+)(?:\[(?P<index>\d+)\])?(?:\.(?P<sub>\w+))?")


def _position(problem: Problem) -> tuple[int, int, int]:
    found = _PATH.match(problem.column or "")
    if found is None:
        return (-1, -1, -1)
    top, sub = found["top"], found["sub"]
    order = _SUB_ORDER.get(top, ())
    sub_rank = len(order) if sub is None else (order.index(sub) if sub in order else -1)
    index = int(found["index"]) if found["index"] else -1
    return (_ORDER.index(top) if top in _ORDER else -1, index, sub_rank)


def _check_classes(
    doc: Mapping[str, Any], values: Mapping[str, Any], task: Task | None, c: _Collector
) -> list[str]:
    if doc.get("classes") is None:
        return []
    if task is Task.REGRESSION:
        c.problems[:] = [p for p in c.problems if p.column != "classes"]
        c.add("classes", "a regression task has no classes")
        return []
    raw = values.get("classes")
    if raw is None:
        return []  # not a list of strings: reported
    raw = [normalise_cell(x) for x in raw]
    if not all(raw):
        c.add("classes", "not a list of non-empty strings")
        return []
    if len(set(raw)) != len(raw):
        c.add("classes", "duplicate class names")
    if task is Task.BINARY and len(raw) != 2:
        c.add("classes", f"{len(raw)} classes for a binary task", "exactly 2")
    if task is Task.MULTICLASS and len(raw) < 3:
        c.add("classes", f"{len(raw)} classes for a multiclass task", "at least 3")
    return list(raw)


def _check_num_classes(
    doc: Mapping[str, Any],
    values: Mapping[str, Any],
    task: Task | None,
    classes: list[str],
    c: _Collector,
) -> int:
    raw = doc.get("num_classes")
    if task is not Task.MULTICLASS:
        c.problems[:] = [p for p in c.problems if p.column != "num_classes"]
        if raw is not None and not (task is Task.BINARY and raw == 2):
            c.add("num_classes", "only for multiclass tasks")
        return 0
    if raw is None:
        if not classes:
            c.add("num_classes", "missing", "num_classes (>= 3) or a classes list")
        return len(classes)
    count = values.get("num_classes")
    if count is None:
        return 0  # not an integer: reported
    if count < 3:
        c.add("num_classes", f"{raw!r} is not a valid class count", "an integer >= 3")
        return 0
    if classes and count != len(classes):
        c.add("num_classes", f"{count} disagrees with {len(classes)} classes listed")
    return int(count)


def _check_features(items: list[dict[str, Any] | None], label: str, c: _Collector) -> list[Feature]:
    features: list[Feature] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        path = f"features[{i}]"
        if item is None or "name" not in item:
            continue  # not an object or no usable name: reported
        name: str = item["name"]
        if name in seen:
            c.add(f"{path}.name", f"duplicate feature {name!r}")
        if name == label:
            c.add(f"{path}.name", f"feature {name!r} is also the label")
        seen.add(name)
        ftype: FeatureType | None = item.get("type")
        if ftype is None:
            continue  # unknown type: reported
        categories: tuple[str, ...] = ()
        cats = item.get("categories", ABSENT)
        if isinstance(cats, list):
            cats = [normalise_cell(x) for x in cats]
        if ftype is FeatureType.CATEGORICAL:
            if cats is ABSENT or not cats:
                if cats is not ABSENT or f"{path}.categories" not in _columns(c):
                    c.add(
                        f"{path}.categories",
                        "missing or not a list of strings",
                        "every category, in a fixed order (their index is the encoding)",
                    )
            elif len(set(cats)) != len(cats):
                c.add(f"{path}.categories", "duplicate categories")
            elif any(x in MISSING_TOKENS for x in cats):
                c.add(
                    f"{path}.categories",
                    "a category spells a missing value",
                    "categories other than " + ", ".join(sorted(repr(t) for t in MISSING_TOKENS)),
                )
            else:
                categories = tuple(cats)
        elif cats is not ABSENT or f"{path}.categories" in _columns(c):
            _drop(c, f"{path}.categories")
            c.add(f"{path}.categories", "only categorical features have categories")
        bounds: list[float | None] = [item.get("min"), item.get("max")]
        if ftype is FeatureType.CATEGORICAL:
            for key, value in zip(("min", "max"), bounds, strict=True):
                if value is not None:
                    c.add(
                        f"{path}.{key}", "must be a finite number on a numeric or integer feature"
                    )
            bounds = [None, None]
        for key, value in zip(("min", "max"), bounds, strict=True):
            if value is not None and not math.isfinite(value):
                c.add(f"{path}.{key}", "must be a finite number on a numeric or integer feature")
        low, high = (b if b is not None and math.isfinite(b) else None for b in bounds)
        if low is not None and high is not None and low > high:
            c.add(path, "min is greater than max")
        features.append(
            Feature(name, ftype, categories, item.get("allow_missing", True), low, high)
        )
    return features


def _columns(c: _Collector) -> set[str | None]:
    return {p.column for p in c.problems}


def _drop(c: _Collector, path: str) -> None:
    c.problems[:] = [p for p in c.problems if p.column != path]


def _check_training(values: Mapping[str, Any] | None, c: _Collector) -> TrainingSpec:
    if values is None:
        return TrainingSpec()
    params = values.get("params", {})
    for refused in lgbm_params.check(params):
        c.add(f"lightgbm.params.{refused.key}", refused.problem, refused.expected)
    return TrainingSpec(
        dict(params),
        values.get("num_boost_round", 50),
        values.get("rounds_per_update", 20),
        values.get("update_mode", UpdateMode.RETRAIN),
    )


def _check_acceptance(
    values: Mapping[str, Any] | None, task: Task | None, c: _Collector
) -> Acceptance | None:
    if values is None or "metric" not in values:
        return None  # reported
    metric: str = values["metric"]
    if metric not in METRICS:
        c.add("acceptance.metric", f"unknown metric {metric!r}", ", ".join(sorted(METRICS)))
        return None
    tasks, higher = METRICS[metric]
    if task is not None and task not in tasks:
        c.add(
            "acceptance.metric",
            f"{metric} does not apply to a {task.value} task",
            ", ".join(sorted(k for k, (t, _) in METRICS.items() if task in t)),
        )
    tolerance = values.get("tolerance")
    if tolerance is not None and not math.isfinite(tolerance):
        c.add("acceptance.tolerance", f"{tolerance!r} is not valid", "a number >= 0")
        tolerance = None
    declared = values.get("higher_is_better")
    if declared is not None and declared != higher:
        c.add(
            "acceptance.higher_is_better",
            f"{metric} is {'higher' if higher else 'lower'} is better",
            str(higher).lower(),
        )
    return Acceptance(metric, None if tolerance is None else float(tolerance), higher)
