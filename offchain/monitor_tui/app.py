"""The monitor as a Textual application: the screen people keep open beside a worker.

Keys (also in the footer): ``n``/``p`` or ``]``/``[`` next/previous model, ``1``-``4`` or
``tab`` the panes (versions, contributions, events, roles), ``r`` read now, ``q`` quit.

Layout: a status line (chain, block, live or reconnecting), the models list on the left,
and for the selected model a summary (head, the acceptance metric's trend over the
lineage as a sparkline, pending contributions and the oldest one's age, the trainer's
last activity), then the panes. Tables choose their columns for the width they get
(:mod:`offchain.monitor_tui.view`). The event feed only appends new events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, OptionList, RichLog, Static, TabbedContent, TabPane

from cmu_client.chain import CmuChain
from cmu_client.types import Visibility
from offchain.monitor_tui import view
from offchain.monitor_tui.feed import ChainFeed, ModelState

PANES = ("versions", "contributions", "events", "roles")


class MonitorApp(App[None]):
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #status { height: 1; background: $primary-background; }
    #models { width: 16; border-right: solid $primary; }
    #summary { height: 3; }
    TabbedContent { height: 1fr; }
    DataTable { height: 1fr; }
    RichLog { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_model", "next"),
        Binding("p", "previous_model", "prev"),
        Binding("]", "next_model", show=False),
        Binding("[", "previous_model", show=False),
        Binding("1", "pane('versions')", "versions"),
        Binding("2", "pane('contributions')", "contribs"),
        Binding("3", "pane('events')", "events"),
        Binding("4", "pane('roles')", "roles"),
        Binding("tab", "next_pane", show=False, priority=True),
        Binding("r", "refresh_now", "read now", show=False),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, chain: CmuChain, watched: Sequence[int] | None, poll: float = 0.5) -> None:
        super().__init__()
        self.feed = ChainFeed(chain, watched)
        self.poll = poll
        self.selected: int | None = None
        self._events_shown = 0
        self._width: int | None = None
        self._events_generation = 0
        self._busy = False
        self._model_ids: list[int] = []
        self._last_render = 0.0

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("connecting…", id="status")
        with Horizontal():
            yield OptionList(id="models")
            with Vertical():
                yield Static("", id="summary")
                with TabbedContent(initial="versions"):
                    with TabPane("1 versions", id="versions"):
                        yield DataTable(id="versions-table", cursor_type="row", zebra_stripes=True)
                    with TabPane("2 contribs", id="contributions"):
                        yield DataTable(id="contributions-table", cursor_type="row")
                    with TabPane("3 events", id="events"):
                        yield RichLog(id="events-log", wrap=True, markup=False)
                    with TabPane("4 roles", id="roles"):
                        yield DataTable(id="roles-table", cursor_type="row")
        yield Footer()

    async def on_mount(self) -> None:
        self.set_interval(self.poll, self._tick)
        await self._tick()

    def on_resize(self, event: events.Resize) -> None:
        self._width = event.size.width
        self._render_model(force=True)

    # -- keys -----------------------------------------------------------------------

    def action_next_model(self) -> None:
        self._move(1)

    def action_previous_model(self) -> None:
        self._move(-1)

    def _move(self, step: int) -> None:
        if not self._model_ids:
            return
        index = self._model_ids.index(self.selected) if self.selected in self._model_ids else 0
        self.selected = self._model_ids[(index + step) % len(self._model_ids)]
        self.query_one("#models", OptionList).highlighted = self._model_ids.index(self.selected)
        self._render_model(force=True)

    def action_pane(self, pane: str) -> None:
        self.query_one(TabbedContent).active = pane

    def action_next_pane(self) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = (
            PANES[(PANES.index(tabs.active) + 1) % len(PANES)] if tabs.active in PANES else PANES[0]
        )

    async def action_refresh_now(self) -> None:
        await self._tick()

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        if message.option_index < len(self._model_ids):
            chosen = self._model_ids[message.option_index]
            if chosen != self.selected:
                self.selected = chosen
                self._render_model(force=True)

    # -- data -----------------------------------------------------------------------

    async def _tick(self) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            changed = await asyncio.to_thread(self.feed.refresh)
        finally:
            self._busy = False
        self._render_status()
        if changed:
            self._render_models()
            self._render_model()
            self._render_events()

    def _render_status(self) -> None:
        feed = self.feed
        chain = feed.info.chain if feed.info else "chain"
        block = f"#{feed.block}" if feed.block is not None else "-"
        if feed.down_since is not None:
            since = time.strftime("%H:%M:%S", time.localtime(feed.down_since))
            state = f"RECONNECTING since {since}: {feed.last_error or ''}"
        else:
            state = "live"
        self.query_one("#status", Static).update(
            f" CMU monitor · {chain} · block {block} · {state}"
        )

    def _render_models(self) -> None:
        ids = sorted(self.feed.models)
        options = self.query_one("#models", OptionList)
        labels = []
        for model_id in ids:
            state = self.feed.models[model_id]
            head = "-" if state.model.head is None else f"v{state.model.head}"
            pending = state.model.pending_contributions
            labels.append(f"m{model_id} {head}" + (f" +{pending}" if pending else ""))
        if ids != self._model_ids or [str(o.prompt) for o in options.options] != labels:
            highlighted = options.highlighted
            options.clear_options()
            options.add_options(labels)
            self._model_ids = ids
            if self.selected not in ids:
                self.selected = ids[-1] if ids else None
            if self.selected is not None:
                options.highlighted = ids.index(self.selected)
            elif highlighted is not None and ids:
                options.highlighted = min(highlighted, len(ids) - 1)

    def _state(self) -> ModelState | None:
        return None if self.selected is None else self.feed.models.get(self.selected)

    def _render_model(self, force: bool = False) -> None:
        state = self._state()
        summary = self.query_one("#summary", Static)
        if state is None:
            summary.update("no model" if self.feed.connected else "")
            return
        width = max(40, (self._width or self.size.width) - 18)
        summary.update(self._summary(state, width))
        self._fill_versions(state, width)
        self._fill_contributions(state, width)
        self._fill_roles(state)

    def _summary(self, state: ModelState, width: int) -> str:
        model = state.model
        lineage = list(reversed(state.lineage()))
        keys = state.metric_keys()
        primary = view.primary_metric(keys)
        head = "-" if model.head is None else f"v{model.head}"
        frozen = " FROZEN" if model.frozen else ""
        encrypted = model.policy.visibility is Visibility.PERMISSIONED
        line1 = (
            f"model {model.id}{frozen} · head {head} · {model.version_count} versions · "
            f"{model.contribution_count} contributions"
            + (" · permissioned (encrypted)" if encrypted else "")
        )
        trend = ""
        if primary is not None:
            values = [m.as_float for v in lineage for m in v.metrics if m.key == primary]
            if values:
                label = view.metric_label(primary)
                spark = view.sparkline(values, max(8, width - len(label) - 30))
                trend = f"{label} {spark} {values[-1]:.4f}"
                if len(values) > 1:
                    trend += f" ({values[-1] - values[0]:+.4f} over {len(values)})"
        now = time.time()
        pending = state.pending()
        if pending:
            oldest = min(pending, key=lambda c: c.submitted_at)
            at = state.times.get(oldest.submitted_at)
            waited = view.age(None if at is None else now - at)
            waiting = f"pending {len(pending)} (oldest #{oldest.id}, {waited})"
        else:
            waiting = "pending 0"
        newest = state.newest_version()
        if newest is not None:
            at = state.times.get(newest.created_at)
            ago = view.age(None if at is None else now - at)
            trainer = f"trainer {view.short_address(newest.trainer)}: v{newest.id} {ago} ago"
        else:
            trainer = "no version yet"
        return f"{line1}\n{trend}\n{waiting} · {trainer}"

    def _fill_versions(self, state: ModelState, width: int) -> None:
        table = self.query_one("#versions-table", DataTable)
        info = self.feed.info
        attested = info is not None and info.attestation_deposit is not None
        columns = view.version_columns(width, state.metric_keys(), attested)
        table.clear(columns=True)
        for column in columns:
            table.add_column(column.label, key=column.key, width=column.width)
        head = state.model.head
        ordered = sorted(state.versions.values(), key=lambda v: v.id, reverse=True)
        table.add_rows([view.version_cell(c, v, head) for c in columns] for v in ordered)

    def _fill_contributions(self, state: ModelState, width: int) -> None:
        table = self.query_one("#contributions-table", DataTable)
        columns = view.contribution_columns(width)
        table.clear(columns=True)
        for column in columns:
            table.add_column(column.label, key=column.key, width=column.width)
        now = time.time()
        ordered = sorted(state.contributions.values(), key=lambda c: c.id, reverse=True)
        rows: list[list[Any]] = []
        for c in ordered:
            at = state.times.get(c.submitted_at)
            rows.append(
                [
                    view.contribution_cell(col, c, None if at is None else now - at)
                    for col in columns
                ]
            )
        table.add_rows(rows)

    def _fill_roles(self, state: ModelState) -> None:
        table = self.query_one("#roles-table", DataTable)
        table.clear(columns=True)
        table.add_columns("account", "roles")
        owner = state.model.owner
        rows = [(view.short_address(owner, 8), "owner (all)")] if owner else []
        rows += [view.role_row(a, r) for a, r in sorted(state.roles.items())]
        table.add_rows(rows)

    def _render_events(self) -> None:
        log = self.query_one("#events-log", RichLog)
        events = list(self.feed.events)
        if self.feed.generation != self._events_generation:
            log.clear()
            self._events_shown = self.feed.event_count - len(events)
            self._events_generation = self.feed.generation
        new = self.feed.event_count - self._events_shown
        for item in events[max(0, len(events) - new) :]:
            log.write(view.event_line(item.block, item.event, item.seen))
        self._events_shown = self.feed.event_count


def run_tui(chain: CmuChain, watched: Sequence[int] | None, poll: float) -> None:
    MonitorApp(chain, watched, poll).run()
