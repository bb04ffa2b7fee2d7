"""Screening a contribution before training: fetch, hash check, schema check.

The outcome is a :class:`Candidate` (usable rows), a rejection :class:`Decision` whose
fault is the contributor's, or :class:`Deferred` when the problem may be ours (IPFS down,
a slow fetch not yet retried enough, the round's byte budget used up): deferred
contributions stay pending and are looked at again in a later round. A contributor is
never slashed because the worker's own IPFS node is unreachable or broken.

``Unreachable`` is given only when the data really cannot be had:

* the CID is malformed (:func:`offchain.cid.parse_cid` refuses it), or
* Kubo answers and says the content cannot be found, or
* its timeouts ran out (``timeouts_before_unreachable`` rounds in a row).

Any other Kubo error (a 500 for another reason: a damaged block store, a decoding error
inside Kubo, ...) is diagnosed from the CID's root block: when Kubo cannot read the block,
or the bytes it holds do not hash to the CID, the fault is this node's and the
contribution is deferred (logged with Kubo's message); when the block is intact, the
content itself is unusable (not a file: a directory, a node Kubo cannot read as UnixFS)
and the contribution is rejected as ``InvalidSchema`` with Kubo's message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cmu_client.errors import (
    CmuError,
    ContentNotFoundError,
    ContentTooLargeError,
    DataError,
    EncryptionError,
    HashMismatchError,
    IpfsError,
    IpfsTimeoutError,
    NoAccessError,
    UsageError,
)
from cmu_client.spec import ModelSpec
from cmu_client.types import Contribution, RejectionReason
from offchain.cid import parse_cid
from offchain.decide import Candidate, Decision
from offchain.inputs import Inputs
from offchain.recipe import DataRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deferred:
    """Not judged this round, for a reason that is not the contributor's fault."""

    contribution: int
    why: str


class IpfsOutage(IpfsError):
    """The worker's own IPFS node does not answer: nothing can be judged now."""


Screened = Candidate | Decision | Deferred


class Screener:
    """Judges contributions' data; remembers slow fetches across rounds."""

    def __init__(self, inputs: Inputs, max_bytes: int, timeouts_before_unreachable: int = 3):
        self.inputs = inputs
        self.max_bytes = max_bytes
        self.timeouts_before_unreachable = timeouts_before_unreachable
        self._timeouts: dict[tuple[int, int], int] = {}

    async def ipfs_answers(self) -> bool:
        """Whether the IPFS API answers at all (aioipfs returns no data when it does not)."""
        try:
            return await self.inputs.store.version() != "?"
        except IpfsError:
            return False

    async def size(self, contribution: Contribution) -> int | Decision | Deferred:
        """The data's size in bytes, or why it cannot be had (now or ever)."""
        try:
            return await self.inputs.store.size(contribution.data_cid)
        except (IpfsError, UsageError) as failed:
            return await self._failed_fetch(contribution, failed)

    async def screen(self, contribution: Contribution, spec: ModelSpec) -> Screened:
        """Fetch, check and parse one contribution's data."""
        what = f"contribution {contribution.id} data"
        try:
            data = await self.inputs.dataset(
                contribution.data_cid, contribution.data_hash, spec, what, self.max_bytes
            )
        except HashMismatchError as mismatch:
            return Decision.reject(contribution.id, RejectionReason.HASH_MISMATCH, str(mismatch))
        except NoAccessError as closed:
            # Permissioned model: not sealed to this trainer (no published key when it was
            # submitted, or sealed to other trainers). Not the contributor's fault for sure:
            # left for a trainer who can read it (or a withdrawal).
            log.warning("contribution #%d: %s; not judged by this trainer", contribution.id, closed)
            return Deferred(contribution.id, f"not sealed to this trainer: {closed}")
        except EncryptionError as broken:
            # The contributor's own bytes (IPFS checked them against the CID) fail
            # authentication or are not a well-formed container.
            return Decision.reject(contribution.id, RejectionReason.INVALID_SCHEMA, str(broken))
        except DataError as invalid:
            return Decision.reject(contribution.id, RejectionReason.INVALID_SCHEMA, str(invalid))
        except (IpfsError, UsageError) as failed:
            return await self._failed_fetch(contribution, failed)
        if data.rows != contribution.rows:
            return Decision.reject(
                contribution.id,
                RejectionReason.INVALID_SCHEMA,
                f"registered with {contribution.rows} rows but the data has {data.rows}",
            )
        self._timeouts.pop((contribution.model, contribution.id), None)
        ref = DataRef(contribution.data_cid, contribution.data_hash, data.rows, contribution.id)
        return Candidate(ref, data)

    async def _failed_fetch(
        self, contribution: Contribution, error: CmuError
    ) -> Decision | Deferred:
        """Whose fault a failed stat or fetch is (see the module doc)."""
        cid = contribution.data_cid
        if isinstance(error, ContentTooLargeError):
            return Decision.reject(contribution.id, RejectionReason.INVALID_SCHEMA, str(error))
        try:
            parse_cid(cid)
        except ValueError as malformed:
            return Decision.reject(
                contribution.id, RejectionReason.UNREACHABLE, f"{cid!r} is not a CID: {malformed}"
            )
        if not await self.ipfs_answers():
            raise IpfsOutage(
                f"the IPFS API does not answer ({error})", "start Kubo (scripts/ipfs.sh start)"
            ) from None
        if isinstance(error, IpfsTimeoutError):
            key = (contribution.model, contribution.id)
            self._timeouts[key] = self._timeouts.get(key, 0) + 1
            if self._timeouts[key] >= self.timeouts_before_unreachable:
                return Decision.reject(
                    contribution.id,
                    RejectionReason.UNREACHABLE,
                    f"fetching {cid} timed out {self._timeouts[key]} times",
                )
            return Deferred(contribution.id, f"fetch timed out ({self._timeouts[key]} so far)")
        if isinstance(error, ContentNotFoundError):
            return Decision.reject(contribution.id, RejectionReason.UNREACHABLE, str(error))
        return await self._diagnose(contribution, error)

    async def _diagnose(self, contribution: Contribution, error: CmuError) -> Decision | Deferred:
        """Another Kubo error: is the content unusable, or is this node failing?"""
        cid = contribution.data_cid
        try:
            block = await self.inputs.store.block(cid)
        except ContentNotFoundError as missing:
            return Decision.reject(contribution.id, RejectionReason.UNREACHABLE, str(missing))
        except (IpfsError, UsageError) as failed:
            if not await self.ipfs_answers():
                raise IpfsOutage(f"the IPFS API does not answer ({failed})") from None
            log.warning(
                "contribution #%d: this IPFS node cannot read %s (%s); not judged this round",
                contribution.id,
                cid,
                failed,
            )
            return Deferred(contribution.id, f"this IPFS node cannot read it: {failed}")
        intact = parse_cid(cid).matches(block)
        if intact is None:
            return Deferred(
                contribution.id, f"IPFS failed ({error}) and the CID's hash function is unknown"
            )
        if not intact:
            log.warning(
                "contribution #%d: this IPFS node's copy of %s is damaged (its bytes do not"
                " hash to the CID: %s); not judged this round",
                contribution.id,
                cid,
                error,
            )
            return Deferred(contribution.id, f"this IPFS node's copy is damaged ({error})")
        return Decision.reject(
            contribution.id,
            RejectionReason.INVALID_SCHEMA,
            f"{cid} is not a readable file (IPFS says: {error})",
        )
