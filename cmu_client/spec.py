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
                   "update_mode": "continue"},
      "acceptance": {"metric": "auc", "tolerance": 0.002},
      "validation": {"cid": "bafk...", "sha256": "<64 hex chars>"}
    }

:func:`parse_spec` checks everything and reports every problem with its JSON path.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cmu_client import lgbm_params
from cmu_client.documents import canonical_json
from cmu_client.errors import Problem, SpecError

SPEC_FORMAT = "cmu-model-spec/1"
#: Spec documents are small; readers refuse anything larger before downloading it.
MAX_SPEC_BYTES = 1024 * 1024

#: Cell texts that mean "missing" in a CSV; LightGBM sees them as NaN.
MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL"})

_FEATURE_KEYS = frozenset({"name", "type", "categories", "allow_missing", "min", "max"})


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
    update_mode: UpdateMode = UpdateMode.CONTINUE


@dataclass(frozen=True)
class Acceptance:
    """A contribution is accepted when the metric with it is not worse than without it
    by more than ``tolerance`` (in the metric's own units)."""

    metric: str
    tolerance: float
    higher_is_better: bool

    def worse_by(self, with_data: float, without_data: float) -> float:
        """How much worse ``with_data`` is than ``without_data`` (negative: better)."""
        delta = without_data - with_data
        return delta if self.higher_is_better else -delta

    def accepts(self, with_data: float, without_data: float) -> bool:
        return self.worse_by(with_data, without_data) <= self.tolerance


@dataclass(frozen=True)
class ContentRef:
    """A CID plus the sha2-256 of its bytes."""

    cid: str
    sha256: bytes


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: Task
    label: str
    features: tuple[Feature, ...]
    training: TrainingSpec
    acceptance: Acceptance
    validation: ContentRef | None
    classes: tuple[str, ...] = ()
    num_classes: int = 0
    description: str = ""

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

    def with_validation(self, ref: ContentRef) -> ModelSpec:
        return replace(self, validation=ref)

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": SPEC_FORMAT,
            "name": self.name,
            "task": self.task.value,
            "label": self.label,
            "features": [_feature_doc(f) for f in self.features],
            "lightgbm": {
                "params": dict(self.training.params),
                "num_boost_round": self.training.num_boost_round,
                "rounds_per_update": self.training.rounds_per_update,
                "update_mode": self.training.update_mode.value,
            },
            "acceptance": {
                "metric": self.acceptance.metric,
                "tolerance": self.acceptance.tolerance,
                "higher_is_better": self.acceptance.higher_is_better,
            },
        }
        if self.description:
            doc["description"] = self.description
        if self.classes:
            doc["classes"] = list(self.classes)
        if self.task is Task.MULTICLASS and not self.classes:
            doc["num_classes"] = self.num_classes
        if self.validation is not None:
            doc["validation"] = {
                "cid": self.validation.cid,
                "sha256": self.validation.sha256.hex(),
            }
        return doc

    def to_bytes(self) -> bytes:
        """Canonical bytes (:func:`cmu_client.documents.canonical_json`): what is stored
        and hashed."""
        return canonical_json(self.to_document())


def _feature_doc(f: Feature) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": f.name, "type": f.type.value}
    if f.categories:
        doc["categories"] = list(f.categories)
    if not f.allow_missing:
        doc["allow_missing"] = False
    if f.min is not None:
        doc["min"] = f.min
    if f.max is not None:
        doc["max"] = f.max
    return doc


