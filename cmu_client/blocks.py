"""Reading blocks: their extrinsic hashes and events, and following new ones.

Used to find where submitted extrinsics landed without keeping one subscription per
extrinsic, and by anything that follows the chain (worker, monitor).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cmu_client import decode
from cmu_client.connection import ChainConnection
from cmu_client.types import ChainEvent


@dataclass(frozen=True)
class BlockSummary:
    number: int
    hash: str
    extrinsic_hashes: tuple[str, ...]


def extrinsic_hash(encoded_hex: str) -> str:
    """The transaction hash of an encoded extrinsic (blake2b-256 of its bytes)."""
    return (
        "0x"
        + hashlib.blake2b(bytes.fromhex(encoded_hex.removeprefix("0x")), digest_size=32).hexdigest()
    )


class BlockReader:
    def __init__(self, connection: ChainConnection) -> None:
        self.connection = connection

    def head_number(self) -> int:
        header = self.connection.rpc("chain_getHeader", [])
        return int(header["number"], 16)

    def hash_of(self, number: int) -> str:
        result = self.connection.rpc("chain_getBlockHash", [number])
        if result is None:
            raise LookupError(f"no block #{number}")
        return str(result)

    def summary(self, number: int) -> BlockSummary:
        block_hash = self.hash_of(number)
        block = self.connection.rpc("chain_getBlock", [block_hash])
        extrinsics = block["block"]["extrinsics"]
        return BlockSummary(number, block_hash, tuple(extrinsic_hash(x) for x in extrinsics))

    def events(self, block_hash: str) -> list[ChainEvent]:
        records: list[Any] = self.connection.run(
            lambda s: s.get_events(block_hash=block_hash), what="System.Events read"
        )
        return [decode.event(r) for r in records]

    def blocks_between(self, first: int, last: int) -> Iterator[BlockSummary]:
        for number in range(first, last + 1):
            yield self.summary(number)

    def pending_hashes(self) -> set[str]:
        """Hashes of the extrinsics in the node's transaction pool."""
        pending = self.connection.rpc("author_pendingExtrinsics", [])
        return {extrinsic_hash(x) for x in pending}
