"""The model spec document: parsing, every refusal, canonical bytes. No chain needed."""

from __future__ import annotations

import hashlib
import json

import pytest
from fixtures_client import make_spec, spec_document

from cmu_client.documents import canonical_json
from cmu_client.errors import SpecError
from cmu_client.spec import ContentRef, FeatureType, Task, UpdateMode, parse_spec


def problems_of(doc: object) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(doc)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def test_parses_the_example_spec() -> None:
    spec = make_spec(ContentRef("bafkreiabc", bytes(range(32))))
    assert spec.task is Task.BINARY
    assert spec.feature_names == ["age", "income", "region", "score"]
    assert spec.features[2].type is FeatureType.CATEGORICAL
    assert spec.features[2].categories == ("north", "south", "east", "west")
    assert spec.categorical_indices == [2]
    assert spec.features[3].allow_missing is False
    assert spec.features[0].min == 0 and spec.features[0].max == 130
    assert spec.class_count == 2 and spec.classes == ("no", "yes")
    assert spec.training.num_boost_round == 10
    # left out: retrain, the default a new user gets (docs/worker.md, Judging)
    assert spec.training.update_mode is UpdateMode.RETRAIN
    assert spec.acceptance.metric == "auc" and spec.acceptance.higher_is_better
    assert spec.validation == ContentRef("bafkreiabc", bytes(range(32)))


def test_canonical_bytes_round_trip_and_are_stable() -> None:
    spec = make_spec(ContentRef("bafkreiabc", bytes(32)))
    raw = spec.to_bytes()
    again = parse_spec(raw)
    assert again == spec
    assert again.to_bytes() == raw
    # Key order in the source does not change the stored bytes.
    shuffled = dict(reversed(list(json.loads(raw).items())))
    assert parse_spec(json.dumps(shuffled, indent=4)).to_bytes() == raw


def test_acceptance_direction_follows_the_metric() -> None:
    spec = parse_spec(
        spec_document(
            task="regression", classes=None, acceptance={"metric": "rmse", "tolerance": 0.5}
        )
    )
    assert not spec.acceptance.higher_is_better
    assert spec.acceptance.tolerance == 0.5
    assert spec.acceptance.worse_by(with_data=10.4, without_data=10.0) > 0  # rmse rose
    auc = make_spec().acceptance
    assert auc.higher_is_better
    assert auc.worse_by(with_data=0.78, without_data=0.80) > 0  # auc fell
    assert auc.worse_by(with_data=0.82, without_data=0.80) < 0


def test_not_json() -> None:
    assert "not valid JSON" in problems_of(b"{not json")[0]


def test_reports_every_problem_with_its_path() -> None:
    doc = spec_document()
    doc["task"] = "clustering"
    doc["label"] = ""
    doc["features"][1]["type"] = "text"
    doc["features"][2].pop("categories")
    doc["features"].append({"name": "age", "type": "numeric"})
    doc["acceptance"] = {"metric": "auc", "tolerance": -1}
    doc["extra"] = 1
    found = problems_of(doc)
    joined = "\n".join(found)
    assert "column 'task': unknown task 'clustering'" in joined
    assert "column 'label': missing or empty" in joined
    assert "'features[1].type': unknown type 'text'" in joined
    assert "'features[2].categories': missing" in joined
    assert "'features[4].name': duplicate feature 'age'" in joined
    assert "'acceptance.tolerance'" in joined
    assert "'extra': unknown key" in joined


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"acceptance": {"metric": "rmse"}}, "rmse does not apply to a binary task"),
        ({"acceptance": {"metric": "f1"}}, "unknown metric 'f1'"),
        ({"classes": ["a", "b", "c"]}, "3 classes for a binary task"),
        ({"task": "multiclass", "classes": None}, "'num_classes': missing"),
        ({"lightgbm": {"params": {"objective": "regression"}}}, "derived from the spec"),
        ({"lightgbm": {"params": {"num_iterations": 5}}}, "derived from the spec"),
        ({"lightgbm": {"params": {"num_threads": 0}}}, "positive integer"),
        ({"lightgbm": {"params": {"nested": {"a": 1}}}}, "not a scalar"),
        ({"lightgbm": {"params": {"n_jobs": 0}}}, "'lightgbm.params.n_jobs': num_threads"),
        ({"lightgbm": {"params": {"early_stopping_round": 3}}}, "cannot be set in a CMU spec"),
        ({"lightgbm": {"params": {"input_model": "m.txt"}}}, "cannot be set in a CMU spec"),
        ({"lightgbm": {"params": {"deterministic": False}}}, "irreproducible"),
        ({"lightgbm": {"num_boost_round": 0}}, "an integer from 1 to 100000"),
        ({"lightgbm": {"update_mode": "sometimes"}}, "unknown mode 'sometimes'"),
        ({"validation": {"cid": "bafk", "sha256": "abcd"}}, "not a sha2-256 hex digest"),
        ({"format": "cmu-model-spec/9"}, "unsupported format"),
        ({"features": []}, "'features': missing or empty"),
    ],
)
def test_refusals(change: dict[str, object], expected: str) -> None:
    doc = spec_document()
    for key, value in change.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    assert any(expected in p for p in problems_of(doc)), problems_of(doc)


