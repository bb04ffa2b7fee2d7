"""Fixtures and helpers for the cmu_client and `cmu` CLI tests.

Pure helpers (a spec, CSV rows, a trained LightGBM artifact) need nothing running. The
fixtures named ``client_*`` talk to the live dev chain and Kubo that conftest's
``dev_chain_url`` / ``ipfs_api`` start or check; when either is unusable they fail with the
command that starts it, they never skip.

Every session signs with its own accounts derived from //Alice and funded by her at the
start, so concurrent sessions and earlier runs never share nonces or state.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from cmu_client import access, calls, crypto
from cmu_client.chain import CmuChain
from cmu_client.config import ChainSettings, IpfsSettings
from cmu_client.connection import ChainConnection
from cmu_client.dataset import load_csv
from cmu_client.errors import CmuError
from cmu_client.ipfs import IpfsStore, StoredObject
from cmu_client.keys import Signer, dev_encryption_keypair, keypair_from_uri
from cmu_client.spec import ContentRef, ModelSpec, parse_spec
from cmu_client.types import AccessPolicy, Metric, ModelId

REGIONS = ("north", "south", "east", "west")
FEATURES = ("age", "income", "region", "score")


def spec_document(validation: ContentRef | None = None, **overrides: Any) -> dict[str, Any]:
    """A small binary-classification spec used throughout the client tests."""
    doc: dict[str, Any] = {
        "format": "cmu-model-spec/1",
        "name": "client-test",
        "description": "synthetic purchase prediction",
        "task": "binary",
        "label": "bought",
        "classes": ["no", "yes"],
        "features": [
            {"name": "age", "type": "integer", "min": 0, "max": 130},
            {"name": "income", "type": "numeric"},
            {"name": "region", "type": "categorical", "categories": list(REGIONS)},
            {"name": "score", "type": "numeric", "allow_missing": False},
        ],
        "lightgbm": {
            "params": {"learning_rate": 0.2, "num_leaves": 7, "min_data_in_leaf": 5},
            "num_boost_round": 10,
            "rounds_per_update": 5,
        },
        "acceptance": {"metric": "auc", "tolerance": 0.01},
    }
    if validation is not None:
        doc["validation"] = {"cid": validation.cid, "sha256": validation.sha256.hex()}
    doc.update(overrides)
    return doc


def make_spec(validation: ContentRef | None = None) -> ModelSpec:
    return parse_spec(spec_document(validation))


def rows(count: int, seed: int = 1, missing_income: bool = True) -> list[list[str]]:
    """Synthetic rows (header first): the label depends on score, income and region."""
    rng = np.random.default_rng(seed)
    out = [[*FEATURES, "bought"]]
    for i in range(count):
        age = int(rng.integers(18, 90))
        income = float(rng.normal(50_000, 15_000))
        region = REGIONS[int(rng.integers(0, 4))]
        score = float(rng.uniform(0, 1))
        logit = 4 * (score - 0.5) + (income - 50_000) / 20_000 + (0.8 if region == "east" else 0)
        label = "yes" if rng.uniform() < 1 / (1 + np.exp(-logit)) else "no"
        income_text = "" if missing_income and i % 17 == 5 else f"{income:.2f}"
        out.append([str(age), income_text, region, f"{score:.5f}", label])
    return out


def to_csv(table: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(table)
    return buffer.getvalue().encode()


def csv_rows(count: int, seed: int = 1) -> bytes:
    return to_csv(rows(count, seed))


@functools.lru_cache(maxsize=4)
def trained_artifact(seed: int = 1, rounds: int = 10) -> bytes:
    """A LightGBM text model trained on ``csv_rows(300, seed)`` (deterministic)."""
    spec = make_spec()
    data = load_csv(csv_rows(300, seed), spec)
    dataset = lgb.Dataset(
        data.features,
        label=data.labels,
        feature_name=list(FEATURES),
        categorical_feature=[2],
        free_raw_data=True,
    )
    params = {
        "objective": "binary",
        "learning_rate": 0.2,
        "num_leaves": 7,
        "verbosity": -1,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "seed": seed,
    }
    booster = lgb.train(params, dataset, num_boost_round=rounds)
    return str(booster.model_to_string()).encode()


def sha(raw: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(raw).digest()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def _put(settings: IpfsSettings, raw: bytes) -> StoredObject:
    async with IpfsStore(settings) as store:
        return await store.put(raw)


def ipfs_put(settings: IpfsSettings, raw: bytes) -> StoredObject:
    return run(_put(settings, raw))  # type: ignore[no-any-return]


# --- live services -----------------------------------------------------------------


@pytest.fixture(scope="session")
def client_ipfs(ipfs_api: str) -> IpfsSettings:
    """Kubo, as started (or checked) by conftest's ``ipfs_api``."""
    settings = IpfsSettings.from_env(ipfs_api)

    async def probe() -> str:
        async with IpfsStore(settings) as store:
            return await store.version()

    try:
        run(probe())
    except CmuError as exc:
        pytest.fail(
            f"Kubo is not reachable at {settings.api} ({exc}); start it with "
            "`scripts/ipfs.sh start` or set CMU_IPFS_API",
            pytrace=False,
        )
    return settings


