"""Block time on the dev chain (chopsticks): the parachain runtime against a baseline runtime.

Starts one chopsticks per runtime (scripts/chain.sh with its own run directory, port and
runtime directory), then on each, alternately so that machine load hits both alike:
- empty blocks: ``dev_newBlock``, the time chopsticks takes to build and import a block
  (for the parachain runtime this includes the mock relay validation data and Aura digest);
- transactions: a signed ``System.remark`` submitted and waited for until included.
Prints medians and the ratio parachain / baseline.

    PYTHONPATH=. python benchmarks/bench_block_time.py \\
        --baseline ~/.cache/cmu/runtime-solo --runtime ~/.cache/cmu/runtime [--blocks 30]

Each directory must hold ``cmu-dev-raw.json`` (scripts/build-runtime.sh writes it).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from substrateinterface import Keypair, SubstrateInterface

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Chain:
    """One chopsticks running the runtime in ``runtime_dir``."""

    def __init__(self, name: str, runtime_dir: Path, work: Path) -> None:
        self.name = name
        port = _free_port()
        self.env = {
            **os.environ,
            "CMU_RUN": str(work / name),
            "CMU_CHAIN_PORT": str(port),
            "CMU_RUNTIME_DIR": str(runtime_dir),
        }
        self.url = f"ws://127.0.0.1:{port}"
        self._script("start")
        self.substrate = SubstrateInterface(self.url)
        self.alice = Keypair.create_from_uri("//Alice")
        self.empty_ms: list[float] = []
        self.remark_ms: list[float] = []

    def _script(self, action: str) -> None:
        subprocess.run(
            ["bash", str(SCRIPTS / "chain.sh"), action], env=self.env, check=True, timeout=300
        )

    def empty_block(self) -> None:
        start = time.perf_counter()
        self.substrate.rpc_request("dev_newBlock", [{"count": 1}])
        self.empty_ms.append((time.perf_counter() - start) * 1000)

    def remark(self, n: int) -> None:
        call = self.substrate.compose_call("System", "remark", {"remark": f"bench {n}"})
        extrinsic = self.substrate.create_signed_extrinsic(call, self.alice)
        start = time.perf_counter()
        receipt = self.substrate.submit_extrinsic(extrinsic, wait_for_inclusion=True)
        self.remark_ms.append((time.perf_counter() - start) * 1000)
        assert receipt.is_success

    def close(self) -> None:
        self.substrate.close()
        self._script("reset")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="baseline runtime dir")
    parser.add_argument("--runtime", type=Path, required=True, help="runtime dir to measure")
    parser.add_argument("--blocks", type=int, default=30, help="blocks of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cmu-bench-blocks-") as work:
        chains = [
            Chain("baseline", args.baseline.expanduser(), Path(work)),
            Chain("runtime", args.runtime.expanduser(), Path(work)),
        ]
        try:
            for chain in chains:  # warm up: first blocks compile the wasm
                chain.empty_block()
                chain.remark(-1)
                chain.empty_ms.clear()
                chain.remark_ms.clear()
            for n in range(args.blocks):
                for chain in chains:
                    chain.empty_block()
                    chain.remark(n)
        finally:
            for chain in chains:
                chain.close()
    base, new = chains
    print(f"{'':24}{'baseline':>12}{'runtime':>12}{'ratio':>8}")
    for label, a, b in (
        ("empty block (ms)", base.empty_ms, new.empty_ms),
        ("remark included (ms)", base.remark_ms, new.remark_ms),
    ):
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{label:24}{ma:12.1f}{mb:12.1f}{mb / ma:8.2f}")
    print(f"{args.blocks} blocks of each kind per chain, medians; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
