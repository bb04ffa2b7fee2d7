"""Two trainers on one model: only one version per parent lands; the loser rebases.

Both workers run as ``cmu worker run`` subprocesses and are held just before submitting
(``CMU_WORKER_HOLD_AT=before-submit``) until the test opens their gate, so the race is
decided by the test, not by timing luck.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import pytest
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    SECOND_TRAINER_URI,
    TRAINER_URI,
    contribute,
    create_live_model,
    inputs_for,
    signer,
    subprocess_env,
    worker_command,
)

from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.types import ContributionState
from offchain.verify import verify_version

BOB, CHARLIE, _ = CONTRIBUTOR_URIS


async def wait_for_stage(state_dir: Path, model_id: int, stage: str, timeout: float = 240) -> None:
    path = state_dir / f"model-{model_id}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and json.loads(path.read_text()).get("stage") == stage:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"worker never reached {stage} in {state_dir}")


def start(command: list[str], gate: Path) -> subprocess.Popen[str]:
    env = subprocess_env(CMU_WORKER_HOLD_AT="before-submit", CMU_WORKER_HOLD_FILE=str(gate))
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


async def finish(process: subprocess.Popen[str]) -> str:
    _, err = await asyncio.to_thread(process.communicate, timeout=300)
    assert process.returncode == 0, err
    return err


@pytest.mark.slow
async def test_two_workers_race_and_the_loser_rebases(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store, trainers=(TRAINER_URI, SECOND_TRAINER_URI))
    first, _ = await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())

    # Worker A plans a round on v0 with contribution `first` and waits at its gate.
    gate_a, gate_b = tmp_path / "go-a", tmp_path / "go-b"
    state_a, state_b = tmp_path / "a", tmp_path / "b"
    worker_a = start(
        worker_command(model.id, state_a, "--max-rounds", "1", uri=TRAINER_URI), gate_a
    )
    await wait_for_stage(state_a, model.id, "UPLOADED")
    # A second contribution arrives; worker B plans on v0 with both and waits too.
    second, _ = await contribute(
        chain, store, CHARLIE, model.id, model.slices.contributions[1].to_csv()
    )
    worker_b = start(
        worker_command(model.id, state_b, "--until-idle", uri=SECOND_TRAINER_URI), gate_b
    )
    await wait_for_stage(state_b, model.id, "UPLOADED")
    plan_b = json.loads((state_b / f"model-{model.id}.json").read_text())
    assert plan_b["parent"] == 0 and plan_b["contributions"] == [first, second]

    # A goes first and publishes v1 from `first`.
    gate_a.touch()
    log_a = await finish(worker_a)
    assert "published v1" in log_a
    # B's submission names v0 as parent: refused; B rebases on v1 and settles `second` only.
    gate_b.touch()
    log_b = await finish(worker_b)
    assert "another trainer published first; rebasing" in log_b
    assert "published v2" in log_b

    info = await asyncio.to_thread(chain.model, model.id)
    assert (info.version_count, info.head, info.pending_contributions) == (3, 2, 0)
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    v2 = await asyncio.to_thread(chain.version, model.id, 2)
    assert (v1.parent, v1.contributions, v1.trainer) == (
        0,
        (first,),
        signer(TRAINER_URI).ss58_address,
    )
    assert (v2.parent, v2.contributions, v2.trainer) == (
        1,
        (second,),
        signer(SECOND_TRAINER_URI).ss58_address,
    )
    for contribution, version in ((first, 1), (second, 2)):
        record = await asyncio.to_thread(chain.contribution, model.id, contribution)
        assert record.status.state is ContributionState.ACCEPTED
        assert record.settled_in == version
    # The rebased version is honest: it re-derives from v1.
    report = await verify_version(chain, inputs_for(store), model.id, 2)
    assert report.matches, report.checks
