"""CIDs that follow from a hash: how a recipe is found from the hash recorded on chain;
and reading a CID (:func:`parse_cid`) to tell a malformed CID from content that is missing
or damaged on this node.

Kubo stores a small file added as CIDv1 (raw leaves, one chunk: up to 256 KiB) as a single
raw block, whose CID is ``base32(0x01 0x55 0x12 0x20 || sha2-256(bytes))``. So the
``recipe_hash`` on chain names the recipe's CID without any other record.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

_CIDV1 = 0x01
_RAW_CODEC = 0x55
_SHA2_256 = 0x12
_DIGEST_LEN = 0x20
#: Largest document whose CID follows from its hash (Kubo's default chunk size).
MAX_SINGLE_BLOCK = 256 * 1024


def raw_cid_from_sha256(digest: bytes) -> str:
    """The CIDv1 (base32, raw codec) of a single-block object with this sha2-256."""
    if len(digest) != 32:
        raise ValueError("a sha2-256 digest has 32 bytes")
    prefix = bytes((_CIDV1, _RAW_CODEC, _SHA2_256, _DIGEST_LEN))
    return "b" + base64.b32encode(prefix + digest).decode("ascii").lower().rstrip("=")


@dataclass(frozen=True)
class ParsedCid:
    """What a CID says about its root block: how to decode it and its multihash."""

    version: int
    codec: int
    hash_code: int
    digest: bytes

    def matches(self, block: bytes) -> bool | None:
        """Whether ``block`` hashes to this CID's digest; ``None`` when the hash function
        is not one this module knows."""
        hasher = _HASHERS.get(self.hash_code)
        if hasher is None:
            return None
        return hasher(block)[: len(self.digest)] == self.digest


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_HASHERS: dict[int, Callable[[bytes], bytes]] = {
    0x00: lambda data: data,  # identity: the "digest" is the content
    0x12: lambda data: hashlib.sha256(data).digest(),
    0x13: lambda data: hashlib.sha512(data).digest(),
    0x14: lambda data: hashlib.sha3_512(data).digest(),
    0x16: lambda data: hashlib.sha3_256(data).digest(),
    0xB220: lambda data: hashlib.blake2b(data, digest_size=32).digest(),
}


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not a base58 digit")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _varint(raw: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(raw) or shift > 63:
            raise ValueError("truncated varint")
        byte = raw[at]
        value |= (byte & 0x7F) << shift
        at += 1
        shift += 7
        if not byte & 0x80:
            return value, at


def parse_cid(text: str) -> ParsedCid:
    """Decode a CIDv0 (``Qm...``) or a CIDv1 in base32 (``b...``), base58btc (``z...``)
    or base16 (``f...``); ``ValueError`` says why ``text`` is not one."""
    if not text:
        raise ValueError("empty CID")
    if text.startswith("Qm"):
        raw = _b58decode(text)
        if len(raw) != 34 or raw[:2] != b"\x12\x20":
            raise ValueError("a CIDv0 is a base58 sha2-256 multihash (34 bytes)")
        return ParsedCid(0, 0x70, 0x12, raw[2:])
    base, body = text[0], text[1:]
    try:
        if base in "bB":
            raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
        elif base == "z":
            raw = _b58decode(body)
        elif base in "fF":
            raw = bytes.fromhex(body)
        else:
            raise ValueError(f"unsupported multibase prefix {base!r}")
    except binascii.Error as bad:
        raise ValueError(f"bad base encoding: {bad}") from None
    version, at = _varint(raw, 0)
    if version != 1:
        raise ValueError(f"CID version {version} (expected 1)")
    codec, at = _varint(raw, at)
    hash_code, at = _varint(raw, at)
    length, at = _varint(raw, at)
    digest = raw[at:]
    if len(digest) != length:
        raise ValueError(f"the multihash says {length} digest bytes, the CID has {len(digest)}")
    return ParsedCid(1, codec, hash_code, digest)
