"""Training past one machine: a round on a Dask LocalCluster through ``lightgbm.dask``.

The worker records the layout in the recipe, ``cmu verify`` re-derives on a LocalCluster
of the recorded worker count bit for bit (measured: the same layout gives the same bytes;
docs/worker.md, "Training on Dask"), and a recipe without Dask hashes as before.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from pathlib import Path

import pytest
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    contribute,
    create_live_model,
    inputs_for,
    run_worker,
)

from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.spec import ContentRef
from offchain.cid import raw_cid_from_sha256
from offchain.distributed import normalize_network, partition_rows
from offchain.recipe import DataRef, Distributed, ParentRef, Recipe, RecipeError
from offchain.training import derive_artifact
from offchain.verify import verify_version

pytest.importorskip("distributed")

BOB = CONTRIBUTOR_URIS[0]


def _recipe(**changes: object) -> Recipe:
    fields: dict[str, object] = {
        "model": 7,
        "mode": "continue",
        "parent": ParentRef(3, "bafkreiparent", bytes.fromhex("11" * 32)),
        "spec": ContentRef("bafkreispec", bytes.fromhex("22" * 32)),
        "validation": ContentRef("bafkreivalidation", bytes.fromhex("33" * 32)),
        "data": (DataRef("bafkreidata", bytes.fromhex("44" * 32), 120, 5),),
        "params": (
            ("deterministic", True),
            ("learning_rate", 0.1),
            ("num_threads", 2),
            ("objective", "binary"),
            ("seed", 42),
        ),
        "num_boost_round": 10,
        "libraries": (("cmu", "0.1.0"), ("lightgbm", "4.7.0"), ("numpy", "2.0.0")),
    }
    fields.update(changes)
    return Recipe(**fields)  # type: ignore[arg-type]


def test_a_recipe_without_dask_hashes_as_before() -> None:
    # The hash this recipe had before recipes could name a distributed layout.
    recipe = _recipe()
    assert "distributed" not in recipe.to_json_obj()
    assert (
        recipe.sha256().hex() == "f28f14576f7ca9e328b646dc12d5c81ecdea2ad7a53e19c1643ac2219b8aeae3"
    )
    layout = Distributed(
        "lightgbm.dask", "data", 2, (60, 60), (("dask", "x"), ("distributed", "x"))
    )
    on_dask = _recipe(distributed=layout)
    assert on_dask.sha256() != recipe.sha256()
    assert Recipe.from_bytes(on_dask.canonical_bytes()) == on_dask
    assert Recipe.from_bytes(recipe.canonical_bytes()) == recipe
    with pytest.raises(RecipeError, match="partitions hold 100 rows"):
        _recipe(distributed=dataclasses.replace(layout, partitions=(50, 50)))


def test_partitions_are_contiguous_and_network_lines_fixed() -> None:
    assert partition_rows(569, 2) == (285, 284)
    assert partition_rows(6, 3) == (2, 2, 2)
    text = "[num_machines: 2]\n[local_listen_port: 40123]\n[machines: 127.0.0.1:1,127.0.0.1:2]\n"
    assert normalize_network(text) == (
        "[num_machines: 2]\n[local_listen_port: 12400]\n[machines: ]\n"
    )


async def test_a_round_on_a_local_cluster_is_recorded_and_verified(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())

    await run_worker(chain, store, tmp_path, model.id, dask_local_workers=2)

    v0 = await asyncio.to_thread(chain.version, model.id, 0)
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    raw = await store.get(raw_cid_from_sha256(v1.recipe_hash), v1.recipe_hash, "recipe")
    recipe = Recipe.from_bytes(raw)
    layout = recipe.distributed
    assert layout is not None
    assert (layout.engine, layout.tree_learner, layout.workers) == ("lightgbm.dask", "data", 2)
    assert sum(layout.partitions) == recipe.total_rows and len(layout.partitions) == 2
    assert {name for name, _ in layout.libraries} == {"dask", "distributed"}
    artifact = await store.get(v1.artifact_cid, v1.artifact_hash, "artifact")
    assert b"[tree_learner: data]" in artifact and b"[machines: ]" in artifact

    # verify re-derives on a LocalCluster of the recorded worker count: bit for bit.
    report = await verify_version(chain, inputs_for(store), model.id, 1)
    assert report.matches, report.checks
    checks = {c.name: c for c in report.checks}
    assert checks["distributed training"].ok
    assert "bit for bit" in checks["distributed training"].detail

    # The same rows on one machine give other trees (measured: bin bounds and splits).
    spec = await inputs_for(store).spec_at(recipe.spec, "spec")
    data = await inputs_for(store).learned(recipe.data, spec)
    parent = await store.get(v0.artifact_cid, v0.artifact_hash, "artifact")
    single = derive_artifact(dataclasses.replace(recipe, distributed=None), spec, parent, data)
    assert hashlib.sha256(single).digest() != v1.artifact_hash
