"""Bad model specs given to ``cmu model create``: refused with one message, nothing changed.

Every invalid field of the spec document, every LightGBM parameter CMU forbids, and
parameter values LightGBM itself refuses (or crashes on). Before this file, the last kind
passed ``parse_spec``: ``cmu model create`` created the model on chain (holding the model
deposit) and only then failed to train version 0. Each case runs the real CLI and checks
exit code 3, one ``error:`` line naming the JSON path, a hint, and no change to chain
storage, the owner's balance and holds, the Kubo pins or the files.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fixtures_client import Accounts, csv_rows, run_cli, spec_document
from fixtures_state import assert_unchanged, one_message, snapshot

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings

_DELETE = object()


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = doc
    for step in parents:
        node = node[int(step)] if step.isdigit() else node[step]
    key: Any = int(last) if last.isdigit() else last
    if value is _DELETE:
        del node[key]
    else:
        node[key] = value
    return doc


BASE = spec_document()

#: kind -> (the spec document, the JSON path the error names, text it contains)
CASES: dict[str, tuple[Any, str, str]] = {
    "not JSON": ("{name: 1", "", "not valid JSON"),
    "not an object": ([1, 2], "", "not a JSON object"),
    "unknown top-level key": (_set(BASE, "owner", "me"), "'owner'", "unknown key"),
    "wrong format": (_set(BASE, "format", "cmu-model-spec/9"), "'format'", "unsupported format"),
    "name missing": (_set(BASE, "name", _DELETE), "'name'", "missing or empty"),
    "name blank": (_set(BASE, "name", "   "), "'name'", "missing or empty"),
    "description not a string": (_set(BASE, "description", 5), "'description'", "not a string"),
    "task unknown": (_set(BASE, "task", "ranking"), "'task'", "unknown task 'ranking'"),
    "label missing": (_set(BASE, "label", ""), "'label'", "missing or empty"),
    "classes for a regression": (
        _set(_set(BASE, "task", "regression"), "acceptance.metric", "rmse"),
        "'classes'",
        "a regression task has no classes",
    ),
    "three classes for binary": (
        _set(BASE, "classes", ["a", "b", "c"]),
        "'classes'",
        "3 classes for a binary task",
    ),
    "duplicate classes": (_set(BASE, "classes", ["a", "a"]), "'classes'", "duplicate"),
    "num_classes too small": (
        _set(
            _set(_set(_set(BASE, "task", "multiclass"), "classes", _DELETE), "num_classes", 2),
            "acceptance.metric",
            "accuracy",
        ),
        "'num_classes'",
        "not a valid class count",
    ),
    "num_classes on a binary task": (
        _set(BASE, "num_classes", 5),
        "'num_classes'",
        "only for multiclass",
    ),
    "features missing": (_set(BASE, "features", _DELETE), "'features'", "missing or empty"),
    "features empty": (_set(BASE, "features", []), "'features'", "missing or empty"),
    "feature type unknown": (
        _set(BASE, "features.1.type", "text"),
        "'features[1].type'",
        "unknown type 'text'",
    ),
    "feature name duplicated": (
        _set(BASE, "features.1.name", "age"),
        "'features[1].name'",
        "duplicate feature",
    ),
    "feature named like the label": (
        _set(BASE, "features.1.name", "bought"),
        "'features[1].name'",
        "is also the label",
    ),
    "categorical without categories": (
        _set(BASE, "features.2.categories", _DELETE),
        "'features[2].categories'",
        "missing",
    ),
    "category spelling a missing value": (
        _set(BASE, "features.2.categories", ["north", "NA"]),
        "'features[2].categories'",
        "spells a missing value",
    ),
    "categories on a numeric feature": (
        _set(BASE, "features.1.categories", ["a"]),
        "'features[1].categories'",
        "only categorical features have categories",
    ),
    "min above max": (
        _set(BASE, "features.0.min", 200),
        "'features[0]'",
        "min is greater than max",
    ),
    "bound on a categorical feature": (
        _set(BASE, "features.2.min", 1),
        "'features[2].min'",
        "numeric or integer feature",
    ),
    "allow_missing not a boolean": (
        _set(BASE, "features.0.allow_missing", "yes"),
        "'features[0].allow_missing'",
        "not a boolean",
    ),
    "unknown feature key": (
        _set(BASE, "features.0.unit", "years"),
        "'features[0].unit'",
        "unknown key",
    ),
    "lightgbm not an object": (_set(BASE, "lightgbm", 3), "'lightgbm'", "not an object"),
    "params not an object": (
        _set(BASE, "lightgbm.params", [1]),
        "'lightgbm.params'",
        "not an object",
    ),
    "num_boost_round zero": (
        _set(BASE, "lightgbm.num_boost_round", 0),
        "'lightgbm.num_boost_round'",
        "is not valid",
    ),
    "rounds_per_update huge": (
        _set(BASE, "lightgbm.rounds_per_update", 10**9),
        "'lightgbm.rounds_per_update'",
        "is not valid",
    ),
    "update_mode unknown": (
        _set(BASE, "lightgbm.update_mode", "merge"),
        "'lightgbm.update_mode'",
        "unknown mode",
    ),
    "acceptance missing": (_set(BASE, "acceptance", _DELETE), "'acceptance'", "missing"),
    "metric unknown": (
        _set(BASE, "acceptance.metric", "f1"),
        "'acceptance.metric'",
        "unknown metric 'f1'",
    ),
    "metric for another task": (
        _set(BASE, "acceptance.metric", "rmse"),
        "'acceptance.metric'",
        "rmse does not apply to a binary task",
    ),
    "tolerance negative": (
        _set(BASE, "acceptance.tolerance", -0.1),
        "'acceptance.tolerance'",
        "is not valid",
    ),
    "higher_is_better contradicts the metric": (
        _set(BASE, "acceptance.higher_is_better", False),
        "'acceptance.higher_is_better'",
        "auc is higher is better",
    ),
    "validation hash not hex": (
        _set(BASE, "validation", {"cid": "bafkreiabc", "sha256": "xyz"}),
        "'validation.sha256'",
        "not a sha2-256 hex digest",
    ),
}

#: LightGBM parameters CMU refuses whatever their value: derived, files/machines, early
#: stopping, irreproducible settings.
FORBIDDEN_PARAMS: dict[str, Any] = {
    "early_stopping_round": 5,
    "early_stopping_rounds": 5,
    "input_model": "/etc/passwd",
    "output_model": "/tmp/model.txt",
    "data": "train.csv",
    "valid": "valid.csv",
    "machines": "10.0.0.1:12400",
    "tree_learner": "data",
    "objective": "regression",
    "metric": "auc",
    "num_iterations": 500,
    "n_estimators": 500,
    "num_class": 3,
    "n_jobs": 0,
    "num_threads": -1,
    "deterministic": False,
    "force_row_wise": False,
    "device_type": "gpu",
    "seed": "random",
    "verbose": 1,
}

#: Values that pass CMU's policy but that LightGBM refuses (or aborts on).
LIGHTGBM_REFUSES: dict[str, tuple[dict[str, Any], str]] = {
    "num_leaves 1": ({"num_leaves": 1}, "num_leaves"),
    "negative learning rate": ({"learning_rate": -1}, "learning_rate"),
    "bagging_fraction above 1": ({"bagging_fraction": 2.0}, "bagging_fraction"),
    "unknown boosting type": ({"boosting": "nonsense"}, "Unknown boosting type"),
    "text where a number is due": ({"max_depth": "deep"}, "max_depth"),
    "monotone constraints of the wrong length": (
        {"monotone_constraints": "1,1"},
        "LightGBM crashed",
    ),
}


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    data, validation = tmp_path / "data.csv", tmp_path / "validation.csv"
    data.write_bytes(csv_rows(120, seed=31))
    validation.write_bytes(csv_rows(60, seed=32))
    return {"data": data, "validation": validation, "spec": tmp_path / "spec.json"}


def _refused(
    doc: Any,
    inputs: dict[str, Path],
    chain: CmuChain,
    ipfs: IpfsSettings,
    accounts: Accounts,
) -> str:
    spec = inputs["spec"]
    spec.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    files = [inputs["data"], inputs["validation"], spec]
    before = snapshot(chain, ipfs, [accounts.owner.ss58_address], files)
    result = run_cli(
        "model",
        "create",
        "--spec",
        str(spec),
        "--data",
        str(inputs["data"]),
        "--validation",
        str(inputs["validation"]),
        "--key",
        accounts.uri("owner"),
    )
    assert result.code == 3, (result.code, result.err)
    one_message(result.err)
    assert result.out == ""
    assert_unchanged(before, snapshot(chain, ipfs, [accounts.owner.ss58_address], files))
    return result.err


@pytest.mark.parametrize("kind", sorted(CASES))
def test_invalid_spec_field(
    kind: str,
    inputs: dict[str, Path],
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_accounts: Accounts,
) -> None:
    doc, path, text = CASES[kind]
    err = _refused(doc, inputs, client_chain, client_ipfs, client_accounts)
    assert text in err, err
    assert path in err, err


@pytest.mark.parametrize("param", sorted(FORBIDDEN_PARAMS))
def test_forbidden_lightgbm_parameter(
    param: str,
    inputs: dict[str, Path],
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_accounts: Accounts,
) -> None:
    doc = _set(BASE, f"lightgbm.params.{param}", FORBIDDEN_PARAMS[param])
    err = _refused(doc, inputs, client_chain, client_ipfs, client_accounts)
    assert f"'lightgbm.params.{param}'" in err, err


@pytest.mark.parametrize("kind", sorted(LIGHTGBM_REFUSES))
def test_parameter_values_lightgbm_refuses_are_refused_before_the_model_exists(
    kind: str,
    inputs: dict[str, Path],
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_accounts: Accounts,
) -> None:
    params, text = LIGHTGBM_REFUSES[kind]
    doc = copy.deepcopy(BASE)
    doc["lightgbm"]["params"].update(params)
    err = _refused(doc, inputs, client_chain, client_ipfs, client_accounts)
    assert "'lightgbm.params': LightGBM refuses these parameters" in err, err
    assert text in err, err
