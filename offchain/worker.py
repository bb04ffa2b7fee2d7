"""``cmu worker run``: the long-running trainer service.

It follows the chain (polls the best block, reads each new block's pallet events), keeps
the list of models it trains (those given on the command line, or every model where its
key holds the Trainer role), and runs a round (:mod:`offchain.rounds`) for each model with
pending contributions. Chain or IPFS outages are logged once when they start and once when
they end, and retried with exponential backoff; a round interrupted by an outage resumes
from its checkpoint.

A failure that is not an outage (the trainer's account cannot pay the fee, the pool
refuses the extrinsic as too big or invalid, the recipe is too big to be found from its
hash, the spec or validation set is unusable, an unexpected error) would fail the same way
on every retry: it **stops that model's rounds** with one error line saying why, and the
other models go on. A stopped model's rounds resume when something that may have fixed it
happens on chain: its spec changes, it is thawed or its roles change, or the trainer's
account receives funds (or when the worker restarts). With ``--until-idle`` the worker
exits once nothing it can still work on is pending, with exit status 1 when a model was
stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cmu_client.blocks import BlockReader
from cmu_client.chain import CmuChain
from cmu_client.errors import (
    ChainConnectionError,
    CmuError,
    ContentTooLargeError,
    IpfsError,
    TransactionRejectedError,
)
from cmu_client.ipfs import IpfsStore
from cmu_client.keys import Signer
from cmu_client.types import ChainEvent, RoleSet
from offchain import distributed
from offchain.checkpoint import CheckpointStore, Stage
from offchain.inputs import Inputs
from offchain.private_sets import PrivateSetMissing, PrivateSets
from offchain.rounds import Outcome, RoundLimits, RoundResult, RoundRunner
from offchain.screen import Screener
from offchain.statelock import StateDirLock

log = logging.getLogger("offchain.worker")
_T = TypeVar("_T")

#: Events after which the set of models to train may have changed.
_MEMBERSHIP_EVENTS = {
    "Cmu.ModelCreated",
    "Cmu.RoleGranted",
    "Cmu.RoleRevoked",
    "Cmu.ModelThawed",
    "Cmu.VersionPublished",
    "Nfts.Transferred",
}


#: Events about a model after which its stopped rounds are tried again.
_RESUMING_EVENTS = {
    "ModelMetadataSet",  # a new spec
    "ModelThawed",
    "RoleGranted",
    "RoleRevoked",
    "SlashDestinationSet",
}
#: Balances events that credit an account (``who`` / ``to`` / ``account``).
_CREDIT_EVENTS = {"Transfer", "Deposit", "Endowed", "Minted"}

#: What the transaction pool says when retrying cannot help: chopsticks names the
#: ``InvalidTransaction`` variant in JSON, a Substrate node spells it out.
_LASTING_REFUSALS = (
    '"payment"',
    '"exhaustsresources"',
    '"badproof"',
    '"badsigner"',
    '"call"',
    '"mandatory"',
    '"custom"',
    "inability to pay",
    "exhaust the block limits",
    "bad signature",
    "call is not expected",
    "invalid signing address",
    "custom error",
)


def lasting_refusal(error: TransactionRejectedError) -> bool:
    """Whether the pool refused for a reason a retry cannot fix (no fee funds, too big,
    invalid); nonce races and a full pool are worth retrying."""
    text = f"{error}".lower()
    return any(marker in text for marker in _LASTING_REFUSALS)


def _why(error: CmuError) -> str:
    return f"{error} ({error.hint})" if error.hint else str(error)


@dataclass(frozen=True)
class WorkerConfig:
    """How the worker behaves."""

    state_dir: Path
    #: Models to train; ``None``: every model where the key holds the Trainer role.
    models: tuple[int, ...] | None = None
    limits: RoundLimits = field(default_factory=RoundLimits)
    #: Largest single contribution fetched, bytes.
    max_contribution_bytes: int = 256 * 1024 * 1024
    #: Seconds between looks at the chain's head.
    poll_interval: float = 0.5
    #: Train only once no contribution has arrived for this long (batches arrivals).
    settle_seconds: float = 0.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    #: Exit once no watched model has pending contributions (tests, scripts).
    until_idle: bool = False
    #: Stop after this many rounds that published (None: no limit).
    max_rounds: int | None = None
    #: Where the private validation sets this trainer was given are (found by sha2-256).
    validation_dir: Path | None = None
    #: Train on this Dask scheduler with ``lightgbm.dask`` (docs/worker.md, "Training on
    #: Dask"); ``dask_local_workers``: on a LocalCluster of that many processes instead.
    dask_scheduler: str | None = None
    dask_local_workers: int | None = None


@dataclass
class _Outage:
    """A dependency that stopped answering: when, and how long to wait next."""

    what: str
    since: float
    delay: float


class Worker:
    """The trainer service for one key."""

    def __init__(
        self, chain: CmuChain, store: IpfsStore, signer: Signer, config: WorkerConfig
    ) -> None:
        self.chain = chain
        self.store = store
        self.signer = signer
        self.config = config
        self.blocks = BlockReader(chain.connection)
        self.inputs = Inputs(store, PrivateSets(config.validation_dir))
        self.runner = RoundRunner(
            chain,
            self.inputs,
            Screener(self.inputs, config.max_contribution_bytes),
            signer,
            CheckpointStore(config.state_dir),
            config.limits,
        )
        self.results: list[RoundResult] = []
        self._last_block: int | None = None
        self._models: tuple[int, ...] = ()
        self._models_stale = True
        self._outage: _Outage | None = None
        self._seen_count: dict[int, int] = {}
        self._last_arrival: dict[int, float] = {}
        self._paused_until: dict[int, float] = {}
        #: Models whose rounds stopped on a failure that is not an outage, and why.
        self.halted: dict[int, str] = {}
        #: Models waiting for a private validation set this trainer lacks (said once).
        self._waiting_for: dict[int, str] = {}
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Ask the service to stop after the current step."""
        self._stop.set()

    async def _chain(self, fn: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.to_thread(fn, *args)

    # -- main loop ------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until stopped; refuses to start while another worker holds the state
        directory (:class:`offchain.statelock.StateDirLockedError`)."""
        with StateDirLock(self.config.state_dir, self.signer.ss58_address):
            trainer = await asyncio.to_thread(self._dask_trainer)
            try:
                with distributed.using(trainer):
                    await self._serve()
            finally:
                if trainer is not None:
                    await asyncio.to_thread(trainer.close)

    def _dask_trainer(self) -> distributed.DaskTrainer | None:
        if self.config.dask_scheduler is not None:
            trainer = distributed.DaskTrainer.connect(self.config.dask_scheduler)
        elif self.config.dask_local_workers is not None:
            trainer = distributed.DaskTrainer.local(self.config.dask_local_workers)
        else:
            return None
        log.info("training on Dask with %s: workers %s", distributed.ENGINE, trainer.workers())
        return trainer

    async def _serve(self) -> None:
        log.info(
            "worker %s starting (state in %s)", self.signer.ss58_address, self.config.state_dir
        )
        while not self._stop.is_set():
            ran = pending = False
            try:
                ran, pending = await self.step()
                self._recovered()
            except (ChainConnectionError, TransactionRejectedError) as down:
                self._failed("chain", down)
            except IpfsError as down:
                self._failed("IPFS", down)
            if self._outage is None and self.config.until_idle and not pending:
                if self.halted:
                    log.error(
                        "exiting (--until-idle): rounds stopped for model(s) %s",
                        ", ".join(map(str, sorted(self.halted))),
                    )
                else:
                    log.info("no pending contributions left; exiting (--until-idle)")
                return
            if self._done():
                log.info("reached --max-rounds; exiting")
                return
            delay = self._outage.delay if self._outage else self.config.poll_interval
            if ran and self._outage is None:
                delay = 0.0  # look again at once: more may have arrived meanwhile
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
        log.info("worker stopped")

    def _done(self) -> bool:
        limit = self.config.max_rounds
        published = sum(1 for r in self.results if r.outcome is Outcome.PUBLISHED)
        return limit is not None and published >= limit

    async def step(self) -> tuple[bool, bool]:
        """Look at the chain once and run the rounds that are due.

        Returns whether a round ran, and whether any watched model still has pending
        contributions.
        """
        head = await self._chain(self.blocks.head_number)
        if head != self._last_block:
            await self._read_events(head)
            self._last_block = head
        if self._models_stale:
            self._models = await self._watched_models()
            self._models_stale = False
        ran = waiting = False
        for model_id in self._models:
            if self._stop.is_set() or self._done():
                break
            if model_id in self.halted:
                continue
            model = await self._chain(self.chain.model_or_none, model_id)
            if model is None or model.frozen or model.head is None:
                continue
            # A checkpoint left by an interrupted round is settled first, even with nothing
            # pending (its version may have landed just before the crash).
            interrupted = self.runner.checkpoints.load(model_id) is not None
            if model.pending_contributions == 0 and not interrupted:
                continue
            waiting = waiting or model.pending_contributions > 0
            if time.monotonic() < self._paused_until.get(model_id, 0.0):
                continue
            now = time.monotonic()
            if self._seen_count.get(model_id) != model.contribution_count:
                self._seen_count[model_id] = model.contribution_count
                self._last_arrival[model_id] = now
            quiet = now - self._last_arrival.get(model_id, now)
            if not interrupted and quiet < self.config.settle_seconds:
                continue
            await self._round(model_id)
            ran = True
        return ran, waiting

    async def _round(self, model_id: int) -> None:
        try:
            result = await self.runner.run(model_id)
        except TransactionRejectedError as refused:
            if not lasting_refusal(refused):
                raise  # a nonce race or a full pool: retried with backoff
            self._halt(model_id, f"the chain refused the transaction: {_why(refused)}")
            return
        except ContentTooLargeError as large:
            self._halt(model_id, _why(large))
            return
        except (ChainConnectionError, IpfsError):
            raise  # outages: retried with backoff, the round resumes from its checkpoint
        except PrivateSetMissing as missing:
            # The owner may still hand the file over: the directory is scanned again on
            # the next try (offchain/private_sets.py), so this is retried, and said once.
            if self._waiting_for.get(model_id) != str(missing):
                log.error(
                    "model %d: %s; trying again every %.0fs",
                    model_id,
                    _why(missing),
                    self.config.backoff_max,
                )
                self._waiting_for[model_id] = str(missing)
            self._paused_until[model_id] = time.monotonic() + self.config.backoff_max
            return
        except CmuError as failed:
            self._halt(model_id, _why(failed))
            return
        except Exception as bug:  # one model's bug must not stop the others
            log.exception("model %d: unexpected error in the round", model_id)
            self._halt(model_id, f"unexpected error: {type(bug).__name__}: {bug}")
            return
        self._waiting_for.pop(model_id, None)
        self.results.append(result)
        if result.outcome is Outcome.PUBLISHED:
            log.info(
                "model %d: round done in %.2fs (%s)",
                model_id,
                sum(result.timings.values()),
                ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()),
            )
        elif result.outcome is Outcome.SKIPPED:
            log.warning("model %d: skipped: %s", model_id, result.detail)
            self._paused_until[model_id] = time.monotonic() + self.config.backoff_max
        elif result.outcome is Outcome.IDLE and result.deferred:
            self._paused_until[model_id] = time.monotonic() + self.config.backoff_initial * 5

    def _halt(self, model_id: int, why: str) -> None:
        """Stop the model's rounds (see the module doc) with one error line."""
        checkpoint = self.runner.checkpoints.load(model_id)
        if checkpoint is not None and checkpoint.stage < Stage.SUBMITTED:
            # Nothing reached the chain: the round is planned again when it resumes (with
            # the spec then in force).
            self.runner.checkpoints.clear(model_id)
        self.halted[model_id] = why
        log.error(
            "model %d: rounds stopped: %s; they resume when the model's spec, state or roles"
            " change or the trainer's account is funded, or when the worker restarts",
            model_id,
            why,
        )

    def _resume(self, model_id: int, because: str) -> None:
        if self.halted.pop(model_id, None) is not None:
            log.info("model %d: %s; resuming its rounds", model_id, because)

    # -- following the chain --------------------------------------------------------

    async def _read_events(self, head: int) -> None:
        first = head if self._last_block is None else max(self._last_block + 1, head - 50)
        for number in range(first, head + 1):
            block_hash = await self._chain(self.blocks.hash_of, number)
            events = await self._chain(self.blocks.events, block_hash)
            for event in events:
                self._note(number, event)

    def _note(self, block: int, event: ChainEvent) -> None:
        name = event.qualified_name
        if name in _MEMBERSHIP_EVENTS:
            self._models_stale = True
        if self.halted:
            self._maybe_resume(event)
        if event.pallet != "Cmu":
            return
        model = event.attr("model")
        if name == "ContributionSubmitted":
            log.info(
                "block #%d: model %s got contribution #%s (%s rows)",
                block,
                model,
                event.attr("contribution"),
                event.attr("rows"),
            )
        elif name == "VersionPublished":
            log.info(
                "block #%d: model %s version v%s published by %s (accepted %s, rejected %s)",
                block,
                model,
                event.attr("version"),
                event.attr("trainer"),
                event.attr("accepted"),
                event.attr("rejected"),
            )
        elif name in ("ContributionWithdrawn", "HeadSet", "ModelFrozen", "ModelThawed"):
            log.info("block #%d: %s %s", block, name, event.attributes)

    def _maybe_resume(self, event: ChainEvent) -> None:
        if event.pallet == "Cmu" and event.name in _RESUMING_EVENTS:
            model = event.attr("model")
            if model is not None:
                self._resume(int(model), f"{event.name} on chain")
        elif event.pallet == "Balances" and event.name in _CREDIT_EVENTS:
            credited = {event.attr(k) for k in ("to", "who", "account")}
            if self.signer.ss58_address in credited:
                for model_id in list(self.halted):
                    self._resume(model_id, f"the trainer's account was credited ({event.name})")

    async def _watched_models(self) -> tuple[int, ...]:
        if self.config.models is not None:
            return self.config.models
        models = await self._chain(self.chain.models)
        mine: list[int] = []
        for model in models:
            roles = await self._chain(self.chain.roles_of, model.id, self.signer.ss58_address)
            if RoleSet.TRAINER in roles:
                mine.append(model.id)
        if tuple(mine) != self._models:
            log.info("training model(s): %s", ", ".join(map(str, mine)) or "none yet")
        return tuple(mine)

    # -- outages --------------------------------------------------------------------

    def _failed(self, what: str, error: CmuError) -> None:
        now = time.monotonic()
        if self._outage is None or self._outage.what != what:
            self._outage = _Outage(what, now, self.config.backoff_initial)
            log.warning("%s unavailable: %s; retrying with backoff", what, error)
        else:
            self._outage.delay = min(self._outage.delay * 2, self.config.backoff_max)
            log.warning(
                "%s still unavailable after %.0fs; next try in %.0fs",
                what,
                now - self._outage.since,
                self._outage.delay,
            )

    def _recovered(self) -> None:
        if self._outage is not None:
            log.warning(
                "%s available again after %.1fs",
                self._outage.what,
                time.monotonic() - self._outage.since,
            )
            self._outage = None
