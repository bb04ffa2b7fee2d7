"""Make a resumed chopsticks chain accept signed extrinsics again.

On a fresh start from a raw spec, chopsticks reports block 0's hash as the placeholder that
frame-system's genesis stores in ``System.BlockHash(0)`` (0x4545...). When it resumes from its
database it reports the real header hash instead, while the runtime still holds the
placeholder; every signature then commits to a genesis hash the runtime does not expect
(``badProof``). This sets ``System.BlockHash(0)`` to the hash the RPC reports, so wallets
(substrate-interface, polkadot.js) and the runtime agree again. A no-op when they already do.

Usage: align_genesis_hash.py ws://127.0.0.1:9944
"""

from __future__ import annotations

import json
import sys

import xxhash
from websocket import create_connection


def twox128(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).digest()[::-1] + xxhash.xxh64(data, seed=1).digest()[::-1]


def block_hash_key(number: int) -> str:
    encoded = number.to_bytes(4, "little")  # BlockNumber is u32
    twox64 = xxhash.xxh64(encoded, seed=0).digest()[::-1]
    return "0x" + (twox128(b"System") + twox128(b"BlockHash") + twox64 + encoded).hex()


def main(url: str) -> int:
    ws = create_connection(url, timeout=30)
    next_id = 0

    def rpc(method: str, params: list[object]) -> object:
        nonlocal next_id
        next_id += 1
        ws.send(json.dumps({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params}))
        reply = json.loads(ws.recv())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")

    reported = rpc("chain_getBlockHash", [0])
    key = block_hash_key(0)
    stored = rpc("state_getStorage", [key])
    if stored != reported:
        rpc("dev_setStorage", [[[key, reported]]])
        print(f"aligned System.BlockHash(0) with the chain's genesis hash {reported}")
    ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
