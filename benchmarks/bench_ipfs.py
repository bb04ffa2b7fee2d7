"""Benchmark: fetching a data set from Kubo, one streamed ``cat`` against one ``cat`` per MiB.

Against the Kubo of ``$CMU_IPFS_API`` (scripts/ipfs.sh start). Stores random bytes of each
size, then fetches them (best of ``--repeats``, interleaved), both with the size check
and the sha2-256 check:

- baseline: what ``IpfsStore.get`` did before: ``files/stat``, then one ``cat`` request per
  MiB (``offset``/``length``), the pieces joined, then hashed;
- ``IpfsStore.get``: ``files/stat``, then one ``cat`` streamed into one buffer, hashed as the
  bytes arrive.

Usage: python benchmarks/bench_ipfs.py [--sizes 8,40,200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import os
import sys
import time

from cmu_client.config import IpfsSettings
from cmu_client.ipfs import IpfsStore, verify_hash


async def chunked(store: IpfsStore, cid: str, expected: bytes) -> bytes:
    """The old loop: one cat per MiB, joined, then hashed."""
    total = await store.size(cid)
    pieces: list[bytes] = []
    done = 0
    while done < total:
        length = min(1 << 20, total - done)
        pieces.append(bytes(await store.client.core.cat(cid, offset=done, length=length)))
        done += len(pieces[-1])
    data = b"".join(pieces)
    verify_hash(data, expected, cid)
    return data


async def main_async(sizes: list[int], repeats: int) -> None:
    settings = dataclasses.replace(IpfsSettings.from_env(), max_bytes=1 << 30)
    async with IpfsStore(settings) as store:
        print(f"Kubo at {settings.api}; best of {repeats}, interleaved")
        for mib in sizes:
            data = os.urandom(mib << 20)
            stored = await store.put(data)
            expected = hashlib.sha256(data).digest()
            del data
            times: dict[str, list[float]] = {"one cat per MiB (before)": [], "IpfsStore.get": []}
            for _ in range(repeats):
                started = time.perf_counter()
                await chunked(store, stored.cid, expected)
                times["one cat per MiB (before)"].append(time.perf_counter() - started)
                started = time.perf_counter()
                await store.get(stored.cid, expected)
                times["IpfsStore.get"].append(time.perf_counter() - started)
            base = min(times["one cat per MiB (before)"])
            print(f"{mib} MiB:")
            for name, spent in times.items():
                best = min(spent)
                print(f"  {name:<26} {best:7.3f} s  {mib / best:7.0f} MiB/s  {base / best:5.2f}x")
            await store.unpin(stored.cid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,40,200", help="MiB, comma separated")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main_async([int(s) for s in args.sizes.split(",")], args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
