"""The ``cmu`` plugin: ``cmu worker run``, ``cmu verify`` and ``cmu monitor``.

:data:`plugin` is the ``cmu.plugins`` entry point (pyproject.toml). ``cmu`` loads it on
every run (see :mod:`cmu_client.plugin`), so this module only builds parsers; the heavy
modules (LightGBM, rich Live) are imported by the handlers.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from cmu_client.errors import UsageError
from cmu_client.plugin import (
    KEY_ENV,
    CliPlugin,
    CommandContext,
    Commands,
    FirstVersion,
    FirstVersionRequest,
    add_json_argument,
    add_key_argument,
    jsonable,
)

STATE_ENV = "CMU_WORKER_STATE"


def _at_least(low: float, kind: type[int] | type[float], what: str) -> Any:
    """An argparse type: a number of ``kind`` that is at least ``low``."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not value >= low:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


_COUNT = _at_least(1, int, "a whole number >= 1")
_ID = _at_least(0, int, "an id (a whole number >= 0)")
_SECONDS = _at_least(0, float, "a number of seconds >= 0")
_POSITIVE_SECONDS = _at_least(1e-3, float, "a number of seconds > 0")


def register(subparsers: Commands) -> None:
    """Add the worker, verify and monitor commands to ``cmu``."""
    worker = subparsers.add_parser("worker", help="the trainer service")
    worker_commands = worker.add_subparsers(dest="worker_command", required=True, metavar="COMMAND")
    run = worker_commands.add_parser(
        "run",
        help="train and publish versions from pending contributions",
        description="Follow the chain and, for every model where the key holds the Trainer "
        "role (or the models given), turn pending contributions into new versions.",
    )
    add_key_argument(run)
    run.add_argument(
        "--model",
        "-m",
        type=_ID,
        action="append",
        dest="models",
        help="train only this model (repeatable; default: every model where the key is a Trainer)",
    )
    run.add_argument(
        "--state-dir",
        help=f"checkpoint directory (default: ${STATE_ENV} or ~/.local/state/cmu/worker/<address>)",
    )
    run.add_argument(
        "--until-idle",
        action="store_true",
        help="exit once no watched model has pending contributions",
    )
    run.add_argument("--max-rounds", type=_COUNT, help="exit after publishing this many versions")
    run.add_argument(
        "--poll", type=_POSITIVE_SECONDS, default=0.5, help="seconds between head checks"
    )
    run.add_argument(
        "--settle",
        type=_SECONDS,
        default=0.0,
        help="seconds to wait after a contribution arrives, to batch arrivals",
    )
    run.add_argument(
        "--max-contributions", type=_COUNT, default=16, help="most contributions settled per round"
    )
    run.add_argument(
        "--max-rows",
        type=_COUNT,
        default=2_000_000,
        help="most rows (as registered) trained on per round",
    )
    run.add_argument(
        "--max-bytes",
        type=_COUNT,
        default=512 * 1024 * 1024,
        help="most data bytes fetched per round",
    )
    run.add_argument(
        "--validation-dir",
        help="directory holding the private validation sets you were given (found by hash)",
    )
    dask = run.add_mutually_exclusive_group()
    dask.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="train with lightgbm.dask on this Dask scheduler (e.g. tcp://10.0.0.5:8786; "
        "needs cmu[dask]); the recipe records the layout",
    )
    dask.add_argument(
        "--dask-local-workers",
        metavar="N",
        type=_COUNT,
        help="train with lightgbm.dask on a local cluster of N worker processes",
    )
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.set_defaults(handler=cmd_worker_run)

    verify = subparsers.add_parser(
        "verify",
        help="re-derive a version from its recipe and compare bit for bit",
        description="Fetch the version's recipe (found from the on-chain recipe hash), its "
        "parent and data, train again, and compare the artifact's sha2-256 with the chain.",
    )
    verify.add_argument("model", type=_ID)
    verify.add_argument("version", type=_ID)
    verify.add_argument(
        "--attest",
        action="store_true",
        help="record the outcome on chain (attest_version, with --key; pallet-cmu v2): the "
        "report is pinned in IPFS and the attestation deposit held",
    )
    verify.add_argument(
        "--validation-dir",
        help="directory holding private validation sets you were given (found by hash): "
        "verifies a version whose set is not revealed, e.g. on a permissioned model",
    )
    add_key_argument(verify)
    add_json_argument(verify)
    verify.set_defaults(handler=cmd_verify)

    monitor = subparsers.add_parser("monitor", help="live view of models, versions, deposits")
    monitor.add_argument(
        "--model",
        "-m",
        type=_ID,
        action="append",
        dest="models",
        help="show this model's lineage and contributions (repeatable; default: all)",
    )
    monitor.add_argument("--once", action="store_true", help="print one snapshot and exit")
    monitor.add_argument(
        "--refresh", type=_POSITIVE_SECONDS, default=0.5, help="seconds between head checks"
    )
    monitor.add_argument("--limit", type=_COUNT, default=12, help="versions shown per model")
    monitor.add_argument(
        "--plain",
        action="store_true",
        help="the printed rich view instead of the interactive screen (piped output and "
        "--once always print)",
    )
    monitor.set_defaults(handler=cmd_monitor)


