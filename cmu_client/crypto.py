"""Encryption for permissioned models: the container format, key envelopes, x25519 keys.

Pure functions over bytes (no chain, no IPFS); :mod:`cmu_client.access` puts them to work.

**Container** (every encrypted object in IPFS: artifact, recipe, card, validation set,
contributed data, an envelope's payload)::

    magic    8 bytes   b"CMUENC\\x00\\x01" (format version 1)
    hlen     4 bytes   little-endian length of the header
    header   hlen      canonical JSON: {"kind", "model", "version", "key"[, "recipients"]}
    nonce    24 bytes  random
    sealed   rest      XChaCha20-Poly1305 (IETF) of the plaintext, tag included

The associated data is ``magic | hlen | header``: the kind (``artifact``, ``recipe``,
``card``, ``validation``, ``data``, ``payload``), the model id and the version id are
authenticated with the ciphertext, so a ciphertext cannot be moved to another slot or
model, and a changed recipient list fails decryption. ``key`` is the content key's id
(:func:`key_id`), telling a reader which key opens it. ``recipients`` (contributions and
validation sets: self-contained) maps x25519 public keys (hex) to the content key sealed
to them (``crypto_box_seal``, base64).

**Envelope** (one per encrypted version, its CID on chain in ``VersionEnvelopes``): the
canonical JSON :class:`Envelope` with the version's content key sealed to each holder's
x25519 key (by SS58 address) and a ``payload`` container, encrypted with the content key,
holding the version's object locations (plaintext sha256 -> CID) and the data keys of
everything the version's round judged, so that every reader of the version can re-run it.

The content key is fresh and random per version (:func:`new_content_key`). Hashes on
chain stay hashes of the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import nacl.bindings
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from cmu_client.documents import canonical_json
from cmu_client.errors import EncryptionError, NoAccessError

MAGIC = b"CMUENC\x00\x01"
ENVELOPE_FORMAT = "cmu-envelope/1"
KEY_BYTES = 32
NONCE_BYTES = 24
#: Largest header accepted from a container (recipients included): bounds what a hostile
#: object can make a reader parse.
MAX_HEADER_BYTES = 1 << 20
KINDS = frozenset({"artifact", "recipe", "card", "validation", "data", "payload"})


@dataclass(frozen=True)
class X25519Keypair:
    """An account's x25519 keypair for CMU (the secret never leaves the process)."""

    secret: bytes = field(repr=False)
    public: bytes

    @staticmethod
    def generate() -> X25519Keypair:
        key = PrivateKey.generate()
        return X25519Keypair(bytes(key), bytes(key.public_key))

    @staticmethod
    def from_secret(secret: bytes) -> X25519Keypair:
        if len(secret) != KEY_BYTES:
            raise EncryptionError("an x25519 secret key is 32 bytes")
        key = PrivateKey(secret)
        return X25519Keypair(bytes(key), bytes(key.public_key))


def new_content_key() -> bytes:
    """A fresh random 256-bit content key."""
    return os.urandom(KEY_BYTES)


def key_id(key: bytes) -> str:
    """The public id of a content key (hex): which key opens a container."""
    return hashlib.blake2b(key, digest_size=16, person=b"cmu-content-key").hexdigest()


def seal_key(key: bytes, recipient_public: bytes) -> str:
    """``key`` sealed to an x25519 public key (anonymous sender), base64."""
    return base64.b64encode(SealedBox(PublicKey(recipient_public)).encrypt(key)).decode("ascii")


def unseal_key(sealed: str, keypair: X25519Keypair) -> bytes:
    try:
        key = SealedBox(PrivateKey(keypair.secret)).decrypt(base64.b64decode(sealed, validate=True))
    except (CryptoError, binascii.Error, ValueError):
        raise EncryptionError(
            "a sealed content key does not open with this account's encryption key",
            "the envelope or object was tampered with, or was sealed to another key",
        ) from None
    if len(key) != KEY_BYTES:
        raise EncryptionError("a sealed content key has the wrong length")
    return key


@dataclass(frozen=True)
class Header:
    """What a container says about itself (authenticated, not secret)."""

    kind: str
    model: int
    version: int | None
    key: str
    recipients: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "kind": self.kind,
            "model": self.model,
            "version": self.version,
            "key": self.key,
        }
        if self.recipients:
            doc["recipients"] = dict(self.recipients)
        return doc


