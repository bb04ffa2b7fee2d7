"""Permissioned models on the live chain and Kubo: permission is cryptography.

One model goes through the whole story, attacks first: an account without a role holding
the CIDs and Kubo's API reads only ciphertext; a revoked Reader cannot open the next
version (but keeps what it had, as documented); a tampered envelope or ciphertext is
refused with one clear line; then a Trainer's worker trains on encrypted contributions and
publishes an encrypted version that a Reader predicts with and re-derives bit for bit.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fixtures_client import csv_rows, spec_document
from fixtures_worker import (
    OWNER_URI,
    TRAINER_URI,
    cmu,
    free_port,
    run_worker,
    signer,
    subprocess_env,
    worker_config,
)
from test_monitor import lineage_title

from cmu_client import access, crypto
from cmu_client.access import Keyring
from cmu_client.chain import CmuChain
from cmu_client.errors import CmuError, EncryptionError, NoAccessError
from cmu_client.ipfs import IpfsStore, sha256
from cmu_client.keys import dev_encryption_keypair
from cmu_client.spec import parse_spec
from cmu_client.types import AccessPolicy, RoleSet, Visibility
from offchain import demo_data
from offchain.publish import create_model_with_first_version
from offchain.worker import Worker

CONTRIBUTOR = "//Bob"
READER = "//Charlie"
STRANGER = "//Dave"  # no role at all
REVOKED = "//Eve"  # a Reader whose role is revoked before version 1
PERMISSIONED = AccessPolicy(visibility=Visibility.PERMISSIONED)


def address(uri: str) -> str:
    return signer(uri).ss58_address


def keyring(chain: CmuChain, uri: str) -> Keyring:
    return Keyring(chain, address(uri), dev_encryption_keypair(signer(uri)))


def one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """A refusal: non-zero exit, no traceback, the message names what is missing."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


async def raw_bytes(store: IpfsStore, cid: str) -> bytes:
    """What anyone with the CID and Kubo's API gets: the stored bytes, no keyring."""
    async with IpfsStore(store.settings) as plain:
        return await plain.get(cid, None, "raw")


@pytest.fixture(name="published_keys", scope="module")
def published_keys_fixture(dev_chain_url: str) -> None:
    """Every account of the story publishes its (dev-derived) encryption key, the owner
    through the CLI; the stranger publishes one too (having a key is not a role)."""
    result = cmu("keys", "encryption", "publish", "--key", OWNER_URI, "--json")
    assert result.returncode == 0, result.stderr
    assert (
        json.loads(result.stdout)["x25519"]
        == dev_encryption_keypair(signer(OWNER_URI)).public.hex()
    )
    chain = CmuChain.connect(dev_chain_url)
    try:
        for uri in (TRAINER_URI, CONTRIBUTOR, READER, STRANGER, REVOKED):
            public = dev_encryption_keypair(signer(uri)).public
            if chain.encryption_key(address(uri)) != public:
                chain.set_encryption_key(signer(uri), public)
    finally:
        chain.close()


async def create_permissioned_model(
    chain: CmuChain, store: IpfsStore
) -> tuple[int, demo_data.StorySlices]:
    owner = signer(OWNER_URI)
    slices = demo_data.story_slices()
    validation_csv = slices.validation.to_csv()
    predicted = await asyncio.to_thread(chain.next_model_id)
    store.keyring = keyring(chain, OWNER_URI)
    assert store.keyring.keypair is not None
    sealed_validation = await access.put_sealed_to(
        store,
        predicted,
        validation_csv,
        kind="validation",
        recipients={owner.ss58_address: store.keyring.keypair.public},
    )
    doc = demo_data.spec_document(slices.validation.feature_names)
    doc["validation"] = {"cid": sealed_validation.cid, "sha256": sealed_validation.sha256.hex()}
    model_id, _ = await create_model_with_first_version(
        chain, store, owner, parse_spec(doc), slices.initial.to_csv(), validation_csv, PERMISSIONED
    )
    return model_id, slices