@pytest.fixture(scope="session")
def client_chain(dev_chain_url: str) -> Iterator[CmuChain]:
    """The dev chain, as started (or checked) by conftest's ``dev_chain_url``."""
    chain = CmuChain(ChainConnection(ChainSettings.from_env(dev_chain_url)))
    try:
        chain.ensure_runtime()
    except CmuError as exc:
        pytest.fail(
            f"the dev chain is not reachable ({exc}); start it with "
            "`scripts/chain.sh start` or set CMU_RPC_URL",
            pytrace=False,
        )
    yield chain
    chain.close()


@dataclass(frozen=True)
class Accounts:
    """Funded keys private to this test session (plus one with no funds at all)."""

    tag: str
    owner: Signer
    admin: Signer
    trainer: Signer
    contributor: Signer
    outsider: Signer
    poor: Signer

    def uri(self, role: str) -> str:
        return f"//Alice//{self.tag}//{role}"


@pytest.fixture(scope="session")
def client_accounts(client_chain: CmuChain) -> Accounts:
    tag = f"cmu-client-{secrets.token_hex(4)}"
    keys = {
        role: keypair_from_uri(f"//Alice//{tag}//{role}")
        for role in ("owner", "admin", "trainer", "contributor", "outsider", "poor")
    }
    info = client_chain.info()
    amount = 1_000 * 10**info.token_decimals  # deposits are 1-10 CMU; Alice is shared
    alice = keypair_from_uri("//Alice")
    funding = [
        calls.balances_transfer(k.ss58_address, amount)
        for role, k in keys.items()
        if role != "poor"
    ]
    results = client_chain.submit_batch(alice, funding)
    assert all(r.success for r in results), [r.error for r in results]
    return Accounts(tag, **keys)


@dataclass(frozen=True)
class CreatedModel:
    id: ModelId
    spec: ModelSpec
    spec_obj: StoredObject
    validation_csv: bytes


ModelFactory = Callable[..., CreatedModel]


@pytest.fixture(scope="session")
def client_validation(client_ipfs: IpfsSettings) -> tuple[bytes, StoredObject]:
    raw = csv_rows(120, seed=99)
    return raw, ipfs_put(client_ipfs, raw)


@pytest.fixture
def client_new_model(
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_accounts: Accounts,
    client_validation: tuple[bytes, StoredObject],
) -> ModelFactory:
    """Creates a fresh model (spec and validation set in IPFS) owned by ``owner``."""

    def create(owner: Signer | None = None, policy: AccessPolicy | None = None) -> CreatedModel:
        validation_csv, validation_obj = client_validation
        spec = make_spec(ContentRef(validation_obj.cid, validation_obj.sha256))
        spec_obj = ipfs_put(client_ipfs, spec.to_bytes())
        model, result = client_chain.create_model(
            owner or client_accounts.owner, spec_obj.cid, spec_obj.sha256, policy or AccessPolicy()
        )
        assert result.success
        return CreatedModel(model, spec, spec_obj, validation_csv)

    return create


