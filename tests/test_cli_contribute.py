"""`cmu contribute` against the live chain and Kubo: every command and every refusal."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest
from fixtures_client import Accounts, ModelFactory, csv_rows, ipfs_put, run_cli, spec_document

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.ipfs import IpfsStore
from cmu_client.types import AccessPolicy, ContributionMode, ContributionState, Visibility

BAD_CSV = (
    "age,income,region,score,bought\n"
    "30,1000,east,0.5,yes\n"
    "41,lots,north,0.2,no\n"
    "52,2000,atlantis,0.3,no\n"
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good, bad, spec = tmp_path / "good.csv", tmp_path / "bad.csv", tmp_path / "spec.json"
    good.write_bytes(csv_rows(60, seed=21))
    bad.write_text(BAD_CSV)
    spec.write_text(json.dumps(spec_document()))
    return {"good": good, "bad": bad, "spec": spec}


def pinned(settings: IpfsSettings, raw: bytes) -> bool:
    async def check() -> bool:
        async with IpfsStore(settings) as store:
            return await store.has_pin_for(raw)

    return asyncio.run(check())


def test_validate_good_and_bad(
    client_env: Accounts, client_new_model: ModelFactory, files: dict[str, Path]
) -> None:
    model = client_new_model().id
    ok = run_cli("contribute", "validate", str(files["good"]), "--model", str(model), "--json")
    assert ok.code == 0, ok.err
    assert ok.json() == {
        "valid": True,
        "rows": 60,
        "features": ["age", "income", "region", "score"],
    }
    offline = run_cli("contribute", "validate", str(files["good"]), "--spec", str(files["spec"]))
    assert offline.code == 0 and "60 rows match" in offline.err
    bad = run_cli("contribute", "validate", str(files["bad"]), "--model", str(model))
    assert bad.code == 3
    assert "row 2, column 'income': 'lots' is not a number" in bad.err
    assert "row 3, column 'region': unknown category 'atlantis' (expected one of 'north'" in bad.err
    as_json = run_cli("contribute", "validate", str(files["bad"]), "--model", str(model), "--json")
    assert as_json.code == 3
    body = as_json.json()
    assert body["valid"] is False
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(2, "income"), (3, "region")]


def test_upload_then_register_by_cid(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    client_ipfs: IpfsSettings,
    files: dict[str, Path],
) -> None:
    model = client_new_model().id
    uploaded = run_cli("contribute", "upload", str(model), str(files["good"]), "--json")
    assert uploaded.code == 0, uploaded.err
    up = uploaded.json()
    assert up["rows"] == 60 and pinned(client_ipfs, files["good"].read_bytes())
    registered = run_cli(
        "contribute",
        "register",
        str(model),
        "--cid",
        up["cid"],
        "--sha256",
        up["sha256"],
        "--key",
        client_env.uri("contributor"),
        "--json",
    )
    assert registered.code == 0, registered.err
    body = registered.json()
    record = client_chain.contribution(model, body["contribution"])
    assert record.data_cid == up["cid"] and record.rows == 60
    assert record.contributor == client_env.contributor.ss58_address
    assert body["deposit"] == client_chain.info().contribution_deposit


def test_register_file_list_show_withdraw(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    files: dict[str, Path],
) -> None:
    model = client_new_model().id
    contributor = client_env.uri("contributor")
    done = run_cli("contribute", "register", str(model), str(files["good"]), "--key", contributor)
    assert done.code == 0, done.err
    assert "contribution 0 registered" in done.err and "deposit" in done.err
    listed = run_cli("contribute", "list", str(model), "--json").json()
    assert [(c["id"], c["rows"], c["status"]["state"]) for c in listed] == [(0, 60, "Pending")]
    assert run_cli("contribute", "list", str(model), "--pending", "--json").json() == listed
    shown = run_cli("contribute", "show", str(model), "0", "--json").json()
    assert shown["contributor"] == client_env.contributor.ss58_address
    assert "Pending" in run_cli("contribute", "show", str(model), "0").out
    stranger = run_cli(
        "contribute", "withdraw", str(model), "0", "--key", client_env.uri("outsider")
    )
    assert stranger.code == 4 and "Cmu.NotContributionOwner" in stranger.err
    assert run_cli("contribute", "withdraw", str(model), "0", "--key", contributor).code == 0
    assert client_chain.contribution(model, 0).status.state is ContributionState.WITHDRAWN
    assert run_cli("contribute", "list", str(model), "--pending", "--json").json() == []
    missing = run_cli("contribute", "show", str(model), "9")
    assert missing.code == 8


def test_frozen_model_is_refused_before_upload(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    client_ipfs: IpfsSettings,
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    client_chain.freeze_model(client_env.owner, model)
    data = tmp_path / "fresh.csv"
    data.write_bytes(csv_rows(30, seed=secrets.randbelow(10**9)))  # unpinned so far
    refused = run_cli(
        "contribute", "register", str(model), str(data), "--key", client_env.uri("contributor")
    )
    assert refused.code == 4
    # The explanation is the pallet's doc comment (it changed with pallet-cmu v2).
    assert "Cmu.ModelFrozen: The model is frozen" in refused.err
    assert not pinned(client_ipfs, data.read_bytes()), "nothing left in IPFS"
    assert client_chain.model(model).contribution_count == 0


def test_role_required_model_refuses_non_contributors(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    client_ipfs: IpfsSettings,
    tmp_path: Path,
) -> None:
    model = client_new_model(
        policy=AccessPolicy(Visibility.PUBLIC, ContributionMode.ROLE_REQUIRED)
    ).id
    data = tmp_path / "fresh.csv"
    data.write_bytes(csv_rows(25, seed=secrets.randbelow(10**9)))  # unpinned so far
    refused = run_cli(
        "contribute", "register", str(model), str(data), "--key", client_env.uri("outsider")
    )
    assert refused.code == 4 and "Cmu.NotContributor" in refused.err
    assert "cmu role grant" in refused.err
    assert not pinned(client_ipfs, data.read_bytes())
    assert (
        run_cli(
            "role",
            "grant",
            str(model),
            client_env.outsider.ss58_address,
            "contributor",
            "--key",
            client_env.uri("owner"),
        ).code
        == 0
    )
    assert (
        run_cli(
            "contribute", "register", str(model), str(data), "--key", client_env.uri("outsider")
        ).code
        == 0
    )


def test_register_refuses_bad_csv_hash_mismatch_and_missing_cid(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    client_ipfs: IpfsSettings,
    files: dict[str, Path],
) -> None:
    model = client_new_model().id
    key = client_env.uri("contributor")
    bad = run_cli("contribute", "register", str(model), str(files["bad"]), "--key", key)
    assert bad.code == 3 and "unknown category 'atlantis'" in bad.err
    assert not pinned(client_ipfs, files["bad"].read_bytes())
    stored = ipfs_put(client_ipfs, files["good"].read_bytes())
    mismatch = run_cli(
        "contribute",
        "register",
        str(model),
        "--cid",
        stored.cid,
        "--sha256",
        "00" * 32,
        "--key",
        key,
    )
    assert mismatch.code == 6 and "does not match the on-chain hash" in mismatch.err
    missing = run_cli(
        "contribute",
        "register",
        str(model),
        "--cid",
        "bafkreieaqr3n2vgkxsadqygolmbtfdde5kspgynx2fdhyjt4ae4qg4uj64",
        "--sha256",
        "00" * 32,
        "--key",
        key,
    )
    assert missing.code == 5 and "content not found" in missing.err
    both = run_cli(
        "contribute", "register", str(model), str(files["good"]), "--cid", stored.cid, "--key", key
    )
    assert both.code == 2
    assert client_chain.model(model).contribution_count == 0
