"""Shared helpers for the worker, verify and monitor tests.

Pure helpers (specs, CSV slices, prepared versions) need nothing running; the chain
helpers further down talk to the live dev chain and Kubo.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cmu_client.chain import CmuChain
from cmu_client.config import ChainSettings, IpfsSettings
from cmu_client.connection import ChainConnection
from cmu_client.dataset import Dataset, load_csv
from cmu_client.ipfs import IpfsStore
from cmu_client.keys import Signer, keypair_from_uri
from cmu_client.spec import ContentRef, ModelSpec, parse_spec
from cmu_client.types import RoleSet
from offchain import demo_data
from offchain.decide import Candidate
from offchain.inputs import Inputs
from offchain.prepare import ParentState, PreparedVersion, prepare_first_version
from offchain.publish import create_model_with_first_version
from offchain.recipe import DataRef, ParentRef
from offchain.worker import Worker, WorkerConfig

# The relay shared with the soak's proxy (scripts/tcp_proxy.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from tcp_proxy import bridge

SPEC_REF = ContentRef("bafkreispec", bytes(32))


def sha_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def sha(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


@dataclass(frozen=True)
class LocalModel:
    """A breast-cancer model prepared without chain or IPFS (fake CIDs, real hashes)."""

    spec: ModelSpec
    validation: Dataset
    first: PreparedVersion
    initial_ref: DataRef
    initial: Dataset
    slices: demo_data.StorySlices

    def parent_state(self) -> ParentState:
        ref = ParentRef(0, "bafkreiartifact0", sha(self.first.artifact))
        return ParentState(ref, self.first.artifact, [(self.initial_ref, self.initial)])

    def candidate(self, contribution: int, csv: bytes) -> Candidate:
        data = load_csv(csv, self.spec)
        return Candidate(
            DataRef(f"bafkreidata{contribution}", sha(csv), data.rows, contribution), data
        )


@functools.lru_cache(maxsize=8)
def local_spec(
    update_mode: str = "continue", metric: str = "auc", tolerance: float = 0.005
) -> tuple[ModelSpec, bytes]:
    """A parsed breast-cancer spec with its validation set, and the validation CSV."""
    slices = demo_data.story_slices()
    validation_csv = slices.validation.to_csv()
    doc = demo_data.spec_document(
        slices.validation.feature_names, update_mode=update_mode, metric=metric, tolerance=tolerance
    )
    doc["validation"] = {"cid": "bafkreivalidation", "sha256": sha_hex(validation_csv)}
    return parse_spec(doc), validation_csv


@functools.lru_cache(maxsize=8)
def local_model(
    update_mode: str = "continue", metric: str = "auc", tolerance: float = 0.005
) -> LocalModel:
    spec, validation_csv = local_spec(update_mode, metric, tolerance)
    slices = demo_data.story_slices()
    validation = load_csv(validation_csv, spec, subject="validation")
    initial_csv = slices.initial.to_csv()
    initial = load_csv(initial_csv, spec)
    initial_ref = DataRef("bafkreiinitial", sha(initial_csv), initial.rows, None)
    first = prepare_first_version(0, spec, SPEC_REF, validation, initial_ref, initial)
    return LocalModel(spec, validation, first, initial_ref, initial, slices)


# --- the live dev chain and Kubo -----------------------------------------------------
# Tests below talk to the chain at $CMU_RPC_URL (default ws://127.0.0.1:9944) and Kubo at
# $CMU_IPFS_API (default /ip4/127.0.0.1/tcp/5001), as started by scripts/chain.sh and
# scripts/ipfs.sh. Each test creates its own model, so tests do not depend on each other.

OWNER_URI = "//Alice"
TRAINER_URI = "//Ferdie"
SECOND_TRAINER_URI = "//Eve"
CONTRIBUTOR_URIS = ("//Bob", "//Charlie", "//Dave")
REPO_ROOT = Path(__file__).resolve().parent.parent


def signer(uri: str) -> Signer:
    return keypair_from_uri(uri)


@dataclass(frozen=True)
class LiveModel:
    """A model created on the live chain with version 0 published."""

    id: int
    spec: ModelSpec
    initial_csv: bytes
    slices: demo_data.StorySlices


async def create_live_model(
    chain: CmuChain,
    store: IpfsStore,
    update_mode: str = "continue",
    metric: str = "auc",
    tolerance: float | None = 0.005,
    trainers: tuple[str, ...] = (TRAINER_URI,),
) -> LiveModel:
    """Create a breast-cancer model owned by //Alice, publish v0, grant Trainer roles."""
    owner = signer(OWNER_URI)
    slices = demo_data.story_slices()
    validation_csv = slices.validation.to_csv()
    stored_validation = await store.put(validation_csv)
    doc = demo_data.spec_document(
        slices.validation.feature_names,
        update_mode=update_mode,
        metric=metric,
        tolerance=tolerance,
    )
    doc["validation"] = {"cid": stored_validation.cid, "sha256": stored_validation.sha256.hex()}
    spec = parse_spec(doc)
    initial_csv = slices.initial.to_csv()
    model_id, _ = await create_model_with_first_version(
        chain, store, owner, spec, initial_csv, validation_csv
    )
    for uri in trainers:
        await asyncio.to_thread(
            chain.grant_role, owner, model_id, signer(uri).ss58_address, RoleSet.TRAINER
        )
    return LiveModel(model_id, spec, initial_csv, slices)