class _Collector:
    """Gathers problems with their JSON path instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, problem: str, expected: str | None = None) -> None:
        self.problems.append(Problem(row=None, column=path, problem=problem, expected=expected))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_spec(raw: bytes | str | Mapping[str, Any]) -> ModelSpec:
    """Parse and check a spec document; raises :class:`SpecError` listing every problem."""
    c = _Collector()
    if isinstance(raw, bytes | str):
        try:
            doc = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SpecError(
                "model spec",
                [Problem(None, None, f"not valid JSON: {exc}")],
                "the spec must be a JSON object; see docs/client.md",
            ) from None
    else:
        doc = dict(raw)
    if not isinstance(doc, dict):
        raise SpecError("model spec", [Problem(None, None, "not a JSON object")])

    known = {"format", "name", "description", "task", "label", "classes", "num_classes",
             "features", "lightgbm", "acceptance", "validation"}
    for key in sorted(set(doc) - known):
        c.add(key, "unknown key", "one of " + ", ".join(sorted(known)))

    if doc.get("format", SPEC_FORMAT) != SPEC_FORMAT:
        c.add("format", f"unsupported format {doc.get('format')!r}", repr(SPEC_FORMAT))

    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        c.add("name", "missing or empty", "a non-empty string")
        name = ""
    description = doc.get("description", "")
    if not isinstance(description, str):
        c.add("description", "not a string")
        description = ""

    task: Task | None = None
    try:
        task = Task(doc.get("task"))
    except ValueError:
        c.add("task", f"unknown task {doc.get('task')!r}", "binary, multiclass or regression")

    label = doc.get("label")
    if not isinstance(label, str) or not label:
        c.add("label", "missing or empty", "the label column's name")
        label = ""

    classes = _parse_classes(doc, task, c)
    num_classes = _parse_num_classes(doc, task, classes, c)
    features = _parse_features(doc.get("features"), label, c)
    training = _parse_training(doc.get("lightgbm", {}), c)
    acceptance = _parse_acceptance(doc.get("acceptance"), task, c)
    validation = _parse_validation(doc.get("validation"), c)

    if c.problems or task is None or acceptance is None:
        raise SpecError("model spec", c.problems, "fix the listed keys; see docs/client.md")
    return ModelSpec(
        name=name,
        task=task,
        label=label,
        features=tuple(features),
        training=training,
        acceptance=acceptance,
        validation=validation,
        classes=tuple(classes),
        num_classes=num_classes,
        description=description,
    )


def _parse_classes(doc: Mapping[str, Any], task: Task | None, c: _Collector) -> list[str]:
    raw = doc.get("classes")
    if raw is None:
        return []
    if task is Task.REGRESSION:
        c.add("classes", "a regression task has no classes")
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        c.add("classes", "not a list of non-empty strings")
        return []
    if len(set(raw)) != len(raw):
        c.add("classes", "duplicate class names")
    if task is Task.BINARY and len(raw) != 2:
        c.add("classes", f"{len(raw)} classes for a binary task", "exactly 2")
    if task is Task.MULTICLASS and len(raw) < 3:
        c.add("classes", f"{len(raw)} classes for a multiclass task", "at least 3")
    return list(raw)


def _parse_num_classes(
    doc: Mapping[str, Any], task: Task | None, classes: list[str], c: _Collector
) -> int:
    raw = doc.get("num_classes")
    if task is not Task.MULTICLASS:
        if raw is not None and not (task is Task.BINARY and raw == 2):
            c.add("num_classes", "only for multiclass tasks")
        return 0
    if raw is None:
        if not classes:
            c.add("num_classes", "missing", "num_classes (>= 3) or a classes list")
        return len(classes)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 3:
        c.add("num_classes", f"{raw!r} is not a valid class count", "an integer >= 3")
        return 0
    if classes and raw != len(classes):
        c.add("num_classes", f"{raw} disagrees with {len(classes)} classes listed")
    return raw


def _parse_features(raw: Any, label: str, c: _Collector) -> list[Feature]:
    if not isinstance(raw, list) or not raw:
        c.add("features", "missing or empty", "a list of {name, type} objects")
        return []
    features: list[Feature] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"features[{i}]"
        if not isinstance(item, dict):
            c.add(path, "not an object")
            continue
        for key in sorted(set(item) - _FEATURE_KEYS):
            c.add(f"{path}.{key}", "unknown key")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            c.add(f"{path}.name", "missing or empty")
            continue
        if name in seen:
            c.add(f"{path}.name", f"duplicate feature {name!r}")
        if name == label:
            c.add(f"{path}.name", f"feature {name!r} is also the label")
        seen.add(name)
        try:
            ftype = FeatureType(item.get("type"))
        except ValueError:
            c.add(f"{path}.type", f"unknown type {item.get('type')!r}",
                  "numeric, integer or categorical")
            continue
        categories: tuple[str, ...] = ()
        if ftype is FeatureType.CATEGORICAL:
            cats = item.get("categories")
            if not isinstance(cats, list) or not cats or not all(isinstance(x, str) for x in cats):
                c.add(f"{path}.categories", "missing or not a list of strings",
                      "every category, in a fixed order (their index is the encoding)")
            elif len(set(cats)) != len(cats):
                c.add(f"{path}.categories", "duplicate categories")
            elif any(x in MISSING_TOKENS for x in cats):
                c.add(f"{path}.categories", "a category spells a missing value",
                      "categories other than " + ", ".join(sorted(repr(t) for t in MISSING_TOKENS)))
            else:
                categories = tuple(cats)
        elif "categories" in item:
            c.add(f"{path}.categories", "only categorical features have categories")
        allow_missing = item.get("allow_missing", True)
        if not isinstance(allow_missing, bool):
            c.add(f"{path}.allow_missing", "not a boolean")
            allow_missing = True
        bounds: list[float | None] = []
        for key in ("min", "max"):
            value = item.get(key)
            if value is not None and (not _is_number(value) or ftype is FeatureType.CATEGORICAL):
                c.add(f"{path}.{key}", "must be a finite number on a numeric or integer feature")
                value = None
            bounds.append(float(value) if value is not None else None)
        if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
            c.add(path, "min is greater than max")
        features.append(Feature(name, ftype, categories, allow_missing, bounds[0], bounds[1]))
    return features


def _parse_training(raw: Any, c: _Collector) -> TrainingSpec:
    if not isinstance(raw, dict):
        c.add("lightgbm", "not an object")
        return TrainingSpec()
    for key in sorted(set(raw) - {"params", "num_boost_round", "rounds_per_update", "update_mode"}):
        c.add(f"lightgbm.{key}", "unknown key")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        c.add("lightgbm.params", "not an object")
        params = {}
    for refused in lgbm_params.check(params):
        c.add(f"lightgbm.params.{refused.key}", refused.problem, refused.expected)
    rounds = _positive_int(raw, "num_boost_round", 50, c)
    per_update = _positive_int(raw, "rounds_per_update", 20, c)
    try:
        mode = UpdateMode(raw.get("update_mode", UpdateMode.CONTINUE.value))
    except ValueError:
        c.add("lightgbm.update_mode", f"unknown mode {raw.get('update_mode')!r}",
              "continue or retrain")
        mode = UpdateMode.CONTINUE
    return TrainingSpec(dict(params), rounds, per_update, mode)


def _positive_int(raw: Mapping[str, Any], key: str, default: int, c: _Collector) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
        c.add(f"lightgbm.{key}", f"{value!r} is not valid", "an integer from 1 to 100000")
        return default
    return value


def _parse_acceptance(raw: Any, task: Task | None, c: _Collector) -> Acceptance | None:
    if not isinstance(raw, dict):
        c.add("acceptance", "missing", '{"metric": ..., "tolerance": ...}')
        return None
    for key in sorted(set(raw) - {"metric", "tolerance", "higher_is_better"}):
        c.add(f"acceptance.{key}", "unknown key")
    metric = raw.get("metric")
    if not isinstance(metric, str) or metric not in METRICS:
        c.add("acceptance.metric", f"unknown metric {metric!r}", ", ".join(sorted(METRICS)))
        return None
    tasks, higher = METRICS[metric]
    if task is not None and task not in tasks:
        c.add("acceptance.metric", f"{metric} does not apply to a {task.value} task",
              ", ".join(sorted(k for k, (t, _) in METRICS.items() if task in t)))
    tolerance = raw.get("tolerance", 0.0)
    if not _is_number(tolerance) or tolerance < 0:
        c.add("acceptance.tolerance", f"{tolerance!r} is not valid", "a number >= 0")
        tolerance = 0.0
    declared = raw.get("higher_is_better", higher)
    if declared != higher:
        c.add("acceptance.higher_is_better", f"{metric} is {'higher' if higher else 'lower'}"
              " is better", str(higher).lower())
    return Acceptance(str(metric), float(tolerance), higher)


def _parse_validation(raw: Any, c: _Collector) -> ContentRef | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        c.add("validation", "not an object", '{"cid": ..., "sha256": ...}')
        return None
    cid = raw.get("cid")
    digest = raw.get("sha256")
    if not isinstance(cid, str) or not cid:
        c.add("validation.cid", "missing")
        return None
    try:
        value = bytes.fromhex(str(digest).removeprefix("0x"))
    except ValueError:
        value = b""
    if len(value) != 32:
        c.add("validation.sha256", "not a sha2-256 hex digest", "64 hex characters")
        return None
    return ContentRef(cid, value)
