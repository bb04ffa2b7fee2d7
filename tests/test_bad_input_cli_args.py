"""Bad arguments to the other ``cmu`` entry points: refused with one message, nothing changed.

Addresses that are not SS58, unknown role names, ids that do not exist, a hash that is not
hex, files that do not exist or are directories, prediction data without the features, and
a chain endpoint that accepts the connection and never answers.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_client import Accounts, ModelFactory, csv_rows, publish, run_cli
from fixtures_state import assert_unchanged, one_message, snapshot

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.ipfs import StoredObject


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP connections and never answers (a hung node)."""
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
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _cases(model: int, a: Accounts, tmp: Path) -> dict[str, tuple[list[str], int, str]]:
    owner = a.uri("owner")
    rows = tmp / "rows.csv"
    rows.write_bytes(csv_rows(10, seed=2))
    return {
        "role grant to a non-SS58 address": (
            ["role", "grant", str(model), "5NotAnAddress", "reader", "--key", owner],
            2,
            "is not an SS58 account address",
        ),
        "role grant of an unknown role": (
            ["role", "grant", str(model), a.outsider.ss58_address, "superuser", "--key", owner],
            2,
            "superuser",
        ),
        "model transfer to a non-SS58 address": (
            ["model", "transfer", str(model), "alice", "--key", owner],
            2,
            "is not an SS58 account address",
        ),
        "a model id that does not exist": (
            ["model", "show", "4000000000"],
            8,
            "no model 4000000000 on chain",
        ),
        "a version that does not exist": (
            ["version", "show", str(model), "77"],
            8,
            f"model {model} has no version 77",
        ),
        "a contribution that does not exist": (
            ["contribute", "withdraw", str(model), "55", "--key", owner],
            4,
            "Cmu.",
        ),
        "a negative id": (["model", "show", "-3"], 2, "ids are not negative"),
        "--sha256 that is not hex": (
            [
                "contribute",
                "register",
                str(model),
                "--cid",
                "bafkreiabcdefghijklmnopqrstu",
                "--sha256",
                "not-hex",
                "--key",
                a.uri("contributor"),
            ],
            2,
            "--sha256 is not hex",
        ),
        "a data file that does not exist": (
            [
                "contribute",
                "register",
                str(model),
                str(tmp / "missing.csv"),
                "--key",
                a.uri("contributor"),
            ],
            2,
            "cannot read data",
        ),
        "a directory as the data file": (
            ["contribute", "validate", str(tmp), "--model", str(model)],
            2,
            "cannot read data",
        ),
        "a spec file that does not exist": (
            [
                "model",
                "create",
                "--spec",
                str(tmp / "nope.json"),
                "--data",
                str(rows),
                "--key",
                owner,
            ],
            2,
            "cannot read spec",
        ),
        "predict with a model that has no version": (
            ["predict", str(model), str(rows)],
            8,
            "has no version yet",
        ),
        "a write without a key": (["model", "freeze", str(model)], 2, "no key was given"),
    }


CASE_NAMES = [
    "role grant to a non-SS58 address",
    "role grant of an unknown role",
    "model transfer to a non-SS58 address",
    "a model id that does not exist",
    "a version that does not exist",
    "a contribution that does not exist",
    "a negative id",
    "--sha256 that is not hex",
    "a data file that does not exist",
    "a directory as the data file",
    "a spec file that does not exist",
    "predict with a model that has no version",
    "a write without a key",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_argument_is_refused(
    case: str,
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    args, code, text = _cases(model, client_env, tmp_path)[case]
    watched = [client_env.owner.ss58_address, client_env.contributor.ss58_address]
    before = snapshot(client_chain, client_ipfs, watched)
    result = run_cli(*args)
    assert result.code == code, (result.code, result.err)
    assert text in result.err, result.err
    if result.err.startswith("usage: "):  # refused by argparse: usage, then one error
        _usage, message = result.err.strip().splitlines()
        assert message.startswith(f"cmu {args[0]} ") and ": error: argument " in message
    else:
        one_message(result.err)
    after = snapshot(client_chain, client_ipfs, watched)
    fees: dict[str, int] = {}
    if code == 4:  # dispatched and failed on chain: the signer paid the fee, nothing else
        owner = client_env.owner.ss58_address
        fees[owner] = before.accounts[owner].free - after.accounts[owner].free
        assert 0 < fees[owner] < 10**12, "at most a fee"
    assert_unchanged(before, after, fees)


def test_prediction_data_without_the_features_is_refused(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    publish(client_chain, client_env.owner, model, None, client_artifacts[0])
    data = tmp_path / "no-features.csv"
    data.write_text("name,bought\nann,yes\n")
    before = snapshot(client_chain, client_ipfs, [client_env.owner.ss58_address], [data])
    result = run_cli("predict", str(model), str(data))
    assert result.code == 3, result.err
    one_message(result.err)
    assert "column 'age': missing column" in result.err
    assert result.out == ""
    assert_unchanged(
        before, snapshot(client_chain, client_ipfs, [client_env.owner.ss58_address], [data])
    )


def test_chain_that_never_answers_times_out(
    silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMU_RPC_TIMEOUT", "2")
    result = run_cli("--rpc", f"ws://127.0.0.1:{silent_port}", "model", "list")
    assert result.code == 5, result.err
    (line,) = one_message(result.err)
    assert "did not answer within 2s" in line
    assert "CMU_RPC_TIMEOUT" in result.err


#: The plugin's commands: options that make no sense are refused by argparse before any
#: connection (before: ``--max-rows -5`` started a worker that could never take anything).
PLUGIN_ARGS = {
    "worker --max-rows -5": (["worker", "run", "--max-rows", "-5"], "--max-rows"),
    "worker --max-contributions 0": (
        ["worker", "run", "--max-contributions", "0"],
        "--max-contributions",
    ),
    "worker --max-bytes 1.5": (["worker", "run", "--max-bytes", "1.5"], "--max-bytes"),
    "worker --max-rounds 0": (["worker", "run", "--max-rounds", "0"], "--max-rounds"),
    "worker --poll 0": (["worker", "run", "--poll", "0"], "--poll"),
    "worker --poll nan": (["worker", "run", "--poll", "nan"], "--poll"),
    "worker --settle -1": (["worker", "run", "--settle", "-1"], "--settle"),
    "worker --model -1": (["worker", "run", "--model", "-1"], "--model"),
    "verify a negative version": (["verify", "0", "-2"], "version"),
    "monitor --limit 0": (["monitor", "--limit", "0"], "--limit"),
    "monitor --refresh -1": (["monitor", "--refresh", "-1"], "--refresh"),
}


@pytest.mark.parametrize("case", sorted(PLUGIN_ARGS))
def test_plugin_command_arguments_are_checked(case: str, tmp_path: Path) -> None:
    args, option = PLUGIN_ARGS[case]
    state = tmp_path / "state"
    if args[0] == "worker":
        args = [*args, "--key", "//Alice", "--state-dir", str(state)]
    result = run_cli(*args)
    assert result.code == 2, (result.code, result.err)
    lines = result.err.strip().splitlines()  # the usage (wrapped), then one error line
    message = lines[-1]
    assert lines[0].startswith("usage: cmu ")
    assert [line for line in lines if "error:" in line] == [message]
    assert f"error: argument {option}" in message and " is not " in message, message
    assert result.out == ""
    assert not state.exists(), "refused before the worker touched its state directory"
