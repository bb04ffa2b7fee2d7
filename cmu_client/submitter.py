"""Signing and submitting extrinsics: one at a time, pipelined, or batched.

Pipelining keeps up to ``max_in_flight`` extrinsics from one key in the pool at once:
nonces are assigned locally (n, n+1, ...) so the next extrinsic is signed and sent
without waiting for the previous one's block. Inclusion is then found by reading the
new blocks' bodies (one read per block, not per extrinsic) and their events, so every
extrinsic still gets its own result: block, index, success, events and decoded error.

Batching puts many calls in one extrinsic with ``Utility.batch_all`` (all or nothing)
or ``Utility.force_batch`` (each call on its own); the per-call results are recovered
from the ``Utility.ItemCompleted`` / ``ItemFailed`` events that delimit each call's
events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from substrateinterface.exceptions import SubstrateRequestException

from cmu_client import decode, features
from cmu_client.blocks import BlockReader
from cmu_client.calls import Call, batch_all, force_batch
from cmu_client.connection import ChainConnection
from cmu_client.errors import ChainError, ChainTimeoutError, CmuError, TransactionRejectedError
from cmu_client.keys import Signer
from cmu_client.types import CallResult, ChainEvent, ExtrinsicResult

log = logging.getLogger(__name__)

#: How often a call whose nonce another process took is signed and sent again.
RESEND_ATTEMPTS = 3

#: Pool errors that mean "your nonce is out of step": refresh it and sign again.
_NONCE_MARKERS = ("outdated", "stale", "priority is too low", "already imported")


@dataclass
class _InFlight:
    index: int
    call: Call
    nonce: int
    extrinsic_hash: str


def compose(substrate: Any, call: Call) -> Any:
    """A scalecodec GenericCall for ``call`` against the live metadata; calls built for
    pallet-cmu v2 are adapted to (or refused by) an older runtime first
    (:func:`cmu_client.features.adapt`)."""
    call = features.adapt(call, features.detect(substrate))
    return _compose(substrate, call)


def _compose(substrate: Any, call: Call) -> Any:
    if call.nested:
        inner = [_compose(substrate, c).value for c in call.nested]
        return substrate.compose_call(call.pallet, call.function, {"calls": inner})
    return substrate.compose_call(call.pallet, call.function, dict(call.args))


def _pool_error(error: Any) -> TransactionRejectedError:
    if isinstance(error, dict):
        message = str(error.get("message", ""))
        data = str(error.get("data", "") or "")
    else:
        message, data = str(error), ""
    detail = f"{message}: {data}" if data else message
    hint = None
    lowered = detail.lower()
    if "pay" in lowered or "balance" in lowered:
        hint = "fund the signing account (it cannot pay the fee)"
    elif "outdated" in lowered or "stale" in lowered:
        hint = "another transaction from this key used the nonce; retry"
    return TransactionRejectedError(f"the transaction pool refused the extrinsic ({detail})", hint)


class Submitter:
    """Submits calls signed by one key over one connection."""

    def __init__(
        self,
        connection: ChainConnection,
        signer: Signer,
        *,
        max_in_flight: int = 32,
        inclusion_timeout: float | None = None,
    ) -> None:
        self.connection = connection
        self.signer = signer
        self.max_in_flight = max(1, max_in_flight)
        self.inclusion_timeout = inclusion_timeout or connection.settings.inclusion_timeout
        self.blocks = BlockReader(connection)
        self._next_nonce: int | None = None

    # -- nonces -------------------------------------------------------------------

    def _chain_nonce(self) -> int:
        return int(self.connection.rpc("system_accountNextIndex", [self.signer.ss58_address]))

    def _take_nonce(self) -> int:
        if self._next_nonce is None:
            self._next_nonce = self._chain_nonce()
        nonce = self._next_nonce
        self._next_nonce += 1
        return nonce

    def reset_nonce(self) -> None:
        """Forget the local nonce; the next submission asks the chain."""
        self._next_nonce = None

    # -- sending ------------------------------------------------------------------

    def _send(self, call: Call, nonce: int) -> str:
        def action(substrate: Any) -> str:
            extrinsic = substrate.create_signed_extrinsic(
                call=compose(substrate, call), keypair=self.signer, nonce=nonce
            )
            response = substrate.rpc_request("author_submitExtrinsic", [str(extrinsic.data)])
            if "error" in response:
                raise SubstrateRequestException(response["error"])
            return str(response["result"])

        # Not retried on a dropped connection: the extrinsic may have reached the pool.
        return self.connection.run(action, retry=False, what=f"{call.name} submission")

    def _send_with_nonce(self, call: Call) -> tuple[int, str]:
        for attempt in range(2):
            nonce = self._take_nonce()
            try:
                return nonce, self._send(call, nonce)
            except CmuError:
                # Refused before it was sent (e.g. a call this runtime lacks): the nonce
                # was not used, so the next call must not skip it.
                self.reset_nonce()
                raise
            except SubstrateRequestException as exc:
                error = exc.args[0] if exc.args else exc
                rejected = _pool_error(error)
                self.reset_nonce()
                if attempt == 0 and any(m in str(rejected).lower() for m in _NONCE_MARKERS):
                    log.info("nonce %d refused (%s); refreshing", nonce, rejected)
                    continue
                raise rejected from None
        raise AssertionError("unreachable")

    # -- public API ---------------------------------------------------------------

    def submit(self, call: Call) -> ExtrinsicResult:
        """Submit one call and wait for its block; raises ChainError if it failed."""
        result = self.submit_many([call])[0]
        if result.error is not None:
            raise result.error
        return result

    def submit_many(self, calls: Sequence[Call]) -> list[ExtrinsicResult]:
        """Submit each call as its own extrinsic, up to ``max_in_flight`` at once.

        Returns one result per call, in order. A call that failed on chain has
        ``success=False`` and its ChainError in ``error``; nothing is raised for it. A
        call the pool refused raises TransactionRejectedError after the calls already
        in flight have landed. When another process signing with the same key takes a
        nonce first, the calls that lost their nonce (and so never ran) are signed again
        with fresh nonces and sent after the others, up to ``RESEND_ATTEMPTS`` times.
        """
        results: dict[int, ExtrinsicResult] = {}
        queue = list(enumerate(calls))
        resent: dict[int, int] = {}
        start = self.blocks.head_number()
        refused: CmuError | None = None
        while queue:
            window: list[_InFlight] = []
            while queue and len(window) < self.max_in_flight:
                index, call = queue[0]
                try:
                    nonce, ext_hash = self._send_with_nonce(call)
                except CmuError as exc:
                    refused = exc
                    queue.clear()
                    break
                queue.pop(0)
                window.append(_InFlight(index, call, nonce, ext_hash))
            if window:
                start, lost = self._await(window, start, results)
                for item in lost:
                    resent[item.index] = resent.get(item.index, 0) + 1
                    if resent[item.index] > RESEND_ATTEMPTS:
                        raise TransactionRejectedError(
                            f"{item.call.name} lost its nonce to another extrinsic from the "
                            f"same key {RESEND_ATTEMPTS + 1} times",
                            "another process signs with this key; use a key of its own",
                        )
                    log.info(
                        "nonce %d of %s was taken by another extrinsic; resending",
                        item.nonce,
                        item.call.name,
                    )
                    queue.append((item.index, item.call))
            if refused is not None:
                break
        if refused is not None:
            raise refused
        return [results[i] for i in range(len(calls))]

    def submit_batch(self, calls: Sequence[Call], *, atomic: bool = True) -> list[CallResult]:
        """All calls in one extrinsic; one CallResult per call.

        ``atomic=True`` uses ``batch_all``: if any call fails none is applied, and
        every result carries the failing call's error. ``atomic=False`` uses
        ``force_batch``: each call succeeds or fails on its own.
        """
        wrapper = batch_all(calls) if atomic else force_batch(calls)
        outcome = self.submit_many([wrapper])[0]
        metadata = self.connection.run(lambda s: s.metadata, what="metadata")
        return split_batch_results(outcome, len(calls), self.signer.ss58_address, metadata)

    # -- waiting for blocks -------------------------------------------------------

    def _account_nonce_at(self, block_hash: str) -> int:
        def action(substrate: Any) -> int:
            info = substrate.query(
                "System", "Account", [self.signer.ss58_address], block_hash=block_hash
            )
            return int(info.value["nonce"])

        return self.connection.run(action, what="account nonce read")

    def _await(
        self, window: list[_InFlight], scanned: int, results: dict[int, ExtrinsicResult]
    ) -> tuple[int, list[_InFlight]]:
        """Read new blocks until every extrinsic of ``window`` is found or provably lost
        (its nonce used by another extrinsic); returns the last block number read and the
        lost ones, which never ran."""
        waiting = {item.extrinsic_hash: item for item in window}
        lost_so_far: list[_InFlight] = []
        deadline = time.monotonic() + self.inclusion_timeout
        delay = 0.01
        last_nonce_check = time.monotonic()
        while waiting:
            head = self.blocks.head_number()
            for block in self.blocks.blocks_between(scanned + 1, head):
                found = [h for h in block.extrinsic_hashes if h in waiting]
                if found:
                    events = self.blocks.events(block.hash)
                    for ext_hash in found:
                        item = waiting.pop(ext_hash)
                        index = block.extrinsic_hashes.index(ext_hash)
                        results[item.index] = self._result(
                            item, block.hash, block.number, index, events
                        )
                scanned = block.number
            if not waiting:
                break
            if time.monotonic() - last_nonce_check > 2.0:
                # Every block up to `scanned` has been read: if the account's nonce there
                # has passed an extrinsic's nonce, another extrinsic used it and ours can
                # never be included. (Pool listings are not reliable on every node.)
                last_nonce_check = time.monotonic()
                used = self._account_nonce_at(self.blocks.hash_of(scanned))
                lost = [item for item in waiting.values() if item.nonce < used]
                if lost:
                    self.reset_nonce()
                    for item in lost:
                        del waiting[item.extrinsic_hash]
                    lost_so_far.extend(lost)
            if time.monotonic() > deadline:
                self.reset_nonce()
                raise ChainTimeoutError(
                    f"{len(waiting)} extrinsic(s) not included within "
                    f"{self.inclusion_timeout:g}s (first: {next(iter(waiting))})",
                    "is the chain producing blocks? check `scripts/chain.sh status`",
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        return scanned, lost_so_far

    def _result(
        self,
        item: _InFlight,
        block_hash: str,
        block_number: int,
        index: int,
        block_events: list[ChainEvent],
    ) -> ExtrinsicResult:
        events = tuple(e for e in block_events if e.extrinsic_index == index)
        success = any(e.pallet == "System" and e.name == "ExtrinsicSuccess" for e in events)
        error: ChainError | None = None
        fee = 0
        for e in events:
            if e.pallet == "TransactionPayment" and e.name == "TransactionFeePaid":
                fee = int(e.attr("actual_fee") or 0)
            if e.pallet == "System" and e.name == "ExtrinsicFailed":
                metadata = self.connection.run(lambda s: s.metadata, what="metadata")
                error = decode.dispatch_error(
                    e.attr("dispatch_error"), metadata, item.extrinsic_hash
                )
        return ExtrinsicResult(
            extrinsic_hash=item.extrinsic_hash,
            block_hash=block_hash,
            block_number=block_number,
            extrinsic_index=index,
            success=success and error is None,
            events=events,
            fee=fee,
            error=error,
        )


_BOOKKEEPING_PALLETS = {"System", "TransactionPayment"}


def split_batch_results(
    outcome: ExtrinsicResult, count: int, signer: str, metadata: Any
) -> list[CallResult]:
    """Per-call results of a batch extrinsic, from the events between item markers."""
    if not outcome.success:
        return [CallResult(i, False, (), outcome.error, outcome) for i in range(count)]
    events = [e for e in outcome.events if e.pallet not in _BOOKKEEPING_PALLETS]
    # The fee is withdrawn before the first call runs and refunded after the last.
    if (
        events
        and events[0].qualified_name == "Balances.Withdraw"
        and events[0].attr("who") == signer
    ):
        events = events[1:]
    results: list[CallResult] = []
    current: list[ChainEvent] = []
    for e in events:
        if e.qualified_name in ("Utility.ItemCompleted", "Utility.ItemFailed"):
            error = None
            if e.name == "ItemFailed":
                error = decode.dispatch_error(e.attr("error"), metadata, outcome.extrinsic_hash)
            results.append(CallResult(len(results), error is None, tuple(current), error, outcome))
            current = []
        elif e.pallet == "Utility":
            continue
        else:
            current.append(e)
    while len(results) < count:  # markers missing: report what is known, per call
        results.append(CallResult(len(results), outcome.success, (), None, outcome))
    return results[:count]
