"""`cmu version` and `cmu predict` against the live chain and Kubo."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fixtures_client import (
    Accounts,
    CreatedModel,
    ModelFactory,
    csv_rows,
    ipfs_put,
    publish,
    publish_encryption_keys,
    publish_sealed,
    rows,
    run_cli,
    to_csv,
    trained_artifact,
)

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.ipfs import StoredObject
from cmu_client.types import AccessPolicy, ContributionMode, RoleSet, VersionStatus, Visibility


@pytest.fixture
def versioned(
    client_chain: CmuChain,
    client_accounts: Accounts,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
) -> CreatedModel:
    """A model with v0 -> v1 -> v2 (head), real artifacts."""
    created = client_new_model()
    a = client_accounts
    client_chain.grant_role(a.owner, created.id, a.trainer.ss58_address, RoleSet.TRAINER)
    for parent, artifact in ((None, 0), (0, 1), (1, 2)):
        publish(
            client_chain,
            a.trainer,
            created.id,
            parent,
            client_artifacts[artifact],
            auc=0.7 + 0.01 * artifact,
        )
    return created


def test_list_show_and_lineage(client_env: Accounts, versioned: CreatedModel) -> None:
    model = str(versioned.id)
    listed = run_cli("version", "list", model, "--json")
    assert listed.code == 0, listed.err
    assert [v["id"] for v in listed.json()] == [2, 1, 0]
    assert listed.json()[0]["metrics"] == [{"key": "val_auc", "value": 720_000_000}]
    assert [
        v["id"] for v in run_cli("version", "lineage", model, "--from", "1", "--json").json()
    ] == [1, 0]
    assert [
        v["id"] for v in run_cli("version", "list", model, "--limit", "2", "--json").json()
    ] == [2, 1]
    table = run_cli("version", "list", model)
    assert "v2 (head)" in table.out and "val_auc=0.72" in table.out
    shown = run_cli("version", "show", model, "1", "--json").json()
    assert shown["version"]["parent"] == 0 and shown["is_head"] is False
    assert "recipe sha256" in run_cli("version", "show", model, "2").out
    assert run_cli("version", "show", model, "7").code == 8


def test_head_and_status_changes(
    client_env: Accounts, client_chain: CmuChain, versioned: CreatedModel
) -> None:
    model, owner = str(versioned.id), client_env.uri("owner")
    assert run_cli("version", "set-head", model, "1", "--reason", "3", "--key", owner).code == 0
    assert client_chain.model(versioned.id).head == 1
    assert [v["id"] for v in run_cli("version", "list", model, "--json").json()] == [1, 0]
    assert [v["id"] for v in run_cli("version", "list", model, "--all", "--json").json()] == [
        0,
        1,
        2,
    ]
    head_revoke = run_cli("version", "revoke", model, "1", "--key", owner)
    assert head_revoke.code == 4 and "Cmu.CannotRevokeHead" in head_revoke.err
    assert "set-head" in head_revoke.err
    assert run_cli("version", "deprecate", model, "0", "--key", owner).code == 0
    assert run_cli("version", "revoke", model, "2", "--key", owner).code == 0
    assert client_chain.version(versioned.id, 2).status is VersionStatus.REVOKED
    back = run_cli("version", "set-head", model, "2", "--key", owner)
    assert back.code == 4 and "Cmu.VersionRevoked" in back.err
    stranger = run_cli("version", "set-head", model, "0", "--key", client_env.uri("outsider"))
    assert stranger.code == 4 and "Cmu.NotAdmin" in stranger.err


def predictions(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_predict_with_the_head_and_a_named_version(
    client_env: Accounts, versioned: CreatedModel, tmp_path: Path
) -> None:
    table = [r[:4] for r in rows(40, seed=41)]
    table[0].insert(0, "customer")
    for i, r in enumerate(table[1:]):
        r.insert(0, f"c{i}")
    data = tmp_path / "customers.csv"
    data.write_bytes(to_csv(table))
    head = run_cli("predict", str(versioned.id), str(data))
    assert head.code == 0, head.err
    got = predictions(head.out)
    assert len(got) == 40 and got[0]["customer"] == "c0"
    assert {g["prediction"] for g in got} <= {"yes", "no"}
    assert all(0.0 <= float(g["p_yes"]) <= 1.0 for g in got)
    assert "v2" in head.err and "hash verified" in head.err
    out = tmp_path / "v0.csv"
    named = run_cli(
        "predict", str(versioned.id), str(data), "--version", "0", "--out", str(out), "--json"
    )
    assert named.code == 0, named.err
    body = named.json()
    assert body["version"] == 0 and len(body["predictions"]) == 40
    written = predictions(out.read_text())
    assert [float(r["p_yes"]) for r in written] == pytest.approx(body["predictions"])
    # Different versions (different artifacts) predict differently.
    assert [g["p_yes"] for g in got] != [r["p_yes"] for r in written]


def test_predict_refuses_tampered_missing_and_revoked(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    client_ipfs: IpfsSettings,
    tmp_path: Path,
) -> None:
    a = client_env
    model = client_new_model().id
    client_chain.grant_role(a.owner, model, a.trainer.ss58_address, RoleSet.TRAINER)
    real = ipfs_put(client_ipfs, trained_artifact(1))
    other = ipfs_put(client_ipfs, trained_artifact(2))
    tampered = StoredObject(real.cid, other.sha256, real.size)  # chain hash != bytes
    missing = StoredObject(
        "bafkreieaqr3n2vgkxsadqygolmbtfdde5kspgynx2fdhyjt4ae4qg4uj64", real.sha256, real.size
    )
    publish(client_chain, a.trainer, model, None, real)
    publish(client_chain, a.trainer, model, 0, tampered)
    publish(client_chain, a.trainer, model, 1, missing)
    data = tmp_path / "in.csv"
    data.write_bytes(csv_rows(10, seed=5))
    out = tmp_path / "out.csv"
    gone = run_cli("predict", str(model), str(data), "--out", str(out))
    assert gone.code == 5 and "content not found" in gone.err and not out.exists()
    bad = run_cli("predict", str(model), str(data), "--version", "1", "--out", str(out))
    assert bad.code == 6 and "does not match the on-chain hash" in bad.err
    assert "do not use it" in bad.err and not out.exists()
    client_chain.set_head(a.owner, model, 0)
    client_chain.revoke_version(a.owner, model, 1)
    revoked = run_cli("predict", str(model), str(data), "--version", "1")
    assert revoked.code == 2 and "revoked and must not be used" in revoked.err
    assert run_cli("predict", str(model), str(data), "--out", str(out)).code == 0
    assert len(predictions(out.read_text())) == 10
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("age,income,region\n1,2,east\n")
    missing_column = run_cli("predict", str(model), str(bad_csv))
    assert missing_column.code == 3 and "column 'score': missing column" in missing_column.err


def test_permissioned_model_needs_a_role_to_predict(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    tmp_path: Path,
) -> None:
    a = client_env
    publish_encryption_keys(client_chain, a.owner, a.trainer, a.outsider)
    model = client_new_model(policy=AccessPolicy(Visibility.PERMISSIONED, ContributionMode.OPEN)).id
    client_chain.grant_role(a.owner, model, a.trainer.ss58_address, RoleSet.TRAINER)
    publish_sealed(client_chain, client_ipfs, a.trainer, model, None, trained_artifact(4))
    data = tmp_path / "in.csv"
    data.write_bytes(csv_rows(5, seed=6))
    anonymous = run_cli("predict", str(model), str(data))
    assert anonymous.code == 2 and "no key was given" in anonymous.err
    stranger = run_cli("predict", str(model), str(data), "--key", a.uri("outsider"))
    assert stranger.code == 4 and "holds no role" in stranger.err
    client_chain.grant_role(a.owner, model, a.outsider.ss58_address, RoleSet.READER)
    # The head was sealed before the grant: the Reader is told to ask for a rekey.
    early = run_cli("predict", str(model), str(data), "--key", a.uri("outsider"))
    assert early.code == 9 and "not in its key envelope" in early.err, early.err
    assert f"cmu model rekey {model}" in early.err and "Traceback" not in early.err
    rekey = run_cli("model", "rekey", str(model), "--key", a.uri("owner"))
    assert rekey.code == 0, rekey.err
    reader = run_cli("predict", str(model), str(data), "--key", a.uri("outsider"))
    assert reader.code == 0, reader.err
