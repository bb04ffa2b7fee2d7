"""Pipelined and batched submission against the live dev chain: one result per call."""

from __future__ import annotations

from fixtures_client import Accounts, ModelFactory

from cmu_client import calls
from cmu_client.chain import CmuChain
from cmu_client.errors import ChainError
from cmu_client.keys import keypair_from_uri
from cmu_client.submitter import Submitter
from cmu_client.types import RoleSet


def members(accounts: Accounts, count: int, group: str) -> list[str]:
    return [
        keypair_from_uri(f"{accounts.uri('member')}//{group}//{i}").ss58_address
        for i in range(count)
    ]


def test_pipelined_results_are_per_call_and_in_order(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    model = client_new_model().id
    who = members(client_accounts, 24, "pipeline")
    submitter = Submitter(client_chain.connection, client_accounts.owner, max_in_flight=8)
    results = submitter.submit_many([calls.grant_role(model, w, RoleSet.READER) for w in who])
    assert len(results) == 24
    for address, result in zip(who, results, strict=True):
        assert result.success, result.error
        assert result.first("Cmu", "RoleGranted").attr("who") == address
    assert len({r.extrinsic_hash for r in results}) == 24
    order = [(r.block_number, r.extrinsic_index) for r in results]
    assert order == sorted(order), "nonce order is chain order"
    assert set(client_chain.role_holders(model)) == set(who)


def test_failures_inside_a_pipeline_stay_with_their_call(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    model = client_new_model().id
    a = client_accounts
    submitter = Submitter(client_chain.connection, a.owner)
    results = submitter.submit_many(
        [
            calls.freeze_model(model),
            calls.freeze_model(model),  # AlreadyFrozen
            calls.thaw_model(model),
            calls.grant_role(model, a.owner.ss58_address, RoleSet.READER),  # CannotTargetOwner
            calls.grant_role(model, a.trainer.ss58_address, RoleSet.TRAINER),
        ]
    )
    assert [r.success for r in results] == [True, False, True, False, True]
    assert isinstance(results[1].error, ChainError) and results[1].error.name == "AlreadyFrozen"
    assert isinstance(results[3].error, ChainError)
    assert results[3].error.name == "CannotTargetOwner"
    assert results[1].find("System", "ExtrinsicFailed")
    assert client_chain.explicit_roles(model, a.trainer.ss58_address) == RoleSet.TRAINER


def test_batch_all_reports_each_call(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    model = client_new_model().id
    who = members(client_accounts, 5, "batch")
    results = client_chain.submit_batch(
        client_accounts.owner, [calls.grant_role(model, w, RoleSet.CONTRIBUTOR) for w in who]
    )
    assert len(results) == 5
    assert len({r.extrinsic.extrinsic_hash for r in results if r.extrinsic}) == 1
    for index, (address, result) in enumerate(zip(who, results, strict=True)):
        assert result.index == index and result.success
        granted = result.find("Cmu", "RoleGranted")
        assert [e.attr("who") for e in granted] == [address]


def test_batch_all_is_all_or_nothing(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    model = client_new_model().id
    who = members(client_accounts, 3, "atomic")
    batch = [
        calls.grant_role(model, who[0], RoleSet.READER),
        calls.grant_role(model, client_accounts.owner.ss58_address, RoleSet.READER),
        calls.grant_role(model, who[2], RoleSet.READER),
    ]
    results = client_chain.submit_batch(client_accounts.owner, batch)
    assert [r.success for r in results] == [False, False, False]
    assert all(
        isinstance(r.error, ChainError) and r.error.name == "CannotTargetOwner" for r in results
    )
    assert client_chain.role_holders(model) == {}


def test_force_batch_lets_each_call_fail_alone(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    model = client_new_model().id
    who = members(client_accounts, 3, "force")
    batch = [
        calls.grant_role(model, who[0], RoleSet.READER),
        calls.grant_role(model, client_accounts.owner.ss58_address, RoleSet.READER),
        calls.grant_role(model, who[2], RoleSet.READER),
    ]
    results = client_chain.submit_batch(client_accounts.owner, batch, atomic=False)
    assert [r.success for r in results] == [True, False, True]
    assert isinstance(results[1].error, ChainError)
    assert results[1].error.name == "CannotTargetOwner"
    assert set(client_chain.role_holders(model)) == {who[0], who[2]}


def test_a_stale_local_nonce_recovers(
    client_chain: CmuChain, client_accounts: Accounts, client_new_model: ModelFactory
) -> None:
    model = client_new_model().id
    first = Submitter(client_chain.connection, client_accounts.owner)
    second = Submitter(client_chain.connection, client_accounts.owner)
    who = members(client_accounts, 3, "nonce")
    first.submit(calls.grant_role(model, who[0], RoleSet.READER))
    second.submit(calls.grant_role(model, who[1], RoleSet.READER))  # takes first's next nonce
    result = first.submit(calls.grant_role(model, who[2], RoleSet.READER))
    assert result.success
    assert set(client_chain.role_holders(model)) == set(who)
