"""Training, evaluation, recipes and decisions: pure tests that need no chain or IPFS."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fixtures_worker import local_model, local_spec, sha_hex
from sklearn.metrics import log_loss, roc_auc_score

from cmu_client.dataset import load_csv
from cmu_client.documents import canonical_json
from cmu_client.errors import SpecError
from cmu_client.spec import ContentRef, parse_spec
from cmu_client.types import RejectionReason
from offchain import demo_data
from offchain.card import recipe_from_card
from offchain.checkpoint import CheckpointStore, RoundCheckpoint, Stage
from offchain.cid import raw_cid_from_sha256
from offchain.decide import Decision, find_duplicates
from offchain.evaluate import auc, binary_logloss
from offchain.prepare import prepare_first_version, prepare_update
from offchain.publish import build_card
from offchain.recipe import DataRef, Recipe, RecipeError, accumulated_data
from offchain.training import TrainingError, derive_artifact, resolve_params


def test_first_version_pins_reproducibility_settings() -> None:
    model = local_model()
    text = model.first.artifact.decode()
    for line in ("[deterministic: 1]", "[force_row_wise: 1]", "[num_threads: 2]", "[seed: 42]"):
        assert line in text
    assert model.first.trees == 40
    assert model.first.recipe.mode == "fresh"
    assert model.first.evaluation.get("auc") > 0.9


def test_retraining_in_two_processes_gives_identical_bytes() -> None:
    """A fresh fit and a continuation, each run in its own interpreter, hash the same."""
    script = textwrap.dedent(
        """
        import json, sys
        sys.path.insert(0, "tests")
        from fixtures_worker import local_model, sha_hex
        from offchain.prepare import prepare_update
        model = local_model()
        candidate = model.candidate(0, model.slices.contributions[0].to_csv())
        update = prepare_update(0, model.spec, model.first.recipe.spec, model.validation,
                                model.parent_state(), [candidate], [])
        print(json.dumps([sha_hex(model.first.artifact), sha_hex(update.artifact),
                          update.recipe.sha256().hex()]))
        """
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    model = local_model()
    assert runs[0][0] == sha_hex(model.first.artifact)


def test_recipe_rederives_the_artifact_and_round_trips_through_json() -> None:
    model = local_model()
    candidate = model.candidate(0, model.slices.contributions[0].to_csv())
    update = prepare_update(
        0,
        model.spec,
        model.first.recipe.spec,
        model.validation,
        model.parent_state(),
        [candidate],
        [],
    )
    assert update.recipe.mode == "continue"
    stored = update.recipe.canonical_bytes()
    parsed = Recipe.from_bytes(stored)
    assert parsed == update.recipe
    assert parsed.sha256() == update.recipe.sha256()
    again = derive_artifact(parsed, model.spec, model.first.artifact, [candidate.data])
    assert again == update.artifact
    # Other data under the same recipe gives other bytes.
    other = model.candidate(1, model.slices.contributions[1].to_csv()).data
    assert derive_artifact(parsed, model.spec, model.first.artifact, [other]) != update.artifact


def test_poisoned_slice_is_rejected_and_good_slices_accepted() -> None:
    model = local_model()
    good = model.candidate(0, model.slices.contributions[0].to_csv())
    poisoned = model.candidate(1, model.slices.contributions[1].with_flipped_labels().to_csv())
    update = prepare_update(
        0,
        model.spec,
        model.first.recipe.spec,
        model.validation,
        model.parent_state(),
        [poisoned, good],
        [],
    )
    labels = {d.contribution: d.label for d in update.decisions}
    assert labels == {0: "Accept", 1: "Reject(HarmsMetric)"}
    assert [d.contribution for d in update.recipe.data] == [0]
    assert update.evaluation.get("auc") >= model.first.evaluation.get("auc") - 0.005


def test_round_that_accepts_nothing_keeps_the_parent_artifact() -> None:
    model = local_model()
    poisoned = model.candidate(3, model.slices.contributions[2].with_flipped_labels().to_csv())
    screened = [Decision.reject(4, RejectionReason.INVALID_SCHEMA, "bad csv")]
    update = prepare_update(
        0,
        model.spec,
        model.first.recipe.spec,
        model.validation,
        model.parent_state(),
        [poisoned],
        screened,
    )
    assert update.recipe.mode == "unchanged"
    assert update.artifact == model.first.artifact
    assert [d.label for d in update.decisions] == ["Reject(HarmsMetric)", "Reject(InvalidSchema)"]
    assert (
        derive_artifact(update.recipe, model.spec, model.first.artifact, []) == model.first.artifact
    )


def test_retrain_mode_trains_from_all_accepted_data() -> None:
    model = local_model(update_mode="retrain", metric="logloss", tolerance=0.01)
    candidate = model.candidate(0, model.slices.contributions[0].to_csv())
    update = prepare_update(
        0,
        model.spec,
        model.first.recipe.spec,
        model.validation,
        model.parent_state(),
        [candidate],
        [],
    )
    assert update.recipe.mode == "retrain"
    assert [d.contribution for d in update.recipe.data] == [None, 0]
    assert update.trees == 40  # from scratch, not stacked on the parent's 40
    assert accumulated_data([model.first.recipe, update.recipe]) == update.recipe.data
    again = derive_artifact(
        update.recipe, model.spec, model.first.artifact, [model.initial, candidate.data]
    )
    assert again == update.artifact


def test_duplicates_keep_the_earliest_contribution() -> None:
    a, b = b"\x01" * 32, b"\x02" * 32
    rejected = find_duplicates([(5, a), (3, b), (7, b), (8, b"\x03" * 32)], used_hashes=[a])
    assert sorted(rejected) == [5, 7]
    assert all(d.verdict.reason is RejectionReason.DUPLICATE for d in rejected.values())


def test_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    labels = (rng.random(500) > 0.4).astype(np.float64)
    scores = np.round(rng.random(500), 2)  # ties on purpose
    assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert binary_logloss(labels, scores.clip(0.01, 0.99)) == pytest.approx(
        log_loss(labels, scores.clip(0.01, 0.99)), abs=1e-12
    )


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"deterministic": False}, "irreproducible"),
        ({"force_row_wise": False}, "irreproducible"),
        ({"n_jobs": 0}, "num_threads"),
        ({"num_threads": -1}, "num_threads"),
        ({"seed": "random"}, "seed"),
        ({"early_stopping_round": 5}, "cannot be set"),
        ({"early_stopping_rounds": 5}, "cannot be set"),
        ({"input_model": "model.txt"}, "cannot be set"),
        ({"output_model": "model.txt"}, "cannot be set"),
        ({"machines": "10.0.0.1:12400"}, "cannot be set"),
        ({"objective": "regression"}, "derived from the spec"),
        ({"n_estimators": 5}, "derived from the spec"),
        ({"n_jobs": 1, "num_threads": 2}, "again"),
    ],
)
def test_spec_cannot_unpin_determinism_or_hide_round_counts(
    params: dict[str, object], why: str
) -> None:
    """One parameter policy: parse_spec refuses what training refuses, before anything is
    stored or created on chain; training refuses it too in a spec built in code."""
    spec, _ = local_spec()
    doc = demo_data.spec_document(spec.feature_names, params=params)
    with pytest.raises(SpecError, match=why):
        parse_spec(doc)
    built = replace(spec, training=replace(spec.training, params=params))
    with pytest.raises(TrainingError, match=why):
        resolve_params(built)


def test_spec_parameters_fold_aliases_into_the_recipe() -> None:
    spec, _ = local_spec()
    doc = demo_data.spec_document(spec.feature_names, params={"random_state": 5, "nthread": 1})
    params = resolve_params(parse_spec(doc))
    assert (params["seed"], params["num_threads"]) == (5, 1)
    assert "random_state" not in params and "nthread" not in params


def test_recipe_parser_names_the_bad_field() -> None:
    model = local_model()
    obj = model.first.recipe.to_json_obj()
    obj["data"][0]["sha256"] = "xyz"
    with pytest.raises(RecipeError, match=r"data\[0\]\.sha256"):
        Recipe.from_json_obj(obj)
    obj = model.first.recipe.to_json_obj()
    del obj["params"]
    with pytest.raises(RecipeError, match="params"):
        Recipe.from_json_obj(obj)


def test_raw_cid_follows_from_the_hash() -> None:
    # The CIDv1 Kubo gives the bytes b"hello" (one raw block): known value.
    assert (
        raw_cid_from_sha256(bytes.fromhex(sha_hex(b"hello")))
        == "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    )


def test_non_ascii_feature_names_keep_recipe_and_card_bytes_stable(tmp_path: Path) -> None:
    """Feature names outside ASCII flow through the recipe, the version card and the
    worker's checkpoint (which keeps the card as text) without changing a byte."""
    slices = demo_data.story_slices()
    names = tuple(
        f"{n}_é" if i % 2 else f"特徴_{n}" for i, n in enumerate(slices.validation.feature_names)
    )
    doc = demo_data.spec_document(names, label="diagnostic_ü")
    validation_csv = replace(slices.validation, feature_names=names).to_csv(label="diagnostic_ü")
    doc["validation"] = {"cid": "bafkreivalidation", "sha256": sha_hex(validation_csv)}
    spec = parse_spec(doc)
    spec_ref = ContentRef("bafkreispec", hashlib.sha256(spec.to_bytes()).digest())
    initial_csv = replace(slices.initial, feature_names=names).to_csv(label="diagnostic_ü")
    initial = load_csv(initial_csv, spec)
    first = prepare_first_version(
        0,
        spec,
        spec_ref,
        load_csv(validation_csv, spec),
        DataRef("bafkreiinitial", hashlib.sha256(initial_csv).digest(), initial.rows, None),
        initial,
    )
    card = build_card(first, spec.acceptance)
    card_bytes = card.to_bytes()
    assert names[0].encode() in card_bytes
    assert canonical_json(json.loads(card_bytes)) == card_bytes
    assert recipe_from_card(card_bytes) == first.recipe
    recipe_bytes = first.recipe.canonical_bytes()
    assert Recipe.from_bytes(recipe_bytes).sha256() == first.recipe.sha256()
    store = CheckpointStore(tmp_path)
    store.save(
        RoundCheckpoint(
            model=0,
            parent=None,
            version_count=0,
            contributions=(),
            stage=Stage.TRAINED,
            recipe_text=recipe_bytes.decode("utf-8"),
            card_text=card_bytes.decode("utf-8"),
        )
    )
    kept = store.load(0)
    assert kept is not None and kept.card_text is not None and kept.recipe_text is not None
    assert kept.card_text.encode("utf-8") == card_bytes
    assert kept.recipe_text.encode("utf-8") == recipe_bytes