def is_container(data: bytes) -> bool:
    """Whether ``data`` starts like a CMU encrypted container."""
    return data[: len(MAGIC)] == MAGIC


def encrypt(
    plaintext: bytes,
    key: bytes,
    *,
    kind: str,
    model: int,
    version: int | None,
    recipients: dict[str, str] | None = None,
) -> bytes:
    """``plaintext`` as a container under ``key``, bound to (kind, model, version)."""
    if kind not in KINDS:
        raise EncryptionError(f"unknown object kind {kind!r}")
    header = Header(kind, model, version, key_id(key), dict(recipients or {}))
    head = canonical_json(header.to_json())
    aad = MAGIC + len(head).to_bytes(4, "little") + head
    nonce = os.urandom(NONCE_BYTES)
    sealed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)
    return aad + nonce + sealed


def encrypt_for(
    plaintext: bytes,
    recipients: dict[str, bytes],
    *,
    kind: str,
    model: int,
    version: int | None = None,
) -> tuple[bytes, bytes]:
    """A self-contained container: a fresh key sealed to every x25519 public key in
    ``recipients`` (values; the keys only name them for logs). Returns (container, key)."""
    if not recipients:
        raise EncryptionError("no recipient to encrypt to")
    key = new_content_key()
    sealed = {public.hex(): seal_key(key, public) for public in recipients.values()}
    return encrypt(plaintext, key, kind=kind, model=model, version=version, recipients=sealed), key


def read_header(data: bytes) -> tuple[Header, int]:
    """The container's header and where its nonce starts; EncryptionError when malformed."""
    if not is_container(data):
        raise EncryptionError("not a CMU encrypted object")
    if len(data) < len(MAGIC) + 4:
        raise EncryptionError("the encrypted object is truncated")
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little")
    start = len(MAGIC) + 4
    if size > MAX_HEADER_BYTES or len(data) < start + size + NONCE_BYTES + 16:
        raise EncryptionError("the encrypted object is truncated or its header is too large")
    try:
        doc = json.loads(data[start : start + size])
        recipients = doc.get("recipients", {})
        header = Header(
            kind=str(doc["kind"]),
            model=int(doc["model"]),
            version=None if doc["version"] is None else int(doc["version"]),
            key=str(doc["key"]),
            recipients={str(k): str(v) for k, v in recipients.items()},
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise EncryptionError("the encrypted object's header is malformed") from None
    return header, start + size


def decrypt(
    data: bytes,
    key: bytes,
    *,
    kind: str | None = None,
    model: int | None = None,
    version: int | None = None,
    what: str = "encrypted object",
) -> bytes:
    """The plaintext of a container; refuses one made for another kind/model/version
    (when given) or that fails authentication."""
    header, at = read_header(data)
    if kind is not None and header.kind != kind:
        raise EncryptionError(f"{what} is a {header.kind!r} object, not {kind!r}")
    if model is not None and header.model != model:
        raise EncryptionError(f"{what} was encrypted for model {header.model}, not {model}")
    if version is not None and header.version != version:
        raise EncryptionError(f"{what} was encrypted for version {header.version}, not {version}")
    if header.key != key_id(key):
        raise EncryptionError(f"{what} is encrypted under another key")
    nonce = data[at : at + NONCE_BYTES]
    try:
        return bytes(
            nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                data[at + NONCE_BYTES :], data[:at], nonce, key
            )
        )
    except CryptoError:
        raise EncryptionError(
            f"{what} fails authentication: it was tampered with or damaged",
            "do not use it; fetch it again or ask the model's trainer",
        ) from None


def open_for(data: bytes, keypair: X25519Keypair) -> tuple[Header, bytes] | None:
    """The content key of a self-contained container, if it was sealed to ``keypair``."""
    header, _ = read_header(data)
    sealed = header.recipients.get(keypair.public.hex())
    if sealed is None:
        return None
    return header, unseal_key(sealed, keypair)


