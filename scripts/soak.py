"""Soak CMU: contributions at volume while faults arrive, then prove from chain state that
nothing was lost.

On a network of its own (a chopsticks chain from genesis and an empty Kubo on free ports,
started with scripts/chain.sh and scripts/ipfs.sh), the soak:

1. creates MODELS breast-cancer models owned by //Alice, with //Ferdie and //Eve as Trainers,
   and funds CONTRIBUTORS fresh accounts;
2. runs two workers (`cmu worker run`, one per trainer key) on every model, and has the
   contributors register good, corrupted, poisoned, duplicate and withdrawn-mid-round data
   at random moments, every client talking to the chain through a TCP proxy;
3. meanwhile a fault driver, in random order and at random moments: kills a worker with
   SIGKILL and restarts it, stops Kubo for a while, stops and restarts the chain (state
   persisted), and cuts every websocket through the proxy;
4. then lets the workers finish and checks, from chain state alone:
   - every contribution is Accepted, Rejected or Withdrawn, none Pending, and each accepted
     one is listed by exactly the version it names (settled exactly once);
   - no contribution deposit is still held; what the owner gained equals the deposits of
     the rejected contributions exactly; what left the other accounts equals that plus the
     fees; free plus held balances of every account equal the total issuance (fees are
     burned here, so issuance fell by exactly the fees);
   - every published version verifies bit for bit (`cmu verify`).

It prints the volume, the faults by kind with the time to recover from each (fault over to
the next settlement on chain), the verdicts by kind of data, and the checks; `--json`
writes the same as a report. Exit 0 only when every check holds.

Usage: python scripts/soak.py [--quick] [--contributions N] [--seed S] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from tcp_proxy import TcpProxy  # noqa: E402

from cmu_client import history  # noqa: E402
from cmu_client.chain import CmuChain  # noqa: E402
from cmu_client.config import IpfsSettings  # noqa: E402
from cmu_client.errors import CmuError  # noqa: E402
from cmu_client.ipfs import IpfsStore  # noqa: E402
from cmu_client.keys import Signer, keypair_from_uri  # noqa: E402
from cmu_client.spec import parse_spec  # noqa: E402
from cmu_client.types import ContributionState, RoleSet  # noqa: E402
from offchain import demo_data  # noqa: E402
from offchain.publish import create_model_with_first_version  # noqa: E402

OWNER = "//Alice"
TRAINERS = ("//Ferdie", "//Eve")
KINDS = ("good", "corrupted", "poisoned", "duplicate", "withdrawn")
KIND_WEIGHTS = (0.45, 0.12, 0.15, 0.14, 0.14)
FAULTS = ("worker_kill", "kubo_stop", "chain_restart", "connection_cut")


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_ports(count: int) -> list[int]:
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [int(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


@dataclass
class Network:
    """The soak's own chain and Kubo, driven through the project's scripts."""

    run_dir: Path
    chain_port: int
    api_port: int
    gateway_port: int

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CMU_RUN": str(self.run_dir),
            "CMU_CHAIN_PORT": str(self.chain_port),
            "CMU_IPFS_API_PORT": str(self.api_port),
            "CMU_IPFS_GATEWAY_PORT": str(self.gateway_port),
        }

    def script(self, name: str, action: str) -> None:
        result = subprocess.run(
            ["bash", str(REPO / "scripts" / name), action],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{name} {action} failed: {result.stderr.strip()[-2000:]}")


@dataclass
class Fault:
    kind: str
    started: float
    ended: float = 0.0
    recovered_after: float | None = None  # seconds from `ended` to the next settlement


@dataclass
class Tally:
    """What the generator intended; outcomes are read from the chain afterwards."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    intended: Counter[str] = field(default_factory=Counter)
    kind_of: dict[tuple[int, int], str] = field(default_factory=dict)
    withdraw_refused: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    #: Exceptions from the client outside its own hierarchy: bugs, reported by the check.
    crashes: list[str] = field(default_factory=list)


