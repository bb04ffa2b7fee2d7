"""Benchmark: how fair is the judging rule? Honest data accepted, poisoned data rejected.

On the real data sets that ship inside scikit-learn (no download), over many random splits,
it measures the share of honest contributions the worker's judging accepts and the share
of poisoned ones it rejects, for slices of several sizes (as a share of the model's own
data). Each split shuffles a set and cuts it into a validation set (25%), the model's
initial data (40%) and a pool (35%) that honest and poisoned slices are drawn from. The
spec is the one ``cmu spec init`` gives a new user for that table (its defaults:
``update_mode`` retrain, tolerance auto). Each round judges, together:

- two honest slices (pool rows as they are),
- slices with 10%, 30% and 50% of labels flipped (classification: another class drawn at
  random; regression: the label reflected about the pool's mean, y -> 2 mean - y, a wrong
  value as far off as the right one is from the mean),
- a slice with feature noise (every feature plus Gaussian noise of its own standard
  deviation).

"now" runs the worker's real judging (:func:`offchain.prepare.prepare_update`, rule
``cmu-judge/2``). "before" re-runs the rule it replaced, kept here as the baseline: judged
greedily in id order, each against the model with the earlier accepted ones, with the
then-default ``update_mode`` continue and tolerance 0. Duplicates of the validation set are
the screening's job (row-level overlap, docs/worker.md), not the rule's, and are not
counted here.

Usage: python benchmarks/bench_fairness.py [--splits 20] [--sets breast_cancer,digits,...]
       [--fractions 0.01,0.02,0.05,0.1,0.2] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cmu_client.dataset import Dataset
from cmu_client.spec import ContentRef, ModelSpec, Task, parse_spec
from cmu_client.spec_infer import infer_spec
from offchain.decide import Candidate
from offchain.evaluate import evaluate
from offchain.prepare import ParentState, prepare_first_version, prepare_update
from offchain.recipe import DataRef, ParentRef
from offchain.training import TrainingInput, resolve_params, train

FloatArray = npt.NDArray[np.float64]
KINDS = ("honest", "honest", "flip10", "flip30", "flip50", "noise")


@dataclass(frozen=True)
class Table:
    name: str
    features: FloatArray
    labels: FloatArray
    task: Task


def load(name: str) -> Table:
    from sklearn import datasets

    loaders: dict[str, tuple[Callable[[], Any], Task]] = {
        "breast_cancer": (datasets.load_breast_cancer, Task.BINARY),
        "digits": (datasets.load_digits, Task.MULTICLASS),
        "wine": (datasets.load_wine, Task.MULTICLASS),
        "diabetes": (datasets.load_diabetes, Task.REGRESSION),
    }
    loader, task = loaders[name]
    bunch = loader()
    return Table(
        name,
        np.ascontiguousarray(np.asarray(bunch.data, dtype=np.float64)),
        np.ascontiguousarray(np.asarray(bunch.target, dtype=np.float64)),
        task,
    )


def spec_for(table: Table) -> ModelSpec:
    """What ``cmu spec init`` gives a new user for this table (plus a validation ref)."""
    names = [f"f{i}" for i in range(table.features.shape[1])]
    rows = [
        [repr(float(v)) for v in table.features[i]]
        + [
            str(int(table.labels[i]))
            if table.task is not Task.REGRESSION
            else repr(float(table.labels[i]))
        ]
        for i in range(table.features.shape[0])
    ]
    doc = infer_spec([*names, "label"], rows, "label").document
    doc["validation"] = {
        "cid": "bafkvalidation",
        "sha256": hashlib.sha256(table.name.encode()).hexdigest(),
    }
    # Integer-looking features are fine as numeric; keep the bounds spec init found.
    return parse_spec(doc)


def dataset(spec: ModelSpec, x: FloatArray, y: FloatArray) -> Dataset:
    return Dataset(tuple(spec.feature_names), np.ascontiguousarray(x), np.ascontiguousarray(y))


def poison(
    kind: str,
    x: FloatArray,
    y: FloatArray,
    pool_y: FloatArray,
    task: Task,
    classes: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    x, y = x.copy(), y.copy()
    if kind.startswith("flip"):
        share = int(kind[4:]) / 100
        flipped = rng.choice(y.shape[0], size=max(1, round(share * y.shape[0])), replace=False)
        if task is Task.REGRESSION:
            y[flipped] = 2.0 * float(np.mean(pool_y)) - y[flipped]
        else:
            y[flipped] = (y[flipped] + rng.integers(1, classes, size=flipped.shape[0])) % classes
    elif kind == "noise":
        x = x + rng.normal(0.0, 1.0, size=x.shape) * np.nanstd(x, axis=0, keepdims=True)
    return x, y


def judge_now(
    spec: ModelSpec, validation: Dataset, parent: ParentState, slices: Sequence[Dataset]
) -> list[bool]:
    candidates = [
        Candidate(
            DataRef(
                f"bafk{i}",
                hashlib.sha256(bytes([i]) + part.features.tobytes()).digest(),
                part.rows,
                i,
            ),
            part,
        )
        for i, part in enumerate(slices, start=1)
    ]
    prepared = prepare_update(
        0, spec, ContentRef("bafkspec", b"\0" * 32), validation, parent, candidates, []
    )
    return [d.accepted for d in sorted(prepared.decisions, key=lambda d: d.contribution)]


def judge_before(
    spec: ModelSpec, validation: Dataset, parent_artifact: bytes, slices: Sequence[Dataset]
) -> list[bool]:
    """The replaced rule: greedy in id order, update_mode continue, tolerance 0."""
    params = resolve_params(spec)
    metric = spec.acceptance.metric
    higher = spec.acceptance.higher_is_better
    current = evaluate(parent_artifact, validation, spec.task).get(metric)
    accepted: list[Dataset] = []
    verdicts = []
    for part in slices:
        data = Dataset.concat([*accepted, part])
        artifact = train(
            params, spec.training.rounds_per_update, TrainingInput(data), parent_artifact
        )
        value = evaluate(artifact, validation, spec.task).get(metric)
        ok = value >= current if higher else value <= current
        verdicts.append(ok)
        if ok:
            accepted.append(part)
            current = value
    return verdicts


def run(names: Sequence[str], splits: int, fractions: Sequence[float]) -> dict[str, Any]:
    counts: dict[tuple[str, str, float, str], list[int]] = defaultdict(lambda: [0, 0])
    for name in names:
        table = load(name)
        spec = spec_for(table)
        classes = spec.class_count
        n = table.features.shape[0]
        for split in range(splits):
            rng = np.random.default_rng(1000 + split)
            order = rng.permutation(n)
            n_val, n_model = round(0.25 * n), round(0.40 * n)
            val_idx, model_idx, pool_idx = (
                order[:n_val],
                order[n_val : n_val + n_model],
                order[n_val + n_model :],
            )
            validation = dataset(spec, table.features[val_idx], table.labels[val_idx])
            initial = dataset(spec, table.features[model_idx], table.labels[model_idx])
            initial_ref = DataRef(
                "bafkinitial",
                hashlib.sha256(initial.features.tobytes()).digest(),
                initial.rows,
                None,
            )
            first = prepare_first_version(
                0, spec, ContentRef("bafkspec", b"\0" * 32), validation, initial_ref, initial
            )
            parent = ParentState(
                ParentRef(0, "bafkparent", hashlib.sha256(first.artifact).digest()),
                first.artifact,
                [(initial_ref, initial)],
            )
            pool_x, pool_y = table.features[pool_idx], table.labels[pool_idx]
            for fraction in fractions:
                size = max(3, round(fraction * n_model))
                slices = []
                for kind in KINDS:
                    pick = rng.choice(
                        pool_idx.shape[0], size=min(size, pool_idx.shape[0]), replace=False
                    )
                    x, y = poison(
                        kind, pool_x[pick], pool_y[pick], pool_y, table.task, classes, rng
                    )
                    slices.append(dataset(spec, x, y))
                for rule, verdicts in (
                    ("now", judge_now(spec, validation, parent, slices)),
                    ("before", judge_before(spec, validation, first.artifact, slices)),
                ):
                    for kind, accepted in zip(KINDS, verdicts, strict=True):
                        cell = counts[(name, rule, fraction, kind)]
                        cell[0] += int(accepted)
                        cell[1] += 1
    return {"|".join(map(str, k)): v for k, v in counts.items()}


def table_text(names: Sequence[str], fractions: Sequence[float], counts: dict[str, Any]) -> str:
    def share(name: str, rule: str, fraction: float, kind: str, accepted: bool) -> str:
        got, total = counts[f"{name}|{rule}|{fraction}|{kind}"]
        value = got if accepted else total - got
        return f"{100 * value / total:.0f}%"

    lines = [
        "| set | slice (of model data) | rows | honest accepted | 10% flipped rejected"
        " | 30% flipped rejected | 50% flipped rejected | noisy features rejected"
        " | before: honest accepted | before: 30% flipped rejected |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        n = load(name).features.shape[0]
        for fraction in fractions:
            rows = max(3, round(fraction * round(0.40 * n)))
            lines.append(
                f"| {name} | {fraction:.0%} | {rows} | "
                + " | ".join(
                    [
                        share(name, "now", fraction, "honest", True),
                        share(name, "now", fraction, "flip10", False),
                        share(name, "now", fraction, "flip30", False),
                        share(name, "now", fraction, "flip50", False),
                        share(name, "now", fraction, "noise", False),
                        share(name, "before", fraction, "honest", True),
                        share(name, "before", fraction, "flip30", False),
                    ]
                )
                + " |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--sets", default="breast_cancer,digits,wine,diabetes")
    parser.add_argument("--fractions", default="0.01,0.02,0.05,0.1,0.2")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    names = args.sets.split(",")
    fractions = [float(f) for f in args.fractions.split(",")]
    started = time.perf_counter()
    counts = run(names, args.splits, fractions)
    print(table_text(names, fractions, counts))
    print(f"\n{args.splits} splits per set, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"splits": args.splits, "counts": counts}, out, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
