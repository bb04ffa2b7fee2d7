"""The CLI finds extra commands through ``cmu.plugins`` entry points; the library core
imports without the CLI's and the trainer's dependencies. No chain needed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib import metadata

from cmu_client.cli import build_parser
from cmu_client.plugin import ENTRY_POINT_GROUP, CliPlugin, Commands, load_plugins


def _entry(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def _commands(parser_help: str) -> set[str]:
    return {line.split()[0] for line in parser_help.splitlines() if line.startswith("    ")}


def test_offchain_registers_its_commands_through_the_entry_point() -> None:
    installed = {e.value for e in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert "offchain.cli:plugin" in installed
    plugins = load_plugins()
    assert not plugins.failures
    assert plugins.first_version_trainer() is not None
    names = _commands(build_parser(plugins).format_help())
    assert {"worker", "verify", "monitor", "model", "predict"} <= names


def test_without_plugins_only_the_built_in_commands() -> None:
    plugins = load_plugins([])
    assert plugins.first_version_trainer() is None
    names = _commands(build_parser(plugins).format_help())
    assert "model" in names and "worker" not in names


def test_a_broken_plugin_is_reported_and_the_rest_still_works() -> None:
    plugins = load_plugins(
        [
            _entry("missing", "no_such_module.cli:plugin"),
            _entry("wrong", "offchain.cli:register"),  # a function, not a CliPlugin
            _entry("worker", "offchain.cli:plugin"),
        ]
    )
    assert sorted(plugins.failures) == ["missing", "wrong"]
    assert "ModuleNotFoundError" in plugins.failures["missing"]
    assert "not a cmu_client.plugin.CliPlugin" in plugins.failures["wrong"]

    def explode(commands: Commands) -> None:
        raise RuntimeError("boom")

    plugins.plugins["explodes"] = CliPlugin(register=explode)
    parser = build_parser(plugins)
    assert plugins.failures["explodes"] == "RuntimeError: boom"
    args = parser.parse_args(["worker", "run", "--key", "//Alice"])
    assert args.handler is not None


def test_the_library_core_imports_without_cli_and_worker_dependencies() -> None:
    """``import cmu_client`` and its core modules need neither rich, LightGBM,
    scikit-learn nor offchain (they are extras); a subprocess where those cannot be
    imported proves it."""
    script = textwrap.dedent(
        """
        import importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("rich", "lightgbm", "sklearn", "offchain"):
                    raise ImportError(f"blocked: {name}")
                return None

        sys.meta_path.insert(0, Block())
        import importlib, pkgutil
        import cmu_client
        cli_side = {"cli", "commands", "plugin", "output"}
        core = [m.name for m in pkgutil.iter_modules(cmu_client.__path__)
                if m.name not in cli_side]
        assert {"chain", "history", "spec", "documents", "predict"} <= set(core), core
        for module in core:
            importlib.import_module(f"cmu_client.{module}")
        from cmu_client.predict import load_booster
        from cmu_client.errors import UsageError
        try:
            load_booster(b"tree")
        except UsageError as refused:
            print(refused.hint)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "cmu[predict]" in done.stdout
