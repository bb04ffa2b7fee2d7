"""Benchmark: parsing a 100k-row data set with cmu_client.dataset against Python's csv module.

No chain or IPFS needed. For each file it times, in the same process and interleaved
(best of ``--repeats``, median in brackets):

- baseline: ``csv.reader`` over the decoded text plus ``float()`` per cell (categories by a
  dict lookup) into a numpy array, with no checks at all: the floor of any pure-Python
  reader, and the old approach's core;
- old reader: the pure-Python checker cmu_client used before pyarrow (a regex and
  ``float()`` per cell, categories by a linear scan), kept in tests/reference_dataset.py;
- ``load_table``: the pyarrow reader with every check of the spec (pyarrow's thread pool
  is off on machines with two cores or fewer; a second row forces it on).

Files:
1. the round benchmark's data: 100k rows x 20 numeric features (make_classification),
   floats in shortest round-trip form (about 19 characters), a class-index label (40 MB);
2. a mixed table: 14 numeric (6 significant digits, 2% missing), 2 integer, 4 categorical
   features and a named label, as a spreadsheet or pandas writes it;
3. the mixed table written by R's write.csv (every text field quoted): Python's csv module
   splits it, pyarrow converts and checks it;
4. the mixed table as Parquet.

Usage: python benchmarks/bench_parse.py [--rows 100000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cmu_client import dataset
from cmu_client.dataset import Dataset, load_table
from cmu_client.spec import ModelSpec, parse_spec
from offchain import demo_data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import reference_dataset  # the old reader, kept for the tests

REGIONS = ("north", "south", "east", "west", "centre")


def numeric_file(rows: int) -> tuple[bytes, ModelSpec]:
    frame = demo_data.synthetic(rows, 20)
    doc = demo_data.spec_document(frame.feature_names, classes=None, label="target")
    return frame.to_csv(label="target", classes=None), parse_spec(doc)


def mixed_table(rows: int) -> tuple[dict[str, list[Any]], ModelSpec]:
    rng = np.random.default_rng(3)
    columns: dict[str, list[Any]] = {}
    features: list[dict[str, Any]] = []
    for j in range(14):
        values = rng.normal(100 * j, 10 + j, rows)
        cells: list[Any] = [float(f"{v:.6g}") for v in values]
        for i in np.flatnonzero(rng.uniform(size=rows) < 0.02):
            cells[i] = None
        columns[f"x{j}"] = cells
        features.append({"name": f"x{j}", "type": "numeric"})
    for j in range(2):
        columns[f"n{j}"] = rng.integers(0, 500, rows).tolist()
        features.append({"name": f"n{j}", "type": "integer", "min": 0})
    for j in range(4):
        columns[f"c{j}"] = [REGIONS[k] for k in rng.integers(0, len(REGIONS), rows)]
        features.append({"name": f"c{j}", "type": "categorical", "categories": list(REGIONS)})
    columns["label"] = [("no", "yes")[k] for k in rng.integers(0, 2, rows)]
    spec = parse_spec(
        {
            "name": "mixed",
            "task": "binary",
            "label": "label",
            "classes": ["no", "yes"],
            "features": features,
            "acceptance": {"metric": "auc"},
        }
    )
    return columns, spec


def table_csv(columns: dict[str, list[Any]], quote_text: bool) -> bytes:
    out = io.StringIO(newline="")
    quoting = csv.QUOTE_NONNUMERIC if quote_text else csv.QUOTE_MINIMAL
    writer = csv.writer(out, lineterminator="\n", quoting=quoting)
    writer.writerow(list(columns))
    for row in zip(*columns.values(), strict=True):
        writer.writerow(["NA" if v is None else v for v in row])
    return out.getvalue().encode()


def table_parquet(columns: dict[str, list[Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def baseline(raw: bytes, spec: ModelSpec) -> np.ndarray[Any, Any]:
    """csv.reader + float() per cell (categories and classes by a dict), nothing checked."""
    lookups: list[dict[str, float] | None] = [
        {c: float(i) for i, c in enumerate(f.categories)} if f.categories else None
        for f in spec.features
    ]
    classes = {c: float(i) for i, c in enumerate(spec.classes)} if spec.classes else None
    lookups.append(classes)
    missing = {"", "NA"}
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
    header = next(reader)
    order = [header.index(f.name) for f in spec.features] + [header.index(spec.label)]
    rows = []
    for fields in reader:
        row = []
        for col, lookup in zip(order, lookups, strict=True):
            cell = fields[col]
            if lookup is not None:
                row.append(lookup[cell])
            else:
                row.append(float("nan") if cell in missing else float(cell))
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def with_threads(raw: bytes, spec: ModelSpec) -> Dataset:
    """load_table with pyarrow's thread pool forced on (off by default on <= 2 cores)."""
    kept, dataset.ARROW_THREADS = dataset.ARROW_THREADS, True
    try:
        return load_table(raw, spec)
    finally:
        dataset.ARROW_THREADS = kept


