"""Reading and writing permissioned models' encrypted content (docs/architecture.md,
Encryption).

A :class:`Keyring` belongs to one account: its x25519 keypair (``None`` when it has none)
and the content keys it has opened. Attached to an :class:`~cmu_client.ipfs.IpfsStore`
(``store.keyring``), it makes every hash-checked read work on encrypted objects: the store
fetches the container, the keyring finds its key (already known, sealed to this account in
the object itself, or in the key envelope of the version the object names, read from the
chain and IPFS), and the store checks the plaintext against the on-chain hash. Writers use
:func:`holders` and :func:`seal_version` to make a version's envelope.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from cmu_client import crypto
from cmu_client.crypto import EnvelopePayload, X25519Keypair
from cmu_client.errors import EncryptionError, NoAccessError
from cmu_client.ipfs import StoredObject, sha256
from cmu_client.types import RoleSet

if TYPE_CHECKING:
    from cmu_client.chain import CmuChain
    from cmu_client.ipfs import IpfsStore

log = logging.getLogger("cmu_client.access")

#: Largest key envelope read (a few hundred bytes per holder).
MAX_ENVELOPE_BYTES = 4 * 1024 * 1024


def _publish_hint(model: int) -> str:
    return (
        "publish your encryption key (`cmu keys encryption publish`), then ask the owner or "
        f"an admin to run `cmu model rekey {model}`"
    )


class Keyring:
    """One account's keys for encrypted content, learned as it reads."""

    def __init__(self, chain: CmuChain, address: str, keypair: X25519Keypair | None) -> None:
        self.chain = chain
        self.address = address
        self.keypair = keypair
        #: key id -> content key
        self.keys: dict[str, bytes] = {}
        #: plaintext sha256 -> CID of its encrypted object (from opened envelopes)
        self.locations: dict[bytes, str] = {}
        #: plaintext sha256 -> id of the key that opened it
        self.key_of_hash: dict[bytes, str] = {}
        self._opened: dict[tuple[int, int], bytes] = {}
        self._payloads: dict[tuple[int, int], EnvelopePayload] = {}

    # -- reading ------------------------------------------------------------------------

    async def open(self, store: IpfsStore, data: bytes, what: str, kind: str | None) -> bytes:
        """The plaintext of the container ``data``; NoAccessError / EncryptionError."""
        header, _ = crypto.read_header(data)
        key = self.keys.get(header.key)
        if key is None and self.keypair is not None:
            sealed = crypto.open_for(data, self.keypair)
            if sealed is not None:
                key = sealed[1]
        if key is None and header.version is not None:
            await self.open_version(store, header.model, header.version)
            key = self.keys.get(header.key)
        if key is None:
            raise self._no_access(header.model, what)
        # Off the event loop: a data set can be hundreds of MiB (about 250 MiB/s here).
        plain = await asyncio.to_thread(crypto.decrypt, data, key, kind=kind, what=what)
        self.keys[header.key] = key
        return plain

    def note(self, sha256: bytes, data: bytes) -> None:
        """Remember which key opened the object whose plaintext hashes to ``sha256``."""
        header, _ = crypto.read_header(data)
        self.key_of_hash[sha256] = header.key

    def _no_access(self, model: int, what: str) -> NoAccessError:
        if self.keypair is None:
            return NoAccessError(
                f"{what} is encrypted and {self.address} has no encryption key",
                _publish_hint(model),
            )
        roles = self.chain.roles_of(model, self.address)
        if roles == RoleSet.none():
            return NoAccessError(
                f"{what} is encrypted and {self.address} holds no role on model {model}",
                f"ask the owner or an admin: `cmu role grant {model} {self.address} reader`",
            )
        return NoAccessError(
            f"{what} is encrypted and was not sealed to {self.address}'s encryption key",
            _publish_hint(model),
        )

    async def open_version(self, store: IpfsStore, model: int, version: int) -> EnvelopePayload:
        """Open the version's key envelope: its content key, object locations and data keys
        join the keyring."""
        envelope_cid = await asyncio.to_thread(self.chain.version_envelope, model, version)
        if envelope_cid is None:
            raise EncryptionError(
                f"model {model} v{version} has no key envelope on chain",
                "it was published unencrypted; read it without a keyring",
            )
        if self.keypair is None:
            raise self._no_access(model, f"model {model} v{version}")
        raw = await store.get(
            envelope_cid,
            None,
            f"model {model} v{version} key envelope",
            max_bytes=MAX_ENVELOPE_BYTES,
        )
        envelope = crypto.Envelope.from_bytes(raw)
        if self.address not in envelope.recipients:
            raise self._envelope_refusal(model, version)
        key, payload = crypto.open_envelope(envelope, self.address, self.keypair, model, version)
        self.keys[crypto.key_id(key)] = key
        self._opened[(model, version)] = key
        self._payloads[(model, version)] = payload
        for sha_hex, cid in payload.objects.items():
            self.locations[bytes.fromhex(sha_hex)] = cid
        self.keys.update(payload.data_keys)
        return payload

    def _envelope_refusal(self, model: int, version: int) -> NoAccessError:
        roles = self.chain.roles_of(model, self.address)
        if roles == RoleSet.none():
            return NoAccessError(
                f"model {model} v{version} is encrypted and {self.address} holds no role on it",
                f"ask the owner or an admin: `cmu role grant {model} {self.address} reader`",
            )
        published = self.chain.encryption_key(self.address)
        if published is None:
            return NoAccessError(
                f"model {model} v{version} is encrypted and {self.address} has no published "
                "encryption key, so it is not in the version's key envelope",
                _publish_hint(model),
            )
        return NoAccessError(
            f"model {model} v{version} is encrypted and {self.address} is not in its key "
            "envelope (sealed before your role or key)",
            f"ask the owner or an admin to run `cmu model rekey {model}` (the head only)",
        )

    def remember(self, sha256_digest: bytes, key: bytes) -> None:
        """Record a key this account sealed itself (the object hashing to ``sha256_digest``
        before encryption), so that envelopes it writes can pass it on."""
        kid = crypto.key_id(key)
        self.keys[kid] = key
        self.key_of_hash[sha256_digest] = kid

    def content_key(self, model: int, version: int) -> bytes | None:
        return self._opened.get((model, version))

    def payload(self, model: int, version: int) -> EnvelopePayload | None:
        """The payload of an envelope this keyring opened."""
        return self._payloads.get((model, version))

    async def open_readable(self, store: IpfsStore, model: int, versions: list[int]) -> None:
        """Open every envelope among ``versions`` this account can open (skips the rest)."""
        for version in versions:
            if (model, version) in self._opened:
                continue
            try:
                await self.open_version(store, model, version)
            except (NoAccessError, EncryptionError) as why:
                log.debug("model %d v%d: %s", model, version, why)


