"""Bad IPFS content and bad keys through the real CLI: refused with one message, nothing
changed (Cmu/Nfts storage, balances and holds, Kubo pins, local files).

IPFS: a CID that does not exist, a Kubo that accepts the connection and never answers (a
real socket that stays silent: the timeout path), bytes whose hash is not the one on chain,
and an artifact that is not a LightGBM text model (a pickle, JSON, nothing).
Keys: a wrong password, a truncated keystore file, a keystore file whose encrypted key was
cut, a keystore file and a key file given by path that others can read, a JSON file that is
not a key.
"""

from __future__ import annotations

import json
import os
import pickle
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_client import (
    Accounts,
    ModelFactory,
    csv_rows,
    ipfs_put,
    publish,
    run_cli,
    sha,
)
from fixtures_state import assert_unchanged, one_message, snapshot

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.ipfs import StoredObject
from cmu_client.keys import export_polkadot_json, keypair_from_uri

MISSING_CID = "bafkreieaqr3n2vgkxsadqygolmbtfdde5kspgynx2fdhyjt4ae4qg4uj64"


def _watched(a: Accounts) -> list[str]:
    return [a.owner.ss58_address, a.contributor.ss58_address]


# --- IPFS ---------------------------------------------------------------------------------


@pytest.fixture
def silent_ipfs() -> Iterator[str]:
    """A TCP port that accepts connections and never answers: an IPFS API that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"/ip4/127.0.0.1/tcp/{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_register_a_cid_that_does_not_exist(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
) -> None:
    model = client_new_model().id
    before = snapshot(client_chain, client_ipfs, _watched(client_env))
    result = run_cli(
        "contribute",
        "register",
        str(model),
        "--cid",
        MISSING_CID,
        "--sha256",
        "ab" * 32,
        "--key",
        client_env.uri("contributor"),
    )
    assert result.code == 5, result.err
    (line,) = one_message(result.err)
    assert "content not found" in line and MISSING_CID in line
    assert_unchanged(before, snapshot(client_chain, client_ipfs, _watched(client_env)))


def test_ipfs_that_never_answers_times_out(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    silent_ipfs: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = client_new_model().id
    data = tmp_path / "data.csv"
    data.write_bytes(csv_rows(20, seed=secrets.randbelow(10**9)))
    monkeypatch.setenv("CMU_IPFS_TIMEOUT", "2")
    before = snapshot(client_chain, client_ipfs, _watched(client_env), [data])
    result = run_cli(
        "--ipfs",
        silent_ipfs,
        "contribute",
        "register",
        str(model),
        str(data),
        "--key",
        client_env.uri("contributor"),
    )
    assert result.code == 5, result.err
    (line,) = one_message(result.err)
    assert "took longer than 2s" in line
    assert "CMU_IPFS_TIMEOUT" in result.err
    assert_unchanged(before, snapshot(client_chain, client_ipfs, _watched(client_env), [data]))


def _predict_refused(
    chain: CmuChain, ipfs: IpfsSettings, a: Accounts, model: int, tmp_path: Path, code: int
) -> str:
    data, out = tmp_path / "rows.csv", tmp_path / "predictions.csv"
    data.write_bytes(csv_rows(15, seed=3))
    before = snapshot(chain, ipfs, _watched(a), [data, out])
    result = run_cli("predict", str(model), str(data), "--out", str(out))
    assert result.code == code, (result.code, result.err)
    (line,) = one_message(result.err)
    assert result.out == ""
    assert not out.exists(), "no predictions written"
    assert_unchanged(before, snapshot(chain, ipfs, _watched(a), [data, out]))
    return line


def test_artifact_bytes_whose_hash_does_not_match(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    real = client_artifacts[0]
    lying = StoredObject(real.cid, sha(b"some other model"), real.size)
    publish(client_chain, client_env.owner, model, None, lying)
    line = _predict_refused(client_chain, client_ipfs, client_env, model, tmp_path, 6)
    assert "does not match the on-chain hash" in line


def test_artifact_cid_that_does_not_exist(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    publish(
        client_chain,
        client_env.owner,
        model,
        None,
        StoredObject(MISSING_CID, sha(b"never stored"), 10),
    )
    line = _predict_refused(client_chain, client_ipfs, client_env, model, tmp_path, 5)
    assert "content not found" in line


@pytest.mark.parametrize("kind", ["pickle", "pickle protocol 0", "json", "empty"])
def test_artifact_that_is_not_a_lightgbm_model(
    kind: str,
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    tmp_path: Path,
) -> None:
    payload = {"weights": [secrets.randbelow(100) for _ in range(5)]}
    raw = {
        "pickle": pickle.dumps(payload, protocol=5),
        "pickle protocol 0": pickle.dumps(payload, protocol=0),
        "json": json.dumps(payload).encode(),
        "empty": b"",
    }[kind]
    model = client_new_model().id
    stored = ipfs_put(client_ipfs, raw)
    publish(client_chain, client_env.owner, model, None, stored)
    line = _predict_refused(client_chain, client_ipfs, client_env, model, tmp_path, 1)
    assert "the artifact is not a LightGBM text model" in line


# --- keys -----------------------------------------------------------------------------


@pytest.fixture
def keyed(client_env: Accounts, tmp_path: Path) -> Path:
    """The contributor's key stored in the session keystore as 'contrib'."""
    stored = run_cli("keys", "import", "contrib", "--uri", client_env.uri("contributor"))
    assert stored.code == 0, stored.err
    return Path(os.environ["CMU_KEYSTORE"]) / "contrib.json"


