"""Content store on Kubo through aioipfs: bytes in (pinned), verified bytes out.

``put`` stores bytes and returns their CID and sha2-256. ``get`` refuses content above
the size limit before downloading it (the node's ``files/stat``), then streams one ``cat``
request into one buffer (never holding the content twice), hashing as the bytes arrive (progress is
reported as they come), and checks the sha2-256 against the expected (on-chain) hash
before returning anything: a mismatch raises :class:`HashMismatchError` and the bytes are
dropped. Every request has a timeout; a download times out when no byte arrives for
that long (a large object on a slow link may take longer in all).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import aioipfs

from cmu_client.config import IpfsSettings
from cmu_client.errors import (
    ContentNotFoundError,
    ContentTooLargeError,
    HashMismatchError,
    IpfsError,
    IpfsTimeoutError,
    NoAccessError,
    UsageError,
)

#: Called with (bytes done, bytes total) while data moves.
ProgressCallback = Callable[[int, int], None]

if TYPE_CHECKING:
    from cmu_client.access import Keyring

_T = TypeVar("_T")
_NOT_FOUND_MARKERS = ("not found", "could not find", "no link named", "no such", "does not exist")
_BAD_CID_MARKERS = ("invalid cid", "invalid path", "selected encoding not supported", "failed to")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def verify_hash(data: bytes, expected: bytes, what: str) -> None:
    """Raise :class:`HashMismatchError` unless ``sha256(data) == expected``."""
    actual = sha256(data)
    if actual != expected:
        raise HashMismatchError(what, expected.hex(), actual.hex())


@dataclass(frozen=True)
class StoredObject:
    """Where bytes went: the CID to record and the hash to put on chain."""

    cid: str
    sha256: bytes
    size: int


class IpfsStore:
    """One Kubo RPC client; use as ``async with IpfsStore() as store``."""

    def __init__(self, settings: IpfsSettings | None = None) -> None:
        self.settings = settings or IpfsSettings.from_env()
        self._client: Any = None
        #: With a keyring, encrypted objects (permissioned models) are decrypted on the way
        #: and their plaintext is what the expected hash is checked against.
        self.keyring: Keyring | None = None

    def locate(self, sha256_digest: bytes) -> str | None:
        """The CID of the encrypted object whose plaintext hashes to ``sha256_digest``,
        when an opened key envelope listed it."""
        return None if self.keyring is None else self.keyring.locations.get(sha256_digest)

    async def __aenter__(self) -> IpfsStore:
        self._client = aioipfs.AsyncIPFS(maddr=self.settings.api)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def client(self) -> Any:
        if self._client is None:
            raise IpfsError("the IPFS store is not open", "use `async with IpfsStore() as store`")
        return self._client

    async def _call(
        self, what: str, action: Callable[[], Awaitable[_T]], *, whole_timeout: bool = True
    ) -> _T:
        """Run one RPC with the timeout and turn library errors into IpfsErrors.

        ``whole_timeout=False``: the action keeps its own deadline (raising TimeoutError).
        """
        try:
            async with asyncio.timeout(self.settings.timeout if whole_timeout else None):
                result = await action()
        except TimeoutError:
            raise IpfsTimeoutError(
                f"IPFS {what} took longer than {self.settings.timeout:g}s",
                "check that Kubo is running (scripts/ipfs.sh status) or raise $CMU_IPFS_TIMEOUT",
            ) from None
        except aiohttp.ClientConnectionError:
            raise IpfsError(
                f"cannot reach the IPFS API at {self.settings.api}",
                "start Kubo with `scripts/ipfs.sh start` or set $CMU_IPFS_API",
            ) from None
        except aioipfs.APIError as exc:
            message = str(exc.message or "")
            lowered = message.lower()
            if any(m in lowered for m in _NOT_FOUND_MARKERS):
                raise ContentNotFoundError(
                    f"IPFS {what}: content not found ({message})",
                    "the CID is not on this IPFS node or any peer it can reach",
                ) from None
            if any(m in lowered for m in _BAD_CID_MARKERS):
                raise UsageError(f"IPFS {what}: {message}", "check the CID") from None
            raise IpfsError(f"IPFS {what} failed: {message}") from None
        except aioipfs.UnknownAPIError:
            raise IpfsError(f"IPFS {what} failed with an unknown API error") from None
        if result is None:
            # aioipfs answers None when the connection fails (it swallows the error).
            raise IpfsError(
                f"no answer from the IPFS API at {self.settings.api} ({what})",
                "start Kubo with `scripts/ipfs.sh start` or set $CMU_IPFS_API",
            )
        return result

    async def version(self) -> str:
        info = await self._call("version", lambda: self.client.core.version())
        return str(info.get("Version", "?")) if isinstance(info, dict) else "?"

    async def put(self, data: bytes, progress: ProgressCallback | None = None) -> StoredObject:
        """Store ``data`` (pinned, CIDv1) and return its CID and sha2-256."""
        if len(data) > self.settings.max_bytes:
            raise ContentTooLargeError(
                f"{len(data)} bytes is over the {self.settings.max_bytes}-byte limit",
                "split the data or raise $CMU_IPFS_MAX_BYTES",
            )
        digest = sha256(data)
        if progress:
            progress(0, len(data))
        # add_bytes (not add): add(filepath) breaks with aiohttp >= 3.12.2.
        result = await self._call(
            "add", lambda: self.client.core.add_bytes(data, cid_version=1, pin=True)
        )
        if not isinstance(result, dict) or "Hash" not in result:
            raise IpfsError("IPFS add returned no CID")
        if progress:
            progress(len(data), len(data))
        return StoredObject(cid=str(result["Hash"]), sha256=digest, size=len(data))

    async def size(self, cid: str) -> int:
        """The content's byte size, from the node's metadata (no download)."""
        _check_cid_text(cid)
        stat = await self._call("stat", lambda: self.client.files.stat(f"/ipfs/{cid}"))
        if not isinstance(stat, dict) or "Size" not in stat:
            raise IpfsError(f"IPFS stat of {cid} returned no size")
        if stat.get("Type") not in (None, "file"):
            raise UsageError(f"{cid} is a {stat.get('Type')}, not a file")
        return int(stat["Size"])

    async def get(
        self,
        cid: str,
        expected_hash: bytes | None,
        what: str = "content",
        progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
        kind: str | None = None,
    ) -> bytes:
        """Fetch ``cid``; with ``expected_hash`` the bytes are returned only if they match.

        ``expected_hash=None`` is for content that has no hash to check against yet. With a
        keyring, an encrypted object is decrypted first (``kind``: the object kind it must
        have been encrypted as) and the plaintext is checked.
        """
        limit = max_bytes if max_bytes is not None else self.settings.max_bytes
        total = await self.size(cid)
        if total > limit:
            raise ContentTooLargeError(
                f"{what} {cid} is {total} bytes, over the {limit}-byte limit",
                "raise $CMU_IPFS_MAX_BYTES if this size is expected",
            )
        if progress:
            progress(0, total)
        keyring = self.keyring
        try:
            raw = await self._call(
                "cat",
                partial(self._cat, cid, total, None if keyring else expected_hash, what, progress),
                whole_timeout=False,
            )
        except HashMismatchError:
            # Without a keyring, an encrypted object never matches its plaintext hash: say
            # what is missing instead of "altered".
            if await self._is_encrypted(cid, total, what):
                raise NoAccessError(
                    f"{what} {cid} is encrypted (a permissioned model) and this command "
                    "reads without an encryption key",
                    "read it with a command that takes --key, as a holder of a role",
                ) from None
            raise
        if keyring is None:
            return raw
        from cmu_client.crypto import is_container

        if not is_container(raw):
            if expected_hash is not None:
                await asyncio.to_thread(verify_hash, raw, expected_hash, f"{what} {cid}")
            return raw
        plain = await keyring.open(self, raw, f"{what} {cid}", kind)
        if expected_hash is not None:
            await asyncio.to_thread(verify_hash, plain, expected_hash, f"{what} {cid} (decrypted)")
            keyring.note(expected_hash, raw)
        return plain

    async def _is_encrypted(self, cid: str, total: int, what: str) -> bool:
        from cmu_client.crypto import MAGIC

        size = min(len(MAGIC), total)
        try:
            head = await self._call(
                "cat", partial(self._cat, cid, size, None, what, None), whole_timeout=False
            )
        except IpfsError:  # a node that ignores `length`: report the mismatch as it is
            return False
        return head == MAGIC

    async def _cat(
        self,
        cid: str,
        total: int,
        expected_hash: bytes | None,
        what: str,
        progress: ProgressCallback | None,
    ) -> bytes:
        """One ``cat`` request streamed into one buffer (at most ``total`` bytes), hashed on
        the way.

        Raises TimeoutError when no byte arrives for the timeout (``_call`` reports it)."""
        client = self.client
        patience = self.settings.timeout
        # BytesIO grows in place (realloc) and getvalue() hands over its buffer without a
        # copy, so the download never holds the content twice.
        buffer = io.BytesIO()
        digest = hashlib.sha256()
        done = 0
        step = max(1, self.settings.chunk_bytes)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(patience) as deadline:
            async with client.session.post(
                client.api_endpoint("cat"),
                params={"arg": cid, "length": str(total)},
                auth=client.auth,
            ) as response:
                if response.status >= 400:
                    # aioipfs's own decoding of the node's error (APIError and friends)
                    client.core.handle_error(response, await response.read())
                async for piece in response.content.iter_any():
                    deadline.reschedule(loop.time() + patience)
                    end = done + len(piece)
                    if end > total:
                        raise IpfsError(
                            f"{what} {cid}: the node sent more than the {total} bytes it announced"
                        )
                    buffer.write(piece)
                    digest.update(piece)
                    if progress and (end // step > done // step or end == total):
                        progress(end, total)
                    done = end
        if done != total:
            raise IpfsError(f"{what} {cid} ended after {done} of {total} bytes")
        if expected_hash is not None and digest.digest() != expected_hash:
            raise HashMismatchError(f"{what} {cid}", expected_hash.hex(), digest.hexdigest())
        return buffer.getvalue()

    async def cid_of(self, data: bytes) -> str:
        """The CID ``put`` would give ``data``, computed by the node without storing it."""
        result = await self._call(
            "add (hash only)",
            lambda: self.client.core.add_bytes(data, cid_version=1, only_hash=True, pin=False),
        )
        return str(result["Hash"])

    async def has_pin_for(self, data: bytes) -> bool:
        """Whether these exact bytes are already stored and pinned."""
        return await self.is_pinned(await self.cid_of(data))

    async def pin(self, cid: str) -> None:
        """Pin ``cid`` (recursively) on this node, fetching any block it lacks."""
        _check_cid_text(cid)

        async def pin_add() -> list[Any]:
            try:
                return [done async for done in self.client.pin.add(cid, progress=False)]
            except aioipfs.IPFSConnectionError:
                raise aiohttp.ClientConnectionError() from None

        await self._call("pin add", pin_add)

    async def block(self, cid: str) -> bytes:
        """The raw bytes of the block ``cid`` names, as this node holds them (unchecked:
        the caller compares them with the CID's multihash)."""
        _check_cid_text(cid)
        return bytes(await self._call("block get", lambda: self.client.block.get(cid)))

    async def unpin(self, cid: str) -> None:
        """Drop this node's pin (the blocks go at the next garbage collection)."""
        await self._call("pin rm", lambda: self.client.pin.rm(cid))

    async def is_pinned(self, cid: str) -> bool:
        try:
            result = await self._call("pin ls", lambda: self.client.pin.ls(path=cid, quiet=True))
        except IpfsError:
            return False
        keys = result.get("Keys", {}) if isinstance(result, dict) else {}
        return bool(keys)


_CID_RE = re.compile(
    r"^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{20,}|z[1-9A-HJ-NP-Za-km-z]{20,}|f[0-9a-f]{20,})$"
)


def is_cid(text: str) -> bool:
    """Whether ``text`` looks like a CIDv0 or a multibase CIDv1 (base32/58/16)."""
    return bool(_CID_RE.match(text))


def _check_cid_text(cid: str) -> None:
    if not is_cid(cid):
        raise UsageError(f"{cid!r} is not a CID", "a CID looks like bafy..., bafk... or Qm...")
