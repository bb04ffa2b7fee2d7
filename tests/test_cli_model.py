"""`cmu model`, `cmu role`, `cmu info` against the live chain and Kubo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_client import (
    Accounts,
    ModelFactory,
    csv_rows,
    run_cli,
    spec_document,
)

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.types import ContributionMode, RoleSet, Visibility


def models_of(chain: CmuChain, owner: str, since: int) -> list[int]:
    """Models created from id ``since`` on and owned by ``owner`` (a session-private key,
    so other sessions creating models at the same time do not count)."""
    return [m.id for m in chain.models() if m.id >= since and m.owner == owner]


@pytest.fixture
def model_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "spec": tmp_path / "spec.json",
        "data": tmp_path / "data.csv",
        "validation": tmp_path / "validation.csv",
    }
    files["spec"].write_text(json.dumps(spec_document(), indent=2))
    files["data"].write_bytes(csv_rows(400, seed=11))
    files["validation"].write_bytes(csv_rows(150, seed=12))
    return files


def test_create_uploads_creates_and_publishes_version_zero(
    client_env: Accounts, client_chain: CmuChain, model_files: dict[str, Path]
) -> None:
    owner = client_env.uri("owner")
    done = run_cli(
        "model",
        "create",
        "--spec",
        str(model_files["spec"]),
        "--data",
        str(model_files["data"]),
        "--validation",
        str(model_files["validation"]),
        "--contributions",
        "role",
        "--key",
        owner,
        "--json",
    )
    assert done.code == 0, done.err
    summary = done.json()
    model = client_chain.model(summary["model"])
    assert model.owner == client_env.owner.ss58_address
    assert model.spec_cid == summary["spec_cid"]
    assert model.policy.contributions is ContributionMode.ROLE_REQUIRED
    assert summary["data_rows"] == 400
    assert summary["version"] == 0 and model.head == 0
    version = client_chain.version(model.id, 0)
    assert version.artifact_cid == summary["artifact_cid"] and version.metrics
    shown = run_cli("model", "show", str(model.id), "--spec", "--json").json()
    assert shown["model"]["id"] == model.id and shown["head_version"]["id"] == 0
    # The stored spec names the uploaded validation set.
    assert shown["spec"]["validation"]["cid"] == summary["validation_cid"]
    assert shown["spec"]["features"][2]["categories"] == ["north", "south", "east", "west"]
    table = run_cli("model", "show", str(model.id), "--spec")
    assert table.code == 0 and "region" in table.out and "head" in table.out


def test_create_without_first_version(
    client_env: Accounts, client_chain: CmuChain, model_files: dict[str, Path]
) -> None:
    # A permissioned model's data sets are sealed to its owner's published key.
    published = run_cli("keys", "encryption", "publish", "--key", client_env.uri("owner"))
    assert published.code == 0, published.err
    done = run_cli(
        "model",
        "create",
        "--spec",
        str(model_files["spec"]),
        "--data",
        str(model_files["data"]),
        "--validation",
        str(model_files["validation"]),
        "--no-first-version",
        "--visibility",
        "permissioned",
        "--key",
        client_env.uri("owner"),
        "--json",
    )
    assert done.code == 0, done.err
    model = client_chain.model(done.json()["model"])
    assert model.head is None and model.policy.visibility is Visibility.PERMISSIONED
    listed = run_cli("model", "list", "--json").json()
    assert model.id in [m["id"] for m in listed]


def test_create_refuses_bad_input_before_touching_the_chain(
    client_env: Accounts, client_chain: CmuChain, model_files: dict[str, Path], tmp_path: Path
) -> None:
    before = client_chain.next_model_id()
    bad = tmp_path / "bad.csv"
    bad.write_text("age,income,region,score,bought\n30,1,east,0.5,yes\n-3,x,mars,,maybe\n")
    refused = run_cli(
        "model",
        "create",
        "--spec",
        str(model_files["spec"]),
        "--data",
        str(bad),
        "--validation",
        str(model_files["validation"]),
        "--key",
        client_env.uri("owner"),
    )
    assert refused.code == 3
    assert "error: " in refused.err and "5 problems" in refused.err
    for line in (
        "row 2, column 'age': -3 is below the minimum",
        "row 2, column 'income': 'x' is not a number",
        "row 2, column 'region': unknown category 'mars'",
        "row 2, column 'score': missing value",
        "row 2, column 'bought': unknown class 'maybe'",
    ):
        assert line in refused.err
    spec_missing = run_cli(
        "model",
        "create",
        "--spec",
        str(model_files["spec"]),
        "--data",
        str(model_files["data"]),
        "--key",
        client_env.uri("owner"),
    )
    assert spec_missing.code == 2 and "names no validation set" in spec_missing.err
    no_key = run_cli(
        "model",
        "create",
        "--spec",
        str(model_files["spec"]),
        "--data",
        str(model_files["data"]),
        "--validation",
        str(model_files["validation"]),
    )
    assert no_key.code == 2 and "no key was given" in no_key.err and "hint:" in no_key.err
    assert not models_of(client_chain, client_env.owner.ss58_address, since=before)


def test_wrong_password_refuses_before_anything_happens(
    client_env: Accounts,
    client_chain: CmuChain,
    model_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run_cli("keys", "import", "owner", "--uri", client_env.uri("owner")).code == 0
    before = client_chain.next_model_id()
    monkeypatch.setenv("CMU_KEY_PASSWORD", "not the password")
    refused = run_cli(
        "model",
        "create",
        "--spec",
        str(model_files["spec"]),
        "--data",
        str(model_files["data"]),
        "--validation",
        str(model_files["validation"]),
        "--key",
        "owner",
    )
    assert refused.code == 7 and "wrong password" in refused.err
    assert "not the password" not in refused.err
    assert not models_of(client_chain, client_env.owner.ss58_address, since=before)


def test_transfer_freeze_thaw_policy(
    client_env: Accounts, client_chain: CmuChain, client_new_model: ModelFactory
) -> None:
    a = client_env
    model = client_new_model(owner=a.admin).id
    admin, outsider = a.uri("admin"), a.uri("outsider")
    assert run_cli("model", "freeze", str(model), "--key", admin).code == 0
    assert client_chain.model(model).frozen
    refreeze = run_cli("model", "freeze", str(model), "--key", admin)
    assert refreeze.code == 4 and "Cmu.AlreadyFrozen" in refreeze.err
    assert run_cli("model", "thaw", str(model), "--key", admin).code == 0
    assert (
        run_cli("model", "policy", str(model), "--contributions", "role", "--key", admin).code == 0
    )
    assert client_chain.model(model).policy.contributions is ContributionMode.ROLE_REQUIRED
    stranger = run_cli("model", "freeze", str(model), "--key", outsider)
    assert stranger.code == 4 and "Cmu.NotAdmin" in stranger.err and "hint:" in stranger.err
    bad_address = run_cli("model", "transfer", str(model), "not-an-address", "--key", admin)
    assert bad_address.code == 2 and "not an SS58 account address" in bad_address.err
    moved = run_cli("model", "transfer", str(model), a.outsider.ss58_address, "--key", admin)
    assert moved.code == 0, moved.err
    assert client_chain.model(model).owner == a.outsider.ss58_address
    missing = run_cli("model", "show", str(client_chain.next_model_id() + 500))
    assert missing.code == 8 and "cmu model list" in missing.err


def test_roles_via_cli(
    client_env: Accounts, client_chain: CmuChain, client_new_model: ModelFactory
) -> None:
    a = client_env
    model = client_new_model().id
    granted = run_cli(
        "role",
        "grant",
        str(model),
        a.trainer.ss58_address,
        "trainer,reader",
        "--key",
        a.uri("owner"),
        "--json",
    )
    assert granted.code == 0, granted.err
    assert granted.json()["roles"] == {"bits": 12, "names": ["trainer", "reader"]}
    listed = run_cli("role", "list", str(model), "--json").json()
    assert {
        "account": a.owner.ss58_address,
        "roles": {"bits": 15, "names": ["admin", "contributor", "trainer", "reader"]},
        "source": "owner (implicit)",
    } in listed
    assert any(r["account"] == a.trainer.ss58_address and r["roles"]["bits"] == 12 for r in listed)
    refused = run_cli(
        "role", "grant", str(model), a.outsider.ss58_address, "admin", "--key", a.uri("trainer")
    )
    assert refused.code == 4 and "Cmu.NotAdmin" in refused.err
    revoked = run_cli(
        "role", "revoke", str(model), a.trainer.ss58_address, "reader", "--key", a.uri("owner")
    )
    assert revoked.code == 0 and "trainer" in revoked.err
    assert client_chain.explicit_roles(model, a.trainer.ss58_address) == RoleSet.TRAINER
    bad_role = run_cli(
        "role", "grant", str(model), a.trainer.ss58_address, "boss", "--key", a.uri("owner")
    )
    assert bad_role.code == 2 and "unknown role 'boss'" in bad_role.err
    table = run_cli("role", "list", str(model))
    assert "owner (implicit)" in table.out


def test_info_and_balance(client_env: Accounts, client_ipfs: IpfsSettings) -> None:
    info = run_cli("info", "--json")
    assert info.code == 0, info.err
    body = info.json()
    assert body["chain"]["contribution_deposit"] > 0
    assert body["ipfs_api"] == client_ipfs.api and body["kubo"]
    assert "contribution deposit" in run_cli("info").out
    balance = run_cli("balance", client_env.owner.ss58_address, "--json").json()
    assert balance["free"] > 0


def test_unreachable_services_exit_with_code_5(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = run_cli("--rpc", f"ws://127.0.0.1:{port}", "model", "list")
    assert down.code == 5 and "cannot connect to the chain" in down.err
    assert "hint: start it with `scripts/chain.sh start`" in down.err
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_document()))
    data = tmp_path / "d.csv"
    data.write_bytes(csv_rows(5))
    # validate --spec needs neither chain nor IPFS
    offline = run_cli(
        "--rpc", f"ws://127.0.0.1:{port}", "contribute", "validate", str(data), "--spec", str(spec)
    )
    assert offline.code == 0