class Worker:
    """A `cmu worker run` process that can be killed and restarted."""

    def __init__(
        self, key: str, models: list[int], state_dir: Path, env: dict[str, str], log_path: Path
    ) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "cmu_client.cli",
            "worker",
            "run",
            "--key",
            key,
            "--state-dir",
            str(state_dir),
            "--settle",
            "1",
            "--poll",
            "0.3",
            "--log-level",
            "INFO",
            *[arg for m in models for arg in ("--model", str(m))],
        ]
        self.key = key
        self.env = env
        self.log_file = log_path.open("a", encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


def settled_count(chain: CmuChain, models: list[int]) -> int:
    """Versions published plus contributions no longer pending, over the soak's models."""
    total = 0
    for m in models:
        info = chain.model(m)
        total += info.version_count + info.contribution_count - info.pending_contributions
    return total


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.tally = Tally()
        self.faults: list[Fault] = []
        self.stop_generating = threading.Event()
        self.stop_faults = threading.Event()
        self.progress_at: list[float] = []  # times at which settled_count rose
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="cmu-soak-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        chain_port, api_port, gateway_port = free_ports(3)
        self.net = Network(self.workdir / "run", chain_port, api_port, gateway_port)
        self.proxy: TcpProxy | None = None
        self.workers: list[Worker] = []
        self.models: list[int] = []
        self.contributors: list[Signer] = []
        self.pool = demo_data.story_slices(parts=1)
        self.published: dict[tuple[int, int], bytes] = {}  # (model, contribution) -> bytes

    # -- set-up -------------------------------------------------------------------

    @property
    def client_env(self) -> dict[str, str]:
        assert self.proxy is not None
        return {
            **self.net.env,
            "CMU_RPC_URL": f"ws://127.0.0.1:{self.proxy.port}",
            "CMU_IPFS_API": f"/ip4/127.0.0.1/tcp/{self.net.api_port}",
        }

    def connect(self) -> CmuChain:
        return CmuChain.connect(self.client_env["CMU_RPC_URL"])

    def ipfs(self) -> IpfsStore:
        return IpfsStore(IpfsSettings.from_env(self.client_env["CMU_IPFS_API"]))

    def start_network(self) -> None:
        log(f"starting a chain on :{self.net.chain_port} and Kubo on :{self.net.api_port}")
        self.net.script("chain.sh", "start")
        self.net.script("ipfs.sh", "start")
        self.proxy = TcpProxy(self.net.chain_port).start()
        os.environ["CMU_IPFS_API"] = self.client_env["CMU_IPFS_API"]

    def create_models(self, chain: CmuChain) -> None:
        owner = keypair_from_uri(OWNER)

        async def create() -> list[int]:
            ids = []
            async with self.ipfs() as store:
                validation_csv = self.pool.validation.to_csv()
                stored = await store.put(validation_csv)
                doc = demo_data.spec_document(
                    self.pool.validation.feature_names, update_mode="retrain", tolerance=0.02
                )
                doc["validation"] = {"cid": stored.cid, "sha256": stored.sha256.hex()}
                spec = parse_spec(doc)
                for _ in range(self.args.models):
                    model_id, _ = await create_model_with_first_version(
                        chain, store, owner, spec, self.pool.initial.to_csv(), validation_csv
                    )
                    ids.append(model_id)
            return ids

        self.models = asyncio.run(create())
        for model in self.models:
            for trainer in TRAINERS:
                chain.grant_role(
                    owner, model, keypair_from_uri(trainer).ss58_address, RoleSet.TRAINER
                )
        log(f"created models {self.models}; trainers {', '.join(TRAINERS)}")

    def fund_contributors(self, chain: CmuChain) -> None:
        owner = keypair_from_uri(OWNER)
        unit = 10 ** chain.info().token_decimals
        self.contributors = [
            keypair_from_uri(f"//Soak{self.args.seed}-{i}") for i in range(self.args.contributors)
        ]
        from cmu_client import calls

        chain.submit_batch(
            owner,
            [calls.balances_transfer(c.ss58_address, 10_000 * unit) for c in self.contributors],
        )
        log(f"funded {len(self.contributors)} contributor accounts")

    # -- load ---------------------------------------------------------------------

    def make_data(self, kind: str, model: int) -> tuple[str, bytes]:
        """Data of ``kind`` for ``model``; a duplicate needs an earlier upload to copy, and
        is good data while there is none."""
        rest = self.pool.contributions[0]
        size = self.rng.randint(20, 45)
        start = self.rng.randrange(0, rest.rows - size)
        window = rest.take(start, start + size)
        # New measurements of similar cases: windows of one pool overlap, and the worker
        # rejects a contribution that repeats known rows as a Duplicate (offchain/
        # overlap.py), so every value moves by a tiny relative amount (1e-4).
        jitter = np.random.default_rng(self.rng.getrandbits(32)).normal(
            1.0, 1e-4, window.features.shape
        )
        frame = demo_data.Frame(window.feature_names, window.features * jitter, window.labels)
        if kind == "corrupted":
            return kind, demo_data.corrupt_csv(frame.to_csv())
        if kind == "poisoned":
            return kind, frame.with_flipped_labels().to_csv()
        if kind == "duplicate":
            earlier = [data for (m, _), data in self.published.items() if m == model]
            if earlier:
                return kind, self.rng.choice(earlier)
            kind = "good"
        return kind, frame.to_csv()

    def contributor_loop(self, index: int, quota: int) -> None:
        signer = self.contributors[index]
        rng = random.Random(self.args.seed * 1000 + index)
        chain: CmuChain | None = None
        done = 0
        while done < quota and not self.stop_generating.is_set():
            time.sleep(rng.uniform(0.2, self.args.pace))
            kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
            model = rng.choice(self.models)
            with self.tally.lock:
                kind, data = self.make_data(kind, model)
            try:
                if chain is None:
                    chain = self.connect()
                stored = asyncio.run(self._upload(data))
                rows = max(0, data.count(b"\n") - 1)
                contribution, _ = chain.submit_contribution(
                    signer, model, stored.cid, stored.sha256, rows
                )
            except Exception as err:  # counted; an exception outside CmuError is a bug
                # Down, cut or uncertain: whatever landed is counted from chain state later.
                with self.tally.lock:
                    self.tally.errors[type(err).__name__] += 1
                    if not isinstance(err, CmuError):
                        self.tally.crashes.append(f"{type(err).__name__}: {err}")
                if chain is not None:
                    chain.close()
                    chain = None
                time.sleep(1)
                continue
            done += 1
            with self.tally.lock:
                self.tally.intended[kind] += 1
                self.tally.kind_of[(model, contribution)] = kind
                if kind == "good":
                    self.published[(model, contribution)] = data
            if kind == "withdrawn":
                time.sleep(rng.uniform(0.0, 2.0))  # mid-round: the worker may be training on it
                try:
                    chain.withdraw_contribution(signer, model, contribution)
                except CmuError:
                    with self.tally.lock:
                        self.tally.withdraw_refused += 1  # settled first, or an outage
        if chain is not None:
            chain.close()

    async def _upload(self, data: bytes) -> Any:
        async with self.ipfs() as store:
            return await store.put(data)

    # -- faults -------------------------------------------------------------------

    def fault_loop(self) -> None:
        kinds = list(FAULTS)
        self.rng.shuffle(kinds)
        queue = list(kinds)  # every kind at least once, in random order, then at random
        while not self.stop_faults.is_set():
            if self.stop_faults.wait(self.rng.uniform(*self.args.fault_gap)):
                return
            kind = queue.pop(0) if queue else self.rng.choice(FAULTS)
            fault = Fault(kind, time.monotonic())
            try:
                self.inject(kind)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
                log(f"fault {kind} could not be injected: {err}")
                continue
            fault.ended = time.monotonic()
            self.faults.append(fault)

    def inject(self, kind: str) -> None:
        if kind == "worker_kill":
            worker = self.rng.choice(self.workers)
            worker.kill()
            log(f"fault: SIGKILL worker {worker.key}")
            time.sleep(self.rng.uniform(0.5, 3.0))
            worker.start()
        elif kind == "kubo_stop":
            outage = self.rng.uniform(3, 8)
            log(f"fault: Kubo stopped for {outage:.0f}s")
            self.net.script("ipfs.sh", "stop")
            time.sleep(outage)
            self.net.script("ipfs.sh", "start")
        elif kind == "chain_restart":
            log("fault: chain stop and restart (state persisted)")
            self.net.script("chain.sh", "stop")
            time.sleep(self.rng.uniform(0.5, 3.0))
            self.net.script("chain.sh", "start")
        elif kind == "connection_cut":
            assert self.proxy is not None
            cut = self.proxy.cut()
            log(f"fault: cut {cut} websocket connections")

    def progress_loop(self) -> None:
        chain: CmuChain | None = None
        last = -1
        while not self.stop_faults.is_set() or not self.stop_generating.is_set():
            try:
                if chain is None:
                    chain = self.connect()
                count = settled_count(chain, self.models)
                if count > last:
                    if last >= 0:
                        self.progress_at.append(time.monotonic())
                    last = count
            except CmuError:
                if chain is not None:
                    chain.close()
                chain = None
            time.sleep(0.5)
        if chain is not None:
            chain.close()

    # -- the run ------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        self.start_network()
        try:
            return self._run(started)
        finally:
            for worker in self.workers:
                worker.stop()
            if self.proxy is not None:
                self.proxy.stop()
            if not self.args.keep_network:
                for name in ("chain.sh", "ipfs.sh"):
                    try:
                        self.net.script(name, "stop")
                    except RuntimeError as err:
                        log(str(err))

    def _run(self, started: float) -> dict[str, Any]:
        with self.connect() as chain:
            self.create_models(chain)
            self.fund_contributors(chain)
            balances_before = all_balances(chain)
            issuance_before = int(
                chain.connection.run(
                    lambda s: s.query("Balances", "TotalIssuance").value, what="issuance"
                )
            )
        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        for key in TRAINERS:
            state = self.workdir / f"state-{key.strip('/')}"
            self.workers.append(
                Worker(key, self.models, state, self.client_env, logs / f"worker-{key[2:]}.log")
            )
        per_account = -(-self.args.contributions // len(self.contributors))
        threads = [
            threading.Thread(target=self.contributor_loop, args=(i, per_account), daemon=True)
            for i in range(len(self.contributors))
        ]
        fault_thread = threading.Thread(target=self.fault_loop, daemon=True)
        progress_thread = threading.Thread(target=self.progress_loop, daemon=True)
        for t in [*threads, fault_thread, progress_thread]:
            t.start()
        log(
            f"load: {self.args.contributions} contributions from {len(threads)} accounts "
            f"on {len(self.models)} models, two workers, faults every "
            f"{self.args.fault_gap[0]:.0f}-{self.args.fault_gap[1]:.0f}s"
        )
        for t in threads:
            t.join()
        self.stop_generating.set()
        # Every kind of fault happens at least once, even when the load ends first.
        deadline = time.monotonic() + 180
        while {f.kind for f in self.faults} != set(FAULTS) and time.monotonic() < deadline:
            time.sleep(1)
        self.stop_faults.set()
        fault_thread.join()
        log("load done; faults over; waiting for the workers to settle everything")
        drained = self.wait_drained(timeout=self.args.drain_timeout)
        progress_thread.join(timeout=5)
        for worker in self.workers:
            worker.stop()
        for fault in self.faults:
            after = [t for t in self.progress_at if t >= fault.ended]
            fault.recovered_after = (after[0] - fault.ended) if after else None
        with self.connect() as chain:
            checks, volume = self.check(chain, balances_before, issuance_before, drained)
        return self.report(started, checks, volume)

    def wait_drained(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with self.connect() as chain:
                    if all(chain.model(m).pending_contributions == 0 for m in self.models):
                        return True
            except CmuError:
                pass
            time.sleep(2)
        return False

    # -- checks from chain state ---------------------------------------------------

    def check(
        self, chain: CmuChain, before: dict[str, int], issuance_before: int, drained: bool
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        checks: dict[str, Any] = {"drained": drained}
        owner = keypair_from_uri(OWNER).ss58_address
        states: Counter[str] = Counter()
        by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        problems: list[str] = []
        rejected_deposits = 0
        contributor_addresses = {c.ss58_address for c in self.contributors}
        versions_total = 0
        for model in self.models:
            versions = history.all_versions(chain, model)
            versions_total += len(versions)
            listed: Counter[int] = Counter()
            listed_in: dict[int, int] = {}
            for v in versions:
                for cid in v.contributions:
                    listed[cid] += 1
                    listed_in[cid] = v.id
            for c in history.contributions(chain, model):
                state = c.status.state
                states[state.name] += 1
                # "landed_unseen": registered although its client saw the call fail (a
                # connection cut after sending); settled like any other.
                kind = self.tally.kind_of.get((model, c.id), "landed_unseen")
                by_kind[kind][c.status.label()] += 1
                if state is ContributionState.PENDING:
                    problems.append(f"model {model} contribution {c.id} still pending")
                elif state is ContributionState.ACCEPTED:
                    if listed[c.id] != 1 or listed_in.get(c.id) != c.settled_in:
                        problems.append(
                            f"model {model} contribution {c.id}: accepted in v{c.settled_in} "
                            f"but listed by {listed[c.id]} versions"
                        )
                else:
                    if listed[c.id]:
                        problems.append(
                            f"model {model} contribution {c.id}: {state.name} but "
                            "listed by a version"
                        )
                    if state is ContributionState.REJECTED:
                        rejected_deposits += c.deposit
            if chain.model(model).pending_contributions:
                problems.append(f"model {model} still has pending contributions")
        checks["settled_exactly_once"] = not problems
        checks["settlement_problems"] = problems[:20]

        after = all_balances(chain)
        issuance_after = int(
            chain.connection.run(
                lambda s: s.query("Balances", "TotalIssuance").value, what="issuance"
            )
        )
        held_by_contributors = sum(chain.balance(a).reserved for a in contributor_addresses)
        checks["no_contribution_deposit_held"] = held_by_contributors == 0
        owner_gain = after.get(owner, 0) - before.get(owner, 0)
        checks["owner_gained_exactly_the_slashed_deposits"] = owner_gain == rejected_deposits
        total_after = sum(after.values())
        checks["balances_sum_to_issuance"] = total_after == issuance_after
        fees = issuance_before - issuance_after  # fees are burned in this runtime
        others_lost = sum(before.get(a, 0) - after.get(a, 0) for a in after if a != owner)
        checks["others_lost_exactly_slashes_plus_fees"] = others_lost == rejected_deposits + fees
        checks["figures"] = {
            "rejected_deposits": rejected_deposits,
            "owner_gain": owner_gain,
            "fees_burned": fees,
            "others_lost": others_lost,
            "issuance": issuance_after,
            "balances_total": total_after,
        }

        checks["client_raised_only_its_own_errors"] = not self.tally.crashes
        checks["client_crashes"] = self.tally.crashes[:10]
        failures = self.verify_all(chain)
        checks["every_version_verifies"] = not failures
        checks["verify_failures"] = failures[:20]
        volume = {
            "contributions_on_chain": sum(states.values()),
            "by_state": dict(states),
            "verdicts_by_kind": {k: dict(v) for k, v in by_kind.items()},
            "intended_by_kind": dict(self.tally.intended),
            "client_errors_by_type": dict(self.tally.errors),
            "withdrawals_refused": self.tally.withdraw_refused,
            "versions": versions_total,
            "models": len(self.models),
            "accounts": len(self.contributors),
        }
        return checks, volume

    def verify_all(self, chain: CmuChain) -> list[str]:
        failures = []
        for model in self.models:
            for v in history.all_versions(chain, model):
                result = subprocess.run(
                    [sys.executable, "-m", "cmu_client.cli", "verify", str(model), str(v.id)],
                    env=self.client_env,
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
                if result.returncode != 0:
                    failures.append(
                        f"model {model} v{v.id}: {result.stdout[-300:]}{result.stderr[-300:]}"
                    )
        return failures

    def report(
        self, started: float, checks: dict[str, Any], volume: dict[str, Any]
    ) -> dict[str, Any]:
        by_kind: dict[str, list[float | None]] = defaultdict(list)
        for fault in self.faults:
            by_kind[fault.kind].append(fault.recovered_after)
        faults = {}
        for kind in FAULTS:
            times = [t for t in by_kind.get(kind, []) if t is not None]
            faults[kind] = {
                "injected": len(by_kind.get(kind, [])),
                "recovery_s_min": round(min(times), 1) if times else None,
                "recovery_s_median": round(statistics.median(times), 1) if times else None,
                "recovery_s_max": round(max(times), 1) if times else None,
                "no_progress_after": sum(1 for t in by_kind.get(kind, []) if t is None),
            }
        passed = all(v is True for k, v in checks.items() if isinstance(v, bool))
        return {
            "passed": passed,
            "seconds": round(time.monotonic() - started),
            # the soak's own process: 8 clients, the proxy, the checks (ru_maxrss is KiB)
            "soak_process_max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "seed": self.args.seed,
            "volume": volume,
            "faults": faults,
            "checks": checks,
            "workdir": str(self.workdir),
        }


def all_balances(chain: CmuChain) -> dict[str, int]:
    """Free plus held (reserved) balance of every account on chain."""

    def action(substrate: Any) -> dict[str, int]:
        out = {}
        for key, value in substrate.query_map("System", "Account", page_size=500):
            data = value.value["data"]
            out[str(key.value)] = int(data["free"]) + int(data["reserved"])
        return out

    result: dict[str, int] = chain.connection.run(action, what="System.Account read")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the short version the test command runs (a few minutes)",
    )
    parser.add_argument("--contributions", type=int, help="total (default 300; quick 48)")
    parser.add_argument("--contributors", type=int, default=8)
    parser.add_argument("--models", type=int, help="default 3; quick 2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="write the report here too")
    parser.add_argument("--workdir", help="logs and network state (default: a temp dir)")
    parser.add_argument("--keep-network", action="store_true")
    args = parser.parse_args()
    args.contributions = args.contributions or (48 if args.quick else 300)
    args.models = args.models or (2 if args.quick else 3)
    args.pace = 3.0 if args.quick else 6.0  # most seconds between one account's contributions
    args.fault_gap = (4.0, 10.0) if args.quick else (8.0, 25.0)
    args.drain_timeout = 300.0 if args.quick else 900.0
    report = Soak(args).run()
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    log("PASSED: nothing lost" if report["passed"] else "FAILED: see checks above")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
