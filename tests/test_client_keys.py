"""Keys and the keystore: sources, encryption, permissions, polkadot.js compatibility, and
that no secret leaks into messages, logs, reprs or files. No chain needed."""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from cmu_client.errors import KeyNotFoundError, KeystoreError, WrongPasswordError
from cmu_client.keys import (
    Keystore,
    export_polkadot_json,
    keypair_from_mnemonic,
    keypair_from_polkadot_json,
    keypair_from_uri,
    resolve_signer,
)

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
PASSWORD = "correct horse battery staple"
NODE_MODULES = Path.home() / ".cache/cmu/node_modules"

PJS_SCRIPT = """
const { Keyring } = require('@polkadot/keyring');
const { cryptoWaitReady } = require('@polkadot/util-crypto');
const fs = require('fs');
(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const [mode, arg, password] = process.argv.slice(2);
  if (mode === 'export') {
    process.stdout.write(JSON.stringify(keyring.addFromUri(arg).toJson(password)));
  } else {
    const pair = keyring.addFromJson(JSON.parse(fs.readFileSync(arg, 'utf8')));
    pair.decodePkcs8(password);
    const message = new TextEncoder().encode('cmu');
    const signature = pair.sign(message);
    process.stdout.write(pair.address + ' ' + (pair.verify(message, signature, pair.publicKey)));
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
"""