def test_feature_level_refusals() -> None:
    doc = spec_document()
    doc["features"] = [
        {"name": "bought", "type": "numeric"},
        {"name": "c", "type": "categorical", "categories": ["x", "x"]},
        {"name": "d", "type": "categorical", "categories": ["NA", "y"]},
        {"name": "e", "type": "numeric", "categories": ["x"]},
        {"name": "f", "type": "numeric", "min": 5, "max": 1},
        {"name": "g", "type": "categorical", "categories": ["x"], "min": 0},
        {"name": "h", "type": "numeric", "allow_missing": "no"},
    ]
    joined = "\n".join(problems_of(doc))
    assert "feature 'bought' is also the label" in joined
    assert "duplicate categories" in joined
    assert "a category spells a missing value" in joined
    assert "only categorical features have categories" in joined
    assert "min is greater than max" in joined
    assert "'features[5].min'" in joined
    assert "'features[6].allow_missing': not a boolean" in joined


def test_error_message_is_one_line_with_count_and_first_problem() -> None:
    doc = spec_document(task="nope", label="")
    with pytest.raises(SpecError) as caught:
        parse_spec(doc)
    assert caught.value.message.startswith("model spec: 2 problems; first: ")
    assert "\n" not in caught.value.message
    assert caught.value.hint


NON_ASCII_NAMES = {"age": "âge", "income": "revenu (€)", "region": "région", "score": "得分"}


def non_ascii_document() -> dict[str, object]:
    doc = spec_document(
        name="modèle d'achat ✓",
        description="données synthétiques",
        label="acheté",
        classes=["non", "oui"],
    )
    for feature in doc["features"]:
        feature["name"] = NON_ASCII_NAMES[feature["name"]]
    doc["features"][2]["categories"] = ["nord", "sud", "Île", "ouest"]
    return doc


def test_a_spec_with_non_ascii_names_hashes_the_same_everywhere() -> None:
    """One canonical JSON (UTF-8, characters as they are): whoever writes the spec and
    however its source file is spelled, the stored bytes and their sha2-256 are one."""
    doc = non_ascii_document()
    spec = parse_spec(doc)
    stored = spec.to_bytes()
    assert "âge".encode() in stored and b"\\u" not in stored  # UTF-8, not escapes
    digest = hashlib.sha256(stored).digest()
    sources: list[str | bytes] = [
        json.dumps(doc),  # ASCII escapes (what json.dumps writes by default)
        json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"),
        json.dumps(dict(reversed(list(doc.items()))), ensure_ascii=False),
    ]
    for source in sources:
        assert hashlib.sha256(parse_spec(source).to_bytes()).digest() == digest
    # The one encoder, from the document or from the stored bytes read back (the worker).
    assert canonical_json(spec.to_document()) == stored
    assert canonical_json(json.loads(stored)) == stored
    assert parse_spec(stored) == spec
