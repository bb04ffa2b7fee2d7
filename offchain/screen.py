"""Screening a contribution before training: fetch, hash check, schema check.

The outcome is a :class:`Candidate` (usable rows), a rejection :class:`Decision` whose
fault is the contributor's, or :class:`Deferred` when the problem may be ours (IPFS down,
a slow fetch not yet retried enough, the round's byte budget used up): deferred
contributions stay pending and are looked at again in a later round. A contributor is
never slashed because the worker's own IPFS node is unreachable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cmu_client.errors import (
    ContentNotFoundError,
    ContentTooLargeError,
    DataError,
    HashMismatchError,
    IpfsError,
    IpfsTimeoutError,
    UsageError,
)
from cmu_client.spec import ModelSpec
from cmu_client.types import Contribution, RejectionReason
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

    async def size(self, contribution: Contribution) -> int | Decision:
        """The data's size in bytes, or the rejection when it cannot be found."""
        try:
            return await self.inputs.store.size(contribution.data_cid)
        except (ContentNotFoundError, UsageError) as missing:
            return await self._unreachable_or_outage(contribution, str(missing))
        except IpfsError as failed:
            await self._raise_if_outage(failed)
            raise

    async def screen(self, contribution: Contribution, spec: ModelSpec) -> Screened:
        """Fetch, check and parse one contribution's data."""
        what = f"contribution {contribution.id} data"
        try:
            data = await self.inputs.dataset(
                contribution.data_cid, contribution.data_hash, spec, what, self.max_bytes
            )
        except HashMismatchError as mismatch:
            return Decision.reject(contribution.id, RejectionReason.HASH_MISMATCH, str(mismatch))
        except DataError as invalid:
            return Decision.reject(contribution.id, RejectionReason.INVALID_SCHEMA, str(invalid))
        except ContentTooLargeError as large:
            return Decision.reject(contribution.id, RejectionReason.INVALID_SCHEMA, str(large))
        except (ContentNotFoundError, UsageError) as missing:
            return await self._unreachable_or_outage(contribution, str(missing))
        except IpfsTimeoutError as slow:
            await self._raise_if_outage(slow)
            key = (contribution.model, contribution.id)
            self._timeouts[key] = self._timeouts.get(key, 0) + 1
            if self._timeouts[key] >= self.timeouts_before_unreachable:
                return Decision.reject(
                    contribution.id,
                    RejectionReason.UNREACHABLE,
                    f"fetching {contribution.data_cid} timed out {self._timeouts[key]} times",
                )
            return Deferred(contribution.id, f"fetch timed out ({self._timeouts[key]} so far)")
        except IpfsError as failed:
            await self._raise_if_outage(failed)
            raise
        if data.rows != contribution.rows:
            return Decision.reject(
                contribution.id,
                RejectionReason.INVALID_SCHEMA,
                f"registered with {contribution.rows} rows but the data has {data.rows}",
            )
        ref = DataRef(contribution.data_cid, contribution.data_hash, data.rows, contribution.id)
        return Candidate(ref, data)

    async def _unreachable_or_outage(self, contribution: Contribution, detail: str) -> Decision:
        if not await self.ipfs_answers():
            raise IpfsOutage("the IPFS API does not answer", "start Kubo (scripts/ipfs.sh start)")
        return Decision.reject(contribution.id, RejectionReason.UNREACHABLE, detail)

    async def _raise_if_outage(self, error: IpfsError) -> None:
        if not await self.ipfs_answers():
            raise IpfsOutage(f"the IPFS API does not answer ({error})") from None
