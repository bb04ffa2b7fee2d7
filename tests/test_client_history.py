"""Bulk history reads against the live dev chain: paged reads equal the one-by-one walk."""

from __future__ import annotations

import pytest
from fixtures_client import Accounts, ModelFactory, sha

from cmu_client import calls, decode, history
from cmu_client.chain import CmuChain
from cmu_client.errors import NotFoundError
from cmu_client.ipfs import StoredObject
from cmu_client.types import ContributionState, RejectionReason, RoleSet, Verdict, Version


def walk_one_by_one(chain: CmuChain, model: int, start: int | None) -> list[Version]:
    versions = []
    current = start
    while current is not None:
        version = chain.version(model, current)
        versions.append(version)
        current = version.parent
    return versions


@pytest.fixture
def branched_model(
    client_chain: CmuChain,
    client_accounts: Accounts,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
) -> int:
    """30 versions on a line, a rollback to v9, then 10 more versions on the branch."""
    a = client_accounts
    model = client_new_model().id
    client_chain.grant_role(a.owner, model, a.trainer.ss58_address, RoleSet.TRAINER)
    art = client_artifacts[0]

    def chain_of(parent: int | None, count: int) -> list[calls.Call]:
        out = []
        for i in range(count):
            out.append(
                calls.publish_version(
                    model,
                    parent,
                    art.cid,
                    art.sha256,
                    sha(f"recipe {parent} {i}".encode()),
                    card_cid=art.cid,
                )
            )
            parent = 0 if parent is None else parent + 1
        return out

    results = client_chain.submit_many(a.trainer, chain_of(None, 30))
    assert all(r.success for r in results)
    client_chain.set_head(a.owner, model, 9)
    # Parents on the branch: 9, then 30, 31, ... (new ids continue after 29).
    branch = [
        calls.publish_version(
            model,
            9 if i == 0 else 29 + i,
            art.cid,
            art.sha256,
            sha(f"branch {i}".encode()),
            card_cid=art.cid,
        )
        for i in range(10)
    ]
    assert all(r.success for r in client_chain.submit_many(a.trainer, branch))
    return model


def test_paged_lineage_equals_the_one_by_one_walk(
    client_chain: CmuChain, branched_model: int
) -> None:
    model = branched_model
    head = client_chain.model(model).head
    assert head == 39
    expected = walk_one_by_one(client_chain, model, head)
    assert [v.id for v in expected] == [39, 38, 37, 36, 35, 34, 33, 32, 31, 30, *range(9, -1, -1)]
    for page in (4, 16, 256):
        assert list(history.lineage(client_chain, model, page_size=page).versions) == expected
    assert history.lineage(client_chain, model, limit=5).ids() == [39, 38, 37, 36, 35]
    assert history.lineage(client_chain, model, start=20).ids() == list(range(20, -1, -1))
    assert len(history.all_versions(client_chain, model, page_size=7)) == 40


def test_runtime_api_lineage_matches(client_chain: CmuChain, branched_model: int) -> None:
    model = branched_model
    paged = history.lineage(client_chain, model)
    assert history.lineage_via_api(client_chain, model) == paged
    assert history.lineage_via_api(client_chain, model, limit=3).ids() == [39, 38, 37]
    assert history.lineage_via_api(client_chain, model, start=25).ids() == list(range(25, -1, -1))


def test_lineage_edges(client_chain: CmuChain, client_new_model: ModelFactory) -> None:
    model = client_new_model().id
    assert history.lineage(client_chain, model).versions == ()
    assert history.lineage_via_api(client_chain, model).versions == ()
    with pytest.raises(NotFoundError):
        history.lineage(client_chain, model, start=3)


def test_contribution_lists(
    client_chain: CmuChain,
    client_accounts: Accounts,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
) -> None:
    a = client_accounts
    model = client_new_model().id
    client_chain.grant_role(a.owner, model, a.trainer.ss58_address, RoleSet.TRAINER)
    submitted = client_chain.submit_many(
        a.contributor,
        [
            calls.submit_contribution(model, f"bafkreilist{i:03d}", sha(bytes([i])), i + 1)
            for i in range(12)
        ],
    )
    assert all(r.success for r in submitted)
    client_chain.withdraw_contribution(a.contributor, model, 3)
    art = client_artifacts[0]
    client_chain.publish_version(
        a.trainer,
        model,
        None,
        art.cid,
        art.sha256,
        sha(b"r"),
        [],
        [(0, Verdict.accept()), (1, Verdict.reject(RejectionReason.DUPLICATE))],
        card_cid=art.cid,
    )
    everything = history.contributions(client_chain, model, page_size=5)
    assert [c.id for c in everything] == list(range(12))
    assert [c.rows for c in everything] == list(range(1, 13))
    states = {c.id: c.status.state for c in everything}
    assert states[0] is ContributionState.ACCEPTED
    assert states[1] is ContributionState.REJECTED
    assert states[3] is ContributionState.WITHDRAWN
    pending_ids = [2, *range(4, 12)]
    assert history.pending_contribution_ids(client_chain, model, page_size=4) == pending_ids
    pending = history.pending_contributions(client_chain, model, page_size=4)
    assert [c.id for c in pending] == pending_ids
    assert history.contributions(client_chain, model, ContributionState.PENDING) == pending
    assert history.pending_via_api(client_chain, model) == pending


def test_batched_storage_reads_match_single_reads(
    client_chain: CmuChain, branched_model: int
) -> None:
    """``read_entries`` builds storage keys from the runtime metadata's hashers (through
    substrate-interface, no hand-written hashing): the batched values are the records a
    single query returns, and None for an entry that does not exist."""
    model = branched_model
    count = client_chain.model(model).version_count
    at = client_chain.head_hash()
    ids = [0, 9, 10, count - 1, count, count + 300]
    values = client_chain.read_entries("Versions", [(model, i) for i in ids], at)
    assert [decode.version(model, i, v) for i, v in zip(ids[:4], values[:4], strict=True)] == [
        client_chain.version(model, i) for i in ids[:4]
    ]
    assert values[4:] == [None, None]
    owner = client_chain.owner_of(model)
    assert owner is not None and {m.id: m.owner for m in client_chain.models()}[model] == owner
