"""``cmu``: the command-line interface of CMU.

Built-in command groups live in :mod:`cmu_client.commands`. Other packages add commands
through the plugin contract in :mod:`cmu_client.plugin`: if ``offchain.cli`` exists it is
imported lazily and its ``register(subparsers)`` adds e.g. ``cmu worker run``,
``cmu verify`` and ``cmu monitor``. Handlers are ``(args, ctx) -> int | None``.

Errors print as one line saying what went wrong plus a ``hint:`` line, and the exit code
says what kind of failure it was (see :data:`EXIT_CODES`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from cmu_client import __version__
from cmu_client.commands import contribute, info, keys, models, predict, roles, versions
from cmu_client.commands.context import CommandContext
from cmu_client.errors import (
    ChainConnectionError,
    ChainError,
    CmuError,
    ConfigError,
    HashMismatchError,
    IpfsError,
    KeystoreError,
    NotFoundError,
    TransactionRejectedError,
    UsageError,
    ValidationError,
)
from cmu_client.plugin import load_plugin, register_plugin_commands

#: Exit codes by error kind (the first matching class wins).
EXIT_CODES: tuple[tuple[type[CmuError], int], ...] = (
    (UsageError, 2),
    (ConfigError, 2),
    (ValidationError, 3),
    (ChainError, 4),
    (TransactionRejectedError, 4),
    (ChainConnectionError, 5),
    (IpfsError, 5),
    (HashMismatchError, 6),
    (KeystoreError, 7),
    (NotFoundError, 8),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cmu",
        description="Collaborative Model Update: ML models as NFTs, improved together.",
    )
    parser.add_argument("--version", action="version", version=f"cmu {__version__}")
    parser.add_argument("--rpc", help="chain RPC URL (default: $CMU_RPC_URL or "
                                      "ws://127.0.0.1:9944)")
    parser.add_argument("--ipfs", help="Kubo API multiaddr (default: $CMU_IPFS_API or "
                                       "/ip4/127.0.0.1/tcp/5001)")
    parser.add_argument("--keystore", help="keystore directory (default: $CMU_KEYSTORE or "
                                           "~/.config/cmu/keys)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress or notes")
    parser.add_argument("--debug", action="store_true", help="log RPC traffic and tracebacks")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (keys, models, roles, contribute, versions, predict, info):
        group.register(subparsers)
    return parser


def _add_plugin(parser: argparse.ArgumentParser, err: Console) -> None:
    subparsers = next(a for a in parser._actions
                      if isinstance(a, argparse._SubParsersAction))
    try:
        register_plugin_commands(load_plugin(), subparsers)
    except Exception as exc:  # a broken plugin must not take the built-in commands down
        err.print(f"[yellow]warning:[/yellow] plugin offchain.cli not loaded: "
                  f"{escape(type(exc).__name__)}: {escape(str(exc))}", highlight=False)


def exit_code(error: CmuError) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return 1


def report_error(error: CmuError, err: Console) -> None:
    err.print(f"[bold red]error:[/bold red] {escape(error.message)}", highlight=False)
    if isinstance(error, ValidationError):
        for line in error.details()[1:] if len(error.details()) > 1 else []:
            err.print(f"  {escape(line)}", highlight=False)
    if error.hint:
        err.print(f"[cyan]hint:[/cyan] {escape(error.hint)}", highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    err = Console(stderr=True, soft_wrap=True)
    parser = build_parser()
    _add_plugin(parser, err)
    args = parser.parse_args(argv)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    ctx = CommandContext(args)
    try:
        result = handler(args, ctx)
        return int(result or 0)
    except CmuError as error:
        if getattr(args, "json", False) and isinstance(error, ValidationError):
            ctx.output.json({"valid": False, "error": error.message,
                             "problems": [p.__dict__ for p in error.problems],
                             "more": error.more})
        report_error(error, err)
        if args.debug:
            raise
        return exit_code(error)
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