def default_state_dir(address: str) -> Path:
    base = os.environ.get(STATE_ENV)
    if base:
        return Path(base).expanduser()
    return Path.home() / ".local" / "state" / "cmu" / "worker" / address


def cmd_worker_run(args: argparse.Namespace, ctx: CommandContext) -> int:
    _require_worker_extra()
    from cmu_client.access import Keyring
    from cmu_client.chain import CmuChain
    from cmu_client.connection import ChainConnection
    from cmu_client.ipfs import IpfsStore
    from offchain.rounds import RoundLimits
    from offchain.worker import Worker, WorkerConfig

    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    signer = ctx.signer()
    # Not ctx.chain(): that fails at once when the chain is down; the worker waits for it.
    chain = CmuChain(ChainConnection(ctx.chain_settings()))
    config = WorkerConfig(
        state_dir=Path(args.state_dir).expanduser()
        if args.state_dir
        else default_state_dir(signer.ss58_address),
        models=tuple(args.models) if args.models else None,
        limits=RoundLimits(args.max_contributions, args.max_rows, args.max_bytes),
        poll_interval=args.poll,
        settle_seconds=args.settle,
        until_idle=args.until_idle,
        max_rounds=args.max_rounds,
        validation_dir=Path(args.validation_dir).expanduser() if args.validation_dir else None,
        dask_scheduler=args.dask_scheduler,
        dask_local_workers=args.dask_local_workers,
    )

    halted: dict[int, str] = {}

    async def serve() -> None:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            # Permissioned models: contributions and versions are read with this key.
            store.keyring = Keyring(chain, signer.ss58_address, ctx.encryption_keypair())
            worker = Worker(chain, store, signer, config)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, worker.stop)
            await worker.run()
            halted.update(worker.halted)

    try:
        ctx.run(serve())
    finally:
        chain.close()
    # A model whose rounds stopped (the reason was logged) makes the exit status 1.
    return 1 if halted else 0


