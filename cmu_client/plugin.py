"""The CLI's plugin API: how another package adds ``cmu`` commands and a trainer.

A plugin is a :class:`CliPlugin` named by an entry point in the group
:data:`ENTRY_POINT_GROUP` (``cmu.plugins``) of its distribution, e.g. in pyproject.toml::

    [project.entry-points."cmu.plugins"]
    worker = "offchain.cli:plugin"

``cmu`` loads every plugin of the group on start (so plugin modules should only build
parsers at import time and import heavy libraries in their handlers) and uses:

``register(commands: Commands) -> None``
    Add top-level commands with ``commands.add_parser(name, help=...)`` (an
    :class:`argparse.ArgumentParser` each). Each parser sets ``handler=`` to a function
    ``(args, ctx: CommandContext) -> int | None`` (``set_defaults(handler=...)``); the
    returned int is the exit code (None = 0). :class:`CommandContext` gives the chain
    connection, IPFS settings, the signer from ``--key`` and the :class:`Output` helpers,
    and turns any :class:`cmu_client.errors.CmuError` the handler raises into a one-line
    error. :func:`add_key_argument` and :func:`add_json_argument` add the common options.

``train_first_version(request: FirstVersionRequest) -> Awaitable[FirstVersion]``
    Train a new model's first version (:mod:`cmu_client.trainer`); ``cmu model create``
    publishes what it returns with the owner's key.

A plugin that fails to load is reported (as a warning) and the built-in commands still
work. This module is everything a plugin imports from the CLI side of ``cmu_client``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from cmu_client.access import Keyring
from cmu_client.chain import CmuChain
from cmu_client.config import ChainSettings, IpfsSettings
from cmu_client.connection import ChainConnection
from cmu_client.crypto import X25519Keypair
from cmu_client.errors import KeyNotFoundError, UsageError
from cmu_client.keys import Keystore, Signer, resolve_encryption_keypair, resolve_signer
from cmu_client.output import Output, jsonable
from cmu_client.trainer import FirstVersion, FirstVersionRequest, FirstVersionTrainer

ENTRY_POINT_GROUP = "cmu.plugins"

__all__ = [
    "ENTRY_POINT_GROUP",
    "CliPlugin",
    "CommandContext",
    "Commands",
    "FirstVersion",
    "FirstVersionRequest",
    "FirstVersionTrainer",
    "LoadedPlugins",
    "Output",
    "add_json_argument",
    "add_key_argument",
    "id_argument",
    "jsonable",
    "load_plugins",
]

_T = TypeVar("_T")
KEY_ENV = "CMU_KEY"


def add_key_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key",
        "-k",
        help="signing key: a keystore name, a polkadot.js JSON file, or a dev URI such as "
        f"//Alice (default: ${KEY_ENV})",
    )


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


class CommandContext:
    """Built once per ``cmu`` run; connections open on first use and close at exit."""

    def __init__(self, args: argparse.Namespace, plugins: LoadedPlugins | None = None) -> None:
        self.args = args
        self.plugins = plugins
        self.output = Output(
            json_mode=bool(getattr(args, "json", False)), quiet=bool(getattr(args, "quiet", False))
        )
        self._chain: CmuChain | None = None
        self._keystore: Keystore | None = None

    # -- settings -------------------------------------------------------------------

    @property
    def json(self) -> bool:
        return self.output.json_mode

    def chain_settings(self) -> ChainSettings:
        return ChainSettings.from_env(getattr(self.args, "rpc", None))

    def ipfs_settings(self) -> IpfsSettings:
        return IpfsSettings.from_env(getattr(self.args, "ipfs", None))

    def keystore(self) -> Keystore:
        if self._keystore is None:
            directory = getattr(self.args, "keystore", None)
            self._keystore = Keystore(Path(directory).expanduser() if directory else None)
        return self._keystore

    # -- connections ----------------------------------------------------------------

    def chain(self) -> CmuChain:
        if self._chain is None:
            self._chain = CmuChain(ChainConnection(self.chain_settings()))
            with self.output.status(f"connecting to {self._chain.connection.settings.url}"):
                self._chain.ensure_runtime()
        return self._chain

    def signer(self) -> Signer:
        key = getattr(self.args, "key", None) or os.environ.get(KEY_ENV)
        if not key:
            raise UsageError(
                "this command signs a transaction but no key was given",
                f"pass --key NAME (or //Alice on the dev chain), or set ${KEY_ENV}",
            )
        return resolve_signer(key, self.keystore())

    def keyring(self, signer: Signer | None = None) -> Keyring:
        """The keyring of the ``--key`` account, for reading permissioned models (its
        encryption key is ``None`` when it has none: reads of encrypted content then fail
        with a one-line hint)."""
        signer = signer or self.signer()
        return Keyring(self.chain(), signer.ss58_address, self.encryption_keypair())

    def encryption_keypair(self) -> X25519Keypair | None:
        """The ``--key`` account's x25519 keypair (``None`` when it has none yet)."""
        key = getattr(self.args, "key", None) or os.environ.get(KEY_ENV) or ""
        try:
            return resolve_encryption_keypair(key, self.keystore())
        except KeyNotFoundError:
            return None

    def first_version_trainer(self) -> FirstVersionTrainer | None:
        """The trainer a plugin provides for ``cmu model create``, or None."""
        if self.plugins is None:
            self.plugins = load_plugins()
        return self.plugins.first_version_trainer()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run async work (IPFS) from a synchronous handler."""
        return asyncio.run(coroutine)

    def close(self) -> None:
        if self._chain is not None:
            self._chain.close()
            self._chain = None


class Commands:
    """Where command groups (built-in and plugins) add their top-level ``cmu`` commands."""

    def __init__(self, subparsers: Any) -> None:
        self._subparsers = subparsers

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """A new ``cmu NAME`` command; takes :meth:`argparse.ArgumentParser` keywords."""
        parser: argparse.ArgumentParser = self._subparsers.add_parser(name, **kwargs)
        return parser

    def add_group(self, name: str, **kwargs: Any) -> Commands:
        """A ``cmu NAME COMMAND`` group (``cmu worker run``); add its commands to the
        returned :class:`Commands`."""
        group = self.add_parser(name, **kwargs)
        return Commands(
            group.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")
        )


def id_argument(text: str) -> int:
    """An argparse ``type=`` for model, version and contribution ids."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a number)") from None
    if value < 0:
        raise argparse.ArgumentTypeError("ids are not negative")
    return value


