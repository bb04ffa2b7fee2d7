"""Wait until chopsticks has written its current head block to its database.

chopsticks announces a new block to subscribers (so a client sees its extrinsic included)
before it writes that block to its sqlite database, asynchronously. A chain stopped in
that gap resumes from the block before: the newest block, its extrinsics and the nonces
they used are gone. `scripts/chain.sh stop` runs this before it signals chopsticks, so a
stop never loses a block a client has already seen.

The head is read again after it is found in the database: a block built meanwhile
(another client's extrinsic) is waited for too. Standard library only.

Usage: wait_chain_flushed.py HTTP_RPC_URL DB_PATH [TIMEOUT_SECONDS]
Exit 0 when the head is in the database, 1 on timeout (with the head that is missing),
2 when the RPC does not answer (nothing to wait for: the process is not serving).
"""

from __future__ import annotations

import sqlite3
import sys
import time

from chain_rpc import rpc


def head_hash(url: str) -> str:
    result = rpc(url, "chain_getBlockHash", [], timeout=5)
    if not isinstance(result, str):
        raise ValueError(f"chain_getBlockHash returned {result!r}")
    return result


def block_saved(db_path: str, block_hash: str) -> bool:
    try:
        # Read-only, through sqlite's own locking: chopsticks writes in WAL mode.
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute("SELECT 1 FROM block WHERE hash = ?", (block_hash,)).fetchone()
            return row is not None
    except sqlite3.Error:
        return False  # not created yet, or busy: ask again


def main(url: str, db_path: str, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    try:
        head = head_hash(url)
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        print(f"chain RPC at {url} does not answer ({err}); nothing to wait for", file=sys.stderr)
        return 2
    while time.monotonic() < deadline:
        if block_saved(db_path, head):
            try:
                latest = head_hash(url)
            except (OSError, ValueError, KeyError, RuntimeError):
                return 0  # it stopped serving after writing the head we saw
            if latest == head:
                return 0
            head = latest  # a block was built meanwhile: wait for that one too
            continue
        time.sleep(0.05)
    print(f"head {head} is not in {db_path} after {timeout:.0f}s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) == 4 else 30.0))
