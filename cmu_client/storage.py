"""Storage keys of pallet-cmu's maps, computed locally so reads can be batched.

A FRAME storage key is ``twox128(pallet) ++ twox128(item) ++ hasher(key1) ++ ...``.
pallet-cmu uses ``Blake2_128Concat`` for model ids and ``Twox64Concat`` for version and
contribution ids, so keys for whole ranges can be built without asking the node.
"""

from __future__ import annotations

import hashlib

import xxhash

PALLET = "Cmu"


def twox128(data: bytes) -> bytes:
    return (
        xxhash.xxh64(data, seed=0).intdigest().to_bytes(8, "little")
        + xxhash.xxh64(data, seed=1).intdigest().to_bytes(8, "little")
    )


def twox64_concat(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).intdigest().to_bytes(8, "little") + data


def blake2_128_concat(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest() + data


def u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def item_prefix(item: str, pallet: str = PALLET) -> bytes:
    return twox128(pallet.encode()) + twox128(item.encode())


def model_prefix(item: str, model: int) -> bytes:
    """Prefix of every entry of a (model, id) double map for one model."""
    return item_prefix(item) + blake2_128_concat(u32(model))


def double_map_key(item: str, model: int, second: int) -> bytes:
    """Key of ``item[(model, second)]`` for Versions, Contributions, PendingContributions."""
    return model_prefix(item, model) + twox64_concat(u32(second))


def second_key_of(key: bytes, item: str, model: int) -> int:
    """The u32 id at the end of a (model, id) double-map key."""
    prefix = model_prefix(item, model)
    if not key.startswith(prefix) or len(key) != len(prefix) + 12:
        raise ValueError("not a key of this model's map")
    return int.from_bytes(key[-4:], "little")


def to_hex(key: bytes) -> str:
    return "0x" + key.hex()


def from_hex(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))