async def test_permission_is_cryptographic(
    live_chain: CmuChain,
    live_store: IpfsStore,
    published_keys: None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain, store = live_chain, live_store
    model, slices = await create_permissioned_model(chain, store)
    owner = signer(OWNER_URI)
    v0 = await asyncio.to_thread(chain.version, model, 0)
    v0_envelope = await asyncio.to_thread(chain.version_envelope, model, 0)
    assert v0_envelope is not None

    # -- an account without a role, holding every CID and Kubo's API ------------------
    artifact = await raw_bytes(store, v0.artifact_cid)
    assert crypto.is_container(artifact)
    assert b"tree\nversion=" not in artifact and b"feature_names=" not in artifact
    spec = await asyncio.to_thread(chain.model, model)
    validation_cid = json.loads(await raw_bytes(store, spec.spec_cid))["validation"]["cid"]
    validation = await raw_bytes(store, validation_cid)
    header = slices.validation.to_csv().split(b"\n", 1)[0]
    assert crypto.is_container(validation) and header not in validation
    card = await raw_bytes(store, v0.card_cid or "")
    assert crypto.is_container(card) and b"metrics" not in card
    async with IpfsStore(store.settings) as plain:
        # A reader without a keyring is told the object is encrypted, not "altered".
        with pytest.raises(NoAccessError, match="is encrypted"):
            await plain.get(v0.artifact_cid, v0.artifact_hash, "artifact")
    stranger = keyring(chain, STRANGER)
    async with IpfsStore(store.settings) as theirs:
        theirs.keyring = stranger
        with pytest.raises(NoAccessError, match="holds no role"):
            await theirs.get(v0.artifact_cid, v0.artifact_hash, "artifact")
    predict_csv = tmp_path / "rows.csv"
    predict_csv.write_bytes(slices.validation.to_csv())
    one_clear_line(
        await asyncio.to_thread(cmu, "predict", str(model), str(predict_csv), "--key", STRANGER),
        "holds no role",
        "cmu role grant",
    )

    # -- roles: a Reader granted after v0 is not in v0's envelope until a rekey --------
    for uri, roles in (
        (TRAINER_URI, RoleSet.TRAINER),
        (READER, RoleSet.READER),
        (REVOKED, RoleSet.READER),
    ):
        await asyncio.to_thread(chain.grant_role, owner, model, address(uri), roles)
    async with IpfsStore(store.settings) as theirs:
        theirs.keyring = keyring(chain, READER)
        with pytest.raises(NoAccessError, match="not in its key envelope") as refused:
            await theirs.get(v0.artifact_cid, v0.artifact_hash, "artifact")
        assert f"cmu model rekey {model}" in (refused.value.hint or "")
    rekeyed = await asyncio.to_thread(
        cmu, "model", "rekey", str(model), "--key", OWNER_URI, "--json"
    )
    assert rekeyed.returncode == 0, rekeyed.stderr
    assert await asyncio.to_thread(chain.version_envelope, model, 0) != v0_envelope
    revoked = keyring(chain, REVOKED)
    async with IpfsStore(store.settings) as theirs:
        theirs.keyring = revoked
        assert b"tree" in await theirs.get(v0.artifact_cid, v0.artifact_hash, "artifact")

    # -- revocation: the revoked Reader is left out of every later version ------------
    revoke = await asyncio.to_thread(
        cmu, "role", "revoke", str(model), address(REVOKED), "reader", "--key", OWNER_URI
    )
    assert revoke.returncode == 0, revoke.stderr
    assert "remain readable" in revoke.stderr

    # -- a contribution sealed to the trainers and the owner --------------------------
    csv = slices.contributions[0].to_csv()
    async with IpfsStore(store.settings) as bobs:
        sealed = await access.put_sealed(
            chain, bobs, model, csv, kind="data", roles=RoleSet.TRAINER
        )
    raw = await raw_bytes(store, sealed.cid)
    assert crypto.is_container(raw) and csv.split(b"\n", 1)[0] not in raw
    assert set(crypto.read_header(raw)[0].recipients) == {
        dev_encryption_keypair(signer(uri)).public.hex() for uri in (OWNER_URI, TRAINER_URI)
    }
    await asyncio.to_thread(
        chain.submit_contribution,
        signer(CONTRIBUTOR),
        model,
        sealed.cid,
        sealed.sha256,
        csv.count(b"\n") - 1,
    )

    # A Reader that never published an encryption key.
    no_key = f"//Alice//no-encryption-key-{secrets.token_hex(4)}"
    await asyncio.to_thread(chain.grant_role, owner, model, address(no_key), RoleSet.READER)

    # -- the Trainer's worker trains on it and publishes an encrypted version ---------
    async with IpfsStore(store.settings) as ferdies:
        ferdies.keyring = keyring(chain, TRAINER_URI)
        with caplog.at_level(logging.WARNING, logger="cmu_client.access"):
            worker = await run_worker(chain, ferdies, tmp_path / "worker", model)
    assert not worker.halted
    # The trainer logs the holder it could not seal the version to.
    assert any(
        address(no_key) in r.getMessage() and "no published encryption key" in r.getMessage()
        for r in caplog.records
    )
    info = await asyncio.to_thread(chain.model, model)
    assert info.head == 1
    v1 = await asyncio.to_thread(chain.version, model, 1)
    assert tuple(v1.contributions) == (0,)
    assert crypto.is_container(await raw_bytes(store, v1.artifact_cid))
    envelope = crypto.Envelope.from_bytes(
        await raw_bytes(store, await asyncio.to_thread(chain.version_envelope, model, 1) or "")
    )
    assert address(REVOKED) not in envelope.recipients
    assert address(STRANGER) not in envelope.recipients
    assert {address(READER), address(TRAINER_URI), owner.ss58_address} <= set(envelope.recipients)
    async with IpfsStore(store.settings) as theirs:
        theirs.keyring = revoked
        with pytest.raises(NoAccessError):
            await theirs.get(v1.artifact_cid, v1.artifact_hash, "artifact")

    # -- a Reader predicts with the head and re-derives it bit for bit ----------------
    predicted = await asyncio.to_thread(
        cmu, "predict", str(model), str(predict_csv), "--key", READER, "--json"
    )
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)["version"] == 1
    one_clear_line(
        await asyncio.to_thread(cmu, "predict", str(model), str(predict_csv), "--key", no_key),
        "has no published encryption key",
        "cmu keys encryption publish",
        f"cmu model rekey {model}",
    )
    verified = await asyncio.to_thread(cmu, "verify", str(model), "1", "--key", READER, "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["matches"] is True
    one_clear_line(
        await asyncio.to_thread(cmu, "verify", str(model), "1", "--key", REVOKED, "--json"),
        "holds no role",
    )
    one_clear_line(
        await asyncio.to_thread(cmu, "verify", str(model), "1", "--json"),
        "is encrypted",
        "--key",
    )

    # -- tampering: a flipped ciphertext byte, then a forged envelope -----------------
    artifact = bytearray(await raw_bytes(store, v1.artifact_cid))
    artifact[-3] ^= 0x40
    tampered = await store.put(bytes(artifact))
    async with IpfsStore(store.settings) as theirs:
        theirs.keyring = keyring(chain, READER)
        with pytest.raises(EncryptionError, match="fails authentication"):
            await theirs.get(tampered.cid, v1.artifact_hash, "artifact", kind="artifact")
    forged = json.loads(envelope.to_bytes())
    payload = bytearray(crypto.Envelope.from_bytes(envelope.to_bytes()).payload)
    payload[-1] ^= 0x01
    forged["payload"] = base64.b64encode(bytes(payload)).decode()
    stored = await store.put(json.dumps(forged).encode())
    await asyncio.to_thread(chain.set_version_envelope, owner, model, stored.cid)
    one_clear_line(
        await asyncio.to_thread(cmu, "predict", str(model), str(predict_csv), "--key", READER),
        "fails authentication",
    )


def test_cmu_model_create_permissioned_with_a_stored_encryption_key(
    live_chain: CmuChain, published_keys: None, tmp_path: Path
) -> None:
    """The command-line path: a keystore account creates a permissioned model; its
    encryption key is created beside the account key, and version 0 and the data sets
    are ciphertext in Kubo."""
    chain = live_chain
    keystore = tmp_path / "keys"
    env = {"CMU_KEYSTORE": str(keystore), "CMU_KEY_PASSWORD": "pw-permissioned"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cmu_client.cli", *args],
            env=subprocess_env(**env),
            capture_output=True,
            text=True,
            timeout=300,
        )

    uri = f"//Alice//permissioned-{secrets.token_hex(4)}"
    chain.transfer_balance(signer(OWNER_URI), address(uri), 1_000 * 10**12)
    imported = run("keys", "import", "owner", "--uri", uri)
    assert imported.returncode == 0, imported.stderr
    slices = demo_data.story_slices()
    files = {name: tmp_path / f"{name}.csv" for name in ("data", "validation")}
    files["data"].write_bytes(slices.initial.to_csv())
    files["validation"].write_bytes(slices.validation.to_csv())
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(demo_data.spec_document(slices.validation.feature_names)))
    create = (
        "model", "create", "--spec", str(spec), "--data", str(files["data"]),
        "--validation", str(files["validation"]), "--visibility", "permissioned",
        "--key", "owner", "--json",
    )  # fmt: skip

    # Attack first: without a published encryption key nothing is created in the clear.
    before = chain.next_model_id()
    refused = run(*create)
    one_clear_line(refused, "no published encryption key", "cmu keys encryption publish")
    assert chain.next_model_id() == before

    published = run("keys", "encryption", "publish", "--key", "owner", "--json")
    assert published.returncode == 0, published.stderr
    stored = keystore / "owner.x25519.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert bytes.fromhex(json.loads(published.stdout)["x25519"]) == chain.encryption_key(
        address(uri)
    )
    listed = run("keys", "list", "--json")
    assert [k["name"] for k in json.loads(listed.stdout)] == ["owner"], listed.stdout

    created = run(*create)
    assert created.returncode == 0, created.stderr
    summary = json.loads(created.stdout)
    model = summary["model"]
    assert summary["version"] == 0
    assert chain.version_envelope(model, 0) is not None

    async def raw_of(*cids: str) -> list[bytes]:
        async with IpfsStore() as plain:
            return [await plain.get(cid, None, "raw") for cid in cids]

    version = chain.version(model, 0)
    artifact, validation, data = asyncio.run(
        raw_of(version.artifact_cid, summary["validation_cid"], summary["data_cid"])
    )
    for raw in (artifact, validation, data):
        assert crypto.is_container(raw)
    assert b"tree\nversion=" not in artifact
    assert slices.validation.to_csv().split(b"\n", 1)[0] not in validation + data

    # A contributor's data: sealed to the owner (and Trainers: none yet) and to itself.
    more = tmp_path / "more.csv"
    more.write_bytes(slices.contributions[0].to_csv())
    registered = run(
        "contribute", "register", str(model), str(more), "--key", CONTRIBUTOR, "--json"
    )
    assert registered.returncode == 0, registered.stderr
    (sealed,) = asyncio.run(raw_of(json.loads(registered.stdout)["cid"]))
    assert crypto.is_container(sealed)
    assert slices.contributions[0].to_csv().split(b"\n", 1)[0] not in sealed
    assert set(crypto.read_header(sealed)[0].recipients) == {
        chain.encryption_key(address(uri)).hex(),  # type: ignore[union-attr]
        dev_encryption_keypair(signer(CONTRIBUTOR)).public.hex(),
    }

    # A public rotation of the validation set stays encrypted on a permissioned model.
    rotated_csv = tmp_path / "rotated.csv"
    rotated_csv.write_bytes(slices.contributions[1].to_csv())
    rotated = run(
        "validation", "rotate", str(model), "--file", str(rotated_csv), "--public",
        "--key", "owner", "--json",
    )  # fmt: skip
    assert rotated.returncode == 0, rotated.stderr
    (new_validation,) = asyncio.run(raw_of(json.loads(rotated.stdout)["validation_cid"]))
    assert crypto.is_container(new_validation)
    assert slices.contributions[1].to_csv().split(b"\n", 1)[0] not in new_validation

    predicted = run("predict", str(model), str(files["validation"]), "--key", "owner", "--json")
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)["version"] == 0
    one_clear_line(
        run("predict", str(model), str(files["validation"]), "--key", STRANGER),
        "holds no role",
    )