# -- writing --------------------------------------------------------------------------


def holders(
    chain: CmuChain, model: int, roles: RoleSet | None = None
) -> tuple[dict[str, bytes], list[str]]:
    """The owner and every account holding a role (with ``roles``: one of those), with
    their published x25519 keys; and the holders left out for having none."""
    owner = chain.owner_of(model)
    accounts = [] if owner is None else [owner]
    for who, held in chain.role_holders(model).items():
        if held != RoleSet.none() and (roles is None or int(held) & int(roles)):
            accounts.append(who)
    found: dict[str, bytes] = {}
    missing: list[str] = []
    for who, key in chain.encryption_keys(accounts).items():
        if key is None:
            missing.append(who)
        else:
            found[who] = key
    return found, missing


async def seal_version(
    chain: CmuChain,
    store: IpfsStore,
    model: int,
    version: int,
    content_key: bytes,
    payload: EnvelopePayload,
) -> tuple[str, list[str]]:
    """Make, store and pin the version's key envelope for the current holders; returns
    its CID and the holders left out (no published key), whom it logs."""
    found, missing = await asyncio.to_thread(holders, chain, model)
    for who in missing:
        log.warning(
            "model %d v%d: %s holds a role but has no published encryption key; it is not "
            "in the key envelope (it can run `cmu keys encryption publish` and ask for "
            "`cmu model rekey %d`)",
            model,
            version,
            who,
            model,
        )
    envelope = crypto.make_envelope(model, version, content_key, found, payload)
    stored = await store.put(envelope.to_bytes())
    return stored.cid, missing


async def put_sealed(
    chain: CmuChain,
    store: IpfsStore,
    model: int,
    raw: bytes,
    *,
    kind: str,
    roles: RoleSet | None,
    extra: dict[str, bytes] | None = None,
) -> StoredObject:
    """Store ``raw`` encrypted to the owner and the holders of ``roles`` (every role when
    ``None``), plus ``extra`` (address -> x25519 key: e.g. the contributor itself), with a
    fresh key sealed in the object itself; the result carries the CID of the ciphertext
    and the sha256 of the plaintext (what the chain records)."""
    found, missing = await asyncio.to_thread(holders, chain, model, roles)
    for who in missing:
        log.warning(
            "model %d: %s has no published encryption key; %s not sealed to it", model, who, kind
        )
    if not found:
        raise NoAccessError(
            f"model {model} is permissioned and none of the accounts {kind} must be sealed "
            "to has published an encryption key",
            "its owner and trainers publish theirs with `cmu keys encryption publish`",
        )
    return await put_sealed_to(store, model, raw, kind=kind, recipients={**found, **(extra or {})})


async def put_sealed_to(
    store: IpfsStore, model: int, raw: bytes, *, kind: str, recipients: dict[str, bytes]
) -> StoredObject:
    """Store ``raw`` encrypted with a fresh key sealed to ``recipients`` (address ->
    x25519 public key); the store's keyring remembers the key. The result names the
    ciphertext's CID and the plaintext's sha256."""
    container, key = await asyncio.to_thread(
        crypto.encrypt_for, raw, recipients, kind=kind, model=model
    )
    stored = await store.put(container)
    digest = await asyncio.to_thread(sha256, raw)
    if store.keyring is not None:
        store.keyring.remember(digest, key)
    return StoredObject(stored.cid, digest, len(raw))