def _register_refused(
    chain: CmuChain,
    ipfs: IpfsSettings,
    a: Accounts,
    model: int,
    key: str,
    tmp_path: Path,
    files: tuple[Path, ...] = (),
) -> str:
    data = tmp_path / "data.csv"
    data.write_bytes(csv_rows(20, seed=secrets.randbelow(10**9)))
    before = snapshot(chain, ipfs, _watched(a), [data, *files])
    result = run_cli("contribute", "register", str(model), str(data), "--key", key)
    assert result.code == 7, (result.code, result.err)
    one_message(result.err)
    assert_unchanged(before, snapshot(chain, ipfs, _watched(a), [data, *files]))
    return result.err


def test_wrong_password(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    keyed: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = client_new_model().id
    monkeypatch.setenv("CMU_KEY_PASSWORD", "not the password")
    err = _register_refused(
        client_chain, client_ipfs, client_env, model, "contrib", tmp_path, (keyed,)
    )
    assert "wrong password for this key" in err
    assert "not the password" not in err


def test_truncated_keystore_file(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    keyed: Path,
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    keyed.write_bytes(keyed.read_bytes()[: keyed.stat().st_size // 2])
    err = _register_refused(
        client_chain, client_ipfs, client_env, model, "contrib", tmp_path, (keyed,)
    )
    assert "is damaged (not complete JSON; truncated?)" in err


def test_keystore_file_with_a_cut_encrypted_key(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    keyed: Path,
    tmp_path: Path,
) -> None:
    """Before: reported as 'wrong password', which sends the user after the wrong fix."""
    model = client_new_model().id
    data = json.loads(keyed.read_text())
    data["encoded"] = data["encoded"][:-8]
    keyed.write_text(json.dumps(data))
    err = _register_refused(
        client_chain, client_ipfs, client_env, model, "contrib", tmp_path, (keyed,)
    )
    assert "damaged (its encrypted key has the wrong length" in err
    assert "wrong password" not in err


def test_keystore_file_readable_by_others(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    keyed: Path,
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    keyed.chmod(0o644)
    err = _register_refused(
        client_chain, client_ipfs, client_env, model, "contrib", tmp_path, (keyed,)
    )
    assert "is readable by others (mode 644)" in err and f"chmod 600 {keyed}" in err


def test_key_file_by_path_readable_by_others(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    tmp_path: Path,
) -> None:
    """Before: a key file given by path was used whatever its mode."""
    model = client_new_model().id
    path = tmp_path / "contributor.json"
    path.write_text(
        json.dumps(
            export_polkadot_json(
                keypair_from_uri(client_env.uri("contributor")), os.environ["CMU_KEY_PASSWORD"], "c"
            )
        )
    )
    path.chmod(0o640)
    err = _register_refused(
        client_chain, client_ipfs, client_env, model, str(path), tmp_path, (path,)
    )
    assert "is readable by others (mode 640)" in err and f"chmod 600 {path}" in err
    path.chmod(0o600)  # and with the right mode it signs
    data = tmp_path / "ok.csv"
    data.write_bytes(csv_rows(12, seed=secrets.randbelow(10**9)))
    ok = run_cli("contribute", "register", str(model), str(data), "--key", str(path))
    assert ok.code == 0, ok.err


def test_json_file_that_is_not_a_key(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"name": "not a key"}))
    path.chmod(0o600)
    err = _register_refused(
        client_chain, client_ipfs, client_env, model, str(path), tmp_path, (path,)
    )
    assert "not a polkadot.js JSON export" in err
