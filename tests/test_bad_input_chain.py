"""Bad chain calls against the live dev chain: refused, explained, nothing changed.

- every gated pallet-cmu call (and ``Nfts.transfer``) from an account without the role;
- bounds: zero rows, a CID longer than ``MaxCidLen``, more settlements than
  ``MaxSettlementsPerVersion``, a metric key longer than ``MaxMetricKeyLen``, ids and
  hashes the client refuses to encode;
- a replayed extrinsic, a stale parent, garbage bytes through ``author_submitExtrinsic``
  (random, empty, truncated, a broken signature).

A call refused on chain (dispatched, then failed) costs its signer the fee and nothing
else: the checks allow exactly the fee the extrinsic's ``TransactionFeePaid`` reports and
require every Cmu/Nfts storage entry and every other balance and hold to be unchanged.
A call the pool refuses costs nothing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import pytest
from fixtures_client import Accounts, ipfs_put, make_spec, publish, sha
from fixtures_state import StateSnapshot, assert_unchanged, snapshot

from cmu_client import calls
from cmu_client.calls import Call
from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.errors import (
    ChainError,
    CmuError,
    RpcError,
    StaleParentError,
    TransactionRejectedError,
    UsageError,
)
from cmu_client.ipfs import StoredObject
from cmu_client.keys import Signer
from cmu_client.spec import ContentRef
from cmu_client.submitter import compose
from cmu_client.types import (
    AccessPolicy,
    ContributionMode,
    Metric,
    RoleSet,
    SlashDestination,
    SlashKind,
    Verdict,
    Visibility,
)

#: Pallet errors that mean "this account may not do that".
PERMISSION = {
    "NotAdmin",
    "NotOwner",
    "NotTrainer",
    "NotContributor",
    "NotContributionOwner",
    "OnlyOwnerManagesAdmins",
    "NoPermission",
}


@dataclass(frozen=True)
class World:
    model: int
    closed_model: int
    frozen_model: int
    contribution: int
    collection: int
    artifacts: list[StoredObject]


@pytest.fixture(scope="module")
def world(
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_accounts: Accounts,
    client_validation: tuple[bytes, StoredObject],
    client_artifacts: list[StoredObject],
) -> World:
    """A model with two versions, a pending contribution, a trainer and an admin; and a
    model that takes contributions from Contributors only."""
    _, validation = client_validation
    a = client_accounts
    spec = ipfs_put(
        client_ipfs, make_spec(ContentRef(validation.cid, validation.sha256)).to_bytes()
    )
    model, _ = client_chain.create_model(a.owner, spec.cid, spec.sha256)
    closed, _ = client_chain.create_model(
        a.owner,
        spec.cid,
        spec.sha256,
        AccessPolicy(Visibility.PUBLIC, ContributionMode.ROLE_REQUIRED),
    )
    frozen, _ = client_chain.create_model(a.owner, spec.cid, spec.sha256)
    client_chain.freeze_model(a.owner, frozen)
    client_chain.grant_role(a.owner, model, a.trainer.ss58_address, RoleSet.TRAINER)
    client_chain.grant_role(a.owner, model, a.admin.ss58_address, RoleSet.ADMIN)
    publish(client_chain, a.trainer, model, None, client_artifacts[0])
    publish(client_chain, a.trainer, model, 0, client_artifacts[1])
    data = ipfs_put(client_ipfs, os.urandom(64))
    contribution, _ = client_chain.submit_contribution(
        a.contributor, model, data.cid, data.sha256, 10
    )
    collection = client_chain.model_collection()
    assert collection is not None
    return World(model, closed, frozen, contribution, collection, client_artifacts)


def _watched(a: Accounts) -> list[str]:
    return [s.ss58_address for s in (a.owner, a.admin, a.trainer, a.contributor, a.outsider)]


def _state(chain: CmuChain, ipfs: IpfsSettings, a: Accounts) -> StateSnapshot:
    return snapshot(chain, ipfs, _watched(a))


def _refused_on_chain(
    chain: CmuChain, ipfs: IpfsSettings, a: Accounts, signer: Signer, call: Call
) -> ChainError:
    """Submit ``call``; it must fail on chain, cost exactly its fee and change nothing."""
    before = _state(chain, ipfs, a)
    (result,) = chain.submit_many(signer, [call])
    assert not result.success and result.error is not None, f"{call.name} was accepted"
    assert result.fee > 0
    assert_unchanged(before, _state(chain, ipfs, a), fees={signer.ss58_address: result.fee})
    error = result.error
    assert error.message.startswith(f"{error.pallet}.{error.name}"), error.message
    return error


def _role_cases(w: World, a: Accounts) -> dict[str, tuple[Signer, Call]]:
    spec_hash = sha(b"another spec")
    artifact = w.artifacts[2]
    outsider = a.outsider
    return {
        "set_model_metadata": (
            outsider,
            calls.set_model_metadata(w.model, artifact.cid, spec_hash),
        ),
        "set_access_policy": (
            outsider,
            calls.set_access_policy(
                w.model, AccessPolicy(Visibility.PERMISSIONED, ContributionMode.OPEN)
            ),
        ),
        "grant_role": (outsider, calls.grant_role(w.model, outsider.ss58_address, RoleSet.TRAINER)),
        "revoke_role": (
            outsider,
            calls.revoke_role(w.model, a.trainer.ss58_address, RoleSet.TRAINER),
        ),
        "freeze_model": (outsider, calls.freeze_model(w.model)),
        "thaw_model": (outsider, calls.thaw_model(w.frozen_model)),
        "withdraw_contribution (someone else's)": (
            outsider,
            calls.withdraw_contribution(w.model, w.contribution),
        ),
        "publish_version": (
            outsider,
            calls.publish_version(
                w.model,
                1,
                artifact.cid,
                artifact.sha256,
                sha(b"recipe"),
                [Metric.from_float("val_auc", 0.9)],
                [(w.contribution, Verdict.accept())],
                card_cid=artifact.cid,
            ),
        ),
        "set_head": (outsider, calls.set_head(w.model, 0)),
        "deprecate_version": (outsider, calls.deprecate_version(w.model, 0)),
        "revoke_version": (outsider, calls.revoke_version(w.model, 0)),
        "set_slash_destination": (
            outsider,
            calls.set_slash_destination(w.model, SlashDestination(SlashKind.BURN)),
        ),
        "Nfts.transfer (the model NFT)": (
            outsider,
            calls.nfts_transfer(w.collection, w.model, outsider.ss58_address),
        ),
        "submit_contribution (role-required model)": (
            outsider,
            calls.submit_contribution(w.closed_model, artifact.cid, artifact.sha256, 5),
        ),
        "grant_role admin (by an admin, not the owner)": (
            a.admin,
            calls.grant_role(w.model, outsider.ss58_address, RoleSet.ADMIN),
        ),
        "publish_version (by an admin without the trainer role)": (
            a.admin,
            calls.publish_version(
                w.model, 1, artifact.cid, artifact.sha256, sha(b"recipe"), card_cid=artifact.cid
            ),
        ),
    }


ROLE_CASES = [
    "set_model_metadata",
    "set_access_policy",
    "grant_role",
    "revoke_role",
    "freeze_model",
    "thaw_model",
    "withdraw_contribution (someone else's)",
    "publish_version",
    "set_head",
    "deprecate_version",
    "revoke_version",
    "set_slash_destination",
    "Nfts.transfer (the model NFT)",
    "submit_contribution (role-required model)",
    "grant_role admin (by an admin, not the owner)",
    "publish_version (by an admin without the trainer role)",
]


@pytest.mark.parametrize("case", ROLE_CASES)
def test_call_without_the_role_is_refused(
    case: str,
    world: World,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_accounts: Accounts,
) -> None:
    signer, call = _role_cases(world, client_accounts)[case]
    error = _refused_on_chain(client_chain, client_ipfs, client_accounts, signer, call)
    assert error.name in PERMISSION, error.message
    assert error.explanation, "the pallet's own explanation is part of the message"


# --- bounds -------------------------------------------------------------------------------


def test_zero_rows_is_refused_on_chain(
    world: World, client_chain: CmuChain, client_ipfs: IpfsSettings, client_accounts: Accounts
) -> None:
    artifact = world.artifacts[2]
    error = _refused_on_chain(
        client_chain,
        client_ipfs,
        client_accounts,
        client_accounts.contributor,
        calls.submit_contribution(world.model, artifact.cid, artifact.sha256, 0),
    )
    assert error.name == "ZeroRows"


def _refused_by_pool(
    chain: CmuChain, ipfs: IpfsSettings, a: Accounts, signer: Signer, call: Call
) -> CmuError:
    before = _state(chain, ipfs, a)
    head = chain.connection.rpc("chain_getHeader", [])["number"]
    with pytest.raises(TransactionRejectedError) as refused:
        chain.submit(signer, call)
    time.sleep(1.0)  # a block built from it would show up by now
    assert chain.connection.rpc("chain_getHeader", [])["number"] == head, "no block built"
    assert_unchanged(before, _state(chain, ipfs, a))  # not even a fee
    assert "the transaction pool refused" in refused.value.message
    return refused.value


def test_cid_longer_than_max_cid_len(
    world: World, client_chain: CmuChain, client_ipfs: IpfsSettings, client_accounts: Accounts
) -> None:
    too_long = "b" + "a" * client_chain.info().max_cid_len
    _refused_by_pool(
        client_chain,
        client_ipfs,
        client_accounts,
        client_accounts.contributor,
        calls.submit_contribution(world.model, too_long, sha(b"x"), 3),
    )


def test_more_settlements_than_max_settlements_per_version(
    world: World, client_chain: CmuChain, client_ipfs: IpfsSettings, client_accounts: Accounts
) -> None:
    limit = int(client_chain.constant("MaxSettlementsPerVersion"))
    artifact = world.artifacts[2]
    settlements = [(i, Verdict.accept()) for i in range(limit + 1)]
    _refused_by_pool(
        client_chain,
        client_ipfs,
        client_accounts,
        client_accounts.trainer,
        calls.publish_version(
            world.model,
            1,
            artifact.cid,
            artifact.sha256,
            sha(b"r"),
            [],
            settlements,
            card_cid=artifact.cid,
        ),
    )


def test_metric_key_longer_than_max_metric_key_len(
    world: World, client_chain: CmuChain, client_ipfs: IpfsSettings, client_accounts: Accounts
) -> None:
    limit = int(client_chain.constant("MaxMetricKeyLen"))
    artifact = world.artifacts[2]
    metric = Metric.from_float("k" * (limit + 1), 0.5)
    _refused_by_pool(
        client_chain,
        client_ipfs,
        client_accounts,
        client_accounts.trainer,
        calls.publish_version(
            world.model,
            1,
            artifact.cid,
            artifact.sha256,
            sha(b"r"),
            [metric],
            card_cid=artifact.cid,
        ),
    )


@pytest.mark.parametrize(
    "bad",
    [
        "empty CID",
        "CID with a space",
        "short hash",
        "row count above u32",
        "negative model id",
        "empty role set",
    ],
)
def test_values_the_client_refuses_to_encode(bad: str, world: World) -> None:
    artifact = world.artifacts[2]
    build: dict[str, Any] = {
        "empty CID": lambda: calls.submit_contribution(world.model, "", artifact.sha256, 1),
        "CID with a space": lambda: calls.submit_contribution(
            world.model, "bafy x", artifact.sha256, 1
        ),
        "short hash": lambda: calls.submit_contribution(world.model, artifact.cid, b"\x01", 1),
        "row count above u32": lambda: calls.submit_contribution(
            world.model, artifact.cid, artifact.sha256, 2**32
        ),
        "negative model id": lambda: calls.freeze_model(-1),
        "empty role set": lambda: calls.grant_role(world.model, artifact.cid, RoleSet(0)),
    }
    with pytest.raises(UsageError) as refused:
        build[bad]()
    assert refused.value.message


# --- replay, stale parent, garbage --------------------------------------------------------


def _signed_hex(chain: CmuChain, signer: Signer, call: Call) -> str:
    nonce = int(chain.connection.rpc("system_accountNextIndex", [signer.ss58_address]))

    def sign(substrate: Any) -> str:
        extrinsic = substrate.create_signed_extrinsic(
            call=compose(substrate, call), keypair=signer, nonce=nonce
        )
        return str(extrinsic.data)

    return chain.connection.run(sign, what="signing")


def _wait_for_nonce(chain: CmuChain, address: str, above: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if int(chain.connection.rpc("system_accountNextIndex", [address])) > above:
            return
        time.sleep(0.2)
    raise AssertionError("the first submission never landed")


def test_replayed_extrinsic_is_refused(
    world: World, client_chain: CmuChain, client_ipfs: IpfsSettings, client_accounts: Accounts
) -> None:
    owner = client_accounts.owner
    call = calls.grant_role(world.model, client_accounts.outsider.ss58_address, RoleSet.READER)
    nonce = int(client_chain.connection.rpc("system_accountNextIndex", [owner.ss58_address]))
    signed = _signed_hex(client_chain, owner, call)
    client_chain.connection.rpc("author_submitExtrinsic", [signed], retry=False)
    _wait_for_nonce(client_chain, owner.ss58_address, nonce)
    assert RoleSet.READER in client_chain.explicit_roles(
        world.model, client_accounts.outsider.ss58_address
    )
    before = _state(client_chain, client_ipfs, client_accounts)
    with pytest.raises(RpcError) as replayed:
        client_chain.connection.rpc("author_submitExtrinsic", [signed], retry=False)
    assert (
        "outdated" in replayed.value.message.lower() or "stale" in replayed.value.message.lower()
    ), replayed.value.message
    time.sleep(1.0)
    assert_unchanged(before, _state(client_chain, client_ipfs, client_accounts))
    client_chain.revoke_role(
        owner, world.model, client_accounts.outsider.ss58_address, RoleSet.READER
    )


def test_stale_parent_is_refused(
    world: World, client_chain: CmuChain, client_ipfs: IpfsSettings, client_accounts: Accounts
) -> None:
    assert client_chain.model(world.model).head == 1
    artifact = world.artifacts[2]
    error = _refused_on_chain(
        client_chain,
        client_ipfs,
        client_accounts,
        client_accounts.trainer,
        calls.publish_version(
            world.model,
            0,
            artifact.cid,
            artifact.sha256,
            sha(b"r2"),
            [Metric.from_float("val_auc", 0.8)],
            card_cid=artifact.cid,
        ),
    )
    assert isinstance(error, StaleParentError), error
    assert "Rebase on the current head" in error.message
    with pytest.raises(StaleParentError):
        client_chain.publish_version(
            client_accounts.trainer,
            world.model,
            0,
            artifact.cid,
            artifact.sha256,
            sha(b"r3"),
            card_cid=artifact.cid,
        )


def _garbage(chain: CmuChain, a: Accounts, w: World) -> dict[str, str]:
    valid = _signed_hex(chain, a.owner, calls.freeze_model(w.model))
    body = bytearray(bytes.fromhex(valid.removeprefix("0x")))
    # The sr25519 signature sits after the compact length, version byte, and the
    # MultiAddress (1 + 32 bytes) of the signer: flip one of its bytes.
    body[40] ^= 0xFF
    return {
        "random bytes": "0x" + os.urandom(64).hex(),
        "empty": "0x",
        "not hex": "0xzz",
        "truncated extrinsic": valid[: len(valid) - 20],
        "broken signature": "0x" + body.hex(),
    }


@pytest.mark.parametrize(
    "kind", ["random bytes", "empty", "not hex", "truncated extrinsic", "broken signature"]
)
def test_garbage_extrinsic_bytes_are_refused(
    kind: str,
    world: World,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_accounts: Accounts,
) -> None:
    payload = _garbage(client_chain, client_accounts, world)[kind]
    before = _state(client_chain, client_ipfs, client_accounts)
    head = client_chain.connection.rpc("chain_getHeader", [])["number"]
    with pytest.raises(RpcError) as refused:
        client_chain.connection.rpc("author_submitExtrinsic", [payload], retry=False)
    assert "the node refused author_submitExtrinsic" in refused.value.message
    time.sleep(1.0)
    assert client_chain.connection.rpc("chain_getHeader", [])["number"] == head
    assert_unchanged(before, _state(client_chain, client_ipfs, client_accounts))
    assert not client_chain.model(world.model).frozen