async def contribute(
    chain: CmuChain,
    store: IpfsStore,
    uri: str,
    model_id: int,
    csv: bytes,
    rows: int | None = None,
    data_hash: bytes | None = None,
    cid: str | None = None,
) -> tuple[int, int]:
    """Upload ``csv`` and register it; returns (contribution id, fee paid).

    ``rows``/``data_hash``/``cid`` override what is registered (to test lies).
    """
    stored = await store.put(csv)
    claimed_rows = rows if rows is not None else csv.count(b"\n") - 1
    contribution, result = await asyncio.to_thread(
        chain.submit_contribution,
        signer(uri),
        model_id,
        cid or stored.cid,
        data_hash or stored.sha256,
        claimed_rows,
    )
    return contribution, result.fee


def worker_config(state_dir: Path, model_id: int, **changes: Any) -> WorkerConfig:
    settings: dict[str, Any] = {
        "state_dir": state_dir,
        "models": (model_id,),
        "until_idle": True,
        "poll_interval": 0.2,
        "backoff_initial": 0.5,
    }
    settings.update(changes)
    return WorkerConfig(**settings)


async def run_worker(
    chain: CmuChain,
    store: IpfsStore,
    state_dir: Path,
    model_id: int,
    uri: str = TRAINER_URI,
    **changes: Any,
) -> Worker:
    """Run a worker in this process until the model has nothing pending."""
    worker = Worker(chain, store, signer(uri), worker_config(state_dir, model_id, **changes))
    await asyncio.wait_for(worker.run(), timeout=300)
    return worker


def worker_command(
    model_id: int, state_dir: Path, *extra: str, uri: str = TRAINER_URI
) -> list[str]:
    """``cmu worker run`` for one model, as a subprocess argv."""
    return [
        sys.executable,
        "-m",
        "cmu_client.cli",
        "worker",
        "run",
        "--key",
        uri,
        "--model",
        str(model_id),
        "--state-dir",
        str(state_dir),
        "--poll",
        "0.2",
        *extra,
    ]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMU_WORKER_")}
    env.update(extra)
    return env


def cmu(*args: str) -> subprocess.CompletedProcess[str]:
    """The `cmu` CLI in a subprocess with the test's environment (minus worker settings)."""
    return subprocess.run(
        [sys.executable, "-m", "cmu_client.cli", *args],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


# tests/conftest.py loads this module as a plugin, so these fixtures need no import.
@pytest.fixture(scope="session", name="live_chain")
def chain_fixture(dev_chain_url: str) -> Iterator[CmuChain]:
    """One connection to the dev chain for the whole session."""
    chain = CmuChain(ChainConnection(ChainSettings.from_env(dev_chain_url)))
    chain.ensure_runtime()
    yield chain
    chain.close()


@pytest.fixture(name="live_store")
async def store_fixture(ipfs_api: str) -> AsyncIterator[IpfsStore]:
    """An open IPFS store on the dev Kubo."""
    async with IpfsStore(IpfsSettings.from_env(ipfs_api)) as store:
        yield store


def inputs_for(store: IpfsStore) -> Inputs:
    """A fresh (empty-cache) fetcher on ``store``."""
    return Inputs(store)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TcpForwarder:
    """Forwards a local port to a real service; stopping it is an outage of that service.

    Nothing is imitated: bytes go to the real chain or Kubo unchanged.
    """

    def __init__(self, port: int, target_host: str, target_port: int) -> None:
        self.port = port
        self.target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await bridge(reader, writer, self.target, self._writers)