@pytest.fixture(scope="session")
def client_artifacts(client_ipfs: IpfsSettings) -> list[StoredObject]:
    """Three different real artifacts stored in IPFS."""
    return [ipfs_put(client_ipfs, trained_artifact(seed)) for seed in (1, 2, 3)]


def publish(
    chain: CmuChain,
    signer: Signer,
    model: ModelId,
    parent: int | None,
    artifact: StoredObject,
    settlements: Any = (),
    auc: float = 0.75,
) -> int:
    # pallet-cmu v2 needs a version card CID (the first pallet drops it): any pinned CID.
    version, result = chain.publish_version(
        signer,
        model,
        parent,
        artifact.cid,
        artifact.sha256,
        sha(b"recipe" + artifact.sha256),
        [Metric.from_float("val_auc", auc)],
        settlements,
        card_cid=artifact.cid,
    )
    assert result.success
    return version


@pytest.fixture
def client_env(
    client_accounts: Accounts, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Accounts:
    """A private keystore and password for CLI runs."""
    monkeypatch.setenv("CMU_KEYSTORE", str(tmp_path / "keys"))
    monkeypatch.setenv("CMU_KEY_PASSWORD", "correct horse battery staple")
    monkeypatch.delenv("CMU_KEY", raising=False)
    return client_accounts


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        import json

        return json.loads(self.out)


def run_cli(*args: str, stdin: str = "") -> CliResult:
    """Run ``cmu ARGS`` in this process and capture its exit code, stdout and stderr."""
    import contextlib
    import sys

    from cmu_client.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin, old_columns = sys.stdin, os.environ.get("COLUMNS")
    sys.stdin = io.StringIO(stdin)
    os.environ["COLUMNS"] = "250"  # tables unwrapped, as on a wide terminal
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse refusing the arguments
                code = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        sys.stdin = old_stdin
        if old_columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old_columns
    return CliResult(code, out.getvalue(), err.getvalue())


def publish_encryption_keys(chain: CmuChain, *signers: Signer) -> None:
    """Each signer publishes its (dev-derived) x25519 key, unless it already did."""
    for signer in signers:
        public = dev_encryption_keypair(signer).public
        if chain.encryption_key(signer.ss58_address) != public:
            chain.set_encryption_key(signer, public)


def publish_sealed(
    chain: CmuChain,
    settings: IpfsSettings,
    signer: Signer,
    model: ModelId,
    parent: int | None,
    artifact: bytes,
) -> int:
    """Publish ``artifact`` as an encrypted version of a permissioned model: the artifact
    (and a stand-in card) under a fresh content key, its envelope sealed to the model's
    current holders with published keys."""

    async def upload() -> tuple[str, str, str]:
        version = chain.model(model).version_count
        key = crypto.new_content_key()
        async with IpfsStore(settings) as store:
            stored = await store.put(
                crypto.encrypt(artifact, key, kind="artifact", model=model, version=version)
            )
            card = await store.put(
                crypto.encrypt(b"{}", key, kind="card", model=model, version=version)
            )
            payload = crypto.EnvelopePayload({sha(artifact).hex(): stored.cid}, {})
            envelope, _ = await access.seal_version(chain, store, model, version, key, payload)
        return stored.cid, card.cid, envelope

    artifact_cid, card_cid, envelope_cid = run(upload())
    version, result = chain.publish_version(
        signer,
        model,
        parent,
        artifact_cid,
        sha(artifact),
        sha(b"recipe" + artifact),
        [Metric.from_float("val_auc", 0.75)],
        card_cid=card_cid,
        envelope_cid=envelope_cid,
    )
    assert result.success
    return version
