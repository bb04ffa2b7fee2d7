"""Which version ``cmu serve`` serves, and swapping it in without a failed request.

:class:`HeadFollower` polls the model's record (one storage read per poll, plus the
version's). When the version to serve changes it fetches the artifact from IPFS, checks
its sha2-256 against the chain, loads it (LightGBM, in a thread) and only then replaces
:attr:`HeadFollower.current`, one immutable :class:`Served`, by a single reference
assignment. A request reads ``current`` once when it starts and uses that object to the
end, so requests in flight finish on the old version while new ones get the new; nothing
is unloaded under a request (the old booster is freed when its last request finishes).

The version to serve:

- ``--pin V``: that version, as long as it is not revoked (a pinned version that becomes
  revoked is unloaded: prediction answers 503 saying so).
- otherwise the head; when the head is revoked, the newest version of its lineage that is
  not (its nearest non-revoked ancestor), with a note in the log and in ``GET /model``.

A failed poll (chain stopped, IPFS down, a hash mismatch) leaves the version in service
untouched; the error is kept in :attr:`HeadFollower.last_error` and retried next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cmu_client.chain import CmuChain
from cmu_client.errors import (
    ArtifactError,
    ChainConnectionError,
    CmuError,
    PermissionDeniedError,
    UsageError,
)
from cmu_client.ipfs import IpfsStore
from cmu_client.predict import lightgbm_feature_names, load_booster
from cmu_client.spec import MAX_SPEC_BYTES, ModelSpec, parse_spec
from cmu_client.types import Model, RoleSet, Version, VersionStatus, Visibility

log = logging.getLogger("cmu.serve")


@dataclass(frozen=True)
class Served:
    """One loaded version: everything a request needs, never changed after the swap."""

    model: int
    version: Version
    spec: ModelSpec
    spec_hash: bytes
    booster: Any  # lightgbm.Booster
    #: Unix time the artifact's hash was checked against the chain and it was loaded.
    verified_at: float
    #: Why this version and not the head (a revoked head), else None.
    fallback: str | None = None


@dataclass(frozen=True)
class Choice:
    """What the chain says should be served now."""

    version: Version | None
    head: int | None
    note: str | None  # a fallback or a reason nothing can be served
    spec_cid: str = ""
    spec_hash: bytes = b""


@dataclass
class FollowerState:
    """What ``GET /model`` and the metrics report besides the version in service."""

    head: int | None = None
    chain_ok: bool = False
    last_poll: float | None = None
    last_error: str | None = None
    last_swap: float | None = None
    swaps: int = 0
    #: Why nothing is served although a version was (pinned or every version revoked).
    unavailable: str | None = None
    history: list[tuple[float, int, str]] = field(default_factory=list)


class HeadFollower:
    def __init__(
        self,
        chain: CmuChain,
        store: IpfsStore,
        model: int,
        *,
        pin: int | None = None,
        poll: float = 1.0,
        reader: str | None = None,
        on_swap: Callable[[Served], None] | None = None,
    ) -> None:
        self.chain = chain
        self.store = store
        self.model = model
        self.pin = pin
        self.poll = poll
        self.reader = reader
        self.on_swap = on_swap
        self.current: Served | None = None
        self.state = FollowerState()
        self._spec_cache: dict[bytes, ModelSpec] = {}
        self._stopping = asyncio.Event()

    # -- choosing -------------------------------------------------------------------

    def choose(self) -> Choice:
        """The version to serve now (blocking chain reads: call in a thread)."""
        model = self.chain.model(self.model)
        self._check_access(model)

        def made(version: Version | None, note: str | None) -> Choice:
            return Choice(version, model.head, note, model.spec_cid, model.spec_hash)

        if self.pin is not None:
            version = self.chain.version(self.model, self.pin)
            if version.status is VersionStatus.REVOKED:
                return made(None, f"the pinned version v{self.pin} is revoked and is not served")
            return made(version, None)
        if model.head is None:
            return made(None, f"model {self.model} has no version yet")
        version = self.chain.version(self.model, model.head)
        revoked = []
        while version.status is VersionStatus.REVOKED:
            revoked.append(version.id)
            if version.parent is None:
                return made(None, f"the head v{model.head} and every version before it are revoked")
            version = self.chain.version(self.model, version.parent)
        note = None
        if revoked:
            skipped = ", ".join(f"v{v}" for v in revoked)
            note = (
                f"the head v{model.head} is revoked; serving v{version.id}, the newest "
                f"good version of its lineage (revoked: {skipped})"
            )
        return made(version, note)

    def _check_access(self, model: Model) -> None:
        if model.policy.visibility is not Visibility.PERMISSIONED:
            return
        if self.reader is None:
            raise UsageError(
                f"model {model.id} is permissioned: serving it needs a key holding a role on it",
                "pass --key",
            )
        if self.chain.roles_of(model.id, self.reader) == RoleSet.none():
            raise PermissionDeniedError(
                "Cmu",
                "NotReader",
                f"model {model.id} is permissioned and {self.reader} holds no role on it",
                "ask the owner or an admin: `cmu role grant MODEL ADDRESS reader`",
            )

    # -- loading --------------------------------------------------------------------

    async def load(self, choice: Choice) -> Served:
        """Fetch, hash-check and load ``choice.version`` (the spec too when it changed)."""
        assert choice.version is not None
        version = choice.version
        spec = self._spec_cache.get(choice.spec_hash)
        if spec is None:
            raw = await self.store.get(
                choice.spec_cid,
                choice.spec_hash,
                f"model {self.model} spec",
                max_bytes=MAX_SPEC_BYTES,
            )
            spec = parse_spec(raw)
            self._spec_cache = {choice.spec_hash: spec}
        artifact = await self.store.get(
            version.artifact_cid,
            version.artifact_hash,
            f"model {self.model} version {version.id} artifact",
        )
        booster = await asyncio.to_thread(load_booster, artifact)  # after the hash check
        names = list(booster.feature_name())
        if names != lightgbm_feature_names(spec.feature_names):
            raise ArtifactError(f"v{version.id}: the model's features differ from the spec's")
        return Served(
            self.model, version, spec, choice.spec_hash, booster, time.time(), choice.note
        )

    # -- the loop -------------------------------------------------------------------

    async def step(self) -> None:
        """One poll: choose, and load and swap when the choice changed."""
        choice = await asyncio.to_thread(self.choose)
        self.state.head = choice.head
        self.state.chain_ok = True
        self.state.last_poll = time.time()
        current = self.current
        if choice.version is None:
            if current is not None or self.state.unavailable != choice.note:
                log.warning("not serving: %s", choice.note)
            self.current = None
            self.state.unavailable = choice.note
            return
        self.state.unavailable = None
        if (
            current is not None
            and current.version.id == choice.version.id
            and current.spec_hash == choice.spec_hash
        ):
            if current.version != choice.version or current.fallback != choice.note:
                # same bytes, a new status (deprecated) or a new reason: no reload
                self.current = Served(
                    current.model,
                    choice.version,
                    current.spec,
                    current.spec_hash,
                    current.booster,
                    current.verified_at,
                    choice.note,
                )
            return
        served = await self.load(choice)
        old = self.current
        self.current = served  # the swap: one reference assignment
        self.state.swaps += 1
        self.state.last_swap = time.time()
        reason = "pinned" if self.pin is not None else (choice.note or "head")
        self.state.history.append((self.state.last_swap, served.version.id, reason))
        del self.state.history[:-50]
        if choice.note:
            log.warning("%s", choice.note)
        log.info(
            "serving model %d v%d (artifact %s, sha2-256 verified)%s",
            self.model,
            served.version.id,
            served.version.artifact_cid,
            f", replacing v{old.version.id}" if old else "",
        )
        if self.on_swap is not None:
            self.on_swap(served)

    async def run(self) -> None:
        """Poll until :meth:`stop`; errors are logged and the next poll retries."""
        while not self._stopping.is_set():
            try:
                await self.step()
                self.state.last_error = None
            except CmuError as exc:
                self._failed(exc)
            except Exception as exc:  # keep serving whatever goes wrong in one poll
                log.exception("poll failed")
                self._failed(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll)

    def _failed(self, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, CmuError) and exc.hint:
            text += f" ({exc.hint})"
        if text != self.state.last_error:
            serving = f"v{self.current.version.id}" if self.current else "nothing"
            log.warning("poll failed, still serving %s: %s", serving, text)
        self.state.last_error = text
        if isinstance(exc, ChainConnectionError):
            self.state.chain_ok = False

    def stop(self) -> None:
        self._stopping.set()
