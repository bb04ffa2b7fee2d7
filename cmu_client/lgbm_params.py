"""The one policy for the LightGBM parameters a model spec may set.

:func:`cmu_client.spec.parse_spec` reports every violation with its JSON path (so a spec
is refused before anything is stored or created on chain) and the trainer
(``offchain.training.resolve_params``) applies the same rules when it builds a recipe's
parameters. LightGBM itself is not needed here: the policy is names and values.

A spec cannot set what follows from its own fields (objective, class count, metric, round
counts), anything that reads or writes files, uses a network or stops training early,
nor change the settings that make training reproducible; ``seed`` and ``num_threads``
may be chosen but must be fixed. Aliases are folded to one name, so a recipe records each
setting once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: A LightGBM parameter value as it may appear in canonical JSON.
ParamValue = bool | int | float | str

#: Settings every CMU model is trained with; a spec cannot change them.
PINNED: Mapping[str, ParamValue] = {
    "deterministic": True,
    "force_row_wise": True,
    "force_col_wise": False,
    "verbosity": -1,
    "device_type": "cpu",
}
DEFAULT_SEED = 42
DEFAULT_NUM_THREADS = 2

#: Other spellings LightGBM accepts for settings a recipe records under one name.
ALIASES: Mapping[str, str] = {
    "random_seed": "seed",
    "random_state": "seed",
    "num_thread": "num_threads",
    "nthread": "num_threads",
    "nthreads": "num_threads",
    "n_jobs": "num_threads",
    "verbose": "verbosity",
    "device": "device_type",
    "application": "objective",
    "app": "objective",
    "objective_type": "objective",
    "num_classes": "num_class",
    "metrics": "metric",
    "metric_types": "metric",
    "num_iteration": "num_iterations",
    "n_iter": "num_iterations",
    "num_tree": "num_iterations",
    "num_trees": "num_iterations",
    "num_round": "num_iterations",
    "num_rounds": "num_iterations",
    "nrounds": "num_iterations",
    "num_boost_round": "num_iterations",
    "n_estimators": "num_iterations",
    "max_iter": "num_iterations",
    "early_stopping_rounds": "early_stopping_round",
    "early_stopping": "early_stopping_round",
    "n_iter_no_change": "early_stopping_round",
    "model_input": "input_model",
    "model_in": "input_model",
    "model_output": "output_model",
    "model_out": "output_model",
    "train": "data",
    "train_data": "data",
    "train_data_file": "data",
    "data_filename": "data",
    "test": "valid",
    "valid_data": "valid",
    "valid_data_file": "valid",
    "test_data": "valid",
    "test_data_file": "valid",
    "valid_filenames": "valid",
    "machine_list_file": "machine_list_filename",
    "machine_list": "machine_list_filename",
    "mlist": "machine_list_filename",
    "num_machine": "num_machines",
    "tree": "tree_learner",
    "tree_type": "tree_learner",
    "tree_learner_type": "tree_learner",
    "forced_splits_filename": "forcedsplits_filename",
    "forced_splits_file": "forcedsplits_filename",
    "forced_splits": "forcedsplits_filename",
}

#: Settings that follow from the spec's own fields (task, classes, num_boost_round).
DERIVED = frozenset({"objective", "num_class", "metric", "num_iterations"})

#: Settings that would read or write files, use a network or stop training early.
FORBIDDEN = frozenset(
    {
        "input_model",
        "output_model",
        "data",
        "valid",
        "machines",
        "machine_list_filename",
        "num_machines",
        "tree_learner",
        "forcedbins_filename",
        "forcedsplits_filename",
        "early_stopping_round",
    }
)


@dataclass(frozen=True)
class ParamProblem:
    """Why the parameter ``key`` (as the spec spells it) is refused."""

    key: str
    problem: str
    expected: str | None = None

    @property
    def message(self) -> str:
        return f"LightGBM parameter {self.key!r}: {self.problem}"


def canonical_name(key: str) -> str:
    """The one name a recipe records ``key`` under."""
    return ALIASES.get(key, key)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return isinstance(value, bool | int | str)


def check(params: Mapping[str, Any]) -> list[ParamProblem]:
    """Every refused parameter of a spec's ``lightgbm.params``, by key."""
    problems: list[ParamProblem] = []
    seen: dict[str, str] = {}
    for key in sorted(params):
        value = params[key]
        name = canonical_name(key)
        if name in DERIVED:
            problems.append(
                ParamProblem(
                    key,
                    "derived from the spec, not set in params",
                    "leave it out: task, classes and num_boost_round decide it",
                )
            )
        elif name in FORBIDDEN:
            problems.append(
                ParamProblem(
                    key,
                    "cannot be set in a CMU spec (files, machines or early stopping)",
                    "leave it out: the data and round counts come from the spec's own fields",
                )
            )
        elif not _is_scalar(value):
            problems.append(ParamProblem(key, "not a scalar", "a string, number or boolean"))
        elif name in PINNED and value != PINNED[name]:
            problems.append(
                ParamProblem(
                    key,
                    f"{value!r} would make training irreproducible",
                    f"CMU pins {name}={PINNED[name]!r}; remove it from the spec",
                )
            )
        elif name == "num_threads" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            problems.append(
                ParamProblem(
                    key,
                    "num_threads must be a positive integer (0 = all cores is not reproducible)",
                )
            )
        elif name == "seed" and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(ParamProblem(key, "seed must be a fixed integer"))
        elif name in seen:
            problems.append(
                ParamProblem(
                    key,
                    f"sets {name} again (also set as {seen[name]!r})",
                    "set each parameter once",
                )
            )
        seen.setdefault(name, key)
    return problems


def resolve(
    params: Mapping[str, Any], objective: str, num_class: int | None
) -> dict[str, ParamValue]:
    """The complete parameters a recipe records, sorted by name; the spec's ``params``
    must pass :func:`check` (callers raise on its problems first).

    Aliases folded to one name, ``seed`` and ``num_threads`` defaulted, the pinned
    settings and the objective (and class count) added.
    """
    resolved: dict[str, ParamValue] = {"seed": DEFAULT_SEED, "num_threads": DEFAULT_NUM_THREADS}
    for key, value in params.items():
        resolved[canonical_name(key)] = value
    resolved.update(PINNED)
    resolved["objective"] = objective
    if num_class is not None:
        resolved["num_class"] = num_class
    return dict(sorted(resolved.items()))
