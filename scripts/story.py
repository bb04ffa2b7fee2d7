"""The CMU story, end to end on the local network (run by scripts/demo.sh).

A breast-cancer diagnosis model (scikit-learn's bundled Wisconsin data, no download) is
created by //Alice from a first slice of the data. //Ferdie runs the trainer. //Bob,
//Charlie, //Dave and //Eve contribute further slices: one is a corrupted CSV, one is
poisoned with flipped labels, one is a resubmitted duplicate. The worker retrains,
publishes versions and settles every contribution: good data gets its deposit back, bad
data is rejected with a reason and slashed, and the slashed deposits are shared among the
accepted contributors (Alice chose that slash destination). A user then predicts with the
head for free, //Charlie, a third party, re-derives the head bit for bit with ``cmu verify``
and records the result on chain (an attestation), and the run ends with the lineage, metrics,
deposits and rewards.

Usage: python scripts/story.py [--workdir DIR]   (chain and Kubo must be running)
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from cmu_client import history
from cmu_client.blocks import BlockReader
from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.errors import CmuError
from cmu_client.ipfs import IpfsStore
from cmu_client.keys import keypair_from_uri
from cmu_client.output import amount
from cmu_client.types import ContributionState
from offchain import demo_data
from offchain.monitor import collect, render

console = Console(highlight=False)
OWNER, TRAINER, ATTESTER = "//Alice", "//Ferdie", "//Charlie"
STEPS = 10
#: The worker trains once no contribution arrived for this long, so that the four
#: contributions of step 5 (each a `cmu` process of a few seconds) form one round.
SETTLE_SECONDS = 10
NONCE_TAKEN = "their nonce was used by another extrinsic from the same key"


def step(number: int, title: str) -> None:
    console.rule(f"[bold cyan]{number}/{STEPS}[/bold cyan]  {title}", align="left")


def _shown(args: Sequence[str]) -> str:
    return " ".join(a if " " not in a else repr(a) for a in ["cmu", *args])


def _run_cmu(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "cmu_client.cli", *args]
    env = {**os.environ, "COLUMNS": str(max(console.width, 120))}
    for _attempt in range(3):
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
        # Another program signing with the same dev key took our nonce: the client asks
        # for a retry (it refreshes the nonce). Nothing was applied, so retrying is safe.
        if result.returncode == 0 or NONCE_TAKEN not in result.stderr:
            break
        console.print("  [yellow]nonce taken by another program using this key; retrying[/yellow]")
    return result


def _show(
    args: Sequence[str],
    result: subprocess.CompletedProcess[str],
    json_out: bool,
    allow_failure: bool,
) -> None:
    text = result.stderr if json_out else result.stdout + result.stderr
    for line in text.rstrip().splitlines():
        if line.strip():  # transient progress bars leave empty lines behind
            console.print(f"  {line}", markup=False)
    if result.returncode != 0 and not allow_failure:
        if json_out:
            console.print(result.stdout, markup=False)
        raise SystemExit(
            f"story stopped: `{_shown(args)}` failed with exit code {result.returncode}"
        )


def cmu(*args: str, json_out: bool = False, allow_failure: bool = False) -> Any:
    """Run a ``cmu`` command and show its output; stop the story if it fails unexpectedly.

    With ``json_out`` the parsed JSON result is returned (progress notes are still shown).
    """
    console.print(f"[dim]$ {_shown(args)}[/dim]")
    result = _run_cmu(args)
    _show(args, result, json_out, allow_failure)
    return json.loads(result.stdout) if json_out else result


def cmu_together(*commands: Sequence[str]) -> None:
    """Run several ``cmu`` commands at the same time (different keys), then show each."""
    for args in commands:
        console.print(f"[dim]$ {_shown(args)} &[/dim]")
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        results = list(pool.map(_run_cmu, commands))
    for args, result in zip(commands, results, strict=True):
        _show(args, result, json_out=False, allow_failure=False)


class WorkerProcess:
    """``cmu worker run`` in the background; its log lines are echoed, dimmed."""

    def __init__(self, model: int, state_dir: Path, log_path: Path) -> None:
        argv = [
            sys.executable,
            "-m",
            "cmu_client.cli",
            "worker",
            "run",
            "--key",
            TRAINER,
            "--model",
            str(model),
            "--state-dir",
            str(state_dir),
            "--settle",
            str(SETTLE_SECONDS),
            "--poll",
            "0.3",
        ]
        console.print(
            f"[dim]$ cmu worker run --key {TRAINER} --model {model} --settle {SETTLE_SECONDS} &"
            "[/dim]"
        )
        self.log = log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        self.thread = threading.Thread(target=self._echo, daemon=True)
        self.thread.start()

    def _echo(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.write(line)
            self.log.flush()
            text = line.rstrip()
            # Drop the timestamp and logger name: keep the message.
            message = text.split(": ", 1)[1] if ": " in text else text
            console.print(f"  [magenta]worker │[/magenta] [dim]{message}[/dim]", markup=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.thread.join(timeout=5)
        self.log.close()


def wait_for_version(
    chain: CmuChain, model: int, version: int, worker: WorkerProcess, timeout: float = 300
) -> None:
    deadline = time.monotonic() + timeout
    with console.status(f"waiting for the worker to publish v{version}…"):
        while time.monotonic() < deadline:
            info = chain.model(model)
            if info.version_count > version and info.pending_contributions == 0:
                return
            if worker.process.poll() is not None:
                raise SystemExit("story stopped: the worker exited; see its log above")
            time.sleep(0.5)
    raise SystemExit(f"story stopped: no v{version} within {timeout:.0f}s")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def check_services(chain_url: str | None) -> CmuChain:
    try:
        chain = CmuChain.connect(chain_url)
        chain.ensure_runtime()
    except CmuError as down:
        raise SystemExit(
            f"the dev chain is not reachable: {down}\nstart it with: scripts/chain.sh start"
        ) from None

    async def ipfs_version() -> str:
        async with IpfsStore(IpfsSettings.from_env()) as store:
            try:
                return await store.version()
            except CmuError:
                return "?"

    if asyncio.run(ipfs_version()) == "?":
        raise SystemExit("Kubo (IPFS) is not reachable\nstart it with: scripts/ipfs.sh start")
    return chain


async def upload_raw(data: bytes) -> tuple[str, bytes]:
    async with IpfsStore(IpfsSettings.from_env()) as store:
        stored = await store.put(data)
        return stored.cid, stored.sha256


def holdout_accuracy(predictions_csv: Path) -> tuple[int, int]:
    rows = list(csv.DictReader(io.StringIO(predictions_csv.read_text(encoding="utf-8"))))
    right = sum(1 for r in rows if r["prediction"] == r[demo_data.LABEL])
    return right, len(rows)


def deposits_table(chain: CmuChain, model: int, names: dict[str, str]) -> Table:
    info = chain.info()
    table = Table(title="Deposits settled", title_justify="left", header_style="bold")
    for column in ("contribution", "contributor", "verdict", "deposit", "outcome"):
        table.add_column(column)
    destination = chain.model(model).slash_destination.label()
    for c in history.contributions(chain, model):
        verdict = c.status.label()
        money = amount(c.deposit, info.token_decimals, info.token_symbol)
        if c.status.state is ContributionState.ACCEPTED:
            outcome = f"[green]returned[/green] (used in v{c.settled_in})"
            if c.reward:
                reward = amount(c.reward, info.token_decimals, info.token_symbol)
                outcome += f" [bold green]+ {reward} reward[/bold green]"
        elif c.status.state is ContributionState.REJECTED:
            outcome = f"[red]slashed[/red] to {destination} (v{c.settled_in})"
        else:
            outcome = verdict
        table.add_row(
            f"#{c.id}", names.get(c.contributor, c.contributor[:10]), verdict, money, outcome
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir",
        help="where CSVs, the spec and logs go (default: ~/.cache/cmu/run/story/<time>)",
    )
    parser.add_argument("--rpc", help="chain RPC URL (default: $CMU_RPC_URL)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    workdir = Path(
        args.workdir or Path.home() / ".cache/cmu/run/story" / time.strftime("%Y%m%d-%H%M%S")
    ).expanduser()
    workdir.mkdir(parents=True, exist_ok=True)
    if args.rpc:
        os.environ["CMU_RPC_URL"] = args.rpc
    console.print(
        Panel.fit(
            "[bold]CMU: a model improved together, with an honest record of every change[/bold]\n"
            "Wisconsin breast-cancer diagnosis (569 patients, 30 features, scikit-learn's bundled "
            "copy)\n"
            f"files and logs: {workdir}"
        )
    )
    chain = check_services(args.rpc)
    names = {
        keypair_from_uri(u).ss58_address: u.lstrip("/")
        for u in ("//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie")
    }

    step(1, "Data: cut the bundled data set into slices")
    slices = demo_data.story_slices(validation_rows=140, initial_rows=110, parts=4, part_rows=70)
    spec_doc = demo_data.spec_document(
        slices.validation.feature_names,
        update_mode="retrain",
        metric="logloss",
        tolerance=None,  # the default: auto, from the metric's noise (docs/worker.md)
        num_boost_round=100,
        params={"learning_rate": 0.05, "num_leaves": 7, "min_data_in_leaf": 5},
    )
    files = {
        "spec": write(workdir / "spec.json", json.dumps(spec_doc, indent=1).encode()),
        "validation": write(workdir / "validation.csv", slices.validation.to_csv()),
        "initial": write(workdir / "initial.csv", slices.initial.to_csv()),
        "bob": write(workdir / "bob.csv", slices.contributions[0].to_csv()),
        "charlie": write(
            workdir / "charlie.csv", demo_data.corrupt_csv(slices.contributions[1].to_csv())
        ),
        "dave": write(workdir / "dave.csv", slices.contributions[2].with_flipped_labels().to_csv()),
        "eve": write(workdir / "eve.csv", slices.contributions[3].to_csv()),
        "patients": write(workdir / "new_patients.csv", slices.holdout.to_csv()),
    }
    table = Table(header_style="bold")
    for column in ("file", "rows", "role in the story"):
        table.add_column(column)
    table.add_row("validation.csv", str(slices.validation.rows), "validation set, in the spec")
    table.add_row("initial.csv", str(slices.initial.rows), "Alice's data: version 0")
    table.add_row("bob.csv", "70", "Bob: good data")
    table.add_row("charlie.csv", "70", "Charlie: corrupted CSV (column dropped, junk cells)")
    table.add_row("dave.csv", "70", "Dave: poisoned (every label flipped)")
    table.add_row("eve.csv", "70", "Eve: good data")
    table.add_row("new_patients.csv", str(slices.holdout.rows), "never trained on: predicted")
    console.print(table)

    step(2, "Alice creates the model: spec + validation set + first slice -> NFT and v0")
    created = cmu(
        "model",
        "create",
        "--spec",
        str(files["spec"]),
        "--data",
        str(files["initial"]),
        "--validation",
        str(files["validation"]),
        "--key",
        OWNER,
        "--json",
        json_out=True,
    )
    model = int(created["model"])
    console.print(
        f"  model [bold]{model}[/bold] created; v0 metrics: "
        + ", ".join(f"{k}={v:.4f}" for k, v in created.get("metrics", {}).items())
    )

    step(3, "Alice makes Ferdie a trainer and rewards good data; Ferdie starts the worker")
    cmu(
        "role",
        "grant",
        str(model),
        keypair_from_uri(TRAINER).ss58_address,
        "trainer",
        "--key",
        OWNER,
    )
    console.print(
        "  Rejected deposits go to the accepted contributors of the same version, pro rata to "
        "the improvement the trainer measured for each:"
    )
    cmu("model", "slash-destination", str(model), "contributors", "--key", OWNER)
    worker = WorkerProcess(model, workdir / "worker-state", workdir / "worker.log")
    try:
        step(4, "Bob contributes good data (a deposit is held until it is judged)")
        cmu("contribute", "register", str(model), str(files["bob"]), "--key", "//Bob")
        wait_for_version(chain, model, 1, worker)

        step(5, "Charlie, Dave, Eve contribute; Bob sends his file again")
        console.print("  Charlie's CSV would not pass the client's check:")
        cmu(
            "contribute",
            "validate",
            "--model",
            str(model),
            str(files["charlie"]),
            allow_failure=True,
        )
        console.print("  Dave, Eve and Bob (sending his file again) register at the same time:")
        cmu_together(
            ("contribute", "register", str(model), str(files["dave"]), "--key", "//Dave"),
            ("contribute", "register", str(model), str(files["eve"]), "--key", "//Eve"),
            # The client warns that the model already used this file; --force sends it anyway.
            ("contribute", "register", str(model), str(files["bob"]), "--key", "//Bob", "--force"),
        )
        console.print("  Charlie uploads his CSV with his own tool and registers it anyway:")
        cid, sha = asyncio.run(upload_raw(files["charlie"].read_bytes()))
        contribution, _ = chain.submit_contribution(
            keypair_from_uri("//Charlie"), model, cid, sha, 70
        )
        console.print(f"  contribution #{contribution} registered ({cid})")
        wait_for_version(chain, model, 2, worker)
    finally:
        worker.stop()

    step(6, "A user predicts new patients with the head, locally and for free")
    out = workdir / "predictions.csv"
    cmu("predict", str(model), str(files["patients"]), "--out", str(out))
    right, total = holdout_accuracy(out)
    console.print(
        f"  [bold]{right}/{total}[/bold] new patients diagnosed correctly by the head "
        "(no transaction, no fee: the artifact's hash was checked against the chain)"
    )

    step(7, "Anyone can re-derive a version and say so on chain: cmu verify --attest")
    head = chain.model(model).head
    console.print(
        "  Charlie, who neither owns nor trains the model, re-runs the head's recipe and "
        "records the outcome (a small deposit is held against spam):"
    )
    verified = cmu(
        "verify", str(model), str(head), "--attest", "--key", ATTESTER, allow_failure=True
    )
    if verified.returncode != 0:
        raise SystemExit(f"story stopped: verify did not confirm v{head}")
    version = chain.version(model, head)
    console.print(
        f"  v{head}: verified by {version.matches} account(s), disputed by {version.mismatches}"
    )

    step(8, "Lineage with metrics (head first)")
    snapshot = collect(chain, [model], chain.info(), BlockReader(chain.connection).head_number())
    console.print(render(snapshot))

    step(9, "Deposits")
    console.print(deposits_table(chain, model, names))

    step(10, "Done")
    console.print(f"the whole story took {time.monotonic() - started:.0f}s; files in {workdir}")
    chain.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
