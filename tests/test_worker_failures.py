"""Failure isolation in the worker, against the live chain and Kubo.

- A failure that is not an outage (the trainer cannot pay the fee, an extrinsic too big
  for a block, a spec that does not parse, a recipe too big to be found from its hash)
  stops the model's rounds with one error line, instead of being retried forever as an
  outage; the rounds resume when the chain shows a possible fix (the trainer is funded,
  the owner sets a new spec).
- A Kubo error is not taken as "the data is unreachable" unless it is: a block this node
  cannot read, or whose stored bytes are damaged, defers the contribution (nobody is
  slashed for the worker's broken node) while the round goes on with the others; content
  that is intact but not a file is the contributor's fault (InvalidSchema).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    OWNER_URI,
    contribute,
    create_live_model,
    run_worker,
    signer,
    subprocess_env,
    worker_command,
    worker_config,
)

from cmu_client.calls import Call
from cmu_client.chain import CmuChain
from cmu_client.errors import TransactionRejectedError
from cmu_client.ipfs import IpfsStore
from cmu_client.spec import ModelSpec
from cmu_client.types import ContributionState, RejectionReason
from offchain.cid import parse_cid
from offchain.worker import Worker, lasting_refusal

BOB, CHARLIE, DAVE = CONTRIBUTOR_URIS
CMU = 10**12  # planck per token on the dev chain


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


async def eventually(check: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.2)


async def finish(task: asyncio.Task[None], timeout: float = 240) -> None:
    await asyncio.wait_for(task, timeout)


async def test_a_trainer_that_cannot_pay_stops_the_model_once_and_resumes_when_funded(
    live_chain: CmuChain,
    live_store: IpfsStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    chain, store = live_chain, live_store
    poor = f"//NoFunds{secrets.token_hex(6)}"
    model = await create_live_model(chain, store, trainers=(poor,))
    contribution, _ = await contribute(
        chain, store, BOB, model.id, model.slices.contributions[0].to_csv()
    )
    # `cmu worker run --until-idle`: one error line, then exit status 1.
    done = await asyncio.to_thread(
        subprocess.run,
        worker_command(model.id, tmp_path / "cli", "--until-idle", uri=poor),
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("rounds stopped:") == 1, done.stderr
    assert f"exiting (--until-idle): rounds stopped for model(s) {model.id}" in done.stderr
    assert "unavailable" not in done.stderr

    config = worker_config(tmp_path, model.id, until_idle=False, max_rounds=1)
    worker = Worker(chain, store, signer(poor), config)
    task = asyncio.create_task(worker.run())
    try:
        await eventually(lambda: model.id in worker.halted, "the model's rounds stop")
        assert "payment" in worker.halted[model.id]
        # Several polls later: still one error line, never taken for an outage.
        await asyncio.sleep(3)
        stopped = messages(caplog, "rounds stopped")
        assert len(stopped) == 1, stopped
        assert "fund the signing account" in stopped[0]
        assert not messages(caplog, "unavailable")
        record = await asyncio.to_thread(chain.contribution, model.id, contribution)
        assert record.status.state is ContributionState.PENDING  # nothing settled, no slash

        # The owner funds the trainer: the worker sees the transfer and publishes.
        await asyncio.to_thread(
            chain.transfer_balance, signer(OWNER_URI), signer(poor).ss58_address, 10 * CMU
        )
        await finish(task)
    finally:
        worker.stop()
        await asyncio.gather(task, return_exceptions=True)
    assert messages(caplog, "resuming its rounds")
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.trainer == signer(poor).ss58_address and v1.contributions == (contribution,)
    assert len(messages(caplog, "rounds stopped")) == 1


async def _set_spec(chain: CmuChain, store: IpfsStore, model: int, document: bytes) -> None:
    stored = await store.put(document)
    await asyncio.to_thread(
        chain.set_model_metadata, signer(OWNER_URI), model, stored.cid, stored.sha256
    )


def _document(spec: ModelSpec) -> dict[str, object]:
    parsed = json.loads(spec.to_bytes())
    assert isinstance(parsed, dict)
    return parsed


async def test_a_broken_spec_and_an_oversized_recipe_stop_the_model_until_the_spec_changes(
    live_chain: CmuChain,
    live_store: IpfsStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    contribution, _ = await contribute(
        chain, store, BOB, model.id, model.slices.contributions[0].to_csv()
    )
    # The owner sets a spec document that does not parse.
    broken = _document(model.spec)
    del broken["label"]
    await _set_spec(chain, store, model.id, json.dumps(broken).encode())

    worker = Worker(
        chain, store, signer("//Ferdie"), worker_config(tmp_path, model.id, until_idle=False)
    )
    task = asyncio.create_task(worker.run())
    try:
        await eventually(lambda: model.id in worker.halted, "rounds stop on the broken spec")
        assert "label" in worker.halted[model.id]
        await asyncio.sleep(2)
        assert len(messages(caplog, "rounds stopped")) == 1

        # A spec LightGBM trains with, but whose recipe (300 kB of an unknown parameter)
        # is too big to be found from its hash.
        oversized = _document(model.spec)
        lightgbm = oversized["lightgbm"]
        assert isinstance(lightgbm, dict)
        lightgbm["params"] = {**lightgbm["params"], "cmu_test_note": "x" * 300_000}
        await _set_spec(chain, store, model.id, json.dumps(oversized).encode())
        await eventually(
            lambda: len(messages(caplog, "rounds stopped")) == 2, "rounds stop on the recipe"
        )
        assert "the recipe is" in worker.halted[model.id]
        assert "can be found from its hash" in worker.halted[model.id]
        await asyncio.sleep(2)
        assert len(messages(caplog, "rounds stopped")) == 2
        assert not messages(caplog, "unavailable")
        record = await asyncio.to_thread(chain.contribution, model.id, contribution)
        assert record.status.state is ContributionState.PENDING

        # The owner sets the original spec back: the round runs and publishes.
        await _set_spec(chain, store, model.id, model.spec.to_bytes())
        await eventually(
            lambda: any(r.outcome.value == "published" for r in worker.results), "a version"
        )
    finally:
        worker.stop()
        await asyncio.gather(task, return_exceptions=True)
    record = await asyncio.to_thread(chain.contribution, model.id, contribution)
    assert record.settled_in == 1 and record.status.state is ContributionState.ACCEPTED
    assert len(messages(caplog, "resuming its rounds")) == 2


async def _block_file(store: IpfsStore, cid: str) -> Path:
    """Where this Kubo (flatfs, next-to-last/2 sharding) keeps the CID's root block."""
    stat = await store.client.repo.stat()
    multihash = bytes((parse_cid(cid).hash_code, len(parse_cid(cid).digest)))
    multihash += parse_cid(cid).digest
    key = base64.b32encode(multihash).decode().rstrip("=")
    path = Path(stat["RepoPath"]) / "blocks" / key[-3:-1] / f"{key}.data"
    assert path.is_file(), path
    return path


