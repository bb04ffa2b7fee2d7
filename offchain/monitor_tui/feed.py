"""What the monitor shows, kept up to date incrementally (no Textual here).

:class:`ChainFeed` reads everything once (models, every watched model's versions,
contributions and role holders, in pages), then on each new block only what changed:
the new blocks' events (never history again), the models' records (one paged read), new
version and contribution ids, versions whose status an event changed, contributions that
were pending, and role holders of models with role events. A model with 1,000 versions
costs four storage requests on the first read and none afterwards unless it changes.

When the chain is unreachable :meth:`ChainFeed.refresh` raises nothing: it records since
when and why (:attr:`ChainFeed.down_since`, :attr:`ChainFeed.last_error`) and the next
call tries again, catching up on the blocks it missed (the last
:data:`CATCH_UP_BLOCKS`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from cmu_client import history
from cmu_client.blocks import BlockReader
from cmu_client.chain import ChainInfo, CmuChain
from cmu_client.errors import CmuError
from cmu_client.types import (
    ChainEvent,
    Contribution,
    ContributionState,
    Model,
    RoleSet,
    Version,
)

#: Blocks whose events are read after a gap (a restart, a long outage).
CATCH_UP_BLOCKS = 50
#: Blocks whose events are shown when the monitor starts.
STARTUP_BLOCKS = 20
#: Events kept for the feed.
EVENTS_KEPT = 500
PAGE = 256


@dataclass
class ModelState:
    model: Model
    versions: dict[int, Version] = field(default_factory=dict)
    contributions: dict[int, Contribution] = field(default_factory=dict)
    roles: dict[str, RoleSet] = field(default_factory=dict)
    #: Unix time of blocks this model's pending contributions and newest version were
    #: included in (``Timestamp.Now`` at that block), for ages.
    times: dict[int, float] = field(default_factory=dict)

    def newest_version(self) -> Version | None:
        return self.versions[max(self.versions)] if self.versions else None

    def metric_keys(self) -> list[str]:
        keys: list[str] = []
        for version in self.versions.values():
            for metric in version.metrics:
                if metric.key not in keys:
                    keys.append(metric.key)
        return keys

    def pending(self) -> list[Contribution]:
        return [
            c for c in self.contributions.values() if c.status.state is ContributionState.PENDING
        ]

    def lineage(self) -> list[Version]:
        """Head first, through parent links (versions off the line are left out)."""
        out: list[Version] = []
        current = self.model.head
        while current is not None and current in self.versions:
            version = self.versions[current]
            out.append(version)
            current = version.parent
        return out


@dataclass(frozen=True)
class FeedEvent:
    block: int
    event: ChainEvent
    #: Unix time of the block (its ``Timestamp.Now``).
    seen: float


class ChainFeed:
    def __init__(self, chain: CmuChain, watched: Sequence[int] | None = None) -> None:
        self.chain = chain
        self.watched = None if watched is None else set(watched)
        self.blocks = BlockReader(chain.connection)
        self.info: ChainInfo | None = None
        self.block: int | None = None
        self.models: dict[int, ModelState] = {}
        self.events: deque[FeedEvent] = deque(maxlen=EVENTS_KEPT)
        self.down_since: float | None = None
        self.last_error: str | None = None
        self.refreshes = 0
        self._backfill_blocks: tuple[int, int] | None = None
        #: Changes when :attr:`events` was rewritten rather than appended to.
        self.generation = 0
        #: Events appended since the start (the deque keeps the last EVENTS_KEPT).
        self.event_count = 0
        self._times: dict[int, float] = {}

    @property
    def connected(self) -> bool:
        return self.down_since is None and self.block is not None

    def refresh(self) -> bool:
        """Catch up with the chain (blocking: run it in a thread). True when anything new
        was read; never raises a :class:`CmuError` (see :attr:`down_since`)."""
        try:
            changed = self._refresh()
        except CmuError as exc:
            if self.down_since is None:
                self.down_since = time.time()
            self.last_error = exc.message
            return True
        except (OSError, ConnectionError, LookupError) as exc:
            if self.down_since is None:
                self.down_since = time.time()
            self.last_error = str(exc)
            return True
        was_down = self.down_since is not None
        self.down_since = None
        self.last_error = None
        return changed or was_down

    def _refresh(self) -> bool:
        if self.info is None:
            self.info = self.chain.info()
        backfilled = self._backfill()
        head = self.blocks.head_number()
        if self.block is not None and head == self.block:
            return backfilled
        first_time = self.block is None
        touched_versions: dict[int, set[int]] = {}
        role_models: set[int] = set()
        # only blocks not seen yet (at most CATCH_UP_BLOCKS after a gap): history is never
        # read again. The first read shows the state at once; the last STARTUP_BLOCKS'
        # events are read on the next call (:meth:`_backfill`).
        start = head + 1 if self.block is None else self.block + 1
        if first_time:
            self._backfill_blocks = (max(0, head - STARTUP_BLOCKS + 1), head)
        for number in range(max(start, head - CATCH_UP_BLOCKS + 1, 0), head + 1):
            for event in self.blocks.events(self.blocks.hash_of(number)):
                if event.pallet != "Cmu":
                    continue
                self.events.append(FeedEvent(number, event, self._block_time(number)))
                self.event_count += 1
                model = event.attr("model")
                if first_time or model is None:
                    continue
                if event.name in ("VersionDeprecated", "VersionRevoked", "VersionAttested"):
                    touched_versions.setdefault(int(model), set()).add(int(event.attr("version")))
                if event.name in ("RoleGranted", "RoleRevoked"):
                    role_models.add(int(model))
        models = self.chain.models()
        for model in models:
            if self.watched is not None and model.id not in self.watched:
                continue
            state = self.models.get(model.id)
            if state is None:
                state = self.models[model.id] = ModelState(model)
                role_models.add(model.id)
            previous = state.model
            state.model = model
            self._versions(state, previous, touched_versions.get(model.id, set()))
            self._contributions(state, previous, first_time)
            self._block_times(state)
            if model.id in role_models:
                state.roles = self.chain.role_holders(model.id)
        for gone in set(self.models) - {m.id for m in models}:
            del self.models[gone]
        self.block = head
        self.refreshes += 1
        return True

    def _backfill(self) -> bool:
        """The events of the blocks before the monitor started, once, oldest first."""
        if self._backfill_blocks is None:
            return False
        first, last = self._backfill_blocks
        self._backfill_blocks = None
        earlier = [
            FeedEvent(number, event, self._block_time(number))
            for number in range(first, last + 1)
            for event in self.blocks.events(self.blocks.hash_of(number))
            if event.pallet == "Cmu"
        ]
        later = list(self.events)
        self.events.clear()
        self.events.extend([*earlier, *later])
        self.event_count += len(earlier)
        self.generation += 1  # the feed was reordered: a viewer writes it again
        return bool(earlier)

    def _versions(self, state: ModelState, previous: Model, touched: set[int]) -> None:
        model = state.model
        wanted = [i for i in range(len(state.versions), model.version_count)]
        wanted += [i for i in touched if i in state.versions]
        if previous.head != model.head and previous.head is not None:
            wanted.append(previous.head)
        for low in range(0, len(wanted), PAGE):
            state.versions.update(
                history.read_versions(self.chain, model.id, wanted[low : low + PAGE])
            )

    def _contributions(self, state: ModelState, previous: Model, first_time: bool) -> None:
        model = state.model
        wanted = list(range(len(state.contributions), model.contribution_count))
        if not first_time and (
            previous.version_count != model.version_count
            or previous.pending_contributions != model.pending_contributions
        ):
            wanted += [c.id for c in state.pending()]
        for low in range(0, len(wanted), PAGE):
            found = history.read_contributions(self.chain, model.id, wanted[low : low + PAGE])
            state.contributions.update(found)

    def _block_times(self, state: ModelState) -> None:
        blocks = {c.submitted_at for c in state.pending()}
        newest = state.newest_version()
        if newest is not None:
            blocks.add(newest.created_at)
        for number in blocks:
            state.times[number] = self._block_time(number)

    def _block_time(self, number: int) -> float:
        if number not in self._times:
            self._times[number] = self._timestamp(number)
        return self._times[number]

    def _timestamp(self, number: int) -> float:
        """Unix time of block ``number`` (its ``Timestamp.Now``)."""
        block_hash = self.blocks.hash_of(number)
        millis = self.chain.connection.run(
            lambda s: s.query("Timestamp", "Now", block_hash=block_hash).value,
            what="Timestamp.Now read",
        )
        return int(millis) / 1000
