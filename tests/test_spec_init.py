"""``cmu spec init`` on real data with many categorical columns and missing values, then the
spec through ``cmu model create``, a contribution, a worker round and ``cmu predict`` on the
live chain and Kubo. Also: categories written with surrounding spaces match the data.

The table is scikit-learn's bundled breast-cancer set (no download) made harder: twelve
measurements binned into named categories (some written with stray spaces, as exported
spreadsheets have them), missing cells in ten columns, an integer count, a fraction, a
row id and a text sample code (both identifiers, to be left out).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from fixtures_client import run_cli
from fixtures_worker import run_worker

from cmu_client.chain import CmuChain
from cmu_client.dataset import load_csv
from cmu_client.errors import DataError, SpecError
from cmu_client.ipfs import IpfsStore
from cmu_client.spec import parse_spec
from cmu_client.spec_infer import infer_spec
from cmu_client.tables import read_table
from cmu_client.types import ContributionState
from offchain import demo_data

LEVELS = ("very low", "low ", " mid", "high", "very high ")
BINNED = 12
WITH_GAPS = (0, 2, 5, 13, 14, 17, 20, 21, 25, 29)


def messy_table(seed: int = 5) -> tuple[list[str], list[list[str]]]:
    """Header and rows (cells as text) of the harder breast-cancer table."""
    frame = demo_data.breast_cancer()
    rng = np.random.default_rng(seed)
    order = rng.permutation(frame.rows)
    names = [n.replace(" ", "_") for n in frame.feature_names]
    header = ["record_id", "sample_code", *names, "visits", "share", "diagnosis"]
    edges = [np.quantile(frame.features[:, j], [0.2, 0.4, 0.6, 0.8]) for j in range(BINNED)]
    rows = []
    for n, i in enumerate(order):
        cells = [str(1000 + n), f"S-{int(rng.integers(10**8)):08d}-{n}"]
        for j in range(len(names)):
            value = float(frame.features[i, j])
            if j < BINNED:
                level = LEVELS[int(np.searchsorted(edges[j], value))]
                # the same category, sometimes with and sometimes without its spaces
                cells.append(level if rng.random() < 0.5 else level.strip())
            else:
                cells.append(repr(value))
            if j in WITH_GAPS and rng.random() < 0.08:
                cells[-1] = "" if rng.random() < 0.5 else "NA"
        cells.append(str(int(rng.integers(0, 15))))
        cells.append(repr(round(float(rng.random()), 4)))
        cells.append(demo_data.CLASSES[int(frame.labels[i])])
        rows.append(cells)
    return header, rows


def to_csv(header: list[str], rows: list[list[str]], drop: tuple[str, ...] = ()) -> bytes:
    keep = [i for i, name in enumerate(header) if name not in drop]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header[i] for i in keep])
    writer.writerows([[row[i] for i in keep] for row in rows])
    return out.getvalue().encode()


def features(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in doc["features"]}


# --- without the network --------------------------------------------------------------


def test_infers_types_categories_missing_bounds_and_leaves_out_identifiers() -> None:
    header, rows = messy_table()
    inferred = infer_spec(header, rows, "diagnosis", name="messy")
    doc = inferred.document
    by_name = features(doc)
    assert doc["task"] == "binary"
    assert doc["classes"] == ["benign", "malignant"]
    assert inferred.left_out == ("record_id", "sample_code")
    assert len(by_name) == 32
    categorical = [f for f in doc["features"] if f["type"] == "categorical"]
    assert len(categorical) == BINNED
    assert categorical[0]["categories"] == ["high", "low", "mid", "very high", "very low"]
    assert by_name["mean_radius"]["allow_missing"] is True  # column 0 has gaps
    assert by_name["mean_texture"]["allow_missing"] is False
    assert by_name["visits"] == {
        "name": "visits",
        "type": "integer",
        "min": 0,
        "allow_missing": False,
    }
    assert by_name["share"]["min"] == 0 and by_name["share"]["max"] == 1
    # a new user gets the fair defaults: tolerance auto (no fixed number), retrain
    assert doc["acceptance"] == {"metric": "auc"}
    assert doc["lightgbm"]["update_mode"] == "retrain"
    notes = [str(n) for n in inferred.notes]
    assert any(n.startswith("record_id: left out: looks like an identifier") for n in notes)
    assert any(n.startswith("sample_code: left out: looks like an identifier") for n in notes)
    assert any("-> task binary" in n for n in notes)
    # the spec accepts the very table it came from
    spec = parse_spec(doc)
    data = load_csv(to_csv(header, rows), spec, allow_extra_columns=True)
    assert data.rows == len(rows)
    assert int(np.isnan(data.features).sum()) > 0


def test_parquet_gives_the_same_spec_as_csv(tmp_path: Path) -> None:
    header, rows = messy_table()
    raw_csv = to_csv(header, rows)
    table = pacsv.read_csv(
        io.BytesIO(raw_csv), convert_options=pacsv.ConvertOptions(strings_can_be_null=True)
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    from_csv = infer_spec(*read_table(raw_csv), "diagnosis").document
    from_parquet = infer_spec(*read_table(sink.getvalue()), "diagnosis").document
    assert from_parquet == from_csv


def test_task_inference_and_overrides() -> None:
    frame = demo_data.breast_cancer()
    header = [*list(frame.feature_names), "target"]
    rows = [
        [repr(float(v)) for v in frame.features[i]] + [repr(float(frame.features[i, 0]))]
        for i in range(100)
    ]
    regression = infer_spec(
        [*header[:-2], "target"], [[*r[:-2], r[-1]] for r in rows], "target"
    ).document
    assert regression["task"] == "regression"
    assert regression["acceptance"]["metric"] == "rmse"
    assert "tolerance" not in regression["acceptance"]
    multiclass_rows = [[*r[:3], str(i % 4)] for i, r in enumerate(rows)]
    multiclass = infer_spec([*header[:3], "target"], multiclass_rows, "target").document
    assert multiclass["task"] == "multiclass"
    assert multiclass["classes"] == ["0", "1", "2", "3"]
    from cmu_client.errors import UsageError
    from cmu_client.spec import Task

    as_regression = infer_spec(
        [*header[:3], "target"], multiclass_rows, "target", task=Task.REGRESSION
    ).document
    assert as_regression["task"] == "regression"
    with pytest.raises(UsageError, match="binary needs 2"):
        infer_spec([*header[:3], "target"], multiclass_rows, "target", task=Task.BINARY)
    with pytest.raises(DataError, match="no such column"):
        infer_spec(header, rows, "nope")


def test_categories_and_cells_are_normalised_the_same_way() -> None:
    """A spec written from the data as it is (``"WD "``) accepts the data, and a spec with
    clean names accepts padded cells: both sides are stripped by one function."""
    doc = {
        "name": "sale",
        "task": "binary",
        "label": "sold",
        "classes": ["no ", " yes"],
        "features": [
            {"name": "kind", "type": "categorical", "categories": ["WD ", " New", "COD"]},
            {"name": "area", "type": "numeric"},
        ],
        "acceptance": {"metric": "auc"},
    }
    spec = parse_spec(doc)
    assert spec.features[0].categories == ("WD", "New", "COD")
    assert spec.classes == ("no", "yes")
    data = load_csv(b"kind,area,sold\nWD ,1.5,yes\n New,2,no \nCOD,3, yes\nWD,4,no\n", spec)
    assert data.features[:, 0].tolist() == [0.0, 1.0, 2.0, 0.0]
    assert data.labels is not None and data.labels.tolist() == [1.0, 0.0, 1.0, 0.0]
    doc["features"][0]["categories"] = ["WD ", "WD", "COD"]
    with pytest.raises(SpecError, match="duplicate categories"):
        parse_spec(doc)
    doc["features"][0]["categories"] = ["WD", "  ", "COD"]
    with pytest.raises(SpecError, match="spells a missing value"):
        parse_spec(doc)


def test_cli_writes_json_and_explains_on_stderr(tmp_path: Path) -> None:
    header, rows = messy_table()
    data = tmp_path / "messy.csv"
    data.write_bytes(to_csv(header, rows))
    printed = run_cli("spec", "init", str(data), "--label", "diagnosis")
    assert printed.code == 0, printed.err
    doc = json.loads(printed.out)
    assert doc["name"] == "messy"
    assert "record_id: left out: looks like an identifier" in printed.err
    assert "mean_radius: categorical: 'high', 'low', 'mid', 'very high', 'very low'" in printed.err
    out = tmp_path / "spec.json"
    written = run_cli("spec", "init", str(data), "--label", "diagnosis", "--out", str(out))
    assert written.code == 0 and json.loads(out.read_text()) == doc
    again = run_cli("spec", "init", str(data), "--label", "diagnosis", "--out", str(out))
    assert again.code == 2 and "exists" in again.err
    wrong = run_cli("spec", "init", str(data), "--label", "nope")
    assert wrong.code == 3 and "column 'nope': no such column" in wrong.err


# --- through the live chain -----------------------------------------------------------


@pytest.mark.slow
async def test_inferred_spec_through_create_contribution_round_and_predict(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CMU_KEY", raising=False)
    header, rows = messy_table(seed=11)
    files = {
        "all": to_csv(header, rows),
        "initial": to_csv(header, rows[:220], drop=("record_id", "sample_code")),
        "validation": to_csv(header, rows[220:370], drop=("record_id", "sample_code")),
        "contribution": to_csv(header, rows[370:520], drop=("record_id", "sample_code")),
        "new": to_csv(header, rows[520:], drop=("record_id", "diagnosis")),
    }
    for name, raw in files.items():
        (tmp_path / f"{name}.csv").write_bytes(raw)
    spec_file = tmp_path / "spec.json"

    async def await_cli(*args: str) -> Any:
        return await asyncio.to_thread(run_cli, *args)

    made = await await_cli(
        "spec", "init", str(tmp_path / "all.csv"), "--label", "diagnosis", "--out", str(spec_file)
    )
    assert made.code == 0, made.err
    created = await await_cli(
        "model",
        "create",
        "--spec",
        str(spec_file),
        "--data",
        str(tmp_path / "initial.csv"),
        "--validation",
        str(tmp_path / "validation.csv"),
        "--key",
        "//Alice",
        "--json",
    )
    assert created.code == 0, created.err
    model = created.json()["model"]
    assert created.json()["version"] == 0
    registered = await await_cli(
        "contribute",
        "register",
        str(model),
        str(tmp_path / "contribution.csv"),
        "--key",
        "//Bob",
        "--json",
    )
    assert registered.code == 0, registered.err
    contribution = registered.json()["contribution"]

    await run_worker(live_chain, live_store, tmp_path / "worker", model, uri="//Alice")
    settled = await asyncio.to_thread(live_chain.contribution, model, contribution)
    assert settled.status.state in (ContributionState.ACCEPTED, ContributionState.REJECTED)
    assert settled.settled_in == 1

    predicted = await await_cli(
        "predict", str(model), str(tmp_path / "new.csv"), "--out", str(tmp_path / "predicted.csv")
    )
    assert predicted.code == 0, predicted.err
    assert f"model {model} v1" in predicted.err
    lines = (tmp_path / "predicted.csv").read_text().splitlines()
    assert len(lines) == len(rows) - 520 + 1
    assert lines[0].endswith("prediction,p_malignant")
