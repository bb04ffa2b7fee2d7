"""``cmu monitor`` as a person uses it: a real terminal (tmux at 80x24 and 200x50), keys
sent, the screen read back. Live chain and Kubo; the stop/start test runs a chain of its
own (own run directory and port) so it never disturbs the shared one."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fixtures_network import run_script
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    OWNER_URI,
    TRAINER_URI,
    contribute,
    create_live_model,
    free_port,
    run_worker,
    signer,
)

from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.types import Metric
from offchain.monitor_tui.view import BARS

BOB, CHARLIE, _ = CONTRIBUTOR_URIS
#: Bounded waits for the screen to show something (not assertions about speed).
WAIT_S = 60.0


@pytest.fixture(autouse=True)
def _tmux_installed() -> None:
    # scripts/setup.sh installs tmux; a missing one fails the test instead of skipping it.
    assert shutil.which("tmux"), "tmux is missing: run scripts/setup.sh (apt-get install tmux)"


class Terminal:
    """A tmux session of its own (its own server socket) running one command."""

    def __init__(self, argv: list[str], width: int, height: int, env: dict[str, str]) -> None:
        self.socket = f"cmu-test-{secrets.token_hex(4)}"
        exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
        # -u: Textual (through shutil) would take a size from $COLUMNS/$LINES over the tty's
        command = f"env -u COLUMNS -u LINES {exports} {' '.join(map(_quote, argv))}; sleep 600"
        subprocess.run(
            [
                "tmux",
                "-L",
                self.socket,
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                str(width),
                "-y",
                str(height),
                command,
            ],
            check=True,
        )

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "capture-pane", "-p", "-t", "t"],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def send(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", "-L", self.socket, "send-keys", "-t", "t", key], check=True)
            time.sleep(0.3)

    def wait_for(self, check: Callable[[str], bool] | str, what: str = "") -> str:
        test = (lambda s: check in s) if isinstance(check, str) else check
        deadline = time.monotonic() + WAIT_S
        while True:
            text = self.screen()
            if test(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"not on screen within {WAIT_S}s: {what or check}\n{text}")
            time.sleep(0.3)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@contextmanager
def monitor(width: int, height: int, *models: int, rpc: str | None = None) -> Iterator[Terminal]:
    env = {k: v for k, v in os.environ.items() if k.startswith("CMU_") or k in ("PATH", "HOME")}
    env["TERM"] = "xterm-256color"
    if rpc is not None:
        env["CMU_RPC_URL"] = rpc
    argv = [sys.executable, "-m", "cmu_client.cli", "monitor", "--refresh", "0.3"]
    for model in models:
        argv += ["--model", str(model)]
    terminal = Terminal(argv, width, height, env)
    try:
        yield terminal
    finally:
        terminal.close()


def line_with(screen: str, text: str) -> str:
    return next((line for line in screen.splitlines() if text in line), "")


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
async def test_keys_panes_and_live_events_at_80x24_and_200x50(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path, size: tuple[int, int]
) -> None:
    chain, store = live_chain, live_store
    live = await create_live_model(chain, store)
    await contribute(chain, store, BOB, live.id, live.slices.contributions[0].to_csv())
    await run_worker(chain, store, tmp_path / "worker", live.id)
    empty, _ = await asyncio.to_thread(
        chain.create_model, signer(OWNER_URI), "bafkreimonitorspec", bytes(32)
    )
    width, height = size
    with monitor(width, height, live.id, empty) as term:
        screen = term.wait_for(f"model {empty} ", "the last model selected first")
        term.send("p")
        screen = term.wait_for(f"model {live.id} · head v1", "the model summary")
        assert "live" in screen.splitlines()[0] and "block #" in screen.splitlines()[0]
        trend = line_with(screen, "auc ")
        assert any(bar in trend for bar in BARS), trend
        if width >= 200:  # the terminal's size may reach the app after its first screen
            screen = term.wait_for(lambda s: "trainer" in line_with(s, " ver "), "wide table")
        header = line_with(screen, " ver ")
        for column in ("ver", "auc", "status", "parent"):
            assert f" {column} " in header, header
        assert ("trainer" in header) is (width >= 200), header
        assert ("logloss" in header) is (width >= 200), header
        v1 = line_with(screen, " v1* ")
        v0 = line_with(screen, " v0 ")
        for row in (v1, v0):
            assert "active" in row, row
            values = [cell for cell in row.split() if cell.startswith("0.")]
            assert values and all(len(v) == 6 for v in values), row  # 0.9876, never cut
        assert f"m{live.id} v1" in screen and f"m{empty} -" in screen

        term.send("2")
        screen = term.wait_for(lambda s: " accepted " in s or " rejected " in s, "settled #0")
        assert " pending " not in line_with(screen, " #0 ")

        term.send("4")
        screen = term.wait_for("owner (all)")
        assert "trainer" in line_with(screen, signer(TRAINER_URI).ss58_address[:8])

        # a new contribution arrives: the feed, the pending count and its age
        term.send("3")
        await contribute(chain, store, CHARLIE, live.id, live.slices.contributions[1].to_csv())
        screen = term.wait_for(
            lambda s: f"m{live.id} ContributionSubmitted #1" in s, "the new event"
        )
        screen = term.wait_for(f"m{live.id} v1 +1", "the pending count in the models list")
        assert "pending 1 (oldest #1," in screen

        term.send("1")
        term.send("n")
        screen = term.wait_for(f"model {empty} · head - · 0 versions")
        assert "no version yet" in screen
        term.send("q")
        term.wait_for(lambda s: "CMU monitor" not in s, "quit")


def _chain(env: dict[str, str], action: str) -> None:
    run_script("chain.sh", env, action)


@pytest.mark.slow
def test_keeps_running_through_a_chain_stop_and_start(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CMU_RUN": str(tmp_path / "run"), "CMU_CHAIN_PORT": str(port)}
    url = f"ws://127.0.0.1:{port}"
    owner = signer(OWNER_URI)
    try:
        _chain(env, "start")
        with CmuChain.connect(url) as chain:
            model, _ = chain.create_model(owner, "bafkreimonitorspec", bytes(32))
            chain.publish_version(
                owner,
                model,
                None,
                "bafkreiartifact",
                bytes(32),
                bytes(32),
                [Metric.from_float("val_auc", 0.81)],
                card_cid="bafkreicard",
            )
        with monitor(80, 24, model, rpc=url) as term:
            term.wait_for(f"model {model} · head v0", "the first screen")
            term.wait_for(lambda s: "live" in s.splitlines()[0], "live")
            _chain(env, "stop")
            screen = term.wait_for("RECONNECTING since", "the reconnecting status")
            assert f"model {model} · head v0" in screen, "the last state stays on screen"
            _chain(env, "start")
            term.wait_for(lambda s: "live" in s.splitlines()[0], "live again")
            with CmuChain.connect(url) as chain:
                chain.publish_version(
                    owner,
                    model,
                    0,
                    "bafkreiartifact",
                    bytes(32),
                    bytes(range(32)),
                    [Metric.from_float("val_auc", 0.85)],
                    card_cid="bafkreicard",
                )
            term.wait_for(f"model {model} · head v1", "the version published after")
    finally:
        _chain(env, "stop")
