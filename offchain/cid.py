"""CIDs that follow from a hash: how a recipe is found from the hash recorded on chain.

Kubo stores a small file added as CIDv1 (raw leaves, one chunk: up to 256 KiB) as a single
raw block, whose CID is ``base32(0x01 0x55 0x12 0x20 || sha2-256(bytes))``. So the
``recipe_hash`` on chain names the recipe's CID without any other record.
"""

from __future__ import annotations

import base64

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
