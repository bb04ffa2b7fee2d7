"""CmuChain against the live dev chain: every call, the reads, and every refusal."""

from __future__ import annotations

import pytest
from fixtures_client import Accounts, ModelFactory, publish, sha

from cmu_client.chain import CmuChain, skipped_settlements
from cmu_client.errors import (
    ChainError,
    ModelFrozenError,
    NotFoundError,
    PermissionDeniedError,
    StaleParentError,
    TransactionRejectedError,
)
from cmu_client.ipfs import StoredObject
from cmu_client.types import (
    AccessPolicy,
    ContributionMode,
    ContributionState,
    RejectionReason,
    RoleSet,
    SlashDestination,
    SlashKind,
    Verdict,
    VersionStatus,
    Visibility,
)


def contribute(chain: CmuChain, accounts: Accounts, model: int, n: int = 0) -> int:
    data = f"rows of contribution {n}".encode()
    contribution, result = chain.submit_contribution(
        accounts.contributor, model, f"bafkreicontribution{n:04d}aaaaaaaaaaaaaa", sha(data), 10
    )
    assert result.success
    return contribution


def test_create_model_and_read_it_back(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    before = client_chain.next_model_id()
    created = client_new_model()
    assert created.id >= before
    model = client_chain.model(created.id)
    assert model.owner == client_accounts.owner.ss58_address
    assert model.depositor == client_accounts.owner.ss58_address
    assert model.spec_cid == created.spec_obj.cid
    assert model.spec_hash == created.spec_obj.sha256
    assert model.policy == AccessPolicy()
    assert model.head is None and model.version_count == 0 and model.contribution_count == 0
    assert model.deposit == client_chain.info().model_deposit
    assert not model.frozen
    assert created.id in [m.id for m in client_chain.models()]
    assert client_chain.roles_of(created.id, client_accounts.owner.ss58_address) == RoleSet.all()


def test_results_carry_events_block_and_fee(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    created = client_new_model()
    result = client_chain.grant_role(
        client_accounts.owner, created.id, client_accounts.trainer.ss58_address, RoleSet.TRAINER
    )
    assert result.success and result.error is None
    event = result.first("Cmu", "RoleGranted")
    assert event.attr("model") == created.id
    assert event.attr("who") == client_accounts.trainer.ss58_address
    assert any(e.qualified_name == "System.ExtrinsicSuccess" for e in result.events)
    assert result.fee > 0 and result.block_number > 0
    assert result.block_hash.startswith("0x") and result.extrinsic_hash.startswith("0x")


def test_roles_and_their_refusals(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    a = client_accounts
    model = client_new_model().id
    client_chain.grant_role(a.owner, model, a.admin.ss58_address, RoleSet.ADMIN)
    client_chain.grant_role(
        a.admin, model, a.trainer.ss58_address, RoleSet.TRAINER | RoleSet.READER
    )
    assert (
        client_chain.explicit_roles(model, a.trainer.ss58_address)
        == RoleSet.TRAINER | RoleSet.READER
    )
    with pytest.raises(PermissionDeniedError) as only_owner:
        client_chain.grant_role(a.admin, model, a.outsider.ss58_address, RoleSet.ADMIN)
    assert only_owner.value.name == "OnlyOwnerManagesAdmins"
    with pytest.raises(PermissionDeniedError) as not_admin:
        client_chain.grant_role(a.outsider, model, a.outsider.ss58_address, RoleSet.TRAINER)
    assert not_admin.value.name == "NotAdmin"
    assert "owner nor an Admin" in not_admin.value.explanation
    with pytest.raises(ChainError) as owner:
        client_chain.grant_role(a.admin, model, a.owner.ss58_address, RoleSet.READER)
    assert owner.value.name == "CannotTargetOwner"
    holders = client_chain.role_holders(model)
    assert holders == {
        a.admin.ss58_address: RoleSet.ADMIN,
        a.trainer.ss58_address: RoleSet.TRAINER | RoleSet.READER,
    }
    revoked = client_chain.revoke_role(a.admin, model, a.trainer.ss58_address, RoleSet.READER)
    assert revoked.first("Cmu", "RoleRevoked").attr("model") == model
    assert client_chain.explicit_roles(model, a.trainer.ss58_address) == RoleSet.TRAINER


def test_contributions_hold_and_release_deposits(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    a = client_accounts
    model = client_new_model().id
    deposit = client_chain.info().contribution_deposit
    held_before = client_chain.balance(a.contributor.ss58_address).reserved
    contribution = contribute(client_chain, a, model)
    record = client_chain.contribution(model, contribution)
    assert record.contributor == a.contributor.ss58_address
    assert record.status.state is ContributionState.PENDING and record.deposit == deposit
    assert record.rows == 10 and record.data_hash == sha(b"rows of contribution 0")
    assert client_chain.balance(a.contributor.ss58_address).reserved == held_before + deposit
    assert client_chain.model(model).pending_contributions == 1
    with pytest.raises(PermissionDeniedError) as not_yours:
        client_chain.withdraw_contribution(a.outsider, model, contribution)
    assert not_yours.value.name == "NotContributionOwner"
    client_chain.withdraw_contribution(a.contributor, model, contribution)
    assert (
        client_chain.contribution(model, contribution).status.state is ContributionState.WITHDRAWN
    )
    assert client_chain.balance(a.contributor.ss58_address).reserved == held_before
    with pytest.raises(ChainError) as twice:
        client_chain.withdraw_contribution(a.contributor, model, contribution)
    assert twice.value.name == "ContributionNotPending"
    with pytest.raises(ChainError) as zero:
        client_chain.submit_contribution(a.contributor, model, "bafkreizero", bytes(32), 0)
    assert zero.value.name == "ZeroRows"


def test_role_required_policy(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    a = client_accounts
    model = client_new_model(
        policy=AccessPolicy(Visibility.PERMISSIONED, ContributionMode.ROLE_REQUIRED)
    ).id
    with pytest.raises(PermissionDeniedError) as refused:
        contribute(client_chain, a, model)
    assert refused.value.name == "NotContributor"
    client_chain.grant_role(a.owner, model, a.contributor.ss58_address, RoleSet.CONTRIBUTOR)
    contribute(client_chain, a, model)
    client_chain.set_access_policy(a.owner, model, AccessPolicy())
    assert client_chain.model(model).policy == AccessPolicy()


def test_frozen_model_refuses_changes(
    client_chain: CmuChain,
    client_accounts: Accounts,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
) -> None:
    a = client_accounts
    model = client_new_model().id
    client_chain.grant_role(a.owner, model, a.trainer.ss58_address, RoleSet.TRAINER)
    publish(client_chain, a.trainer, model, None, client_artifacts[0])
    pending = contribute(client_chain, a, model)
    client_chain.freeze_model(a.owner, model)
    assert client_chain.model(model).frozen
    with pytest.raises(ModelFrozenError) as frozen:
        contribute(client_chain, a, model, 1)
    assert frozen.value.name == "ModelFrozen" and "thaw" in (frozen.value.hint or "")
    with pytest.raises(ModelFrozenError):
        publish(client_chain, a.trainer, model, 0, client_artifacts[1])
    with pytest.raises(ChainError) as again:
        client_chain.freeze_model(a.owner, model)
    assert again.value.name == "AlreadyFrozen"
    # Withdrawing stays possible while frozen.
    client_chain.withdraw_contribution(a.contributor, model, pending)
    client_chain.thaw_model(a.owner, model)
    contribute(client_chain, a, model, 2)
    with pytest.raises(ChainError) as not_frozen:
        client_chain.thaw_model(a.owner, model)
    assert not_frozen.value.name == "NotFrozen"


def test_publish_settle_and_stale_parent(
    client_chain: CmuChain,
    client_accounts: Accounts,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
) -> None:
    a = client_accounts
    model = client_new_model().id
    with pytest.raises(PermissionDeniedError) as not_trainer:
        publish(client_chain, a.trainer, model, None, client_artifacts[0])
    assert not_trainer.value.name == "NotTrainer"
    client_chain.grant_role(a.owner, model, a.trainer.ss58_address, RoleSet.TRAINER)
    assert publish(client_chain, a.trainer, model, None, client_artifacts[0]) == 0
    with pytest.raises(StaleParentError) as stale:
        publish(client_chain, a.trainer, model, None, client_artifacts[1])
    assert stale.value.explanation.startswith("The head is not the parent the trainer built on")
    good, bad = contribute(client_chain, a, model, 1), contribute(client_chain, a, model, 2)
    deposit = client_chain.info().contribution_deposit
    owner_free = client_chain.balance(a.owner.ss58_address).free
    held = client_chain.balance(a.contributor.ss58_address).reserved
    version, result = client_chain.publish_version(
        a.trainer,
        model,
        0,
        client_artifacts[1].cid,
        client_artifacts[1].sha256,
        sha(b"r1"),
        [],
        [(good, Verdict.accept()), (bad, Verdict.reject(RejectionReason.HARMS_METRIC))],
        card_cid=client_artifacts[1].cid,
    )
    assert version == 1
    assert result.first("Cmu", "VersionPublished").attr("accepted") == 1
    assert result.first("Cmu", "ContributionRejected").attr("contribution") == bad
    accepted, rejected = (
        client_chain.contribution(model, good),
        client_chain.contribution(model, bad),
    )
    assert accepted.status.state is ContributionState.ACCEPTED and accepted.settled_in == 1
    assert rejected.status.reason is RejectionReason.HARMS_METRIC and rejected.settled_in == 1
    assert client_chain.balance(a.contributor.ss58_address).reserved == held - 2 * deposit
    # The slashed deposit went to the model owner (the default slash destination).
    assert client_chain.balance(a.owner.ss58_address).free == owner_free + deposit
    v1 = client_chain.version(model, 1)
    assert v1.parent == 0 and v1.contributions == (good,) and v1.trainer == a.trainer.ss58_address
    assert client_chain.head(model).id == 1
    if client_chain.features().generation >= 2:
        # pallet-cmu v2 skips a settlement that is no longer pending (SettlementSkipped).
        _, again = client_chain.publish_version(
            a.trainer,
            model,
            1,
            client_artifacts[2].cid,
            client_artifacts[2].sha256,
            sha(b"r2"),
            [],
            [(good, Verdict.accept())],
            card_cid=client_artifacts[2].cid,
        )
        assert skipped_settlements(again) == [good]
        return
    with pytest.raises(ChainError) as dup:
        client_chain.publish_version(
            a.trainer,
            model,
            1,
            client_artifacts[2].cid,
            client_artifacts[2].sha256,
            sha(b"r2"),
            [],
            [(good, Verdict.accept())],
        )
    assert dup.value.name == "ContributionNotPending"


def test_head_moves_and_version_status(
    client_chain: CmuChain,
    client_accounts: Accounts,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
) -> None:
    a = client_accounts
    model = client_new_model().id
    client_chain.grant_role(a.owner, model, a.trainer.ss58_address, RoleSet.TRAINER)
    publish(client_chain, a.trainer, model, None, client_artifacts[0])
    publish(client_chain, a.trainer, model, 0, client_artifacts[1])
    moved = client_chain.set_head(a.owner, model, 0, reason=7)
    event = moved.first("Cmu", "HeadSet")
    assert (event.attr("from"), event.attr("to"), event.attr("reason")) == (1, 0, 7)
    with pytest.raises(ChainError) as already:
        client_chain.set_head(a.owner, model, 0)
    assert already.value.name == "AlreadyHead"
    assert publish(client_chain, a.trainer, model, 0, client_artifacts[2]) == 2  # a branch
    with pytest.raises(ChainError) as head:
        client_chain.revoke_version(a.owner, model, 2)
    assert head.value.name == "CannotRevokeHead"
    client_chain.deprecate_version(a.owner, model, 0)
    assert client_chain.version(model, 0).status is VersionStatus.DEPRECATED
    with pytest.raises(ChainError) as inactive:
        client_chain.deprecate_version(a.owner, model, 0)
    assert inactive.value.name == "VersionNotActive"
    client_chain.revoke_version(a.owner, model, 1)
    assert client_chain.version(model, 1).status is VersionStatus.REVOKED
    with pytest.raises(ChainError) as revoked:
        client_chain.set_head(a.owner, model, 1)
    assert revoked.value.name == "VersionRevoked"
    with pytest.raises(PermissionDeniedError):
        client_chain.set_head(a.trainer, model, 0)
    with pytest.raises(ChainError) as unknown:
        client_chain.set_head(a.owner, model, 99)
    assert unknown.value.name == "UnknownVersion"


def test_transfer_hands_over_control(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    a = client_accounts
    model = client_new_model(owner=a.admin).id
    client_chain.transfer_model(a.admin, model, a.outsider.ss58_address)
    assert client_chain.model(model).owner == a.outsider.ss58_address
    with pytest.raises(PermissionDeniedError):
        client_chain.freeze_model(a.admin, model)
    client_chain.set_slash_destination(a.outsider, model, SlashDestination(SlashKind.BURN))
    assert client_chain.model(model).slash_destination.kind is SlashKind.BURN
    client_chain.transfer_model(a.outsider, model, a.admin.ss58_address)


def test_unknown_records(client_chain: CmuChain, client_accounts: Accounts) -> None:
    missing = client_chain.next_model_id() + 1000
    with pytest.raises(NotFoundError, match=f"no model {missing}"):
        client_chain.model(missing)
    with pytest.raises(ChainError) as unknown:
        client_chain.freeze_model(client_accounts.owner, missing)
    assert unknown.value.name == "UnknownModel"
    assert "cmu model list" in (unknown.value.hint or "")


def test_pool_refuses_an_account_without_funds(
    client_chain: CmuChain, client_accounts: Accounts
) -> None:
    with pytest.raises(TransactionRejectedError) as refused:
        client_chain.create_model(client_accounts.poor, "bafkreipoor", bytes(32))
    assert "fund" in (refused.value.hint or "")


def test_reconnects_after_the_socket_drops(client_chain: CmuChain) -> None:
    before = client_chain.next_model_id()
    client_chain.connection.substrate.websocket.close()  # the node "restarts"
    assert client_chain.next_model_id() == before
    assert client_chain.connection.rpc("system_chain", []) == client_chain.info().chain


def test_unreachable_chain_is_a_clear_error() -> None:
    import socket

    from cmu_client.config import ChainSettings
    from cmu_client.connection import ChainConnection
    from cmu_client.errors import ChainConnectionError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    chain = CmuChain(ChainConnection(ChainSettings(url=f"ws://127.0.0.1:{port}")))
    with pytest.raises(ChainConnectionError) as caught:
        chain.next_model_id()
    assert "scripts/chain.sh start" in (caught.value.hint or "")