async def test_kubo_errors_on_a_damaged_block_defer_instead_of_unreachable(
    live_chain: CmuChain,
    live_store: IpfsStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    parts = model.slices.contributions
    good, _ = await contribute(chain, store, BOB, model.id, parts[0].to_csv())
    # A raw block this node cannot read any more (its file became a directory).
    unreadable, _ = await contribute(chain, store, CHARLIE, model.id, parts[1].to_csv())
    unreadable_cid = (await asyncio.to_thread(chain.contribution, model.id, unreadable)).data_cid
    # A UnixFS (dag-pb) file whose stored root block was overwritten with other bytes.
    dag_csv = parts[2].to_csv()
    added = await store.client.core.add_bytes(dag_csv, cid_version=1, raw_leaves=False, pin=True)
    damaged_cid = str(added["Hash"])
    assert parse_cid(damaged_cid).codec == 0x70  # dag-pb
    damaged, _ = await contribute(chain, store, DAVE, model.id, dag_csv, cid=damaged_cid)
    # Content that is intact but not a file: a directory holding the CSV.
    folder = f"/cmu-test-{secrets.token_hex(4)}"
    await store.client.files.mkdir(folder, parents=True)
    await store.client.files.cp(f"/ipfs/{unreadable_cid}", f"{folder}/data.csv")
    directory_cid = str((await store.client.files.stat(folder))["Hash"])
    directory, _ = await contribute(
        chain, store, BOB, model.id, parts[3].to_csv(), cid=directory_cid
    )

    unreadable_file = await _block_file(store, unreadable_cid)
    damaged_file = await _block_file(store, damaged_cid)
    originals = {path: path.read_bytes() for path in (unreadable_file, damaged_file)}
    try:
        unreadable_file.unlink()
        unreadable_file.mkdir()
        damaged_file.write_bytes(b"\x0a\x04\xff\xff\xff\xff")
        await run_worker(chain, store, tmp_path, model.id, until_idle=False, max_rounds=1)
    finally:
        if unreadable_file.is_dir():
            unreadable_file.rmdir()
        for path, raw in originals.items():
            path.write_bytes(raw)

    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.contributions == (good,)  # the round went on
    for pending in (unreadable, damaged):
        record = await asyncio.to_thread(chain.contribution, model.id, pending)
        assert record.status.state is ContributionState.PENDING, pending  # nobody slashed
    record = await asyncio.to_thread(chain.contribution, model.id, directory)
    assert record.status.reason is RejectionReason.INVALID_SCHEMA
    assert messages(caplog, f"#{unreadable}: this IPFS node cannot read {unreadable_cid}")
    assert messages(caplog, f"#{damaged}: this IPFS node's copy of {damaged_cid} is damaged")
    assert messages(caplog, f"#{directory} -> Reject(InvalidSchema) ({directory_cid} is not a")
    assert not messages(caplog, "unavailable")

    # The node repaired, the next round judges both on their data.
    await run_worker(chain, store, tmp_path, model.id)
    for pending in (unreadable, damaged):
        record = await asyncio.to_thread(chain.contribution, model.id, pending)
        assert record.settled_in == 2, pending
        assert record.status.reason not in (
            RejectionReason.UNREACHABLE,
            RejectionReason.HASH_MISMATCH,
            RejectionReason.INVALID_SCHEMA,
        ), pending


async def test_lasting_pool_refusals_are_told_from_retryable_ones(live_chain: CmuChain) -> None:
    """The classifier the worker uses, on the chain's real refusals: a fee the account
    cannot pay and an extrinsic too big for a block are lasting; a full pool is not."""
    refusals: list[TransactionRejectedError] = []
    poor = signer(f"//NoFunds{secrets.token_hex(6)}")
    big = Call("System", "remark", {"remark": "0x" + "ab" * (4 * 1024 * 1024)})
    for who, call in (
        (poor, Call("System", "remark", {"remark": "0x00"})),
        (signer(OWNER_URI), big),
    ):
        with pytest.raises(TransactionRejectedError) as refused:
            await asyncio.to_thread(live_chain.submit, who, call)
        refusals.append(refused.value)
    assert '"payment"' in str(refusals[0]) and '"exhaustsResources"' in str(refusals[1])
    assert all(lasting_refusal(r) for r in refusals)
    assert not lasting_refusal(
        TransactionRejectedError("the transaction pool refused the extrinsic (Pool is full)")
    )
