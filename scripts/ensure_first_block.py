"""Make sure a dev chain started from genesis has its (empty) block #1 before anyone uses it.

chopsticks builds block #1 itself when it starts from a genesis spec, and it does so on
every start, a resumed one too. Its database keeps one block per number, so on a resume
that fresh #1 replaces the stored #1. That is harmless while #1 is this empty start-up
block, but fatal when the start-up build failed and #1 was the block of a user's first
extrinsic: after a stop and start that block, and the nonce it used, are gone.

The start-up build does fail now and then on the Aura parachain runtime: before the
first block there is no `Timestamp::Now`, so chopsticks reads the wall clock once for the
Aura slot digest and once more for the timestamp inherent; when a slot boundary falls
between the two reads, Aura's "Timestamp slot must match `CurrentSlot`" check aborts the
block. `scripts/chain.sh start` runs this after a start from genesis: if the head is still
genesis, it builds #1 (empty) with `dev_newBlock`, retrying that same race, so that user
blocks always begin at #2. Standard library only.

Usage: ensure_first_block.py HTTP_RPC_URL [ATTEMPTS]
Exit 0 when the head is at #1 or later, 1 when #1 could not be built.
"""

from __future__ import annotations

import sys
import time

from chain_rpc import rpc


def head_number(url: str) -> int:
    return int(rpc(url, "chain_getHeader", [])["number"], 16)


def main(url: str, attempts: int) -> int:
    for attempt in range(1, attempts + 1):
        if head_number(url) >= 1:
            return 0
        print(f"block #1 is missing (attempt {attempt}): building it", file=sys.stderr)
        try:
            rpc(url, "dev_newBlock", [{"count": 1}])
        except (OSError, RuntimeError) as err:
            print(f"dev_newBlock failed: {err}", file=sys.stderr)
            time.sleep(0.5)
    if head_number(url) >= 1:
        return 0
    print(f"the dev chain at {url} could not build block #1", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 5))
