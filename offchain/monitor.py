"""``cmu monitor``: a live terminal view of models, versions and contributions.

Every time a new block arrives the view is read again from chain state (models, each
watched model's lineage from the head with metrics, its contributions with status and
deposit) and the recent pallet events are added to a ticker. Reads go through the client
library's paged history functions, so a refresh costs a handful of requests per model.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cmu_client import history
from cmu_client.blocks import BlockReader
from cmu_client.chain import ChainInfo, CmuChain
from cmu_client.errors import ChainConnectionError
from cmu_client.types import (
    ChainEvent,
    Contribution,
    ContributionState,
    Model,
    Version,
    Visibility,
    amount,
)

_STATE_STYLE = {
    ContributionState.PENDING: "yellow",
    ContributionState.ACCEPTED: "green",
    ContributionState.REJECTED: "red",
    ContributionState.WITHDRAWN: "dim",
}


@dataclass(frozen=True)
class ModelView:
    model: Model
    lineage: tuple[Version, ...]
    contributions: tuple[Contribution, ...]


@dataclass
class Snapshot:
    """What the monitor shows, read at one block."""

    block: int
    info: ChainInfo
    models: list[Model]
    views: list[ModelView]
    events: Sequence[tuple[int, ChainEvent]] = field(default_factory=list)
    note: str = ""


def collect(
    chain: CmuChain,
    watched: Sequence[int] | None,
    info: ChainInfo,
    block: int,
    lineage_limit: int = 12,
    contribution_limit: int = 20,
) -> Snapshot:
    """Read the models and, for the watched ones, lineage and recent contributions."""
    models = chain.models()
    if watched is not None:
        models = [m for m in models if m.id in watched]
    views = []
    for model in models:
        lineage = history.lineage(chain, model.id, limit=lineage_limit).versions
        contributions = history.contributions(chain, model.id)[-contribution_limit:]
        views.append(ModelView(model, lineage, tuple(contributions)))
    return Snapshot(block, info, models, views)


def _short(address: str) -> str:
    return address[:6] + "…" + address[-4:] if len(address) > 12 else address


def _money(info: ChainInfo, value: int) -> str:
    return amount(value, info.token_decimals, info.token_symbol)


def render(snapshot: Snapshot) -> RenderableType:
    """The whole screen for one snapshot."""
    parts: list[RenderableType] = [_models_table(snapshot)]
    # pallet-cmu v2 (it has an attestation deposit) counts attestations per version.
    attested = snapshot.info.attestation_deposit is not None
    for view in snapshot.views:
        parts.append(_lineage_table(view, attested))
        parts.append(_contributions_table(view, snapshot.info))
    if snapshot.events:
        parts.append(_events_panel(snapshot.events))
    title = f"CMU on {snapshot.info.chain} — block #{snapshot.block}"
    if snapshot.note:
        title += f" — {snapshot.note}"
    return Panel(Group(*parts), title=title, title_align="left")


def _models_table(snapshot: Snapshot) -> Table:
    table = Table(title="Models", title_justify="left", header_style="bold", expand=False)
    for column in ("model", "owner", "head", "versions", "contributions", "pending", "state"):
        table.add_column(column)
    for m in snapshot.models:
        table.add_row(
            str(m.id),
            _short(m.owner or "-"),
            "-" if m.head is None else f"v{m.head}",
            str(m.version_count),
            str(m.contribution_count),
            str(m.pending_contributions),
            Text("frozen", style="cyan") if m.frozen else Text("active", style="green"),
        )
    return table


def _lineage_table(view: ModelView, attested: bool = False) -> Table:
    # A title, not a column of the Models table: that table just fits 80 columns.
    encrypted = view.model.policy.visibility is Visibility.PERMISSIONED
    table = Table(
        title=f"Model {view.model.id} lineage (head first)"
        + (" · permissioned (encrypted)" if encrypted else ""),
        title_justify="left",
        header_style="bold",
    )
    keys: list[str] = []
    for version in view.lineage:
        for metric in version.metrics:
            if metric.key not in keys:
                keys.append(metric.key)
    extra = ("attestations",) if attested else ()
    for column in ("version", "parent", "block", "trainer", *keys, "accepted", *extra, "status"):
        table.add_column(column)
    for version in view.lineage:
        values = {m.key: f"{m.as_float:.4f}" for m in version.metrics}
        head = version.id == view.model.head
        table.add_row(
            Text(f"v{version.id}" + (" (head)" if head else ""), style="bold" if head else ""),
            "-" if version.parent is None else f"v{version.parent}",
            f"#{version.created_at}",
            _short(version.trainer),
            *(values.get(k, "-") for k in keys),
            ", ".join(f"#{c}" for c in version.contributions) or "-",
            *(
                (f"verified by {version.matches}, disputed by {version.mismatches}",)
                if attested
                else ()
            ),
            version.status.value,
        )
    return table


def _contributions_table(view: ModelView, info: ChainInfo) -> Table:
    table = Table(
        title=f"Model {view.model.id} contributions", title_justify="left", header_style="bold"
    )
    for column in ("id", "contributor", "rows", "deposit", "status", "settled in", "block"):
        table.add_column(column)
    for c in view.contributions:
        table.add_row(
            f"#{c.id}",
            _short(c.contributor),
            str(c.rows),
            _money(info, c.deposit),
            Text(c.status.label(), style=_STATE_STYLE.get(c.status.state, "")),
            "-" if c.settled_in is None else f"v{c.settled_in}",
            f"#{c.submitted_at}",
        )
    return table


def _events_panel(events: Sequence[tuple[int, ChainEvent]]) -> Table:
    table = Table(title="Recent events", title_justify="left", header_style="bold", box=None)
    table.add_column("block")
    table.add_column("event")
    table.add_column("details", overflow="fold")
    for block, event in list(events)[-8:]:
        attrs = event.attributes if isinstance(event.attributes, dict) else {}
        details = ", ".join(
            f"{k}={_short(str(v)) if isinstance(v, str) and len(v) > 20 else v}"
            for k, v in attrs.items()
            if k not in ("artifact_hash", "spec_cid", "data_cid", "artifact_cid")
        )
        table.add_row(f"#{block}", event.name, details)
    return table


async def run_monitor(
    chain: CmuChain,
    watched: Sequence[int] | None,
    refresh: float = 0.5,
    once: bool = False,
    lineage_limit: int = 12,
) -> Snapshot:
    """Show the live view until interrupted (or once); returns the last snapshot."""
    blocks = BlockReader(chain.connection)
    info = await asyncio.to_thread(chain.info)
    block = await asyncio.to_thread(blocks.head_number)
    snapshot = await asyncio.to_thread(collect, chain, watched, info, block, lineage_limit)
    if once:
        return snapshot
    events: deque[tuple[int, ChainEvent]] = deque(maxlen=32)
    down_since: str | None = None
    with Live(render(snapshot), refresh_per_second=4, screen=False) as live:
        last = block
        while True:
            await asyncio.sleep(refresh)
            try:
                head = await asyncio.to_thread(blocks.head_number)
                if head == last:
                    continue
                for number in range(max(last + 1, head - 20), head + 1):
                    block_hash = await asyncio.to_thread(blocks.hash_of, number)
                    for event in await asyncio.to_thread(blocks.events, block_hash):
                        if event.pallet == "Cmu":
                            events.append((number, event))
                last = head
                snapshot = await asyncio.to_thread(
                    collect, chain, watched, info, head, lineage_limit
                )
                snapshot.events = list(events)
                down_since = None
            except ChainConnectionError as down:
                down_since = down_since or time.strftime("%H:%M:%S")
                snapshot.note = f"chain unreachable since {down_since}: {down.message}"
            live.update(render(snapshot))
