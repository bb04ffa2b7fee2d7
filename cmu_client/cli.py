"""``cmu``: the command-line interface of CMU.

Built-in command groups live in :mod:`cmu_client.commands`. Other packages add commands
through the plugin API in :mod:`cmu_client.plugin`: every entry point of the group
``cmu.plugins`` is loaded and its ``register(commands)`` adds e.g. ``cmu worker run``,
``cmu verify`` and ``cmu monitor`` (the ``offchain`` package's plugin). Handlers are
``(args, ctx) -> int | None``.

Errors print as one line saying what went wrong plus a ``hint:`` line, and the exit code
says what kind of failure it was (see :data:`EXIT_CODES`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

try:
    from rich.console import Console
    from rich.markup import escape
except ImportError:  # a library-only install: say what to install instead of a traceback
    sys.exit("cmu: the command line needs its extra: pip install 'cmu[cli]'")

from cmu_client import __version__
from cmu_client.commands import (
    contribute,
    info,
    keys,
    models,
    predict,
    roles,
    validation,
    versions,
)
from cmu_client.errors import (
    ChainConnectionError,
    ChainError,
    CmuError,
    ConfigError,
    EncryptionError,
    HashMismatchError,
    IpfsError,
    KeystoreError,
    NoAccessError,
    NotFoundError,
    TransactionRejectedError,
    UsageError,
    ValidationError,
)
from cmu_client.plugin import CommandContext, Commands, LoadedPlugins, load_plugins

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
    (EncryptionError, 6),
    (NoAccessError, 9),
)


def build_parser(plugins: LoadedPlugins | None = None) -> argparse.ArgumentParser:
    """The ``cmu`` parser: built-in commands, then the commands of ``plugins``; a plugin
    whose ``register`` fails is moved to ``plugins.failures``."""
    parser = argparse.ArgumentParser(
        prog="cmu",
        description="Collaborative Model Update: ML models as NFTs, improved together.",
    )
    parser.add_argument("--version", action="version", version=f"cmu {__version__}")
    parser.add_argument(
        "--rpc", help="chain RPC URL (default: $CMU_RPC_URL or ws://127.0.0.1:9944)"
    )
    parser.add_argument(
        "--ipfs", help="Kubo API multiaddr (default: $CMU_IPFS_API or /ip4/127.0.0.1/tcp/5001)"
    )
    parser.add_argument(
        "--keystore", help="keystore directory (default: $CMU_KEYSTORE or ~/.config/cmu/keys)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress or notes")
    parser.add_argument("--debug", action="store_true", help="log RPC traffic and tracebacks")
    commands = Commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    for group in (keys, models, validation, roles, contribute, versions, predict, info):
        group.register(commands)
    for name, plugin in sorted((plugins.plugins if plugins else {}).items()):
        if plugin.register is None:
            continue
        try:
            plugin.register(commands)
        except Exception as exc:  # a broken plugin must not take the built-in commands down
            assert plugins is not None
            plugins.failures[name] = f"{type(exc).__name__}: {exc}"
    return parser


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
    plugins = load_plugins()
    parser = build_parser(plugins)
    for name, why in sorted(plugins.failures.items()):
        err.print(
            f"[yellow]warning:[/yellow] plugin {escape(name)} not loaded: {escape(why)}",
            highlight=False,
        )
    args = parser.parse_args(argv)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    ctx = CommandContext(args, plugins)
    try:
        result = handler(args, ctx)
        return int(result or 0)
    except CmuError as error:
        if getattr(args, "json", False) and isinstance(error, ValidationError):
            ctx.output.json(
                {
                    "valid": False,
                    "error": error.message,
                    "problems": [p.__dict__ for p in error.problems],
                    "more": error.more,
                }
            )
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