def node(tmp_path: Path, *args: str) -> str:
    if shutil.which("node") is None or not NODE_MODULES.exists():
        pytest.fail(
            "node and the pinned @polkadot packages are needed (scripts/setup.sh)", pytrace=False
        )
    script = tmp_path / "pjs.cjs"
    script.write_text(PJS_SCRIPT)
    done = subprocess.run(
        ["node", str(script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        timeout=60,
        check=True,
    )
    return done.stdout


def test_dev_uri_gives_the_well_known_address() -> None:
    assert keypair_from_uri("//Alice").ss58_address == ALICE
    assert keypair_from_uri("//Bob").ss58_address == BOB


def test_bad_uri_and_bad_mnemonic_do_not_echo_the_secret() -> None:
    with pytest.raises(KeystoreError) as caught:
        keypair_from_mnemonic("apple banana cherry secretword " * 3)
    assert "secretword" not in str(caught.value) and "secretword" not in str(caught.value.hint)
    assert (
        caught.value.__cause__ is None and caught.value.__context__ is None
    ) or "secretword" not in repr(caught.value.__context__)


def test_mnemonic_keypair_does_not_keep_the_mnemonic(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    info, mnemonic = store.create("alice", PASSWORD)
    keypair = keypair_from_mnemonic(mnemonic)
    assert keypair.ss58_address == info.address
    assert mnemonic not in repr(keypair) and mnemonic not in repr(vars(keypair))
    # Neither the mnemonic nor the password is stored in the key file.
    text = (tmp_path / "keys" / "alice.json").read_text()
    # Any two adjacent words, as the phrase writes them: a single word is no test (one in
    # 2,048 mnemonics starts with "name", a key of the file's JSON).
    words = mnemonic.split()
    assert not [pair for pair in itertools.pairwise(words) if " ".join(pair) in text], text
    assert PASSWORD not in text


def test_keystore_permissions_and_round_trip(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    store = Keystore(directory)
    info, _ = store.create("owner", PASSWORD)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert [i.name for i in store.list()] == ["owner"]
    assert store.list()[0].address == info.address
    assert store.unlock("owner", PASSWORD).ss58_address == info.address
    assert not list(directory.glob(".*")), "no temporary files left behind"


def test_wrong_password_is_refused_without_echoing_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Keystore(tmp_path / "keys")
    store.create("owner", PASSWORD)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(WrongPasswordError) as caught:
        store.unlock("owner", "hunter2-wrong")
    assert "wrong password" in caught.value.message
    assert "hunter2" not in str(caught.value) + str(caught.value.hint)
    assert "hunter2" not in caplog.text


def test_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    first, _ = store.create("owner", PASSWORD)
    with pytest.raises(KeystoreError, match="already exists"):
        store.import_keypair("owner", keypair_from_uri("//Bob"), PASSWORD)
    assert store.unlock("owner", PASSWORD).ss58_address == first.address


def test_loose_permissions_are_refused(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    info, _ = store.create("owner", PASSWORD)
    info.path.chmod(0o644)
    with pytest.raises(KeystoreError, match="readable by others") as caught:
        store.unlock("owner", PASSWORD)
    assert caught.value.hint == f"run: chmod 600 {info.path}"


def test_names_and_missing_keys(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    with pytest.raises(KeystoreError, match="invalid key name"):
        store.create("../escape", PASSWORD)
    with pytest.raises(KeyNotFoundError, match="no key named 'ghost'"):
        store.unlock("ghost", PASSWORD)
    with pytest.raises(KeystoreError, match="without a password"):
        store.import_keypair("empty", keypair_from_uri("//Bob"), "")


def test_import_from_uri_and_mnemonic(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    store.import_keypair("bob", keypair_from_uri("//Bob"), PASSWORD)
    assert store.unlock("bob", PASSWORD).ss58_address == BOB
    other = Keystore(tmp_path / "other")
    _, mnemonic = other.create("x", PASSWORD)
    store.import_keypair("again", keypair_from_mnemonic(mnemonic), PASSWORD)
    assert store.unlock("again", PASSWORD).ss58_address == other.unlock("x", PASSWORD).ss58_address


def test_polkadot_js_export_imports_and_signs(tmp_path: Path) -> None:
    exported = json.loads(node(tmp_path, "export", "//Bob", "pjs-password"))
    keypair = keypair_from_polkadot_json(exported, "pjs-password")
    assert keypair.ss58_address == BOB
    with pytest.raises(WrongPasswordError):
        keypair_from_polkadot_json(exported, "not-it")
    store = Keystore(tmp_path / "keys")
    store.import_polkadot_json("bob", exported, "pjs-password")
    assert store.unlock("bob", "pjs-password").ss58_address == BOB


def test_our_key_files_open_in_polkadot_js(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    info, _ = store.create("owner", PASSWORD)
    out = node(tmp_path, "import", str(info.path), PASSWORD)
    assert out == f"{info.address} true"
    alone = tmp_path / "alice.json"
    alone.write_text(json.dumps(export_polkadot_json(keypair_from_uri("//Alice"), "pw", "a")))
    assert node(tmp_path, "import", str(alone), "pw") == f"{ALICE} true"


def test_resolve_signer_sources(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    store.import_keypair("bob", keypair_from_uri("//Bob"), PASSWORD)
    asked: list[str] = []

    def password(prompt: str, confirm: bool) -> str:
        asked.append(prompt)
        return PASSWORD

    assert resolve_signer("//Alice", store, password).ss58_address == ALICE
    assert resolve_signer("bob", store, password).ss58_address == BOB
    path = tmp_path / "bob-export.json"
    path.write_text((tmp_path / "keys" / "bob.json").read_text())
    path.chmod(0o600)  # a key file given by path is refused when others can read it
    assert resolve_signer(str(path), store, password).ss58_address == BOB
    assert asked == ["password for key 'bob': ", "password for bob-export.json: "]


def test_damaged_or_foreign_files_are_refused(tmp_path: Path) -> None:
    good = export_polkadot_json(keypair_from_uri("//Bob"), PASSWORD, "bob")
    with pytest.raises(KeystoreError, match=r"not a polkadot\.js JSON export"):
        keypair_from_polkadot_json({"hello": 1}, PASSWORD)
    ed = dict(good, encoding=dict(good["encoding"], content=["pkcs8", "ed25519"]))
    with pytest.raises(KeystoreError, match="unsupported key type"):
        keypair_from_polkadot_json(ed, PASSWORD)
    wrong_address = dict(good, address=ALICE)
    with pytest.raises(KeystoreError, match="does not match"):
        keypair_from_polkadot_json(wrong_address, PASSWORD)
