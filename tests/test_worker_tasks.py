"""Multiclass and regression models with categorical features, missing values and feature
names with spaces, each through a full worker round (a contribution accepted), ``cmu
verify`` (the version re-derives bit for bit) and ``cmu predict``, on the live chain and
Kubo.

The data are real tables that ship with scikit-learn (no download): the wine cultivars
(178 rows, 3 classes) and the diabetes progression set (442 rows, a numeric target). Each
gets a categorical feature (wine: the colour intensity as pale / medium / deep; diabetes:
the sex column as two named groups), missing cells (empty or ``NA``) in several columns,
an integer feature, and feature names as people write them, with spaces ("malic acid",
"body mass index"). LightGBM stores such names with underscores; training, verification
and prediction must all still line up.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fixtures_client import CliResult, run_cli
from fixtures_worker import run_worker

from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.types import ContributionState

OWNER = "//Alice"
CONTRIBUTOR = "//Bob"


@dataclass(frozen=True)
class Table:
    """A labelled table as CSV text cells, with the spec that describes it."""

    header: list[str]
    rows: list[list[str]]
    spec: dict[str, Any]

    def csv(self, start: int, stop: int, label: bool = True) -> bytes:
        keep = [i for i, name in enumerate(self.header) if label or name != self.spec["label"]]
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.header[i] for i in keep])
        writer.writerows([[row[i] for i in keep] for row in self.rows[start:stop]])
        return out.getvalue().encode()


def _gaps(rng: np.random.Generator, cell: str, share: float) -> str:
    """``cell``, or a missing value (empty or NA) with probability ``share``."""
    if rng.random() >= share:
        return cell
    return "" if rng.random() < 0.5 else "NA"


def _params(rounds: int) -> dict[str, Any]:
    return {
        "params": {"learning_rate": 0.1, "num_leaves": 7, "min_data_in_leaf": 5},
        "num_boost_round": rounds,
        "rounds_per_update": 10,
        "update_mode": "retrain",
    }


def wine_table(seed: int = 11) -> Table:
    from sklearn.datasets import load_wine

    bunch: Any = load_wine()
    rng = np.random.default_rng(seed)
    order = rng.permutation(bunch.data.shape[0])
    names = [str(n).replace("_", " ") for n in bunch.feature_names]
    colour = names.index("color intensity")
    bands = np.quantile(bunch.data[:, colour], [1 / 3, 2 / 3])
    levels = ("pale", "medium", "deep")
    classes = ("barolo", "grignolino", "barbera")
    header = [*(n if i != colour else "colour band" for i, n in enumerate(names)), "cultivar"]
    gaps = {names.index("ash"): 0.1, names.index("magnesium"): 0.1, colour: 0.08}
    rows = []
    for i in order:
        cells = []
        for j, value in enumerate(bunch.data[i]):
            if j == colour:
                text = levels[int(np.searchsorted(bands, value))]
            elif names[j] == "magnesium":
                text = str(int(value))
            else:
                text = repr(float(value))
            cells.append(_gaps(rng, text, gaps.get(j, 0.0)))
        rows.append([*cells, classes[int(bunch.target[i])]])
    features: list[dict[str, Any]] = []
    for name in header[:-1]:
        if name == "colour band":
            features.append({"name": name, "type": "categorical", "categories": list(levels)})
        elif name == "magnesium":
            features.append({"name": name, "type": "integer", "min": 0})
        else:
            features.append({"name": name, "type": "numeric"})
    spec = {
        "format": "cmu-model-spec/1",
        "name": "wine cultivars",
        "description": "scikit-learn's wine data with a colour band and missing cells",
        "task": "multiclass",
        "label": "cultivar",
        "classes": list(classes),
        "features": features,
        "lightgbm": _params(30),
        "acceptance": {"metric": "multi_logloss", "tolerance": 0.05},
    }
    return Table(header, rows, spec)


def diabetes_table(seed: int = 23) -> Table:
    from sklearn.datasets import load_diabetes

    bunch: Any = load_diabetes(scaled=False)
    rng = np.random.default_rng(seed)
    order = rng.permutation(bunch.data.shape[0])
    names = [
        "age",
        "sex",
        "body mass index",
        "blood pressure",
        "total cholesterol",
        "ldl cholesterol",
        "hdl cholesterol",
        "cholesterol ratio",
        "log triglycerides",
        "blood sugar",
    ]
    groups = {1.0: "group one", 2.0: "group two"}
    gaps = {1: 0.05, 2: 0.08, 9: 0.08}
    rows = []
    for i in order:
        cells = []
        for j, value in enumerate(bunch.data[i]):
            if j == 0:
                text = str(int(value))
            elif j == 1:
                text = groups[float(value)]
            else:
                text = repr(float(value))
            cells.append(_gaps(rng, text, gaps.get(j, 0.0)))
        rows.append([*cells, repr(float(bunch.target[i]))])
    features: list[dict[str, Any]] = [
        {"name": "age", "type": "integer", "min": 0, "max": 120},
        {"name": "sex", "type": "categorical", "categories": list(groups.values())},
        *({"name": name, "type": "numeric"} for name in names[2:]),
    ]
    spec = {
        "format": "cmu-model-spec/1",
        "name": "diabetes progression",
        "description": "scikit-learn's diabetes data with named groups and missing cells",
        "task": "regression",
        "label": "progression one year on",
        "features": features,
        "lightgbm": _params(40),
        "acceptance": {"metric": "rmse", "tolerance": 3.0},
    }
    return Table([*names, "progression one year on"], rows, spec)


async def cli(*args: str) -> CliResult:
    return await asyncio.to_thread(run_cli, *args)


async def _round_verify_predict(
    chain: CmuChain,
    store: IpfsStore,
    tmp_path: Path,
    table: Table,
    cuts: Sequence[int],
) -> list[dict[str, str]]:
    """Create the model with ``cmu model create``, contribute with ``cmu contribute
    register``, run a worker round, ``cmu verify`` v0 and v1 and ``cmu predict`` the rest
    of the rows; returns the predictions."""
    validation, initial, contribution, end = cuts
    files = {
        "validation": table.csv(0, validation),
        "initial": table.csv(validation, initial),
        "contribution": table.csv(initial, contribution),
        "new": table.csv(contribution, end, label=False),
    }
    raw = b"".join(files.values()).decode()
    assert ",," in raw or ",NA," in raw or ",NA\n" in raw  # missing cells are there
    for name, data in files.items():
        (tmp_path / f"{name}.csv").write_bytes(data)
    (tmp_path / "spec.json").write_text(json.dumps(table.spec))

    created = await cli(
        "model",
        "create",
        "--spec",
        str(tmp_path / "spec.json"),
        "--data",
        str(tmp_path / "initial.csv"),
        "--validation",
        str(tmp_path / "validation.csv"),
        "--key",
        OWNER,
        "--json",
    )
    assert created.code == 0, created.err
    model = int(created.json()["model"])
    registered = await cli(
        "contribute",
        "register",
        str(model),
        str(tmp_path / "contribution.csv"),
        "--key",
        CONTRIBUTOR,
        "--json",
    )
    assert registered.code == 0, registered.err
    contribution_id = int(registered.json()["contribution"])

    await run_worker(chain, store, tmp_path / "worker", model, uri=OWNER)
    record = await asyncio.to_thread(chain.contribution, model, contribution_id)
    assert record.status.state is ContributionState.ACCEPTED, record.status
    v1 = await asyncio.to_thread(chain.version, model, 1)
    assert v1.contributions == (contribution_id,)

    for version in ("0", "1"):
        verified = await cli("verify", str(model), version, "--json")
        assert verified.code == 0, verified.out + verified.err
        assert verified.json()["matches"] is True

    out = tmp_path / "predicted.csv"
    predicted = await cli("predict", str(model), str(tmp_path / "new.csv"), "--out", str(out))
    assert predicted.code == 0, predicted.err
    assert f"model {model} v1" in predicted.err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == end - contribution
    return rows


@pytest.mark.slow
async def test_multiclass_with_categories_gaps_and_spaced_names(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CMU_KEY", raising=False)
    table = wine_table()
    rows = await _round_verify_predict(live_chain, live_store, tmp_path, table, (60, 110, 160, 178))
    classes = table.spec["classes"]
    assert {r["prediction"] for r in rows} <= set(classes)
    for r in rows:
        probabilities = [float(r[f"p_{c}"]) for c in classes]
        assert sum(probabilities) == pytest.approx(1.0)
        assert r["prediction"] == classes[int(np.argmax(probabilities))]
    assert "malic acid" in rows[0] and "colour band" in rows[0]  # input columns kept


@pytest.mark.slow
async def test_regression_with_categories_gaps_and_spaced_names(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CMU_KEY", raising=False)
    table = diabetes_table()
    rows = await _round_verify_predict(
        live_chain, live_store, tmp_path, table, (120, 240, 390, 442)
    )
    values = [float(r["prediction"]) for r in rows]
    assert all(np.isfinite(values)) and len(set(values)) > 5
    assert min(values) >= 25 and max(values) <= 346  # within the target's range
