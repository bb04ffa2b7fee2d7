"""`cmu contribute register` refuses data the model already used or has pending (a worker
would reject it as Duplicate and slash the deposit), unless --force. Live chain and Kubo."""

from __future__ import annotations

import secrets
from pathlib import Path

from fixtures_client import Accounts, ModelFactory, csv_rows, publish, run_cli

from cmu_client.chain import CmuChain
from cmu_client.ipfs import StoredObject
from cmu_client.types import ContributionState, Verdict


def test_reused_data_is_refused_unless_forced(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    contributor = client_env.uri("contributor")
    data = tmp_path / "a.csv"
    data.write_bytes(csv_rows(40, seed=secrets.randbelow(10**9)))

    first = run_cli("contribute", "register", str(model), str(data), "--key", contributor)
    assert first.code == 0, first.err

    pending = run_cli("contribute", "register", str(model), str(data), "--key", contributor)
    assert pending.code == 2
    assert f"is not new to model {model}: contribution 0 registered it and is pending" in (
        pending.err
    )
    assert "a worker would reject it as Duplicate and slash the deposit" in pending.err
    assert "--force" in pending.err
    assert client_chain.model(model).contribution_count == 1, "nothing registered"

    forced = run_cli(
        "contribute", "register", str(model), str(data), "--key", contributor, "--force"
    )
    assert forced.code == 0, forced.err
    assert "warning:" in forced.err and "registering anyway" in forced.err
    assert client_chain.model(model).contribution_count == 2

    # the owner (a trainer) publishes v0: contribution 0 accepted, 1 rejected as Duplicate
    from cmu_client.types import RejectionReason

    publish(
        client_chain,
        client_env.owner,
        model,
        None,
        client_artifacts[0],
        [(0, Verdict.accept()), (1, Verdict.reject(RejectionReason.DUPLICATE))],
    )
    used = run_cli(
        "contribute",
        "register",
        str(model),
        "--cid",
        "bafkreiunused",
        "--sha256",
        client_chain.contribution(model, 0).data_hash.hex(),
        "--key",
        contributor,
    )
    assert used.code == 2
    assert "the model already used it (contribution 0, accepted in v0)" in used.err

    # withdrawn (or rejected) data may be offered again
    other = tmp_path / "b.csv"
    other.write_bytes(csv_rows(30, seed=secrets.randbelow(10**9)))
    assert run_cli("contribute", "register", str(model), str(other), "--key", contributor).code == 0
    assert run_cli("contribute", "withdraw", str(model), "2", "--key", contributor).code == 0
    assert client_chain.contribution(model, 2).status.state is ContributionState.WITHDRAWN
    again = run_cli("contribute", "register", str(model), str(other), "--key", contributor)
    assert again.code == 0, again.err
