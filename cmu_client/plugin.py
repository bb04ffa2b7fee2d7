"""The CLI's plugin contract: how ``offchain`` adds commands and trains first versions.

``cmu`` imports the module :data:`PLUGIN_MODULE` (``offchain.cli``) lazily, only if it
exists, and uses two optional functions from it:

``register(subparsers: argparse._SubParsersAction) -> None``
    Add top-level commands (``cmu worker run``, ``cmu verify``, ``cmu monitor``). Each
    parser sets ``handler=`` to a function ``(args, ctx: CommandContext) -> int | None``
    (``set_defaults(handler=...)``); the returned int is the exit code (None = 0).
    :class:`cmu_client.commands.context.CommandContext` gives the chain connection,
    IPFS settings, the signer from ``--key`` and the output helpers, and turns any
    :class:`cmu_client.errors.CmuError` the handler raises into a one-line error.
    Use :func:`cmu_client.commands.context.add_key_argument` and
    :func:`~cmu_client.commands.context.add_json_argument` for the common options.

``async train_first_version(request: FirstVersionRequest) -> FirstVersion``
    Train a new model's first version (recipe mode "fresh") from the data it was
    created with, store the artifact and recipe in IPFS, and return what
    ``publish_version(expected_parent=None)`` needs. ``cmu model create`` calls it after
    ``create_model`` and publishes the result with the owner's key.

A plugin that fails to import is reported (as a warning) and the built-in commands
still work.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol, cast

from cmu_client.dataset import Dataset
from cmu_client.ipfs import IpfsStore, StoredObject
from cmu_client.spec import ContentRef, ModelSpec
from cmu_client.types import Metric, ModelId

PLUGIN_MODULE = "offchain.cli"


@dataclass(frozen=True)
class FirstVersionRequest:
    """Everything known when a model has just been created."""

    model: ModelId
    spec: ModelSpec
    #: The spec document as stored (CID and sha2-256 of its bytes).
    spec_ref: ContentRef
    #: The initial data set as stored, and its parsed rows.
    data_ref: StoredObject
    data: Dataset
    #: The validation set (spec.validation) as parsed rows.
    validation: Dataset
    #: An open IPFS store to put the artifact and the recipe in.
    store: IpfsStore


@dataclass(frozen=True)
class FirstVersion:
    """What the chain records for version 0."""

    artifact: StoredObject
    recipe_hash: bytes
    metrics: tuple[Metric, ...]


class FirstVersionTrainer(Protocol):
    def __call__(self, request: FirstVersionRequest) -> Awaitable[FirstVersion]: ...


Register = Callable[[Any], None]


def load_plugin() -> ModuleType | None:
    """The plugin module, or None when it is not installed."""
    try:
        if importlib.util.find_spec(PLUGIN_MODULE) is None:
            return None
    except ModuleNotFoundError:  # the parent package itself is missing
        return None
    return importlib.import_module(PLUGIN_MODULE)


def register_plugin_commands(module: ModuleType | None, subparsers: argparse._SubParsersAction[
        argparse.ArgumentParser]) -> bool:
    register = getattr(module, "register", None) if module is not None else None
    if not callable(register):
        return False
    cast(Register, register)(subparsers)
    return True


def first_version_trainer(module: ModuleType | None) -> FirstVersionTrainer | None:
    trainer = getattr(module, "train_first_version", None) if module is not None else None
    return cast(FirstVersionTrainer, trainer) if callable(trainer) else None
