"""The container format, key envelopes and the stored encryption keys (no chain, no IPFS).

Attacks first: tampered ciphertext or header, a ciphertext moved to another slot, an
envelope opened by a non-holder or edited, a stolen key file without the password.
"""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from cmu_client import crypto
from cmu_client.crypto import EnvelopePayload, X25519Keypair
from cmu_client.errors import (
    CmuError,
    EncryptionError,
    KeystoreError,
    NoAccessError,
    WrongPasswordError,
)
from cmu_client.keys import ENCRYPTION_SUFFIX, Keystore, dev_encryption_keypair, keypair_from_uri

PLAINTEXT = b"feature_a,feature_b,label\n1,2,0\n"


def _container(key: bytes) -> bytes:
    return crypto.encrypt(PLAINTEXT, key, kind="data", model=3, version=1)


def test_a_flipped_ciphertext_byte_is_refused() -> None:
    key = crypto.new_content_key()
    data = bytearray(_container(key))
    data[-5] ^= 0x01
    with pytest.raises(EncryptionError, match="fails authentication"):
        crypto.decrypt(bytes(data), key)


def test_an_edited_header_is_refused_even_with_the_right_key() -> None:
    key = crypto.new_content_key()
    data = _container(key)
    # Rebind the object to model 4 by rewriting the header: the AEAD's associated data
    # no longer matches.
    forged = data.replace(b'"model":3', b'"model":4')
    assert forged != data
    with pytest.raises(EncryptionError, match="fails authentication"):
        crypto.decrypt(forged, key)


def test_a_ciphertext_moved_to_another_slot_is_refused() -> None:
    key = crypto.new_content_key()
    data = crypto.encrypt(PLAINTEXT, key, kind="recipe", model=3, version=1)
    with pytest.raises(EncryptionError, match="not 'artifact'"):
        crypto.decrypt(data, key, kind="artifact")
    with pytest.raises(EncryptionError, match="not 2"):
        crypto.decrypt(data, key, version=2)
    with pytest.raises(EncryptionError, match="model 3, not 9"):
        crypto.decrypt(data, key, model=9)


def test_another_key_and_garbage_are_refused_with_a_clear_error() -> None:
    data = _container(crypto.new_content_key())
    with pytest.raises(EncryptionError, match="another key"):
        crypto.decrypt(data, crypto.new_content_key())
    for junk in (b"", b"CMUENC\x00\x01", crypto.MAGIC + b"\xff\xff\xff\x7f", b"a,b\n1,2\n"):
        with pytest.raises(EncryptionError):
            crypto.read_header(junk)
    assert issubclass(EncryptionError, CmuError) and issubclass(NoAccessError, CmuError)


def test_ciphertext_shows_no_plaintext_and_round_trips() -> None:
    key = crypto.new_content_key()
    data = _container(key)
    assert b"feature_a" not in data and b"label" not in data
    assert crypto.is_container(data) and not crypto.is_container(PLAINTEXT)
    assert crypto.decrypt(data, key, kind="data", model=3, version=1) == PLAINTEXT
    # A fresh nonce each time: the same plaintext never gives the same bytes.
    assert _container(key) != data


def test_self_contained_objects_open_only_for_their_recipients() -> None:
    trainer, owner, outsider = (X25519Keypair.generate() for _ in range(3))
    data, key = crypto.encrypt_for(
        PLAINTEXT, {"trainer": trainer.public, "owner": owner.public}, kind="data", model=3
    )
    assert crypto.open_for(data, outsider) is None
    for holder in (trainer, owner):
        opened = crypto.open_for(data, holder)
        assert opened is not None and opened[1] == key
        assert crypto.decrypt(data, opened[1]) == PLAINTEXT
    # Dropping a recipient from the header breaks authentication for everyone.
    header, _ = crypto.read_header(data)
    sealed = json.dumps(header.recipients, sort_keys=True, separators=(",", ":")).encode()
    assert sealed in data
    with pytest.raises(EncryptionError):
        crypto.decrypt(data.replace(owner.public.hex().encode(), b"0" * 64), key)


