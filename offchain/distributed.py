"""Training past one machine: LightGBM's own Dask engine (``lightgbm.dask``) on a layout
the recipe records.

The rows of a recipe (its data sets concatenated in recipe order) are split into as many
contiguous partitions as there are Dask workers, one partition per worker, the workers
taken in address order; LightGBM's data-parallel learner (``tree_learner=data``) then
trains on them with the recipe's pinned parameters. Worker ``i`` gets partition ``i``
and LightGBM rank ``i`` (the ``machines`` list is written in partition order), so the
same layout gives the same bytes: ``lightgbm.dask``'s estimators pick the rank order
from a set of random task keys, which changes the trees from run to run (measured; see
docs/worker.md, "Training on Dask"). The network settings LightGBM writes into the
model's ``parameters:`` block (free ports found at run time) are replaced by fixed
values, so they do not change the hash.

Dask is an optional extra (``cmu[dask]``): nothing here imports it until a trainer is
made.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any
from urllib.parse import urlparse

from cmu_client.errors import CmuError
from cmu_client.lgbm_params import ParamValue

#: The engine a distributed recipe names.
ENGINE = "lightgbm.dask"
#: LightGBM's distributed learner used: each worker builds histograms of its own rows.
TREE_LEARNER = "data"
#: Minutes LightGBM's workers wait for each other when connecting (its ``time_out``).
NETWORK_TIMEOUT_MINUTES = 2


class DistributedError(CmuError):
    """Dask is missing, unreachable, or has not the workers a layout needs."""


@dataclass(frozen=True)
class Layout:
    """How a distributed training run split its rows: what a recipe records."""

    workers: int
    #: Rows per partition, in recipe order; partition ``i`` went to LightGBM rank ``i``.
    partitions: tuple[int, ...]
    #: Versions of dask and distributed on the machine that trained.
    libraries: tuple[tuple[str, str], ...]
    engine: str = ENGINE
    tree_learner: str = TREE_LEARNER


def partition_rows(total: int, workers: int) -> tuple[int, ...]:
    """``total`` rows split into ``workers`` contiguous partitions; the first ones take
    the remainder (sizes differ by at most one)."""
    if workers < 1:
        raise DistributedError("a Dask layout needs at least one worker")
    if total < workers:
        raise DistributedError(f"{total} rows cannot be split over {workers} Dask workers")
    base, extra = divmod(total, workers)
    return tuple(base + (1 if i < extra else 0) for i in range(workers))


def dask_versions() -> tuple[tuple[str, str], ...]:
    """Versions of dask and distributed here (``missing`` when not installed)."""
    found = []
    for name in ("dask", "distributed"):
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, "missing"))
    return tuple(found)


_NETWORK_LINES = (
    (re.compile(r"^\[machines: [^\n]*\]$", re.MULTILINE), "[machines: ]"),
    (re.compile(r"^\[local_listen_port: \d+\]$", re.MULTILINE), "[local_listen_port: 12400]"),
)


def normalize_network(model_text: str) -> str:
    """The model text with the run's network addresses replaced by LightGBM's defaults
    (the ``parameters:`` block only; they play no part in prediction)."""
    for pattern, fixed in _NETWORK_LINES:
        model_text = pattern.sub(fixed, model_text)
    return model_text


class DaskTrainer:
    """A Dask client that trains LightGBM models on a recorded layout."""

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client = client
        self._cluster = cluster

    @classmethod
    def connect(cls, scheduler: str) -> DaskTrainer:
        """Use the Dask scheduler at ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``)."""
        Client = _client_class()
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError) as failed:
            raise DistributedError(
                f"cannot reach the Dask scheduler {scheduler}: {failed}",
                "start one with `dask scheduler` and workers with `dask worker ADDRESS "
                "--nthreads N`",
            ) from None
        return cls(client)

    @classmethod
    def local(cls, workers: int) -> DaskTrainer:
        """A ``LocalCluster`` of ``workers`` processes on this machine, one thread each
        (LightGBM's network is per process, so workers cannot share one)."""
        if workers < 1:
            raise DistributedError("a local Dask cluster needs at least one worker")
        Client = _client_class()
        import distributed

        local_cluster: Any = distributed.LocalCluster
        cluster = local_cluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        )
        return cls(Client(cluster), cluster)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def workers(self) -> list[str]:
        """The cluster's worker addresses, sorted."""
        return sorted(self.client.scheduler_info()["workers"])

    def layout(self, total_rows: int) -> Layout:
        """The layout a recipe of ``total_rows`` rows trains on here: every worker."""
        workers = len(self.workers())
        if workers < 1:
            raise DistributedError("the Dask cluster has no workers")
        return Layout(workers, partition_rows(total_rows, workers), dask_versions())

    def train(
        self,
        params: Mapping[str, ParamValue],
        num_boost_round: int,
        features: Any,
        labels: Any,
        feature_names: list[str],
        categorical: list[str],
        layout: Layout,
        init_model: Any = None,
    ) -> str:
        """Train on ``layout`` with ``lightgbm.dask``; the normalised model text."""
        from lightgbm.dask import _assign_open_ports_to_workers, _train_part
        from lightgbm.sklearn import LGBMRegressor

        if layout.engine != ENGINE or layout.tree_learner != TREE_LEARNER:
            raise DistributedError(
                f"this worker trains with {ENGINE} ({TREE_LEARNER} parallel), the recipe"
                f" names {layout.engine} ({layout.tree_learner})"
            )
        if sum(layout.partitions) != len(labels) or len(layout.partitions) != layout.workers:
            raise DistributedError(
                f"the layout {layout.partitions} does not split {len(labels)} rows over"
                f" {layout.workers} workers"
            )
        workers = self.workers()
        if len(workers) < layout.workers:
            raise DistributedError(
                f"the layout needs {layout.workers} Dask workers, the cluster has {len(workers)}"
            )
        workers = workers[: layout.workers]
        client = self.client
        parts = []
        start = 0
        for worker, rows in zip(workers, layout.partitions, strict=True):
            part = {"data": features[start : start + rows], "label": labels[start : start + rows]}
            parts.append(client.scatter([part], workers=[worker], hash=False)[0])
            start += rows
        sockets, ports = _assign_open_ports_to_workers(client=client, workers=workers)
        # The machines list in partition order: LightGBM's rank i is worker i.
        machines = ",".join(f"{urlparse(w).hostname}:{ports[w]}" for w in workers)
        fit_kwargs: dict[str, Any] = {"feature_name": feature_names}
        if categorical:
            fit_kwargs["categorical_feature"] = categorical
        if init_model is not None:
            fit_kwargs["init_model"] = init_model
        model_params = {**params, "tree_learner": TREE_LEARNER, "n_estimators": num_boost_round}
        futures = [
            client.submit(
                _train_part,
                model_factory=LGBMRegressor,
                params=dict(model_params),
                list_of_parts=[part],
                machines=machines,
                local_listen_port=ports[worker],
                num_machines=layout.workers,
                time_out=NETWORK_TIMEOUT_MINUTES,
                remote_socket=sockets[worker],
                return_model=rank == 0,
                workers=[worker],
                allow_other_workers=False,
                pure=False,
                **fit_kwargs,
            )
            for rank, (worker, part) in enumerate(zip(workers, parts, strict=True))
        ]
        try:
            results = client.gather(futures)
        except Exception as failed:
            raise DistributedError(f"{ENGINE} training failed: {failed}") from None
        finally:
            client.cancel(parts)  # the scattered rows are not needed any more
        model = results[0]
        text: str = model.booster_.model_to_string(num_iteration=-1)
        return normalize_network(text)


def _client_class() -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise DistributedError(
            "training on Dask needs the dask extra", "pip install 'cmu[dask]'"
        ) from None
    return Client


_ACTIVE: contextvars.ContextVar[DaskTrainer | None] = contextvars.ContextVar(
    "cmu_dask_trainer", default=None
)


def active() -> DaskTrainer | None:
    """The trainer rounds in this context train on (``None``: one machine)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def using(trainer: DaskTrainer | None) -> Iterator[None]:
    """Train on ``trainer`` inside the block (threads started with ``asyncio.to_thread``
    inherit it)."""
    token = _ACTIVE.set(trainer)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
