"""The worker through outages of Kubo and of the chain.

The worker subprocess reaches the real Kubo / chain through a local TCP forwarder; stopping
the forwarder is the outage. The worker must log the outage, retry, resume when the service
is back, and never slash a contributor because its own IPFS node was unreachable.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    TcpForwarder,
    contribute,
    create_live_model,
    free_port,
    subprocess_env,
    worker_command,
)

from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.types import ContributionState

BOB, CHARLIE, _ = CONTRIBUTOR_URIS


class WorkerLog:
    """A worker subprocess whose stderr is collected line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, argv: list[str], env: dict[str, str]) -> WorkerLog:
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.lines.append(line.decode(errors="replace").rstrip())

    async def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not any(text in line for line in self.lines):
            if self.process.returncode is not None or asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no {text!r} in the worker log:\n" + "\n".join(self.lines))
            await asyncio.sleep(0.1)

    async def finish(self, timeout: float = 300) -> str:
        await asyncio.wait_for(self.process.wait(), timeout)
        await self._reader
        log = "\n".join(self.lines)
        assert self.process.returncode == 0, log
        return log


def _host_port(env_value: str, default: tuple[str, int]) -> tuple[str, int]:
    if env_value.startswith("/ip4/"):
        parts = env_value.strip("/").split("/")
        return parts[1], int(parts[3])
    if "://" in env_value:
        netloc = env_value.split("://", 1)[1].split("/", 1)[0]
        host, _, port = netloc.rpartition(":")
        return host, int(port)
    return default


@pytest.mark.slow
async def test_ipfs_outage_is_logged_waited_out_and_nobody_is_slashed(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path, ipfs_api: str
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    contribution, _ = await contribute(
        chain, store, BOB, model.id, model.slices.contributions[0].to_csv()
    )
    port = free_port()
    forwarder = TcpForwarder(port, *_host_port(ipfs_api, ("127.0.0.1", 5001)))
    env = subprocess_env(CMU_IPFS_API=f"/ip4/127.0.0.1/tcp/{port}", CMU_IPFS_TIMEOUT="5")
    worker = await WorkerLog.start(worker_command(model.id, tmp_path, "--until-idle"), env)
    try:
        await worker.wait_for("IPFS unavailable")
        await worker.wait_for("IPFS still unavailable")
        record = await asyncio.to_thread(chain.contribution, model.id, contribution)
        assert record.status.state is ContributionState.PENDING  # nothing judged meanwhile
        await forwarder.start()
        log = await worker.finish()
    finally:
        await forwarder.stop()
        if worker.process.returncode is None:
            worker.process.kill()
    assert "IPFS available again after" in log
    record = await asyncio.to_thread(chain.contribution, model.id, contribution)
    assert record.status.state is ContributionState.ACCEPTED and record.settled_in == 1


@pytest.mark.slow
async def test_chain_outage_mid_run_is_logged_and_recovered(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path, dev_chain_url: str
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())
    port = free_port()
    forwarder = TcpForwarder(port, *_host_port(dev_chain_url, ("127.0.0.1", 9944)))
    await forwarder.start()
    env = subprocess_env(CMU_RPC_URL=f"ws://127.0.0.1:{port}", CMU_RPC_TIMEOUT="5")
    worker = await WorkerLog.start(worker_command(model.id, tmp_path, "--max-rounds", "2"), env)
    try:
        await worker.wait_for("published v1", timeout=240)
        await forwarder.stop()
        await worker.wait_for("chain unavailable")
        # A contribution lands while the worker cannot see the chain.
        second, _ = await contribute(
            chain, store, CHARLIE, model.id, model.slices.contributions[1].to_csv()
        )
        await worker.wait_for("chain still unavailable")
        await forwarder.start()
        log = await worker.finish()
    finally:
        await forwarder.stop()
        if worker.process.returncode is None:
            worker.process.kill()
    assert "chain available again after" in log
    assert "published v2" in log
    record = await asyncio.to_thread(chain.contribution, model.id, second)
    assert record.status.state is not ContributionState.PENDING and record.settled_in == 2
