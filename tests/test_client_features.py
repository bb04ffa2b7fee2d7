"""The client against either pallet-cmu generation: calls built for v2 are adapted to the
first pallet (card CID and reward weights dropped) or refused with a clear message, and
the same calls go through unchanged on v2. The first tests need no chain; the live ones
check whichever runtime the chain at ``$CMU_RPC_URL`` runs."""

from __future__ import annotations

import pytest
from fixtures_client import Accounts, ModelFactory, publish, run_cli, sha

from cmu_client import calls
from cmu_client.chain import CmuChain
from cmu_client.errors import UsageError
from cmu_client.features import RuntimeFeatures, UnsupportedByRuntimeError, adapt
from cmu_client.ipfs import StoredObject
from cmu_client.types import (
    AttestationOutcome,
    Metric,
    RejectionReason,
    RoleSet,
    SlashDestination,
    SlashKind,
    Verdict,
)

_V1 = RuntimeFeatures(
    spec_version=100,
    calls=frozenset({"publish_version", "set_slash_destination", "grant_role"}),
    publish_args=(
        "model",
        "expected_parent",
        "artifact_cid",
        "artifact_hash",
        "recipe_hash",
        "metrics",
        "settlements",
    ),
    accept_weight=False,
    slash_destinations=frozenset({"ModelOwner", "Burn", "Account"}),
    storage=frozenset({"Models", "Roles"}),
    cmu_api_version=1,
)
_V2 = RuntimeFeatures(
    spec_version=101,
    calls=_V1.calls | {"attest_version", "retire_model", "reject_contributions"},
    publish_args=(*_V1.publish_args[:5], "card_cid", *_V1.publish_args[5:]),
    accept_weight=True,
    slash_destinations=_V1.slash_destinations | {"AcceptedContributors"},
    storage=_V1.storage | {"PendingPerAccount", "ContributorStats"},
    cmu_api_version=2,
)


def _publish(card: str | None) -> calls.Call:
    return calls.publish_version(
        1,
        0,
        "bafkreiartifact",
        bytes(32),
        bytes(32),
        [Metric.from_float("auc", 0.9)],
        [
            (3, Verdict.accept(250)),
            (4, Verdict.accept()),
            (5, Verdict.reject(RejectionReason.DUPLICATE)),
        ],
        card_cid=card,
    )


def test_generations_are_told_apart() -> None:
    assert _V1.generation == 1 and _V2.generation == 2
    assert not _V1.card_cid and _V2.card_cid
    assert not _V1.rewards and _V2.rewards and _V2.grant_owner and not _V1.grant_owner


def test_publish_version_is_adapted_to_each_generation() -> None:
    old = adapt(_publish("bafkreicard"), _V1)
    assert "card_cid" not in old.args
    assert old.args["settlements"] == (
        [(3, "Accept"), (4, "Accept"), (5, {"Reject": "Duplicate"})],
    )
    new = adapt(_publish("bafkreicard"), _V2)
    assert new.args["card_cid"] == "0x" + b"bafkreicard".hex()
    assert new.args["settlements"] == (
        [(3, {"Accept": 250}), (4, {"Accept": 0}), (5, {"Reject": "Duplicate"})],
    )
    assert list(new.args) == [*_V2.publish_args]
    with pytest.raises(UsageError, match="card's CID"):
        adapt(_publish(None), _V2)
    # Nested in a batch too.
    batch = adapt(calls.batch_all([_publish("bafkreicard")]), _V1)
    assert "card_cid" not in batch.nested[0].args


def test_v2_calls_are_refused_by_the_first_pallet() -> None:
    for call in (
        calls.attest_version(1, 0, AttestationOutcome.MATCH, "bafkreireport"),
        calls.retire_model(1),
        calls.reject_contributions(1, [(2, RejectionReason.UNREACHABLE)]),
        calls.set_slash_destination(1, SlashDestination(SlashKind.ACCEPTED_CONTRIBUTORS)),
    ):
        with pytest.raises(UnsupportedByRuntimeError, match="pallet-cmu v2"):
            adapt(call, _V1)
        assert adapt(call, _V2) == call
    with pytest.raises(UsageError, match="not a u32"):
        Verdict.accept(2**32)


def test_the_live_runtime_either_way(
    client_chain: CmuChain,
    client_accounts: Accounts,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
) -> None:
    chain, owner, bob = client_chain, client_accounts.owner, client_accounts.contributor
    model = client_new_model().id
    first, second, card = client_artifacts
    if chain.features().generation >= 2:
        # v2 needs the card's CID, records it and counts attestations.
        with pytest.raises(UsageError, match="card's CID"):
            chain.publish_version(owner, model, None, first.cid, first.sha256, sha(b"r"), [])
        version, _ = chain.publish_version(
            owner, model, None, first.cid, first.sha256, sha(b"r"), [], card_cid=card.cid
        )
        record = chain.version(model, version)
        assert record.card_cid == card.cid and (record.matches, record.mismatches) == (0, 0)
        assert chain.contributor_totals(bob.ss58_address).accepted >= 0
        shown = run_cli("version", "show", str(model), str(version))
        assert shown.code == 0 and "verified by 0 accounts, disputed by 0" in shown.out
        return
    # The first pallet: a card CID and reward weights are dropped, not refused ...
    v0 = publish(chain, owner, model, None, first)
    version, _ = chain.publish_version(
        owner,
        model,
        v0,
        second.cid,
        second.sha256,
        sha(b"recipe-1"),
        [Metric.from_float("val_auc", 0.8)],
        card_cid=card.cid,
    )
    record = chain.version(model, version)
    assert record.card_cid is None and (record.matches, record.mismatches) == (0, 0)
    # ... and what it cannot do is refused before signing, naming the runtime.
    with pytest.raises(UnsupportedByRuntimeError, match="pallet-cmu v2"):
        chain.attest_version(bob, model, 0, AttestationOutcome.MATCH, card.cid)
    with pytest.raises(UnsupportedByRuntimeError, match="pallet-cmu v2"):
        chain.retire_model(owner, model)
    with pytest.raises(UnsupportedByRuntimeError, match="pallet-cmu v2"):
        chain.contributor_totals(bob.ss58_address)
    assert (
        chain.attestations(model, 0) == [] and chain.attestation(model, 0, bob.ss58_address) is None
    )
    # The refused call did not use up a nonce: the next one from the same key lands.
    assert chain.grant_role(owner, model, bob.ss58_address, RoleSet.READER).success
    shown = run_cli("version", "show", str(model), str(version))
    assert shown.code == 0 and "not recorded by this runtime" in shown.out
    refused = run_cli("verify", str(model), "0", "--attest", "--key", "//Bob")
    assert refused.code == 2 and "pallet-cmu v2" in refused.err