def _envelope(
    holders: dict[str, X25519Keypair], key: bytes, payload: EnvelopePayload
) -> crypto.Envelope:
    return crypto.make_envelope(3, 1, key, {a: k.public for a, k in holders.items()}, payload)


def test_envelopes_refuse_non_holders_forgeries_and_swaps() -> None:
    reader, outsider = X25519Keypair.generate(), X25519Keypair.generate()
    key = crypto.new_content_key()
    data_key = crypto.new_content_key()
    payload = EnvelopePayload({"ab" * 32: "bafyartifact"}, {crypto.key_id(data_key): data_key})
    envelope = crypto.Envelope.from_bytes(_envelope({"5Reader": reader}, key, payload).to_bytes())

    with pytest.raises(NoAccessError, match="not in its key envelope"):
        crypto.open_envelope(envelope, "5Outsider", outsider, 3, 1)
    with pytest.raises(NoAccessError, match="another encryption key"):
        crypto.open_envelope(envelope, "5Reader", outsider, 3, 1)
    with pytest.raises(EncryptionError, match="was made for model 3 v1"):
        crypto.open_envelope(envelope, "5Reader", reader, 3, 2)
    # An attacker seals their own key to the reader, but cannot forge the payload's tag.
    forged_entry = {
        "x25519": reader.public.hex(),
        "sealed": crypto.seal_key(b"k" * 32, reader.public),
    }
    forged = crypto.Envelope(
        3, 1, crypto.key_id(b"k" * 32), {"5Reader": forged_entry}, envelope.payload
    )
    with pytest.raises(EncryptionError):
        crypto.open_envelope(forged, "5Reader", reader, 3, 1)
    damaged = dict(envelope.recipients)
    damaged["5Reader"] = {**damaged["5Reader"], "sealed": base64.b64encode(b"x" * 80).decode()}
    with pytest.raises(EncryptionError, match="does not open"):
        crypto.open_envelope(
            crypto.Envelope(3, 1, envelope.key, damaged, envelope.payload), "5Reader", reader, 3, 1
        )
    with pytest.raises(EncryptionError, match="malformed"):
        crypto.Envelope.from_bytes(b'{"format": "cmu-envelope/1"}')

    opened_key, opened = crypto.open_envelope(envelope, "5Reader", reader, 3, 1)
    assert opened_key == key and opened == payload


def test_the_encryption_key_is_stored_beside_the_account_key_owner_only_and_encrypted(
    tmp_path: Path,
) -> None:
    store = Keystore(tmp_path / "keys")
    store.import_keypair("alice", keypair_from_uri("//Alice"), "pw-alice")
    # Attack first: the wrong password neither creates nor opens it.
    with pytest.raises(WrongPasswordError):
        store.create_encryption_key("alice", "wrong")
    keypair = store.create_encryption_key("alice", "pw-alice")
    path = store.encryption_path("alice")
    assert path.name == "alice" + ENCRYPTION_SUFFIX
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keypair.secret.hex() not in path.read_text()
    with pytest.raises(WrongPasswordError):
        store.load_encryption_key("alice", "wrong")
    assert store.load_encryption_key("alice", "pw-alice") == keypair
    path.chmod(0o644)
    with pytest.raises(KeystoreError, match="readable by others"):
        store.load_encryption_key("alice", "pw-alice")
    path.chmod(0o600)
    with pytest.raises(KeystoreError, match="already has"):
        store.create_encryption_key("alice", "pw-alice")
    rotated = store.create_encryption_key("alice", "pw-alice", replace=True)
    assert rotated.public != keypair.public
    assert [info.name for info in store.list()] == ["alice"]
    store.delete("alice")
    assert not path.exists()


def test_dev_accounts_derive_distinct_stable_keys() -> None:
    alice = dev_encryption_keypair(keypair_from_uri("//Alice"))
    assert alice == dev_encryption_keypair(keypair_from_uri("//Alice"))
    assert alice.public != dev_encryption_keypair(keypair_from_uri("//Bob")).public
