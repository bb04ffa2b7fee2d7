"""Submission throughput: a naive loop vs nonce pipelining vs Utility.batch_all.

Run against the dev chain (scripts/chain.sh start):

    ~/.cache/cmu/venv/bin/python benchmarks/bench_submit.py [--calls 100] [--in-flight 32]

Every variant grants a role to ``--calls`` distinct accounts on its own fresh model, so
the work per call is identical. The baseline is the textbook loop:
``submit_extrinsic(create_signed_extrinsic(call), wait_for_inclusion=True)`` one call at a
time. Prints seconds, calls per second and the speed-up over the baseline.

``--block-mode`` picks the chain:

- ``instant`` (default): ``--rpc`` / ``$CMU_RPC_URL``, the dev chain, one block per extrinsic;
- ``batch``: a chopsticks of this script's own (our runtime from genesis, a temporary
  database, a free port) in chopsticks' ``Batch`` mode, which builds a block 100 ms after
  the last extrinsic arrived (at least once a second while they keep coming);
- ``interval``: the same chopsticks in ``Manual`` mode, and this script asks for a block
  (``dev_newBlock``) every ``--block-time`` seconds (default 1): a chain with a block time,
  where every extrinsic that arrived meanwhile goes into the next block.

The chain it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cmu_client import calls
from cmu_client.chain import CmuChain
from cmu_client.keys import Signer, keypair_from_uri
from cmu_client.submitter import Submitter, compose
from cmu_client.types import RoleSet


def fresh_model(chain: CmuChain, owner: Signer) -> int:
    model, _ = chain.create_model(owner, "bafkreibenchmarkspec", bytes(32))
    return model


def grants(model: int, tag: str, count: int) -> list[calls.Call]:
    return [
        calls.grant_role(
            model, keypair_from_uri(f"//Bench//{tag}//{i}").ss58_address, RoleSet.READER
        )
        for i in range(count)
    ]


def naive(chain: CmuChain, owner: Signer, batch: list[calls.Call]) -> None:
    substrate = chain.connection.substrate
    for call in batch:
        extrinsic = substrate.create_signed_extrinsic(call=compose(substrate, call), keypair=owner)
        receipt = substrate.submit_extrinsic(extrinsic, wait_for_inclusion=True)
        assert receipt.is_success, receipt.error_message


def pipelined(chain: CmuChain, owner: Signer, batch: list[calls.Call], in_flight: int) -> None:
    results = Submitter(chain.connection, owner, max_in_flight=in_flight).submit_many(batch)
    assert all(r.success for r in results)


def batched(chain: CmuChain, owner: Signer, batch: list[calls.Call], size: int) -> None:
    submitter = Submitter(chain.connection, owner, max_in_flight=8)
    wrappers = [calls.batch_all(batch[i : i + size]) for i in range(0, len(batch), size)]
    outcomes = submitter.submit_many(wrappers)
    assert all(o.success for o in outcomes), [o.error for o in outcomes]


class RpcTimer:
    """Time spent per JSON-RPC method on the connection (instrumentation only)."""

    def __init__(self, chain: CmuChain) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        substrate = chain.connection.substrate
        original = substrate.rpc_request

        def timed_request(method: str, params: Any, result_handler: Any = None) -> Any:
            started = time.perf_counter()
            try:
                return original(method, params, result_handler)
            finally:
                self.seconds[method] = self.seconds.get(method, 0.0) + (
                    time.perf_counter() - started
                )
                self.calls[method] = self.calls.get(method, 0) + 1

        substrate.rpc_request = timed_request

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def summary(self) -> str:
        top = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:3]
        parts = []
        for method, secs in top:
            each = 1000 * secs / self.calls[method]
            parts.append(f"{method} {self.calls[method]}x {secs:.1f} s ({each:.0f} ms each)")
        return ", ".join(parts)


def timed(label: str, action: Callable[[], None], count: int) -> float:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds:8.2f} s   {count / seconds:8.1f} calls/s", flush=True)
    return seconds


CACHE = Path(os.environ.get("CMU_CACHE", Path.home() / ".cache" / "cmu"))
REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def own_chain(mode: str) -> Iterator[str]:
    """A chopsticks of this script's own in this block mode; yields its RPC URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "chopsticks.yml"
        text = (REPO / "runtime-config" / "chopsticks.yml").read_text()
        config.write_text(text.replace("build-block-mode: Instant", f"build-block-mode: {mode}"))
        log = (Path(folder) / "chain.log").open("w")
        chain = subprocess.Popen(
            [
                str(CACHE / "node_modules" / ".bin" / "chopsticks"),
                "--config",
                str(config),
                "--genesis",
                str(CACHE / "runtime" / "cmu-dev-raw.json"),
                "--db",
                str(Path(folder) / "db.sqlite"),
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if chain.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(
                            f"chopsticks ({mode} mode) did not start:\n"
                            + (Path(folder) / "chain.log").read_text()[-2000:]
                        ) from None
                    time.sleep(0.5)
            yield f"ws://127.0.0.1:{port}"
        finally:
            chain.terminate()
            try:
                chain.wait(timeout=20)
            except subprocess.TimeoutExpired:
                chain.kill()
            log.close()


@contextlib.contextmanager
def block_timer(url: str, seconds: float) -> Iterator[None]:
    """Ask the chain for a block every ``seconds`` (Manual mode) until the block ends."""
    chain = CmuChain.connect(url)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(seconds):
            chain.connection.rpc("dev_newBlock", [{"count": 1}])

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)
        chain.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--rpc", default=None)
    parser.add_argument("--block-mode", choices=("instant", "batch", "interval"), default="instant")
    parser.add_argument("--block-time", type=float, default=1.0, help="interval mode, seconds")
    args = parser.parse_args()
    if args.block_mode == "batch":
        with own_chain("Batch") as url:
            run(args, url)
    elif args.block_mode == "interval":
        with own_chain("Manual") as url, block_timer(url, args.block_time):
            run(args, url)
    else:
        run(args, args.rpc)


def run(args: argparse.Namespace, url: str | None) -> None:
    chain = CmuChain.connect(url)
    owner = keypair_from_uri(f"//Alice//bench-submit-{secrets.token_hex(3)}")
    decimals = chain.info().token_decimals
    chain.transfer_balance(keypair_from_uri("//Alice"), owner.ss58_address, 2_000 * 10**decimals)
    models = [fresh_model(chain, owner) for _ in range(3)]
    tag = secrets.token_hex(3)
    n = args.calls
    print(
        f"{n} grant_role calls, one key, chain {chain.connection.settings.url} "
        f"({args.block_mode} block mode"
        + (f", a block every {args.block_time:g} s)" if args.block_mode == "interval" else ")")
    )
    base = timed(
        "naive loop (wait_for_inclusion)",
        lambda: naive(chain, owner, grants(models[0], tag + "a", n)),
        n,
    )
    rpc = RpcTimer(chain)
    pipe = timed(
        f"pipelined ({args.in_flight} in flight)",
        lambda: pipelined(chain, owner, grants(models[1], tag + "b", n), args.in_flight),
        n,
    )
    print(f"    where the pipelined run waited: {rpc.summary()}")
    batch = timed(
        f"batch_all x{args.batch_size}, pipelined",
        lambda: batched(chain, owner, grants(models[2], tag + "c", n), args.batch_size),
        n,
    )
    print(
        f"speed-up over the naive loop: pipelined {base / pipe:.1f}x, batched {base / batch:.1f}x"
    )
    chain.close()


if __name__ == "__main__":
    main()