# --- envelopes ------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvelopePayload:
    """The secret part of an envelope: where the version's encrypted objects are (by
    plaintext sha256) and the data keys (by key id) of everything its round judged."""

    objects: dict[str, str] = field(default_factory=dict)
    data_keys: dict[str, bytes] = field(default_factory=dict, repr=False)

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "objects": dict(self.objects),
                "data_keys": {
                    k: base64.b64encode(v).decode("ascii") for k, v in self.data_keys.items()
                },
            }
        )

    @staticmethod
    def from_bytes(raw: bytes) -> EnvelopePayload:
        try:
            doc = json.loads(raw)
            objects = {str(k): str(v) for k, v in doc["objects"].items()}
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in doc["data_keys"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise EncryptionError("the envelope's payload is malformed") from None
        if any(len(k) != KEY_BYTES or key_id(k) != i for i, k in keys.items()):
            raise EncryptionError("the envelope's payload lists a data key under a wrong id")
        return EnvelopePayload(objects, keys)


@dataclass(frozen=True)
class Envelope:
    """A version's key envelope: the content key sealed per holder, and the payload."""

    model: int
    version: int
    key: str
    #: SS58 address -> {"x25519": public key hex, "sealed": base64}
    recipients: dict[str, dict[str, str]]
    payload: bytes = field(repr=False)

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "format": ENVELOPE_FORMAT,
                "model": self.model,
                "version": self.version,
                "key": self.key,
                "recipients": self.recipients,
                "payload": base64.b64encode(self.payload).decode("ascii"),
            }
        )

    @staticmethod
    def from_bytes(raw: bytes) -> Envelope:
        try:
            doc = json.loads(raw)
            if doc["format"] != ENVELOPE_FORMAT:
                raise EncryptionError(f"unknown envelope format {doc['format']!r}")
            recipients = {
                str(a): {"x25519": str(r["x25519"]), "sealed": str(r["sealed"])}
                for a, r in doc["recipients"].items()
            }
            return Envelope(
                model=int(doc["model"]),
                version=int(doc["version"]),
                key=str(doc["key"]),
                recipients=recipients,
                payload=base64.b64decode(doc["payload"], validate=True),
            )
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise EncryptionError("the key envelope is malformed (not a CMU envelope)") from None

    def holders(self) -> list[str]:
        return sorted(self.recipients)


def make_envelope(
    model: int,
    version: int,
    content_key: bytes,
    holders: dict[str, bytes],
    payload: EnvelopePayload,
) -> Envelope:
    """Seal ``content_key`` to every holder (SS58 address -> x25519 public key)."""
    if not holders:
        raise EncryptionError("an envelope needs at least one holder")
    recipients = {
        address: {"x25519": public.hex(), "sealed": seal_key(content_key, public)}
        for address, public in sorted(holders.items())
    }
    sealed_payload = encrypt(
        payload.to_bytes(), content_key, kind="payload", model=model, version=version
    )
    return Envelope(model, version, key_id(content_key), recipients, sealed_payload)


def open_envelope(
    envelope: Envelope, address: str, keypair: X25519Keypair, model: int, version: int
) -> tuple[bytes, EnvelopePayload]:
    """(content key, payload) for ``address``; NoAccessError when it is not a holder."""
    if envelope.model != model or envelope.version != version:
        raise EncryptionError(
            f"the envelope on chain for model {model} v{version} was made for "
            f"model {envelope.model} v{envelope.version}",
            "the envelope was swapped; ask the owner to rekey (`cmu model rekey`)",
        )
    entry = envelope.recipients.get(address)
    if entry is None:
        raise NoAccessError(
            f"model {model} v{version} is encrypted and {address} is not in its key envelope",
            "if you hold a role, publish your key (`cmu keys encryption publish`) and ask an "
            f"admin to run `cmu model rekey {model}`; versions published while you had no "
            "role stay closed to you",
        )
    if entry["x25519"] != keypair.public.hex():
        raise NoAccessError(
            f"model {model} v{version} was sealed to another encryption key of {address}",
            f"ask an admin to run `cmu model rekey {model}` for your current key",
        )
    content_key = unseal_key(entry["sealed"], keypair)
    if key_id(content_key) != envelope.key:
        raise EncryptionError("the envelope's sealed key does not match its key id")
    payload = EnvelopePayload.from_bytes(
        decrypt(
            envelope.payload,
            content_key,
            kind="payload",
            model=model,
            version=version,
            what=f"model {model} v{version} envelope payload",
        )
    )
    return content_key, payload
