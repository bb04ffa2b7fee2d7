"""``cmu verify`` against the live chain: honest versions re-derive bit for bit, a
tampered artifact is caught and the report says where it differs."""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path

from fixtures_worker import (
    CONTRIBUTOR_URIS,
    cmu,
    contribute,
    create_live_model,
    inputs_for,
    run_worker,
    signer,
)

from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.predict import load_booster
from cmu_client.types import Verdict
from offchain.cid import raw_cid_from_sha256
from offchain.recipe import Recipe
from offchain.verify import diff_artifacts, verify_version

BOB = CONTRIBUTOR_URIS[0]


async def test_verify_confirms_worker_versions(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())
    await run_worker(chain, store, tmp_path, model.id)

    for version in (0, 1):
        report = await verify_version(chain, inputs_for(store), model.id, version)
        assert report.matches, report.checks
        assert {c.name for c in report.checks} >= {
            "recipe",
            "parent",
            "inputs",
            "artifact",
            "metrics",
            "libraries",
        }

    result = await asyncio.to_thread(cmu, "verify", str(model.id), "1", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["matches"] is True


async def test_verify_catches_a_tampered_artifact(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    """A trainer publishes an honest recipe with an artifact that is not its output."""
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    contribution, _ = await contribute(
        chain, store, BOB, model.id, model.slices.contributions[0].to_csv()
    )
    # The honest round: a worker publishes it on a twin model (same spec, same v0, same
    # data), whose recipe and artifact are then reused here.
    twin = await create_live_model(chain, store)
    await contribute(chain, store, BOB, twin.id, model.slices.contributions[0].to_csv())
    await run_worker(chain, store, tmp_path, twin.id)
    honest = await asyncio.to_thread(chain.version, twin.id, 1)
    twin_recipe = Recipe.from_bytes(
        await store.get(raw_cid_from_sha256(honest.recipe_hash), honest.recipe_hash, "recipe")
    )
    artifact = await store.get(honest.artifact_cid, honest.artifact_hash, "artifact")

    # The same recipe retargeted at `model` (its own parent and contribution id), stored.
    v0 = await asyncio.to_thread(chain.version, model.id, 0)
    assert twin_recipe.parent is not None
    recipe = Recipe(
        model=model.id,
        mode=twin_recipe.mode,
        parent=type(twin_recipe.parent)(0, v0.artifact_cid, v0.artifact_hash),
        spec=twin_recipe.spec,
        validation=twin_recipe.validation,
        data=tuple(type(d)(d.cid, d.sha256, d.rows, contribution) for d in twin_recipe.data),
        params=twin_recipe.params,
        num_boost_round=twin_recipe.num_boost_round,
        libraries=twin_recipe.libraries,
    )
    stored_recipe = await store.put(recipe.canonical_bytes())
    # Tamper: nudge one leaf value of the last tree.
    lines = artifact.decode().splitlines(keepends=True)
    index = max(i for i, line in enumerate(lines) if line.startswith("leaf_value="))
    values = lines[index].removeprefix("leaf_value=").split()
    values[0] = repr(float(values[0]) + 0.5)
    lines[index] = "leaf_value=" + " ".join(values) + "\n"
    tampered = "".join(lines).encode()
    load_booster(tampered)  # still a valid model: only its numbers are wrong
    stored_artifact = await store.put(tampered)
    owner = signer("//Alice")
    await asyncio.to_thread(
        functools.partial(chain.publish_version, card_cid=stored_recipe.cid),
        owner,
        model.id,
        0,
        stored_artifact.cid,
        stored_artifact.sha256,
        stored_recipe.sha256,
        list(honest.metrics),
        [(contribution, Verdict.accept())],
    )

    report = await verify_version(chain, inputs_for(store), model.id, 1)
    assert not report.matches
    failed = [c.name for c in report.checks if not c.ok]
    assert "artifact" in failed
    assert report.derived_sha256 == honest.artifact_hash.hex()
    assert any(
        line.startswith(f"first differing line {index + 1}:") for line in report.differences
    ), report.differences

    result = await asyncio.to_thread(cmu, "verify", str(model.id), "1")
    assert result.returncode == 1
    assert "first differing line" in result.stdout
    assert "mismatch" in result.stderr


def test_diff_names_tree_count_and_parameters() -> None:
    ours = b"tree\nTree=0\nx\nparameters:\n[seed: 1]\nend of parameters\n"
    theirs = b"tree\nTree=0\nx\nTree=1\nparameters:\n[seed: 2]\nend of parameters\n"
    found = diff_artifacts(ours, theirs)
    assert "tree count: re-derived 1, published 2" in found
    assert "parameter seed: re-derived '1', published '2'" in found
    assert any(line.startswith("first differing line 4:") for line in found)
