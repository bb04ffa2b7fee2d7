"""pallet-cmu v2 (issue 8) through the Python client, on the live chain: slashed deposits
shared among accepted contributors by the worker's reward weights, attestations of
re-derived versions (one per account), per-account totals from the runtime API, the version
card's CID on chain, rejections without a version, skipped settlements and retirement.

These tests need a chain running the v2 runtime: the ``v2`` fixture fails (it does not
skip) with what to do when the chain at ``$CMU_RPC_URL`` runs the first pallet-cmu.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fixtures_client import run_cli
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    OWNER_URI,
    TRAINER_URI,
    contribute,
    create_live_model,
    inputs_for,
    run_worker,
    signer,
)

from cmu_client import history
from cmu_client.blocks import BlockReader
from cmu_client.chain import CmuChain, skipped_settlements
from cmu_client.errors import ChainError, PermissionDeniedError
from cmu_client.ipfs import IpfsStore
from cmu_client.types import (
    AttestationOutcome,
    ContributionState,
    RejectionReason,
    SlashDestination,
    SlashKind,
    Verdict,
)
from offchain import demo_data
from offchain.verify import attest, verify_version

BOB, CHARLIE, DAVE = CONTRIBUTOR_URIS


@pytest.fixture(name="v2")
def v2_fixture(live_chain: CmuChain) -> CmuChain:
    """The live chain, which must run pallet-cmu v2 (fails, with what to do, otherwise)."""
    features = live_chain.features()
    if features.generation < 2:
        missing = [
            name
            for name in ("card_cid", "attestations", "rewards", "contributor_totals")
            if not getattr(features, name)
        ]
        pytest.fail(
            f"these tests need the pallet-cmu v2 runtime (issue 8), but the chain at "
            f"{live_chain.connection.settings.url} runs runtime spec {features.spec_version} "
            f"without {', '.join(missing)}. Build it with `CMU_RUNTIME_DIR=~/.cache/cmu/"
            f"runtime-v2 scripts/build-runtime.sh`, start a chain on it (same CMU_RUNTIME_DIR, "
            f"scripts/chain.sh start) and point $CMU_RPC_URL at it.",
            pytrace=False,
        )
    return live_chain


async def test_slashed_deposits_go_to_accepted_contributors_by_weight(
    v2: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = v2, live_store
    model = await create_live_model(
        chain, store, update_mode="retrain", metric="logloss", tolerance=0.01
    )
    owner = signer(OWNER_URI)
    await asyncio.to_thread(
        chain.set_slash_destination,
        owner,
        model.id,
        SlashDestination(SlashKind.ACCEPTED_CONTRIBUTORS),
    )
    assert (await asyncio.to_thread(chain.model, model.id)).slash_destination.kind is (
        SlashKind.ACCEPTED_CONTRIBUTORS
    )
    addresses = {uri: signer(uri).ss58_address for uri in (BOB, CHARLIE, DAVE)}
    totals_before = {
        uri: await asyncio.to_thread(chain.contributor_totals, a) for uri, a in addresses.items()
    }
    balances_before = {
        uri: await asyncio.to_thread(chain.balance, a) for uri, a in addresses.items()
    }
    owner_before = await asyncio.to_thread(chain.balance, owner.ss58_address)
    parts = model.slices.contributions
    fees = dict.fromkeys(addresses, 0)
    ids: dict[str, int] = {}

    async def add(name: str, uri: str, csv: bytes) -> None:
        ids[name], fee = await contribute(chain, store, uri, model.id, csv)
        fees[uri] += fee

    await add("bob", BOB, parts[0].to_csv())
    await add("charlie", CHARLIE, parts[1].to_csv())
    await add("poisoned", DAVE, parts[2].with_flipped_labels().to_csv())
    await add("corrupt", DAVE, demo_data.corrupt_csv(parts[3].to_csv()))

    worker = await run_worker(chain, store, tmp_path, model.id)
    published = [r for r in worker.results if r.outcome.value == "published"]
    assert len(published) == 1
    info = await asyncio.to_thread(chain.info)
    deposit = info.contribution_deposit

    records = {c.id: c for c in await asyncio.to_thread(history.contributions, chain, model.id)}
    bob, charlie = records[ids["bob"]], records[ids["charlie"]]
    assert bob.status.state is ContributionState.ACCEPTED
    assert charlie.status.state is ContributionState.ACCEPTED
    assert records[ids["poisoned"]].status.reason is RejectionReason.HARMS_METRIC
    assert records[ids["corrupt"]].status.reason is RejectionReason.INVALID_SCHEMA

    # The version records the card's CID; the card lists the weights the chain recorded.
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.card_cid is not None and v1.card_cid == published[0].card_cid
    card = json.loads(await store.get(v1.card_cid, None, "card"))
    weights = {int(k): w for k, w in card["reward_weights"].items()}
    assert weights == {bob.id: bob.reward_weight, charlie.id: charlie.reward_weight}
    total_weight = bob.reward_weight + charlie.reward_weight
    assert total_weight > 0, "retraining on more good data should lower the logloss"

    # Two slashed deposits, shared pro rata (rounded down), the remainder to the owner.
    total = 2 * deposit
    share = {c.id: total * c.reward_weight // total_weight for c in (bob, charlie)}
    assert bob.reward == share[bob.id] and charlie.reward == share[charlie.id]
    events = await asyncio.to_thread(
        BlockReader(chain.connection).events,
        await asyncio.to_thread(BlockReader(chain.connection).hash_of, v1.created_at),
    )
    shared = [e for e in events if e.qualified_name == "Cmu.SlashesShared"]
    assert len(shared) == 1
    assert int(shared[0].attr("total")) == total
    assert int(shared[0].attr("to_contributors")) == sum(share.values())
    assert int(shared[0].attr("to_owner")) == total - sum(share.values())
    rewarded = {
        int(e.attr("contribution")): int(e.attr("amount"))
        for e in events
        if e.qualified_name == "Cmu.ContributionRewarded"
    }
    assert rewarded == {cid: amount for cid, amount in share.items() if amount}

    # Balances: the accepted contributors got their deposit back plus their share; Dave
    # lost both deposits; the owner got the remainder (and paid the v0/model fees before).
    for uri, reward in ((BOB, share[bob.id]), (CHARLIE, share[charlie.id])):
        now = await asyncio.to_thread(chain.balance, addresses[uri])
        assert now.reserved == balances_before[uri].reserved, uri
        assert now.free == balances_before[uri].free - fees[uri] + reward, uri
    dave_now = await asyncio.to_thread(chain.balance, addresses[DAVE])
    assert dave_now.free == balances_before[DAVE].free - fees[DAVE] - total
    owner_now = await asyncio.to_thread(chain.balance, owner.ss58_address)
    assert owner_now.free == owner_before.free + total - sum(share.values())

    # Per-account totals (runtime API) moved by exactly this round.
    after = {
        uri: await asyncio.to_thread(chain.contributor_totals, a) for uri, a in addresses.items()
    }
    for uri, reward in ((BOB, share[bob.id]), (CHARLIE, share[charlie.id])):
        assert after[uri].accepted == totals_before[uri].accepted + 1, uri
        assert after[uri].returned == totals_before[uri].returned + deposit, uri
        assert after[uri].rewards == totals_before[uri].rewards + reward, uri
        assert after[uri].slashed == totals_before[uri].slashed, uri
    assert after[DAVE].rejected == totals_before[DAVE].rejected + 2
    assert after[DAVE].slashed == totals_before[DAVE].slashed + total
    assert after[DAVE].accepted == totals_before[DAVE].accepted

    # ... and through the CLI.
    shown = await asyncio.to_thread(run_cli, "contribute", "totals", addresses[BOB], "--json")
    assert shown.code == 0, shown.err
    assert shown.json()["totals"]["rewards"] == after[BOB].rewards
    card_line = await asyncio.to_thread(run_cli, "contribute", "show", str(model.id), str(bob.id))
    assert card_line.code == 0 and "reward weight" in card_line.out


async def test_attestation_counts_and_one_per_account(
    v2: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = v2, live_store
    model = await create_live_model(chain, store)
    await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())
    await run_worker(chain, store, tmp_path, model.id)
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.trainer == signer(TRAINER_URI).ss58_address
    assert (v1.matches, v1.mismatches) == (0, 0)
    info = await asyncio.to_thread(chain.info)
    assert info.attestation_deposit is not None and info.attestation_deposit > 0

    # A third account (not owner, trainer or contributor) re-derives v1 and attests it.
    charlie = signer(CHARLIE)
    held_before = (await asyncio.to_thread(chain.balance, charlie.ss58_address)).reserved
    report = await verify_version(chain, inputs_for(store), model.id, 1)
    assert report.matches, report.checks
    attested = await attest(chain, store, charlie, report)
    assert (attested.matches, attested.mismatches) == (1, 0)
    stored = json.loads(await store.get(attested.report.cid, None, "report"))
    assert stored["outcome"] == "Match" and stored["version"] == 1
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert (v1.matches, v1.mismatches) == (1, 0)
    assert v1.attestation_label() == "verified by 1 account, disputed by 0"
    record = await asyncio.to_thread(chain.attestation, model.id, 1, charlie.ss58_address)
    assert record is not None and record.outcome is AttestationOutcome.MATCH
    assert record.report_cid == attested.report.cid
    held = (await asyncio.to_thread(chain.balance, charlie.ss58_address)).reserved
    assert held == held_before + info.attestation_deposit

    # The same account cannot attest the same version twice (the chain refuses) ...
    with pytest.raises(ChainError) as again:
        await asyncio.to_thread(
            chain.attest_version,
            charlie,
            model.id,
            1,
            AttestationOutcome.MISMATCH,
            attested.report.cid,
        )
    assert again.value.name == "AlreadyAttested"
    # ... nor can the version's trainer attest its own version.
    with pytest.raises(ChainError) as own:
        await asyncio.to_thread(
            chain.attest_version,
            signer(TRAINER_URI),
            model.id,
            1,
            AttestationOutcome.MATCH,
            attested.report.cid,
        )
    assert own.value.name == "CannotAttestOwnVersion"

    # `cmu verify --attest` by another account records a second attestation; a repeat is
    # refused before re-deriving.
    dave_key = DAVE
    first = await asyncio.to_thread(
        run_cli, "verify", str(model.id), "1", "--attest", "--key", dave_key, "--json"
    )
    assert first.code == 0, first.err
    out = first.json()
    assert out["matches"] is True
    assert out["attestation"]["verified_by"] == 2 and out["attestation"]["disputed_by"] == 0
    repeat = await asyncio.to_thread(
        run_cli, "verify", str(model.id), "1", "--attest", "--key", dave_key
    )
    assert repeat.code == 4 and "AlreadyAttested" in repeat.err

    shown = await asyncio.to_thread(run_cli, "version", "show", str(model.id), "1")
    assert shown.code == 0, shown.err
    assert "verified by 2 accounts, disputed by 0" in shown.out
    assert v1.card_cid is not None and v1.card_cid in shown.out
    listed = await asyncio.to_thread(run_cli, "version", "list", str(model.id))
    assert listed.code == 0 and "2 / 0" in listed.out
    attestations = await asyncio.to_thread(chain.attestations, model.id, 1)
    assert {a.attester for a in attestations} == {
        charlie.ss58_address,
        signer(DAVE).ss58_address,
    }


async def test_reject_without_a_version_skips_withdrawn_and_retire(
    v2: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = v2, live_store
    model = await create_live_model(chain, store)
    trainer = signer(TRAINER_URI)
    junk, _ = await contribute(chain, store, DAVE, model.id, b"not,a\ncsv,file\n")
    gone, _ = await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())
    await asyncio.to_thread(chain.withdraw_contribution, signer(BOB), model.id, gone)

    # A Trainer clears junk without training; the withdrawn one is skipped, not failed.
    result = await asyncio.to_thread(
        chain.reject_contributions,
        trainer,
        model.id,
        [(junk, RejectionReason.INVALID_SCHEMA), (gone, RejectionReason.INVALID_SCHEMA)],
    )
    assert skipped_settlements(result) == [gone]
    record = await asyncio.to_thread(chain.contribution, model.id, junk)
    assert record.status.reason is RejectionReason.INVALID_SCHEMA and record.settled_in is None
    assert (await asyncio.to_thread(chain.contribution, model.id, gone)).status.state is (
        ContributionState.WITHDRAWN
    )

    # publish_version naming a withdrawn contribution lands and skips it.
    late, _ = await contribute(
        chain, store, CHARLIE, model.id, model.slices.contributions[1].to_csv()
    )
    await asyncio.to_thread(chain.withdraw_contribution, signer(CHARLIE), model.id, late)
    v0 = await asyncio.to_thread(chain.version, model.id, 0)
    assert v0.card_cid is not None
    version, published = await asyncio.to_thread(
        chain.publish_version,
        trainer,
        model.id,
        0,
        v0.artifact_cid,
        v0.artifact_hash,
        v0.recipe_hash,
        list(v0.metrics),
        [(late, Verdict.accept(7))],
        card_cid=v0.card_cid,
    )
    assert skipped_settlements(published) == [late]
    assert (await asyncio.to_thread(chain.version, model.id, version)).contributions == ()

    # Only the owner retires; then nothing new is accepted, and the deposit came back.
    with pytest.raises(PermissionDeniedError):
        await asyncio.to_thread(chain.retire_model, trainer, model.id)
    retired = await asyncio.to_thread(run_cli, "model", "retire", str(model.id), "--key", OWNER_URI)
    assert retired.code == 0, retired.err
    info = await asyncio.to_thread(chain.model, model.id)
    assert info.retired and info.deposit == 0
    with pytest.raises(ChainError) as refused:
        await contribute(chain, store, BOB, model.id, model.slices.contributions[2].to_csv())
    assert refused.value.name == "ModelRetired"


@pytest.mark.parametrize("mode", ["continue", "retrain"])
async def test_worker_publishes_when_a_contribution_is_withdrawn_mid_round(
    v2: CmuChain,
    live_store: IpfsStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    """The worker holds before submitting; a contributor withdraws meanwhile. pallet-cmu v2
    skips that settlement (the first pallet failed the version), the worker reports it, and
    `cmu verify` still confirms the version although the recipe names the withdrawn data."""
    chain, store = v2, live_store
    model = await create_live_model(chain, store, update_mode=mode, tolerance=0.05)
    parts = model.slices.contributions
    bob, _ = await contribute(chain, store, BOB, model.id, parts[0].to_csv())
    charlie, _ = await contribute(chain, store, CHARLIE, model.id, parts[1].to_csv())
    gate = tmp_path / "gate"
    monkeypatch.setenv("CMU_WORKER_HOLD_AT", "before-submit")
    monkeypatch.setenv("CMU_WORKER_HOLD_FILE", str(gate))
    state = tmp_path / "state"
    running = asyncio.create_task(run_worker(chain, store, state, model.id))
    checkpoint = state / f"model-{model.id}.json"
    for _ in range(600):
        if checkpoint.exists() and json.loads(checkpoint.read_bytes()).get("card_cid"):
            break
        assert not running.done(), running
        await asyncio.sleep(0.2)
    else:
        pytest.fail("the worker did not reach its hold point")
    accepted = {
        c for c, label in json.loads(checkpoint.read_bytes())["settlements"] if label == "Accept"
    }
    assert accepted == {bob, charlie}, "both slices should be accepted at tolerance 0.05"
    await asyncio.to_thread(chain.withdraw_contribution, signer(CHARLIE), model.id, charlie)
    gate.touch()
    worker = await running

    published = [r for r in worker.results if r.outcome.value == "published"]
    assert len(published) == 1 and published[0].skipped == (charlie,)
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.contributions == (bob,)
    record = await asyncio.to_thread(chain.contribution, model.id, charlie)
    assert record.status.state is ContributionState.WITHDRAWN and record.settled_in is None
    report = await verify_version(chain, inputs_for(store), model.id, 1)
    assert report.matches, report.checks
    contributions = next(c for c in report.checks if c.name == "contributions")
    if mode == "continue":  # (a retrain recipe lists more than the version's own data)
        assert "withdrawn before the version landed" in contributions.detail

    # The next version. In retrain mode its recipe lists Charlie's data again, as data the
    # parent learned from: verify must not take it for a candidate of that round.
    monkeypatch.delenv("CMU_WORKER_HOLD_AT")
    await contribute(chain, store, CHARLIE, model.id, parts[2].to_csv())
    await run_worker(chain, store, tmp_path / "state2", model.id)
    later = await verify_version(chain, inputs_for(store), model.id, 2)
    assert later.matches, [c for c in later.checks if not c.ok]