async def test_a_worker_never_slashes_data_it_cannot_open(
    live_chain: CmuChain, live_store: IpfsStore, published_keys: None, tmp_path: Path
) -> None:
    """Data not sealed to this trainer is left pending (another trainer may read it);
    ciphertext that fails authentication is the contributor's own bytes and is rejected."""
    chain, store = live_chain, live_store
    model, slices = await create_permissioned_model(chain, store)
    owner = signer(OWNER_URI)
    await asyncio.to_thread(chain.grant_role, owner, model, address(TRAINER_URI), RoleSet.TRAINER)
    await asyncio.to_thread(cmu, "model", "rekey", str(model), "--key", OWNER_URI)

    async def register(raw: bytes, plain: bytes) -> int:
        stored = await store.put(raw)
        contribution, _ = await asyncio.to_thread(
            chain.submit_contribution,
            signer(CONTRIBUTOR),
            model,
            stored.cid,
            sha256(plain),
            plain.count(b"\n") - 1,
        )
        return contribution

    closed_csv = slices.contributions[0].to_csv()
    closed, _ = crypto.encrypt_for(
        closed_csv,
        {"owner": dev_encryption_keypair(owner).public},
        kind="data",
        model=model,
    )
    broken_csv = slices.contributions[1].to_csv()
    broken, _ = crypto.encrypt_for(
        broken_csv,
        {
            "owner": dev_encryption_keypair(owner).public,
            "trainer": dev_encryption_keypair(signer(TRAINER_URI)).public,
        },
        kind="data",
        model=model,
    )
    flipped = bytearray(broken)
    flipped[-10] ^= 0x08
    not_for_me = await register(closed, closed_csv)
    tampered = await register(bytes(flipped), broken_csv)

    async with IpfsStore(store.settings) as ferdies:
        ferdies.keyring = keyring(chain, TRAINER_URI)
        # Data left pending keeps an --until-idle worker busy: run until the tampered
        # contribution is settled, then a little longer, and stop it.
        worker = Worker(
            chain,
            ferdies,
            signer(TRAINER_URI),
            worker_config(tmp_path / "worker", model, until_idle=False),
        )
        task = asyncio.create_task(worker.run())
        try:
            for _ in range(300):
                settled = await asyncio.to_thread(chain.contribution, model, tampered)
                if settled.status.state.value != "Pending":
                    break
                await asyncio.sleep(1)
            await asyncio.sleep(3)
        finally:
            worker.stop()
            await asyncio.wait_for(task, timeout=60)
    assert any(d.contribution == not_for_me for r in worker.results for d in r.deferred)
    pending = await asyncio.to_thread(chain.contribution, model, not_for_me)
    assert pending.status.state.value == "Pending", pending.status
    rejected = await asyncio.to_thread(chain.contribution, model, tampered)
    assert rejected.status.state.value == "Rejected", rejected.status
    assert rejected.status.reason is not None and rejected.status.reason.value == "InvalidSchema"


