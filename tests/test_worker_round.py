"""The worker against the live dev chain and Kubo: a full round and every rejection path."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import lightgbm
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    TRAINER_URI,
    contribute,
    create_live_model,
    run_worker,
    signer,
)

from cmu_client import history
from cmu_client.blocks import BlockReader
from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.types import ContributionState, RejectionReason
from offchain import demo_data
from offchain.card import recipe_from_card
from offchain.cid import raw_cid_from_sha256
from offchain.recipe import Recipe

BOB, CHARLIE, DAVE = CONTRIBUTOR_URIS


async def test_full_round_publishes_a_better_version_and_releases_the_deposit(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    bob = signer(BOB).ss58_address
    before = await asyncio.to_thread(chain.balance, bob)
    contribution, fee = await contribute(
        chain, store, BOB, model.id, model.slices.contributions[0].to_csv()
    )
    held = await asyncio.to_thread(chain.balance, bob)
    deposit = (await asyncio.to_thread(chain.info)).contribution_deposit
    assert held.reserved == before.reserved + deposit

    worker = await run_worker(chain, store, tmp_path, model.id)

    info = await asyncio.to_thread(chain.model, model.id)
    assert (info.head, info.version_count, info.pending_contributions) == (1, 2, 0)
    v0 = await asyncio.to_thread(chain.version, model.id, 0)
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.parent == 0 and v1.contributions == (contribution,)
    assert v1.trainer == signer(TRAINER_URI).ss58_address
    assert v1.metric("val_auc") is not None and v0.metric("val_auc") is not None
    assert v1.metric("val_auc").value >= v0.metric("val_auc").value - 5_000_000
    settled = await asyncio.to_thread(chain.contribution, model.id, contribution)
    assert settled.status.state is ContributionState.ACCEPTED and settled.settled_in == 1
    after = await asyncio.to_thread(chain.balance, bob)
    assert after.reserved == before.reserved
    assert after.free == before.free - fee

    # The recipe is found from the on-chain hash alone and describes a continuation.
    raw = await store.get(raw_cid_from_sha256(v1.recipe_hash), v1.recipe_hash, "recipe")
    recipe = Recipe.from_bytes(raw)
    assert recipe.mode == "continue" and recipe.parent is not None
    assert recipe.parent.artifact_sha256 == v0.artifact_hash
    assert [d.contribution for d in recipe.data] == [contribution]
    # The artifact is pinned and hashes to the chain's record.
    artifact = await store.get(v1.artifact_cid, v1.artifact_hash, "artifact")
    assert artifact.startswith(b"tree\n")
    # Nothing is left in the checkpoint directory once the round is done.
    assert not list(tmp_path.glob("model-*"))
    published = [r for r in worker.results if r.outcome.value == "published"]
    assert len(published) == 1 and {"fetch", "train", "evaluate", "publish", "chain"} <= set(
        published[0].timings
    )


async def test_every_rejection_reason_is_settled_and_slashed(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    parts = model.slices.contributions
    model_owner = (await asyncio.to_thread(chain.model, model.id)).owner
    balances = {
        uri: await asyncio.to_thread(chain.balance, signer(uri).ss58_address)
        for uri in CONTRIBUTOR_URIS
    }
    fees: dict[str, int] = dict.fromkeys(CONTRIBUTOR_URIS, 0)
    ids: dict[str, int] = {}

    async def add(name: str, uri: str, csv: bytes, **lies: object) -> None:
        ids[name], fee = await contribute(chain, store, uri, model.id, csv, **lies)  # type: ignore[arg-type]
        fees[uri] += fee

    await add("good", BOB, parts[0].to_csv())
    await add("invalid", CHARLIE, demo_data.corrupt_csv(parts[1].to_csv()))
    await add("rows_lie", CHARLIE, parts[1].to_csv(), rows=7)
    await add("hash_mismatch", DAVE, parts[2].to_csv(), data_hash=bytes(32))
    # A CID no node has: the raw CID of bytes never added.
    never_added = raw_cid_from_sha256(os.urandom(32))
    await add("unreachable", DAVE, b"x,y\n1,2\n", cid=never_added)
    await add("poisoned", CHARLIE, parts[3].with_flipped_labels().to_csv())
    await add("duplicate_initial", DAVE, model.initial_csv)
    await add("duplicate_of_good", BOB, parts[0].to_csv())

    await run_worker(chain, store, tmp_path, model.id)

    expected = {
        "good": None,
        "invalid": RejectionReason.INVALID_SCHEMA,
        "rows_lie": RejectionReason.INVALID_SCHEMA,
        "hash_mismatch": RejectionReason.HASH_MISMATCH,
        "unreachable": RejectionReason.UNREACHABLE,
        "poisoned": RejectionReason.HARMS_METRIC,
        "duplicate_initial": RejectionReason.DUPLICATE,
        "duplicate_of_good": RejectionReason.DUPLICATE,
    }
    records = {c.id: c for c in await asyncio.to_thread(history.contributions, chain, model.id)}
    for name, reason in expected.items():
        record = records[ids[name]]
        assert record.settled_in == 1, name
        if reason is None:
            assert record.status.state is ContributionState.ACCEPTED, name
        else:
            assert record.status.state is ContributionState.REJECTED, name
            assert record.status.reason is reason, name
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.contributions == (ids["good"],)

    deposit = (await asyncio.to_thread(chain.info)).contribution_deposit
    rejected_per_uri = {uri: 0 for uri in CONTRIBUTOR_URIS}
    uri_of = {
        "good": BOB,
        "invalid": CHARLIE,
        "rows_lie": CHARLIE,
        "hash_mismatch": DAVE,
        "unreachable": DAVE,
        "poisoned": CHARLIE,
        "duplicate_initial": DAVE,
        "duplicate_of_good": BOB,
    }
    for name, reason in expected.items():
        if reason is not None:
            rejected_per_uri[uri_of[name]] += 1
    for uri in CONTRIBUTOR_URIS:
        now = await asyncio.to_thread(chain.balance, signer(uri).ss58_address)
        assert now.reserved == balances[uri].reserved, uri
        assert now.free == balances[uri].free - fees[uri] - rejected_per_uri[uri] * deposit, uri
    # Each slashed deposit went from its contributor to the model owner (the default slash
    # destination), in the block that published v1.
    blocks = BlockReader(chain.connection)
    events = await asyncio.to_thread(
        blocks.events, await asyncio.to_thread(blocks.hash_of, v1.created_at)
    )
    moved = sorted(
        (e.attr("source"), int(e.attr("amount")))
        for e in events
        if e.qualified_name == "Balances.TransferOnHold" and e.attr("dest") == model_owner
    )
    expected_moves = sorted(
        (signer(uri_of[name]).ss58_address, deposit)
        for name, reason in expected.items()
        if reason is not None
    )
    assert moved == expected_moves
    slashed = [e for e in events if e.qualified_name == "Cmu.ContributionRejected"]
    assert sorted(int(e.attr("contribution")) for e in slashed) == sorted(
        ids[name] for name, reason in expected.items() if reason is not None
    )
    assert all(int(e.attr("slashed")) == deposit for e in slashed)


async def test_round_that_accepts_nothing_keeps_the_artifact_and_settles(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    poisoned, _ = await contribute(
        chain,
        store,
        CHARLIE,
        model.id,
        model.slices.contributions[1].with_flipped_labels().to_csv(),
    )
    await run_worker(chain, store, tmp_path, model.id)
    v0 = await asyncio.to_thread(chain.version, model.id, 0)
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.artifact_hash == v0.artifact_hash and v1.contributions == ()
    record = await asyncio.to_thread(chain.contribution, model.id, poisoned)
    assert record.status.reason is RejectionReason.HARMS_METRIC
    recipe = Recipe.from_bytes(
        await store.get(raw_cid_from_sha256(v1.recipe_hash), v1.recipe_hash, "recipe")
    )
    assert recipe.mode == "unchanged"


async def test_retrain_mode_and_the_version_card(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(
        chain, store, update_mode="retrain", metric="logloss", tolerance=0.01
    )
    first, _ = await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())
    await run_worker(chain, store, tmp_path, model.id)
    second, _ = await contribute(
        chain, store, CHARLIE, model.id, model.slices.contributions[1].to_csv()
    )
    worker = await run_worker(chain, store, tmp_path, model.id)
    v2 = await asyncio.to_thread(chain.version, model.id, 2)
    recipe = Recipe.from_bytes(
        await store.get(raw_cid_from_sha256(v2.recipe_hash), v2.recipe_hash, "recipe")
    )
    assert recipe.mode == "retrain"
    assert [d.contribution for d in recipe.data] == [None, first, second]
    assert v2.contributions == (second,)
    # The version card is pinned next to the recipe and explains the version.
    card_cid = worker.results[-1].card_cid
    assert card_cid is not None
    card_bytes = await store.get(card_cid, None, "card")
    assert recipe_from_card(card_bytes) == recipe
    card = json.loads(card_bytes)
    assert card["parent"] == 1 and card["data_cids"] == [d.cid for d in recipe.data]
    assert card["libraries"]["lightgbm"] == lightgbm.__version__
    assert set(card["feature_importances"]) == set(model.spec.feature_names)
    on_chain = v2.metric("val_logloss")
    assert on_chain is not None and round(card["metrics"]["logloss"] * 1e9) == on_chain.value
    [settlement] = card["settlements"]
    assert (settlement["contribution"], settlement["verdict"]) == (second, "Accept")
    # what the rule measured, for `cmu verify` to re-derive
    assert settlement["evidence"]["change"]["gain"] > -card["decision"]["tolerance"]
    assert card["decision"]["rule"] == "cmu-judge/2"
