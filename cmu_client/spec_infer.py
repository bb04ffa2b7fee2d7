"""``cmu spec init``: a model spec inferred from a table, for a person to review.

:func:`infer_spec` reads the cells of a CSV or Parquet table (:mod:`cmu_client.tables`)
and decides, column by column, what :func:`cmu_client.spec.parse_spec` needs: the task
(from the label), each feature's type, categories, whether it has missing values and
natural bounds, LightGBM parameters, an acceptance metric and tolerance. Every choice is
returned as a :class:`Note` (the command prints them on stderr) so the spec itself stays
plain JSON. Cells are normalised exactly as :func:`cmu_client.dataset.load_csv` reads
them (surrounding spaces stripped, the same missing-value tokens), so the spec accepts
the table it came from.

Rules, in short:

- a column whose non-missing cells are all whole numbers is ``integer``, all decimal
  numbers ``numeric``, else ``categorical`` with its distinct values, sorted;
- a column is left out as an identifier when every row has a distinct value and it is
  text, or whole numbers counting rows (consecutive), or named like an id;
- a categorical column with more than :data:`MAX_CATEGORIES` values is left out (free
  text);
- ``allow_missing`` is true only when the column has missing cells;
- bounds only where the data shows a natural one: ``min: 0`` when no value is negative,
  and ``max: 1`` as well when every value lies in [0, 1];
- the task: text labels with 2 values are binary, 3 to :data:`MAX_CLASSES` multiclass;
  numeric labels with 2 distinct values binary, whole numbers with 3 to
  :data:`MAX_CLASSES` values multiclass, otherwise regression.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cmu_client.errors import DataError, Problem, UsageError
from cmu_client.spec import MISSING_TOKENS, SPEC_FORMAT, Task, normalise_cell, parse_spec

_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_ID_NAME_RE = re.compile(
    r"(^|[_\s.-])(id|uuid|guid|key|index|idx)$|^(id|uuid|guid)([_\s.-]|$)", re.IGNORECASE
)
MAX_CATEGORIES = 1000
MAX_CLASSES = 50


@dataclass(frozen=True)
class Note:
    """One choice, for stderr: the column it concerns (None: the whole spec) and why."""

    column: str | None
    text: str

    def __str__(self) -> str:
        return f"{self.column}: {self.text}" if self.column else self.text


@dataclass(frozen=True)
class InferredSpec:
    document: dict[str, Any]
    notes: tuple[Note, ...]
    left_out: tuple[str, ...]


def _is_missing(cell: str) -> bool:
    return cell in MISSING_TOKENS


def infer_spec(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    label: str,
    *,
    task: Task | None = None,
    name: str = "model",
    subject: str = "data",
) -> InferredSpec:
    """The spec document for the table (``header``, ``rows`` of cell texts)."""
    names = [normalise_cell(h) for h in header]
    if label not in names:
        raise DataError(
            subject,
            [
                Problem(
                    0, label, "no such column", "the label column, one of " + ", ".join(names[:12])
                )
            ],
            "pass --label with the name of the column to predict",
        )
    if not rows:
        raise DataError(
            subject, [Problem(None, None, "no data rows")], "infer the spec from a table with rows"
        )
    duplicates = [n for n, c in Counter(names).items() if c > 1]
    if duplicates:
        raise DataError(
            subject,
            [Problem(0, d, "duplicate column") for d in duplicates],
            "give every column its own name",
        )
    notes: list[Note] = []
    columns = {n: [normalise_cell(r[i]) for r in rows] for i, n in enumerate(names)}
    doc_task, classes, label_notes = _infer_label(label, columns[label], task)
    notes.extend(label_notes)
    features: list[dict[str, Any]] = []
    left_out: list[str] = []
    for column in names:
        if column == label:
            continue
        feature, why = _infer_feature(column, columns[column])
        if feature is None:
            left_out.append(column)
        else:
            features.append(feature)
        notes.append(Note(column, why))
    if not features:
        raise UsageError(
            "no column is usable as a feature",
            "check the table: every column was left out (see the notes)",
        )
    count = len(rows)
    params, training_notes = _lightgbm(count, len(features), doc_task)
    notes.extend(training_notes)
    acceptance, acceptance_note = _acceptance(doc_task, columns[label])
    notes.append(acceptance_note)
    doc: dict[str, Any] = {
        "format": SPEC_FORMAT,
        "name": name,
        "description": f"inferred by `cmu spec init` from {count} rows; review before use",
        "task": doc_task.value,
        "label": label,
    }
    if classes:
        doc["classes"] = classes
    doc["features"] = features
    doc["lightgbm"] = params
    doc["acceptance"] = acceptance
    parse_spec(doc)  # what model create will check: refuse now if anything is off
    return InferredSpec(doc, tuple(notes), tuple(left_out))


def _present(cells: Sequence[str]) -> list[str]:
    return [c for c in cells if not _is_missing(c)]


def _infer_label(
    label: str, cells: Sequence[str], task: Task | None
) -> tuple[Task, list[str], list[Note]]:
    notes: list[Note] = []
    present = _present(cells)
    missing = len(cells) - len(present)
    if missing:
        notes.append(
            Note(
                label,
                f"{missing} rows have no label: drop them before "
                "`cmu model create` (a label is never missing)",
            )
        )
    values = sorted(set(present), key=_sort_key)
    numeric = bool(present) and all(_NUMBER_RE.match(v) for v in present)
    whole = numeric and all(_INTEGER_RE.match(v) for v in present)
    if task is None:
        if len(values) == 2:
            task = Task.BINARY
        elif (not numeric or whole) and 3 <= len(values) <= MAX_CLASSES:
            task = Task.MULTICLASS
        elif numeric:
            task = Task.REGRESSION
        else:
            raise UsageError(
                f"cannot infer the task: label {label!r} has {len(values)} distinct text values",
                f"a classification label has 2 to {MAX_CLASSES} values; pass --task",
            )
        kind = "numbers" if numeric else "text"
        notes.append(
            Note(
                label,
                f"label: {len(values)} distinct values ({kind}) -> task "
                f"{task.value} (pass --task to choose)",
            )
        )
    if task is Task.REGRESSION:
        if not numeric:
            raise UsageError(
                f"label {label!r} is not numeric: a regression label is a number",
                "pass --task binary or multiclass",
            )
        return task, [], notes
    if task is Task.BINARY and len(values) != 2:
        raise UsageError(
            f"label {label!r} has {len(values)} distinct values; binary needs 2",
            "pass --task multiclass or regression",
        )
    if task is Task.MULTICLASS and not 3 <= len(values) <= MAX_CLASSES:
        raise UsageError(
            f"label {label!r} has {len(values)} distinct values; multiclass "
            f"needs 3 to {MAX_CLASSES}",
            "pass --task regression",
        )
    notes.append(
        Note(
            label,
            "classes in order (a label is its name or index): "
            + ", ".join(repr(v) for v in values),
        )
    )
    return task, values, notes


def _sort_key(value: str) -> tuple[int, float, str]:
    """Numbers in numeric order before text in text order."""
    if _NUMBER_RE.match(value):
        return (0, float(value), value)
    return (1, 0.0, value)


def _infer_feature(column: str, cells: Sequence[str]) -> tuple[dict[str, Any] | None, str]:
    present = _present(cells)
    missing = len(cells) - len(present)
    if not present:
        return None, "left out: every value is missing"
    distinct = set(present)
    whole = all(_INTEGER_RE.match(v) for v in present)
    numeric = whole or all(_NUMBER_RE.match(v) for v in present)
    all_distinct = len(distinct) == len(cells) and len(cells) > 1
    if all_distinct and not numeric:
        return None, f"left out: looks like an identifier (all {len(cells)} values distinct)"
    if all_distinct and whole:
        numbers = sorted(int(v) for v in present)
        if numbers[-1] - numbers[0] + 1 == len(numbers) or _ID_NAME_RE.search(column):
            return None, (
                "left out: looks like an identifier (all values distinct whole "
                "numbers"
                + (
                    ", consecutive)"
                    if numbers[-1] - numbers[0] + 1 == len(numbers)
                    else ", named like an id)"
                )
            )
    if not numeric and len(distinct) > MAX_CATEGORIES:
        return None, (
            f"left out: {len(distinct)} distinct text values (free text?), more "
            f"than {MAX_CATEGORIES} categories"
        )
    feature: dict[str, Any] = {"name": column}
    missing_text = f"{missing} missing" if missing else "no missing values"
    if not numeric:
        categories = sorted(distinct, key=_sort_key)
        feature["type"] = "categorical"
        feature["categories"] = categories
        shown = ", ".join(repr(c) for c in categories[:5])
        more = f", ... ({len(categories)} in all)" if len(categories) > 5 else ""
        why = f"categorical: {shown}{more}; {missing_text}"
    else:
        values = [float(v) for v in present]
        finite = [v for v in values if math.isfinite(v)]
        feature["type"] = "integer" if whole else "numeric"
        low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
        bounds = ""
        if finite and low >= 0:
            feature["min"] = 0
            bounds = "; min 0 (no negative value)"
            if high <= 1 and not whole:
                feature["max"] = 1
                bounds = "; min 0, max 1 (every value in [0, 1])"
        why = f"{feature['type']} ({low:g} to {high:g}){bounds}; {missing_text}"
    feature["allow_missing"] = bool(missing)
    if not missing:
        why += " (allow_missing false: set it true to accept contributions with gaps)"
    return feature, why


def _lightgbm(rows: int, features: int, task: Task) -> tuple[dict[str, Any], list[Note]]:
    leaves = 31 if rows >= 2000 else 15
    min_leaf = max(5, min(20, rows // 100))
    params: dict[str, Any] = {
        "learning_rate": 0.05 if rows >= 5000 else 0.1,
        "num_leaves": leaves,
        "min_data_in_leaf": min_leaf,
        "min_data_per_group": max(5, min(100, rows // 50)),
        "seed": 42,
    }
    if features > 20:
        params["feature_fraction"] = 0.8
    rounds = 200 if rows >= 5000 else 100
    text = (
        f"LightGBM: num_leaves {leaves}, min_data_in_leaf {min_leaf} and "
        f"min_data_per_group {params['min_data_per_group']} for {rows} rows, learning_rate "
        f"{params['learning_rate']}, {rounds} rounds, retrained on all accepted data each"
        " version, seed 42"
    )
    if features > 20:
        text += f", feature_fraction 0.8 ({features} features)"
    doc = {
        "params": params,
        "num_boost_round": rounds,
        "rounds_per_update": 20,
        "update_mode": "retrain",
    }
    return doc, [Note(None, text)]


def _acceptance(task: Task, label_cells: Sequence[str]) -> tuple[dict[str, Any], Note]:
    del label_cells  # the tolerance is measured per round, not guessed from the labels
    metric = {Task.BINARY: "auc", Task.MULTICLASS: "multi_logloss"}.get(task, "rmse")
    return (
        {"metric": metric},
        Note(
            None,
            f"acceptance: {metric} with tolerance auto (the noise of its change on the"
            " validation set; docs/worker.md, Judging)",
        ),
    )