async def test_cmu_serve_serves_an_encrypted_head_to_a_holder_only(
    live_chain: CmuChain, live_store: IpfsStore, published_keys: None, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model, slices = await create_permissioned_model(chain, store)
    port = free_port()

    def serve(*extra: str) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "cmu_client.cli", "serve", str(model), "--port", str(port)]
        return subprocess.Popen(
            [*argv, *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=subprocess_env(),
        )

    # Attack first: a stranger's key does not get the model served.
    refused = serve("--key", STRANGER)
    _, err = await asyncio.to_thread(refused.communicate, timeout=120)
    assert refused.returncode != 0 and b"holds no role" in err and b"Traceback" not in err

    server = serve("--key", OWNER_URI)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            assert server.poll() is None, (server.stderr.read() if server.stderr else b"").decode()
            try:
                if (
                    await asyncio.to_thread(httpx.get, url + "/healthz", timeout=2)
                ).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
        frame = slices.validation
        rows = [
            dict(zip(frame.feature_names, map(float, row), strict=True))
            for row in frame.features[:3]
        ]
        answer = await asyncio.to_thread(httpx.post, url + "/predict", json=rows, timeout=30)
        assert answer.status_code == 200, answer.text
    finally:
        server.terminate()
        await asyncio.to_thread(server.wait, 30)


async def _kubo_has(store: IpfsStore, cid: str) -> bool:
    async with IpfsStore(store.settings) as plain:
        try:
            await asyncio.wait_for(plain.size(cid), timeout=20)
        except (CmuError, TimeoutError):
            return False
        return True


async def test_a_private_validation_set_of_a_permissioned_model_stays_out_of_ipfs(
    live_chain: CmuChain, live_store: IpfsStore, published_keys: None, tmp_path: Path
) -> None:
    """A reveal publishes the set in the clear at its committed CID. On a permissioned model
    that would hand the model's data to everyone, so it is refused unless the owner says
    --in-the-clear; a holder given the file verifies with cmu verify --validation-dir."""
    chain = live_chain
    seed = secrets.randbelow(10**9)  # fresh rows: the committed set must be new to Kubo
    files = {name: tmp_path / f"{name}.csv" for name in ("data", "validation", "next")}
    for offset, (name, rows) in enumerate((("data", 300), ("validation", 150), ("next", 150))):
        files[name].write_bytes(csv_rows(rows, seed=seed + offset))
    held = tmp_path / "held"
    held.mkdir()
    (held / "given-by-the-owner.csv").write_bytes(files["validation"].read_bytes())
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_document()))
    created = cmu(
        "model", "create", "--spec", str(spec), "--data", str(files["data"]),
        "--validation", str(files["validation"]), "--private-validation",
        "--visibility", "permissioned", "--key", OWNER_URI, "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    model, committed = (
        json.loads(created.stdout)["model"],
        json.loads(created.stdout)["validation_cid"],
    )
    assert not await _kubo_has(live_store, committed)
    spec_cid = chain.model(model).spec_cid

    shown = cmu("monitor", "--once", "--model", str(model))
    assert shown.returncode == 0, shown.stderr
    assert "permissioned (encrypted)" in lineage_title(shown.stdout, model)

    # Attacks on the data first: neither way of revealing publishes it without consent.
    rotate_and_reveal = cmu(
        "validation", "rotate", str(model), "--file", str(files["next"]),
        "--reveal", str(files["validation"]), "--key", OWNER_URI,
    )  # fmt: skip
    one_clear_line(rotate_and_reveal, "is permissioned", "--in-the-clear", "--validation-dir")
    assert chain.model(model).spec_cid == spec_cid  # the refusal changed nothing
    rotated = cmu(
        "validation", "rotate", str(model), "--file", str(files["next"]), "--key", OWNER_URI
    )
    assert rotated.returncode == 0, rotated.stderr
    reveal = cmu("validation", "reveal", str(model), str(files["validation"]))
    one_clear_line(reveal, "is permissioned", "--in-the-clear")
    assert not await _kubo_has(live_store, committed)

    # Without the file, verify says what is missing and how to supply it.
    unverified = cmu("verify", str(model), "0", "--key", OWNER_URI, "--json")
    assert unverified.returncode == 1, unverified.stderr
    failed = {
        c["name"]: c["detail"] for c in json.loads(unverified.stdout)["checks"] if not c["ok"]
    }
    assert "not revealed" in failed["validation"] and "--validation-dir" in failed["validation"]
    missing_dir = cmu(
        "verify", str(model), "0", "--key", OWNER_URI, "--validation-dir", str(tmp_path / "nope")
    )
    one_clear_line(missing_dir, "is not a directory")
    # A holder given the file re-derives version 0 bit for bit.
    verified = cmu(
        "verify", str(model), "0", "--key", OWNER_URI, "--validation-dir", str(held), "--json"
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["matches"] is True

    # The owner may still choose to publish it, explicitly.
    public = cmu(
        "validation", "reveal", str(model), str(files["validation"]), "--in-the-clear", "--json"
    )
    assert public.returncode == 0, public.stderr
    assert json.loads(public.stdout)["cid"] == committed
    assert await _kubo_has(live_store, committed)
