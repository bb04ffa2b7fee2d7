"""Data safety in the client (issue 13): nothing a user uploaded or signed is lost.

- An upload is unpinned only when the chain definitely refused the registration. A
  timeout after the extrinsic was sent (here: a real extrinsic and an inclusion timeout
  shorter than a block) keeps the data pinned, because the registration still lands; had
  the data been unpinned, the worker would reject it as unreachable and slash the deposit.
- Two workers on one state directory: the second refuses to start (two real processes).
- A key file given by path is checked for loose permissions like keystore files.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures_client import Accounts, ModelFactory, csv_rows, run_cli, spec_document
from fixtures_state import pins

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.errors import KeystoreError
from cmu_client.ipfs import IpfsStore
from cmu_client.keys import Keystore, export_polkadot_json, keypair_from_uri, resolve_signer


def _pinned(settings: IpfsSettings, raw: bytes) -> bool:
    async def check() -> bool:
        async with IpfsStore(settings) as store:
            return await store.has_pin_for(raw)

    return asyncio.run(check())


def _wait(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# --- (a) unpin only on a definite refusal ------------------------------------------------


def test_timeout_after_sending_keeps_the_upload_pinned(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = client_new_model().id
    raw = csv_rows(25, seed=secrets.randbelow(10**9))  # never uploaded before
    data = tmp_path / "data.csv"
    data.write_bytes(raw)
    monkeypatch.setenv("CMU_INCLUSION_TIMEOUT", "0.001")  # shorter than any block
    result = run_cli(
        "contribute", "register", str(model), str(data), "--key", client_env.uri("contributor")
    )
    assert result.code == 5, result.err
    assert "not included within 0.001s" in result.err
    assert "the registration may still land" in result.err and "stays pinned" in result.err
    # The extrinsic was in the pool: it lands, and it points at data that is still there.
    _wait(lambda: client_chain.model(model).contribution_count == 1, "the registration")
    record = client_chain.contribution(model, 0)
    assert record.contributor == client_env.contributor.ss58_address
    assert _pinned(client_ipfs, raw), "the data of a landed registration was unpinned"
    assert record.data_cid in pins(client_ipfs)


def test_timeout_after_sending_create_model_keeps_spec_and_data_pinned(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_validation: tuple[bytes, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validation_csv, _ = client_validation
    spec, data, validation = tmp_path / "spec.json", tmp_path / "data.csv", tmp_path / "v.csv"
    doc = spec_document()
    doc["description"] = f"data safety {secrets.token_hex(8)}"  # a spec never stored before
    spec.write_text(json.dumps(doc))
    data.write_bytes(csv_rows(80, seed=secrets.randbelow(10**9)))
    validation.write_bytes(validation_csv)
    owner = client_env.owner.ss58_address
    owned_before = [m.id for m in client_chain.models() if m.owner == owner]
    monkeypatch.setenv("CMU_INCLUSION_TIMEOUT", "0.001")
    result = run_cli(
        "model",
        "create",
        "--spec",
        str(spec),
        "--data",
        str(data),
        "--validation",
        str(validation),
        "--no-first-version",
        "--key",
        client_env.uri("owner"),
    )
    assert result.code == 5, result.err
    assert "the model may still be created, so the uploads stay pinned" in result.err

    def created() -> bool:
        return len([m for m in client_chain.models() if m.owner == owner]) > len(owned_before)

    _wait(created, "create_model to land")
    new = [m for m in client_chain.models() if m.owner == owner and m.id not in owned_before]
    assert len(new) == 1
    assert new[0].spec_cid in pins(client_ipfs), "the new model's spec was unpinned"
    assert _pinned(client_ipfs, data.read_bytes())


def test_definite_refusal_removes_the_fresh_upload(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    tmp_path: Path,
) -> None:
    """The pool refuses an account that cannot pay the fee: nothing can land, so the
    data uploaded for it is unpinned again."""
    model = client_new_model().id
    raw = csv_rows(25, seed=secrets.randbelow(10**9))
    data = tmp_path / "data.csv"
    data.write_bytes(raw)
    result = run_cli(
        "contribute", "register", str(model), str(data), "--key", client_env.uri("poor")
    )
    assert result.code == 4, result.err
    assert "the transaction pool refused" in result.err
    assert "may still land" not in result.err
    assert not _pinned(client_ipfs, raw)
    assert client_chain.model(model).contribution_count == 0


# --- (b) one worker per state directory --------------------------------------------------


def _worker(uri: str, model: int, state: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "cmu_client.cli",
        "worker",
        "run",
        "--key",
        uri,
        "--model",
        str(model),
        "--state-dir",
        str(state),
        "--poll",
        "0.2",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMU_WORKER_")}
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def _started(log: Path) -> bool:
    return log.exists() and "starting (state in" in log.read_text(errors="replace")


def test_second_worker_on_the_same_state_directory_refuses_to_start(
    client_env: Accounts, client_chain: CmuChain, client_new_model: ModelFactory, tmp_path: Path
) -> None:
    model = client_new_model().id
    state = tmp_path / "state"
    uri = client_env.uri("trainer")
    first_log, second_log, third_log = (tmp_path / f"{n}.log" for n in ("1", "2", "3"))
    first = _worker(uri, model, state, first_log)
    try:
        _wait(lambda: _started(first_log), "the first worker to start", 120)
        second = _worker(uri, model, state, second_log)
        assert second.wait(timeout=120) == 1
        text = second_log.read_text()
        errors = [line for line in text.splitlines() if line.startswith("error:")]
        assert errors == [
            f"error: another worker (pid {first.pid}, key {client_env.trainer.ss58_address}) "
            f"is running with the state directory {state}"
        ], text
        assert "hint: stop that worker first, or give this one its own --state-dir" in text
        assert "starting (state in" not in text, "the second worker did not start serving"
        assert first.poll() is None, "the first worker keeps running"
        # kill -9 drops the lock with the process: a restart is not blocked by a stale file.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert (state / "worker.lock").exists()
        third = _worker(uri, model, state, third_log)
        try:
            _wait(lambda: _started(third_log), "the restarted worker", 120)
        finally:
            third.send_signal(signal.SIGTERM)
            assert third.wait(timeout=60) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


# --- (c) key files by path -----------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o640, 0o660, 0o666])
def test_key_file_by_path_with_loose_permissions_is_refused(mode: int, tmp_path: Path) -> None:
    path = tmp_path / "bob.json"
    path.write_text(json.dumps(export_polkadot_json(keypair_from_uri("//Bob"), "pw", "bob")))
    path.chmod(mode)
    asked: list[str] = []

    def password(prompt: str, confirm: bool) -> str:
        asked.append(prompt)
        return "pw"

    with pytest.raises(KeystoreError) as refused:
        resolve_signer(str(path), Keystore(tmp_path / "keys"), password)
    assert refused.value.message == f"key file {path} is readable by others (mode {mode:o})"
    assert refused.value.hint == f"run: chmod 600 {path}"
    assert asked == [], "refused before asking for the password"
    path.chmod(0o600)
    assert resolve_signer(str(path), Keystore(tmp_path / "keys"), password).ss58_address == (
        keypair_from_uri("//Bob").ss58_address
    )
