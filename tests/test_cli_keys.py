"""`cmu keys`: new, import, list, show, and refusals. No chain needed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from fixtures_client import run_cli

from cmu_client.keys import export_polkadot_json, keypair_from_uri

BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"


@pytest.fixture
def keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CMU_KEYSTORE", str(tmp_path / "keys"))
    monkeypatch.setenv("CMU_KEY_PASSWORD", "pw-for-tests")
    return tmp_path / "keys"


def test_new_list_show(keystore: Path, tmp_path: Path) -> None:
    backup = tmp_path / "owner.mnemonic"
    made = run_cli("keys", "new", "owner", "--mnemonic-file", str(backup), "--json")
    assert made.code == 0, made.err
    address = made.json()["address"]
    mnemonic = backup.read_text().strip()
    assert len(mnemonic.split()) == 12
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    for word in set(mnemonic.split()):
        assert f" {word} " not in f" {made.out} {made.err} "
    listed = run_cli("keys", "list", "--json")
    assert listed.json() == [
        {
            "name": "owner",
            "address": address,
            "path": str(keystore / "owner.json"),
            "created": listed.json()[0]["created"],
        }
    ]
    shown = run_cli("keys", "show", "owner")
    assert shown.out.strip() == address
    assert run_cli("keys", "show", "//Bob", "--json").json() == {"key": "//Bob", "address": BOB}
    table = run_cli("keys", "list")
    assert "owner" in table.out and address[:20] in table.out


def test_import_sources(keystore: Path, tmp_path: Path) -> None:
    assert run_cli("keys", "import", "bob", "--uri", "//Bob").code == 0
    export = tmp_path / "bob-pjs.json"
    export.write_text(
        json.dumps(export_polkadot_json(keypair_from_uri("//Bob"), "pw-for-tests", "bob"))
    )
    assert run_cli("keys", "import", "bob2", "--json-file", str(export)).code == 0
    made = run_cli("keys", "new", "tmp", "--mnemonic-file", str(tmp_path / "m"), "--json")
    mnemonic = (tmp_path / "m").read_text()
    imported = run_cli("keys", "import", "again", "--mnemonic", "--json", stdin=mnemonic)
    assert imported.code == 0, imported.err
    assert imported.json()["address"] == made.json()["address"]
    addresses = {k["name"]: k["address"] for k in run_cli("keys", "list", "--json").json()}
    assert addresses["bob"] == addresses["bob2"] == BOB


def test_refusals(keystore: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli("keys", "new", "owner").code == 0
    again = run_cli("keys", "new", "owner")
    assert again.code == 7 and "already exists" in again.err
    bad = run_cli("keys", "import", "x", "--mnemonic", stdin="not a real mnemonic phrase\n")
    assert bad.code == 7 and "not a valid BIP-39 phrase" in bad.err
    assert "real mnemonic" not in bad.err
    missing = run_cli("keys", "show", "ghost")
    assert missing.code == 7 and "no key named 'ghost'" in missing.err
    assert "hint:" in missing.err and "cmu keys new" in missing.err
    export = tmp_path / "bob.json"
    export.write_text(json.dumps(export_polkadot_json(keypair_from_uri("//Bob"), "other", "b")))
    wrong = run_cli("keys", "import", "bob", "--json-file", str(export))
    assert wrong.code == 7 and "wrong password" in wrong.err
    assert "pw-for-tests" not in wrong.err + wrong.out
    monkeypatch.delenv("CMU_KEY_PASSWORD")
    no_password = run_cli("keys", "new", "nopw")
    assert no_password.code == 7 and "CMU_KEY_PASSWORD" in no_password.err
    usage = run_cli("keys", "new", "bad/name")
    assert usage.code == 7 and "invalid key name" in usage.err
