"""The worker keeps history verifiable: after a round, everything re-deriving the version
needs is pinned in its Kubo (``pin ls``), whatever contributors and the owner unpinned,
including the data the judging rule refused (``cmu verify`` re-judges it); data refused
by screening (it does not even parse) is not. Live chain and Kubo."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from fixtures_worker import (
    CONTRIBUTOR_URIS,
    contribute,
    create_live_model,
    run_worker,
    sha,
    signer,
)

from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.types import ContributionState, RejectionReason
from offchain import demo_data
from offchain.cid import raw_cid_from_sha256
from offchain.recipe import Recipe

BOB, CHARLIE, DAVE = CONTRIBUTOR_URIS


def unique(csv: bytes) -> bytes:
    """The same rows in a random order: bytes no earlier test added to this Kubo."""
    header, *rows = csv.decode().splitlines()
    random.SystemRandom().shuffle(rows)
    return ("\n".join([header, *rows]) + "\n").encode()


async def _register_unpinned(
    chain: CmuChain, store: IpfsStore, uri: str, model: int, csv: bytes
) -> tuple[int, str]:
    """``ipfs add --pin=false`` then ``submit_contribution``: the data is on the node but
    nothing pins it."""
    added = await store.client.core.add_bytes(csv, cid_version=1, pin=False)
    cid = str(added["Hash"])
    assert not await store.is_pinned(cid)
    contribution, _ = await asyncio.to_thread(
        chain.submit_contribution, signer(uri), model, cid, sha(csv), csv.count(b"\n") - 1
    )
    return contribution, cid


async def test_a_round_pins_accepted_data_validation_set_and_what_it_publishes(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(
        chain, store, update_mode="retrain", metric="logloss", tolerance=0.01
    )
    parts = model.slices.contributions
    assert model.spec.validation is not None
    validation_cid = model.spec.validation.cid
    v0 = await asyncio.to_thread(chain.version, model.id, 0)
    initial = Recipe.from_bytes(
        await store.get(raw_cid_from_sha256(v0.recipe_hash), v0.recipe_hash, "recipe")
    ).data[0]
    # The owner unpins the validation set and the initial data.
    for cid in (validation_cid, initial.cid):
        await store.unpin(cid)
        assert not await store.is_pinned(cid)
    # Bob adds his data without pinning it; Charlie pins his, registers, then unpins it.
    unpinned, unpinned_cid = await _register_unpinned(
        chain, store, BOB, model.id, unique(parts[0].to_csv())
    )
    later, _ = await contribute(chain, store, CHARLIE, model.id, unique(parts[1].to_csv()))
    later_cid = (await asyncio.to_thread(chain.contribution, model.id, later)).data_cid
    await store.unpin(later_cid)
    # A poisoned slice, also unpinned: the rule refuses it, and verify re-judges it.
    poisoned, poisoned_cid = await _register_unpinned(
        chain, store, DAVE, model.id, unique(parts[2].with_flipped_labels().to_csv())
    )
    # A corrupted file: refused by screening, nothing to re-judge, left unpinned.
    corrupted, corrupted_cid = await _register_unpinned(
        chain, store, BOB, model.id, demo_data.corrupt_csv(unique(parts[3].to_csv()))
    )

    worker = await run_worker(chain, store, tmp_path, model.id)

    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert set(v1.contributions) == {unpinned, later}
    record = await asyncio.to_thread(chain.contribution, model.id, poisoned)
    assert record.status.state is ContributionState.REJECTED
    assert record.status.reason is RejectionReason.HARMS_METRIC
    refused = await asyncio.to_thread(chain.contribution, model.id, corrupted)
    assert refused.status.reason is RejectionReason.INVALID_SCHEMA
    card_cid = worker.results[-1].card_cid
    assert card_cid is not None
    kept = {
        "Bob's data (added with --pin=false)": unpinned_cid,
        "Charlie's data (unpinned after registering)": later_cid,
        "the validation set (unpinned by the owner)": validation_cid,
        "the initial data (unpinned by the owner, in the retrain recipe)": initial.cid,
        "the spec": (await asyncio.to_thread(chain.model, model.id)).spec_cid,
        "the parent's artifact": v0.artifact_cid,
        "the artifact": v1.artifact_cid,
        "the recipe": raw_cid_from_sha256(v1.recipe_hash),
        "the version card": card_cid,
        "Dave's poisoned data (refused by the rule, re-judged by verify)": poisoned_cid,
    }
    for what, cid in kept.items():
        assert await store.is_pinned(cid), f"{what} ({cid}) is not pinned"
    assert not await store.is_pinned(corrupted_cid)
