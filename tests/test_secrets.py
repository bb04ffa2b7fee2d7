"""No secret in any output: every ``cmu`` command runs with known secrets and all it prints
or writes is searched for them.

Secrets: a fresh mnemonic (its phrase, any three of its words in a row, its seed, the
sr25519 secret key), the mnemonic ``cmu keys new`` generates, the keystore password and a
wrong password. Every command runs as its own process (``python -m cmu_client.cli``, the
way users run it), some with ``--debug`` (RPC traffic and tracebacks on stderr) and the
worker with ``--log-level DEBUG``; the stdout and stderr of each, and every file they
write (keystore, worker state, predictions; not the mnemonic backup the user asked for),
are searched. The error paths where a secret is most likely to be echoed are included: a
mnemonic or a seed passed as ``--key``, a mistyped mnemonic, a wrong password, a seed
given as a URI.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bip39 import bip39_to_mini_secret, bip39_validate
from fixtures_client import csv_rows, run_cli, spec_document
from substrateinterface import Keypair, KeypairType

from cmu_client.chain import CmuChain
from cmu_client.keys import export_polkadot_json, keypair_from_uri

TIMEOUT = 300


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str


class Session:
    """Runs ``cmu`` in subprocesses with one keystore and password; keeps every output."""

    def __init__(self, tmp: Path, password: str, hide: tuple[str, ...]) -> None:
        self.tmp = tmp
        self.hide = hide
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CMU_WORKER_")}
        self.env.update(CMU_KEYSTORE=str(tmp / "keys"), CMU_KEY_PASSWORD=password, COLUMNS="200")
        self.env.pop("CMU_KEY", None)
        self.runs: list[Run] = []

    def cmu(self, *args: str, code: int = 0, stdin: str = "", **env: str) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "cmu_client.cli", *args],
            input=stdin.encode(),
            capture_output=True,
            timeout=TIMEOUT,
            env={**self.env, **env},
            check=False,
        )
        run = Run(
            args,
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
        )
        self.runs.append(run)
        if run.code != code:  # say which command, without printing a secret argument
            shown = " ".join("<secret>" if a in self.hide else a for a in args)
            raise AssertionError(f"cmu {shown} -> {run.code}, expected {code}")
        return run


def _forms(mnemonic: str) -> list[str]:
    """Ways a mnemonic-derived secret could show up in text."""
    words = mnemonic.split()
    keypair = Keypair.create_from_mnemonic(mnemonic, crypto_type=KeypairType.SR25519)
    seed = bytes(bip39_to_mini_secret(mnemonic, "", "en")).hex()
    secret = bytes(keypair.private_key).hex()
    return [mnemonic, seed, seed.upper(), secret, secret[:64], secret[64:]] + [
        " ".join(words[i : i + 3]) for i in range(len(words) - 2)
    ]


def _leaks(text: str, forms: list[str]) -> list[str]:
    flat = re.sub(r"[\s'\",\[\]]+", " ", text)  # list reprs and wrapped lines
    return [form for form in forms if form in text or form in flat]


def test_no_command_prints_or_writes_a_secret(
    client_chain: CmuChain, client_validation: tuple[bytes, object], tmp_path: Path
) -> None:
    mnemonic = Keypair.generate_mnemonic(12)
    password = "pw-" + secrets.token_hex(12)
    wrong = "wrong-" + secrets.token_hex(12)
    seed = "0x" + bytes(bip39_to_mini_secret(mnemonic, "", "en")).hex()
    owner = Keypair.create_from_mnemonic(mnemonic, ss58_format=42)
    words = mnemonic.split()
    # A swapped last word keeps the checksum one time in 16: pick one that breaks it.
    mistyped = next(
        typo
        for last in ("zoo", "abandon", "ability", "able", "about", "above")
        if not bip39_validate(typo := " ".join([*words[:-1], last]), "en")
    )
    alice = keypair_from_uri("//Alice")
    client_chain.transfer_balance(alice, owner.ss58_address, 1_000 * 10**12)
    other = keypair_from_uri(f"//Alice//secrets-{secrets.token_hex(4)}").ss58_address

    s = Session(tmp_path, password, (mnemonic, seed, mistyped))
    validation_csv, _ = client_validation
    spec, data, more, third, validation = (
        tmp_path / n for n in ("spec.json", "data.csv", "more.csv", "third.csv", "val.csv")
    )
    spec.write_text(json.dumps(spec_document()))
    data.write_bytes(csv_rows(150, seed=secrets.randbelow(10**9)))
    more.write_bytes(csv_rows(60, seed=secrets.randbelow(10**9)))
    third.write_bytes(csv_rows(30, seed=secrets.randbelow(10**9)))
    validation.write_bytes(validation_csv)  # type: ignore[arg-type]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(export_polkadot_json(owner, password, "exported")))
    export.chmod(0o600)
    backup = tmp_path / "backup.txt"
    state = tmp_path / "worker-state"
    out = tmp_path / "predictions.csv"

    # keys
    s.cmu("keys", "import", "mk", "--mnemonic", stdin=mnemonic + "\n")
    s.cmu("--debug", "keys", "import", "mk2", "--mnemonic", stdin=mnemonic + "\n")
    s.cmu("keys", "new", "fresh", "--mnemonic-file", str(backup))
    s.cmu("keys", "import", "jk", "--json-file", str(export))
    s.cmu("keys", "list")
    s.cmu("keys", "list", "--json")
    s.cmu("keys", "show", "mk")
    s.cmu("keys", "show", str(export), "--json")
    s.cmu("keys", "import", "typo", "--mnemonic", stdin=mistyped + "\n", code=7)
    s.cmu("keys", "import", "seeded", "--uri", seed, code=7)
    s.cmu("keys", "show", mnemonic, code=7)
    s.cmu("keys", "show", seed, code=7)
    s.cmu("--debug", "keys", "show", mnemonic, code=1)  # --debug re-raises: a traceback
    # a model, with the owner's key from the keystore
    created = s.cmu(
        "model",
        "create",
        "--spec",
        str(spec),
        "--data",
        str(data),
        "--validation",
        str(validation),
        "--key",
        "mk",
        "--json",
    )
    model = str(json.loads(created.out)["model"])
    s.cmu("--debug", "model", "show", model, "--spec")
    s.cmu("model", "list", "--json")
    s.cmu("model", "freeze", model, "--key", "mk", CMU_KEY_PASSWORD=wrong, code=7)
    s.cmu("model", "freeze", model, "--key", mnemonic, code=7)
    s.cmu("model", "freeze", model, "--key", seed, code=7)
    s.cmu("model", "freeze", model, "--key", str(export))
    s.cmu("--debug", "model", "thaw", model, "--key", "jk")
    s.cmu(
        "model", "policy", model, "--visibility", "public", "--contributions", "open", "--key", "mk"
    )
    s.cmu("role", "grant", model, other, "reader", "--key", "mk")
    s.cmu("role", "list", model)
    s.cmu("role", "revoke", model, other, "reader", "--key", "mk")
    # contributions, a worker round, versions
    s.cmu("contribute", "validate", str(more), "--model", model)
    s.cmu("contribute", "upload", model, str(more), "--json")
    s.cmu("--debug", "contribute", "register", model, str(more), "--key", "mk", "--json")
    s.cmu("contribute", "list", model)
    s.cmu("contribute", "show", model, "0")
    s.cmu(
        "worker",
        "run",
        "--key",
        "mk",
        "--model",
        model,
        "--until-idle",
        "--state-dir",
        str(state),
        "--poll",
        "0.2",
        "--log-level",
        "DEBUG",
    )
    s.cmu("version", "list", model)
    s.cmu("version", "show", model, "1", "--json")
    s.cmu("version", "set-head", model, "0", "--key", "mk")
    s.cmu("version", "set-head", model, "1", "--key", "mk")
    s.cmu("version", "deprecate", model, "0", "--key", "mk")
    s.cmu("predict", model, str(data), "--key", "mk", "--out", str(out))
    s.cmu("--debug", "verify", model, "1", "--json")
    s.cmu("monitor", "--once", "--model", model)
    s.cmu("info")
    s.cmu("balance", owner.ss58_address)
    s.cmu("contribute", "register", model, str(third), "--key", "mk")
    s.cmu("contribute", "withdraw", model, "1", "--key", "mk")
    s.cmu("model", "transfer", model, other, "--key", "mk")

    forms = _forms(mnemonic) + _forms(backup.read_text().strip()) + [password, wrong]
    leaks = []
    for run in s.runs:
        for where, text in (("stdout", run.out), ("stderr", run.err)):
            found = _leaks(text, forms)
            if found:
                shown = " ".join("<secret>" if a in (mnemonic, seed) else a for a in run.args)
                leaks.append(f"cmu {shown} {where}: {len(found)} secret form(s)")
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != backup]
    assert any(p.parent == state for p in written), "the worker wrote its state"
    assert out.exists()
    for path in written:
        if _leaks(path.read_text(errors="replace"), forms):
            leaks.append(f"file {path}")
    assert not leaks, "secrets found: " + "; ".join(leaks)
    # the checks above have teeth: the backup the user asked for holds its mnemonic
    assert _leaks(backup.read_text(), _forms(backup.read_text().strip()))
    assert len(s.runs) == 44, len(s.runs)


@pytest.mark.parametrize("where", ["a mnemonic", "a seed"])
def test_secret_given_as_a_key_name_is_not_echoed(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: 'invalid key name <the whole mnemonic>'."""
    monkeypatch.setenv("CMU_KEYSTORE", str(tmp_path / "keys"))
    mnemonic = Keypair.generate_mnemonic(12)
    secret = mnemonic if where == "a mnemonic" else "0x" + secrets.token_hex(32)
    result = run_cli("keys", "show", secret)
    assert result.code == 7
    assert "invalid key name (" in result.err
    assert not _leaks(result.out + result.err, [secret, *_forms(mnemonic)])
