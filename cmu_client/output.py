"""Rendering for the CLI: JSON for machines, rich tables and progress bars for people."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from cmu_client.types import RoleSet
from cmu_client.types import amount as amount  # re-exported: scripts format balances with it


def jsonable(value: Any) -> Any:
    """Plain JSON values for dataclasses, enums, role sets, bytes (hex) and tuples."""
    if isinstance(value, RoleSet):
        return {"bits": int(value), "names": value.names()}
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Exception):
        return str(value)
    return value


class Output:
    """stdout for results (tables or JSON), stderr for progress, notes and errors."""

    def __init__(self, json_mode: bool = False, quiet: bool = False) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        # Piped output is read by tools and wide pagers: do not fold addresses at 80.
        piped_width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "200"))
        self.out = Console(soft_wrap=True, width=piped_width)
        self.err = Console(stderr=True, soft_wrap=True)

    def json(self, value: Any) -> None:
        self.out.file.write(json.dumps(jsonable(value), indent=2, sort_keys=True) + "\n")
        self.out.file.flush()

    def result(self, value: Any, text: str) -> None:
        """A finished action: ``value`` as JSON in JSON mode, else ``text`` as a done line."""
        if self.json_mode:
            self.json(value)
        else:
            self.done(text)

    def note(self, text: str) -> None:
        if not self.quiet:
            self.err.print(text, highlight=False)

    def warn(self, text: str) -> None:
        self.err.print(f"[yellow]warning:[/yellow] {text}", highlight=False)

    def done(self, text: str) -> None:
        if not self.quiet:
            self.err.print(f"[green]✓[/green] {text}", highlight=False)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        table = Table(title=title, title_justify="left", header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("-" if cell is None else str(cell) for cell in row))
        self.out.print(table)

    def fields(self, title: str, pairs: Sequence[tuple[str, Any]]) -> None:
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key, value in pairs:
            table.add_row(key, "-" if value is None else str(value))
        self.out.print(table)

    @contextmanager
    def transfer(self, description: str) -> Iterator[Callable[[int, int], None]]:
        """A progress bar for bytes moving; yields the callback IpfsStore takes."""
        if self.quiet:
            yield lambda done, total: None
            return
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            transient=True,
        )
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with progress:
            yield update

    @contextmanager
    def status(self, text: str) -> Iterator[None]:
        if self.quiet:
            yield
            return
        with self.err.status(text):
            yield


def short_hash(value: bytes) -> str:
    return "0x" + value.hex()[:12] + "…"
