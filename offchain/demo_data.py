"""Real and synthetic tabular data for the demo story, the tests and the benchmark.

The real data is scikit-learn's bundled Wisconsin breast-cancer set (569 rows, 30 numeric
features, binary label), which ships inside the wheel: no download. It is shuffled with a
fixed seed and cut into a validation set, an initial slice and contribution slices. Bad
contributions are made from good ones: a corrupted CSV (non-numbers, a missing column)
and a poisoned slice (labels flipped).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

LABEL = "diagnosis"
CLASSES = ("malignant", "benign")


@dataclass(frozen=True)
class Frame:
    """Feature names, a float64 feature matrix and float64 class-index labels."""

    feature_names: tuple[str, ...]
    features: npt.NDArray[np.float64]
    labels: npt.NDArray[np.float64]

    @property
    def rows(self) -> int:
        return int(self.features.shape[0])

    def take(self, start: int, stop: int) -> Frame:
        return Frame(
            self.feature_names,
            np.ascontiguousarray(self.features[start:stop]),
            np.ascontiguousarray(self.labels[start:stop]),
        )

    def with_flipped_labels(self) -> Frame:
        """The same rows with every binary label inverted (a poisoning attack)."""
        return Frame(self.feature_names, self.features, 1.0 - self.labels)

    def to_csv(self, label: str = LABEL, classes: Sequence[str] | None = CLASSES) -> bytes:
        """CSV bytes: a header, then one row per example; floats in shortest round-trip form."""
        out = io.StringIO()
        out.write(",".join([*(_quote(n) for n in self.feature_names), label]) + "\n")
        for row, y in zip(self.features, self.labels, strict=True):
            cells = [repr(float(v)) for v in row]
            if classes is not None:
                cells.append(classes[int(y)])
            else:  # class indices as integers, other targets as decimals
                cells.append(str(int(y)) if float(y).is_integer() else repr(float(y)))
            out.write(",".join(cells) + "\n")
        return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class StorySlices:
    """The breast-cancer rows cut for the story."""

    validation: Frame
    initial: Frame
    contributions: tuple[Frame, ...]
    #: Rows no model sees: "new patients" to predict.
    holdout: Frame


def breast_cancer() -> Frame:
    """The bundled breast-cancer set, shuffled with a fixed seed."""
    from sklearn.datasets import load_breast_cancer

    bunch: Any = load_breast_cancer()
    features = np.asarray(bunch.data, dtype=np.float64)
    labels = np.asarray(bunch.target, dtype=np.float64)
    order = np.random.default_rng(20240601).permutation(features.shape[0])
    # LightGBM stores feature names with underscores for spaces; use that form throughout.
    names = tuple(str(n).replace(" ", "_") for n in bunch.feature_names)
    return Frame(names, np.ascontiguousarray(features[order]), np.ascontiguousarray(labels[order]))


def story_slices(
    validation_rows: int = 150,
    initial_rows: int = 120,
    parts: int = 4,
    part_rows: int | None = None,
) -> StorySlices:
    """Validation set, initial slice, ``parts`` contribution slices and the rest as holdout.

    Without ``part_rows`` the rows after the initial slice are shared equally.
    """
    frame = breast_cancer()
    validation = frame.take(0, validation_rows)
    initial = frame.take(validation_rows, validation_rows + initial_rows)
    rest_start = validation_rows + initial_rows
    size = part_rows if part_rows is not None else (frame.rows - rest_start) // parts
    if rest_start + parts * size > frame.rows:
        raise ValueError(f"{parts} slices of {size} rows do not fit in {frame.rows} rows")
    contributions = tuple(
        frame.take(rest_start + i * size, rest_start + (i + 1) * size) for i in range(parts)
    )
    holdout = frame.take(rest_start + parts * size, frame.rows)
    return StorySlices(validation, initial, contributions, holdout)


def spec_document(
    feature_names: Sequence[str],
    name: str = "breast-cancer",
    metric: str = "logloss",
    tolerance: float | None = 0.01,
    update_mode: str = "continue",
    num_boost_round: int = 40,
    rounds_per_update: int = 20,
    params: dict[str, Any] | None = None,
    classes: Sequence[str] | None = CLASSES,
    label: str = LABEL,
) -> dict[str, Any]:
    """A model spec document (cmu-model-spec/1) for numeric features, without validation.
    ``tolerance=None`` leaves the tolerance out: auto."""
    doc: dict[str, Any] = {
        "format": "cmu-model-spec/1",
        "name": name,
        "description": "Wisconsin breast cancer diagnosis (scikit-learn bundled data)",
        "task": "binary",
        "label": label,
        "features": [{"name": n, "type": "numeric"} for n in feature_names],
        "lightgbm": {
            "params": params
            if params is not None
            else {"learning_rate": 0.1, "num_leaves": 15, "min_data_in_leaf": 10},
            "num_boost_round": num_boost_round,
            "rounds_per_update": rounds_per_update,
            "update_mode": update_mode,
        },
        "acceptance": {"metric": metric}
        if tolerance is None
        else {"metric": metric, "tolerance": tolerance},
    }
    if classes is not None:
        doc["classes"] = list(classes)
    return doc


def corrupt_csv(good: bytes) -> bytes:
    """A CSV that fails the spec: a dropped column and text where numbers belong."""
    lines = good.decode("utf-8").splitlines()
    header = lines[0].split(",")
    out = [",".join(header[1:])]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")[1:]
        if i % 3 == 0:
            cells[0] = "n/a?"
        out.append(",".join(cells))
    return ("\n".join(out) + "\n").encode("utf-8")


def synthetic(rows: int, features: int = 20, seed: int = 7) -> Frame:
    """A synthetic binary classification set (scikit-learn make_classification)."""
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=rows,
        n_features=features,
        n_informative=max(2, features // 2),
        n_redundant=max(0, features // 4),
        random_state=seed,
    )
    names = tuple(f"f{i:02d}" for i in range(features))
    return Frame(
        names,
        np.ascontiguousarray(np.asarray(x, dtype=np.float64)),
        np.ascontiguousarray(np.asarray(y, dtype=np.float64)),
    )


def _quote(name: str) -> str:
    return f'"{name}"' if any(c in name for c in ',"\n') else name