def cmd_verify(args: argparse.Namespace, ctx: CommandContext) -> int:
    _require_worker_extra()
    from rich.table import Table
    from rich.text import Text

    from cmu_client.ipfs import IpfsStore
    from cmu_client.types import Visibility
    from offchain.inputs import Inputs
    from offchain.private_sets import PrivateSets
    from offchain.verify import Attested, VerifyReport, attest, verify_version

    chain = ctx.chain()
    signer = None
    if args.attest:
        # Refuse before the (long) re-derivation when the attestation cannot be recorded.
        chain.features().require("attestations", "cmu verify --attest")
        signer = ctx.signer()
        already = chain.attestation(args.model, args.version, signer.ss58_address)
        if already is not None:
            raise chain.pallet_error("AlreadyAttested")

    model = chain.model(args.model)
    encrypted = model.policy.visibility is Visibility.PERMISSIONED or bool(
        chain.version_envelope(args.model, args.version)
    )
    if encrypted and not (args.key or os.environ.get(KEY_ENV)):
        raise UsageError(
            f"model {args.model} v{args.version} is encrypted: verifying it needs the key of "
            "an account it was sealed to",
            "pass --key NAME (a holder of a role on the model)",
        )

    given = args.validation_dir
    if given and not Path(given).expanduser().is_dir():
        raise UsageError(
            f"--validation-dir {given} is not a directory",
            "pass the directory that holds the validation set file the owner gave you",
        )
    held = PrivateSets(Path(given).expanduser() if given else None)

    async def run() -> tuple[VerifyReport, Attested | None]:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            if encrypted:
                # An encrypted version: its key envelope opens the documents and the data
                # its round judged (a clear error when this account is not a holder).
                store.keyring = ctx.keyring(signer)
                await store.keyring.open_version(store, args.model, args.version)
            with ctx.output.status(f"re-deriving model {args.model} version {args.version}"):
                report = await verify_version(chain, Inputs(store, held), args.model, args.version)
            attested = None
            if signer is not None:
                with ctx.output.status(f"attesting {report.outcome.value}"):
                    attested = await attest(chain, store, signer, report)
            return report, attested

    report, attested = ctx.run(run())
    if ctx.json:
        out = {**jsonable(report), "matches": report.matches}
        if attested is not None:
            out["attestation"] = {
                "outcome": report.outcome.value,
                "report_cid": attested.report.cid,
                "block": attested.result.block_number,
                "verified_by": attested.matches,
                "disputed_by": attested.mismatches,
            }
        ctx.output.json(out)
        return 0 if report.matches else 1
    table = Table(
        title=f"verify model {args.model} version {args.version}",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("check")
    table.add_column("")
    table.add_column("detail", overflow="fold")
    for check in report.checks:
        mark = Text("ok", style="green") if check.ok else Text("FAIL", style="bold red")
        table.add_row(check.name, mark, check.detail)
    ctx.output.out.print(table)
    for line in report.differences:
        ctx.output.out.print(f"  [red]•[/red] {line}", highlight=False)
    if attested is not None:
        ctx.output.note(
            f"attested {report.outcome.value} in block #{attested.result.block_number} "
            f"(report {attested.report.cid}): verified by {attested.matches} account(s), "
            f"disputed by {attested.mismatches}"
        )
    if report.matches:
        ctx.output.done(
            f"v{args.version} re-derived bit for bit (sha2-256 {report.onchain_sha256[:16]}...)"
        )
        return 0
    ctx.output.err.print(
        "[bold red]mismatch:[/bold red] the published artifact is not what its recipe produces",
        highlight=False,
    )
    return 1


def cmd_monitor(args: argparse.Namespace, ctx: CommandContext) -> int:
    from offchain.monitor import render, run_monitor

    chain = ctx.chain()
    watched = tuple(args.models) if args.models else None
    if not (args.once or args.plain or ctx.json) and sys.stdout.isatty():
        try:  # the interactive screen needs Textual (the monitor extra)
            from offchain.monitor_tui.app import run_tui
        except ImportError:
            ctx.output.warn("the interactive monitor needs: pip install 'cmu[monitor]'")
        else:
            run_tui(chain, watched, args.refresh)
            return 0
    try:
        snapshot = ctx.run(run_monitor(chain, watched, args.refresh, args.once, args.limit))
    except KeyboardInterrupt:
        return 0
    if args.once:
        if ctx.json:
            ctx.output.json(snapshot)
        else:
            ctx.output.out.print(render(snapshot))
    return 0


async def train_first_version(request: FirstVersionRequest) -> FirstVersion:
    """Plugin hook for ``cmu model create`` (see :func:`offchain.publish.train_first_version`)."""
    _require_worker_extra()
    from offchain.publish import train_first_version as train

    return await train(request)


def _require_worker_extra() -> None:
    """Refuse with the install line when LightGBM (the ``worker`` extra) is missing."""
    try:
        import lightgbm  # noqa: F401
    except ImportError:
        raise UsageError(
            "training needs LightGBM, which is not installed",
            "pip install 'cmu[worker]'",
        ) from None


#: The ``cmu.plugins`` entry point.
plugin = CliPlugin(register=register, train_first_version=train_first_version)
