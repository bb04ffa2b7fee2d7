"""What every command handler gets: settings, lazy connections, the signer, output."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from cmu_client.chain import CmuChain
from cmu_client.config import ChainSettings, IpfsSettings
from cmu_client.connection import ChainConnection
from cmu_client.errors import UsageError
from cmu_client.keys import Keystore, Signer, resolve_signer
from cmu_client.output import Output

_T = TypeVar("_T")
KEY_ENV = "CMU_KEY"


def add_key_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key", "-k",
        help="signing key: a keystore name, a polkadot.js JSON file, or a dev URI such as "
             f"//Alice (default: ${KEY_ENV})",
    )


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


class CommandContext:
    """Built once per ``cmu`` run; connections open on first use and close at exit."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.output = Output(json_mode=bool(getattr(args, "json", False)),
                             quiet=bool(getattr(args, "quiet", False)))
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
            raise UsageError("this command signs a transaction but no key was given",
                             f"pass --key NAME (or //Alice on the dev chain), or set ${KEY_ENV}")
        return resolve_signer(key, self.keystore())

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run async work (IPFS) from a synchronous handler."""
        return asyncio.run(coroutine)

    def close(self) -> None:
        if self._chain is not None:
            self._chain.close()
            self._chain = None