def timed(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return times


def report(title: str, raw: bytes, times: dict[str, list[float]], base: str) -> None:
    print(f"\n{title} ({len(raw) / 1e6:.1f} MB)")
    best = {name: min(t) for name, t in times.items()}
    for name, t in times.items():
        ratio = best[base] / best[name]
        print(
            f"  {name:<34} {best[name]:7.3f} s  (median {statistics.median(t):.3f})"
            f"  {ratio:6.1f}x vs {base}"
        )


def same_arrays(a: Dataset, b: Dataset) -> bool:
    return a.features.tobytes() == b.features.tobytes() and (
        (a.labels is None and b.labels is None)
        or (a.labels is not None and b.labels is not None and np.array_equal(a.labels, b.labels))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows, repeats = args.rows, args.repeats
    print(
        f"{rows} rows, best of {repeats} (interleaved), this process; {os.cpu_count()} cores, "
        f"pyarrow thread pool {'on' if dataset.ARROW_THREADS else 'off'} by default"
    )

    raw, spec = numeric_file(rows)
    assert same_arrays(load_table(raw, spec), reference_dataset.load_csv(raw, spec))
    times = timed(
        {
            "baseline: csv.reader + float()": lambda: baseline(raw, spec),
            "old reader (regex + float per cell)": lambda: reference_dataset.load_csv(raw, spec),
            "load_table (pyarrow)": lambda: load_table(raw, spec),
            "load_table, pyarrow thread pool on": lambda: with_threads(raw, spec),
        },
        repeats,
    )
    report(
        "1. 20 numeric features, shortest round-trip floats",
        raw,
        times,
        base="baseline: csv.reader + float()",
    )
    goal = min(times["baseline: csv.reader + float()"]) / min(times["load_table (pyarrow)"])
    print(f"  goal >= 10x: load_table is {goal:.1f}x the baseline")

    columns, mixed_spec = mixed_table(rows)
    plain, quoted, parquet = (
        table_csv(columns, False),
        table_csv(columns, True),
        table_parquet(columns),
    )
    reference = reference_dataset.load_csv(plain, mixed_spec)
    for data in (plain, quoted, parquet):
        assert same_arrays(load_table(data, mixed_spec), reference)
    times = timed(
        {
            "baseline: csv.reader + float()": lambda: baseline(plain, mixed_spec),
            "old reader (regex + float per cell)": lambda: reference_dataset.load_csv(
                plain, mixed_spec
            ),
            "load_table, plain CSV": lambda: load_table(plain, mixed_spec),
            "load_table, R-quoted CSV": lambda: load_table(quoted, mixed_spec),
            "load_table, Parquet": lambda: load_table(parquet, mixed_spec),
        },
        repeats,
    )
    report(
        "2-4. mixed table: 14 numeric, 2 integer, 4 categorical, named label",
        plain,
        times,
        base="baseline: csv.reader + float()",
    )
    print(f"  (R-quoted CSV {len(quoted) / 1e6:.1f} MB, Parquet {len(parquet) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