@dataclass(frozen=True)
class CliPlugin:
    """What a ``cmu.plugins`` entry point names."""

    register: Callable[[Commands], None] | None = None
    train_first_version: FirstVersionTrainer | None = None


@dataclass(frozen=True)
class LoadedPlugins:
    """The plugins that loaded, by entry point name, and the ones that failed, with why."""

    plugins: dict[str, CliPlugin]
    failures: dict[str, str]

    def first_version_trainer(self) -> FirstVersionTrainer | None:
        """The first plugin's trainer (by entry point name), or None without one."""
        for name in sorted(self.plugins):
            trainer = self.plugins[name].train_first_version
            if trainer is not None:
                return trainer
        return None


def load_plugins(entry_points: Iterable[metadata.EntryPoint] | None = None) -> LoadedPlugins:
    """Load the plugins of :data:`ENTRY_POINT_GROUP` (or the given entry points)."""
    found = metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
    plugins: dict[str, CliPlugin] = {}
    failures: dict[str, str] = {}
    for entry in found:
        try:
            plugin = entry.load()
        except Exception as exc:  # a broken plugin must not take the built-in commands down
            failures[entry.name] = f"{type(exc).__name__}: {exc}"
            continue
        if not isinstance(plugin, CliPlugin):
            failures[entry.name] = f"{entry.value} is not a cmu_client.plugin.CliPlugin"
            continue
        plugins[entry.name] = plugin
    return LoadedPlugins(plugins, failures)
