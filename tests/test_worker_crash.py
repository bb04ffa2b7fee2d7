"""kill -9 at every stage of a round, restart, and check nothing is lost or done twice.

The worker runs as ``cmu worker run`` in a subprocess; ``CMU_WORKER_CRASH_AT`` makes it
SIGKILL itself right after the named point. The restarted worker must finish the round:
exactly one new version, each contribution settled once, deposits moved once, and the
artifact bit for bit the one an uninterrupted run (here: this test process) derives.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import subprocess
from pathlib import Path

import pytest
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    contribute,
    create_live_model,
    local_model,
    signer,
    subprocess_env,
    worker_command,
)

from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.types import ContributionState, RejectionReason
from offchain.prepare import prepare_update

BOB, CHARLIE, _ = CONTRIBUTOR_URIS

#: Crash point -> the checkpoint stage left behind, and whether the version already landed.
POINTS = {
    "after-plan": ("PLANNED", False),
    "after-train": ("TRAINED", False),
    "after-upload": ("UPLOADED", False),
    "before-submit": ("SUBMITTED", False),
    "after-publish": ("SUBMITTED", True),
}


def expected_artifact_sha256() -> bytes:
    """What an uninterrupted round derives: v0 continued with the good slice only."""
    model = local_model()
    good = model.candidate(0, model.slices.contributions[0].to_csv())
    poisoned = model.candidate(1, model.slices.contributions[1].with_flipped_labels().to_csv())
    update = prepare_update(
        0,
        model.spec,
        model.first.recipe.spec,
        model.validation,
        model.parent_state(),
        [good, poisoned],
        [],
    )
    assert [d.label for d in update.decisions] == ["Accept", "Reject(HarmsMetric)"]
    return hashlib.sha256(update.artifact).digest()


@pytest.mark.slow
@pytest.mark.parametrize("point", list(POINTS))
async def test_kill_and_restart_at_each_stage(
    point: str, live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    charlie = signer(CHARLIE).ss58_address
    charlie_before = await asyncio.to_thread(chain.balance, charlie)
    good, _ = await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())
    bad, bad_fee = await contribute(
        chain,
        store,
        CHARLIE,
        model.id,
        model.slices.contributions[1].with_flipped_labels().to_csv(),
    )
    command = worker_command(model.id, tmp_path, "--until-idle")

    crashed = await asyncio.to_thread(
        subprocess.run,
        command,
        env=subprocess_env(CMU_WORKER_CRASH_AT=point),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    stage, landed = POINTS[point]
    checkpoint = json.loads((tmp_path / f"model-{model.id}.json").read_text())
    assert checkpoint["stage"] == stage
    info = await asyncio.to_thread(chain.model, model.id)
    assert info.version_count == (2 if landed else 1)

    restarted = await asyncio.to_thread(
        subprocess.run,
        command,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restarted.returncode == 0, restarted.stderr
    if landed:
        assert "is on chain; nothing to redo" in restarted.stderr
    else:
        assert f"resuming the interrupted round at stage {stage}" in restarted.stderr

    info = await asyncio.to_thread(chain.model, model.id)
    assert (info.version_count, info.head, info.pending_contributions) == (2, 1, 0)
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.parent == 0 and v1.contributions == (good,)
    assert v1.artifact_hash == expected_artifact_sha256()
    accepted = await asyncio.to_thread(chain.contribution, model.id, good)
    rejected = await asyncio.to_thread(chain.contribution, model.id, bad)
    assert accepted.status.state is ContributionState.ACCEPTED and accepted.settled_in == 1
    assert rejected.status.reason is RejectionReason.HARMS_METRIC and rejected.settled_in == 1
    # Slashed exactly once.
    deposit = (await asyncio.to_thread(chain.info)).contribution_deposit
    charlie_after = await asyncio.to_thread(chain.balance, charlie)
    assert charlie_after.free == charlie_before.free - bad_fee - deposit
    assert charlie_after.reserved == charlie_before.reserved
    assert not (tmp_path / f"model-{model.id}.json").exists()
