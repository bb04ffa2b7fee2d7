"""Benchmark: one worker round on a 100k-row model, phase by phase, against bare LightGBM.

On the live dev chain and Kubo it
1. creates a model from a synthetic binary data set (scikit-learn make_classification):
   an initial slice, a validation set, and one contribution, so that the round trains on
   ``--rows`` rows (retrain mode: from scratch on initial + contribution);
2. runs one worker round in this process and prints its time per phase (fetch = IPFS
   download, hash check and CSV parsing; train; evaluate; publish = IPFS upload; chain =
   reads and the publish_version transaction);
3. runs the bare baseline in the same process: ``lightgbm.train`` on the same rows (same
   parameters) plus prediction and the same metrics on the validation set, from arrays;
4. measures the latency from submitting a contribution to its ``VersionPublished``
   event with a worker already running, on the same model and on a small one.

Usage: python benchmarks/bench_round.py [--rows 100000] [--features 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.dataset import Dataset
from cmu_client.ipfs import IpfsStore
from cmu_client.keys import keypair_from_uri
from cmu_client.spec import ModelSpec, parse_spec
from cmu_client.types import RoleSet
from offchain import demo_data
from offchain.evaluate import evaluate
from offchain.publish import create_model_with_first_version
from offchain.rounds import Outcome, RoundResult
from offchain.training import TrainingInput, model_bytes, resolve_params
from offchain.worker import Worker, WorkerConfig

OWNER, TRAINER, CONTRIBUTOR = "//Alice", "//Ferdie", "//Bob"


def spec_for(names: tuple[str, ...], update_mode: str) -> dict[str, Any]:
    return demo_data.spec_document(
        names,
        name="synthetic",
        metric="auc",
        tolerance=0.01,
        update_mode=update_mode,
        num_boost_round=100,
        rounds_per_update=50,
        params={"learning_rate": 0.1, "num_leaves": 31},
        classes=None,
        label="target",
    )


async def create_model(
    chain: CmuChain,
    store: IpfsStore,
    initial: demo_data.Frame,
    validation: demo_data.Frame,
    doc: dict[str, Any],
    label: str,
    classes: tuple[str, ...] | None,
) -> tuple[int, ModelSpec]:
    owner = keypair_from_uri(OWNER)
    validation_csv = validation.to_csv(label=label, classes=classes)
    stored_validation = await store.put(validation_csv)
    doc["validation"] = {"cid": stored_validation.cid, "sha256": stored_validation.sha256.hex()}
    spec = parse_spec(doc)
    initial_csv = initial.to_csv(label=label, classes=classes)
    model_id, _ = await create_model_with_first_version(
        chain, store, owner, spec, initial_csv, validation_csv
    )
    await asyncio.to_thread(
        chain.grant_role, owner, model_id, keypair_from_uri(TRAINER).ss58_address, RoleSet.TRAINER
    )
    return model_id, spec


async def contribute(
    chain: CmuChain,
    store: IpfsStore,
    model_id: int,
    frame: demo_data.Frame,
    label: str,
    classes: tuple[str, ...] | None,
) -> None:
    csv = frame.to_csv(label=label, classes=classes)
    stored = await store.put(csv)
    await asyncio.to_thread(
        chain.submit_contribution,
        keypair_from_uri(CONTRIBUTOR),
        model_id,
        stored.cid,
        stored.sha256,
        frame.rows,
    )


def bare_fit(
    spec: ModelSpec, train: demo_data.Frame, validation: demo_data.Frame
) -> dict[str, float]:
    """lightgbm.train + predict + metrics from arrays, with the round's parameters."""
    params = resolve_params(spec)
    names = train.feature_names
    started = time.perf_counter()
    data = TrainingInput(Dataset(names, train.features, train.labels))
    booster = lgb.train(
        dict(params),
        lgb.Dataset(
            data.data.features, label=data.labels, feature_name=list(names), params=dict(params)
        ),
        num_boost_round=spec.training.num_boost_round,
    )
    fit = time.perf_counter() - started
    artifact = model_bytes(booster)
    started = time.perf_counter()
    evaluate(artifact, Dataset(names, validation.features, validation.labels), spec.task)
    return {"fit": fit, "evaluate": time.perf_counter() - started}


async def one_round(chain: CmuChain, store: IpfsStore, model_id: int, state: Path) -> RoundResult:
    worker = Worker(
        chain,
        store,
        keypair_from_uri(TRAINER),
        WorkerConfig(state_dir=state, models=(model_id,), until_idle=True, poll_interval=0.1),
    )
    await worker.run()
    published = [r for r in worker.results if r.outcome is Outcome.PUBLISHED]
    if len(published) != 1:
        raise SystemExit(f"expected one published round, got {worker.results}")
    return published[0]


async def latency(
    chain: CmuChain,
    store: IpfsStore,
    model_id: int,
    frames: list[demo_data.Frame],
    state: Path,
    label: str,
    classes: tuple[str, ...] | None,
) -> list[float]:
    """Seconds from submit_contribution to VersionPublished, with a worker already polling."""
    worker = Worker(
        chain,
        store,
        keypair_from_uri(TRAINER),
        WorkerConfig(state_dir=state, models=(model_id,), poll_interval=0.1),
    )
    task = asyncio.create_task(worker.run())
    samples = []
    try:
        for frame in frames:
            before = (await asyncio.to_thread(chain.model, model_id)).version_count
            csv = frame.to_csv(label=label, classes=classes)
            stored = await store.put(csv)
            started = time.perf_counter()
            await asyncio.to_thread(
                chain.submit_contribution,
                keypair_from_uri(CONTRIBUTOR),
                model_id,
                stored.cid,
                stored.sha256,
                frame.rows,
            )
            while (await asyncio.to_thread(chain.model, model_id)).version_count == before:
                await asyncio.sleep(0.05)
            samples.append(time.perf_counter() - started)
    finally:
        worker.stop()
        await task
    return samples


async def main_async(args: argparse.Namespace) -> None:
    rows, features = args.rows, args.features
    frame = demo_data.synthetic(rows + rows // 5 + 3 * 2000, features)
    validation = frame.take(0, rows // 5)
    initial = frame.take(rows // 5, rows // 5 + rows * 4 // 5)
    contribution = frame.take(rows // 5 + rows * 4 // 5, rows // 5 + rows)
    extra = [
        frame.take(rows // 5 + rows + i * 2000, rows // 5 + rows + (i + 1) * 2000) for i in range(3)
    ]
    print(
        f"data: {initial.rows} initial + {contribution.rows} contributed rows, "
        f"{validation.rows} validation rows, {features} features"
    )

    chain = CmuChain.connect()
    async with IpfsStore(IpfsSettings.from_env()) as store:
        setup = time.perf_counter()
        model_id, spec = await create_model(
            chain,
            store,
            initial,
            validation,
            spec_for(initial.feature_names, "retrain"),
            "target",
            None,
        )
        print(f"model {model_id} created with v0 in {time.perf_counter() - setup:.1f}s")
        await contribute(chain, store, model_id, contribution, "target", None)
        with tempfile.TemporaryDirectory() as state:
            result = await one_round(chain, store, model_id, Path(state))
        bare = bare_fit(
            spec,
            demo_data.Frame(
                initial.feature_names,
                np.concatenate([initial.features, contribution.features]),
                np.concatenate([initial.labels, contribution.labels]),
            ),
            validation,
        )

        total = sum(result.timings.values())
        bare_total = bare["fit"] + bare["evaluate"]
        print(f"\none round, retrain on {rows} rows (worker, this process):")
        for phase in ("fetch", "train", "evaluate", "publish", "chain"):
            secs = result.timings.get(phase, 0.0)
            print(f"  {phase:<9} {secs:8.2f}s  {100 * secs / total:5.1f}%")
        print(f"  {'total':<9} {total:8.2f}s")
        print(
            f"bare LightGBM on the same rows: fit {bare['fit']:.2f}s + evaluate "
            f"{bare['evaluate']:.2f}s = {bare_total:.2f}s"
        )
        print(
            f"round / bare = {total / bare_total:.2f}x; train phase / bare fit = "
            f"{result.timings.get('train', 0.0) / bare['fit']:.2f}x"
        )

        print("\nlatency submit_contribution -> VersionPublished (worker already running):")
        with tempfile.TemporaryDirectory() as state:
            big = await latency(chain, store, model_id, extra, Path(state), "target", None)
        print(
            f"  {rows}-row retrain model: "
            + ", ".join(f"{s:.2f}s" for s in big)
            + f" (median {statistics.median(big):.2f}s)"
        )
        slices = demo_data.story_slices()
        small_id, _ = await create_model(
            chain,
            store,
            slices.initial,
            slices.validation,
            demo_data.spec_document(slices.initial.feature_names),
            demo_data.LABEL,
            demo_data.CLASSES,
        )
        with tempfile.TemporaryDirectory() as state:
            small = await latency(
                chain,
                store,
                small_id,
                list(slices.contributions[:3]),
                Path(state),
                demo_data.LABEL,
                demo_data.CLASSES,
            )
        print(
            "  breast-cancer model (continue): "
            + ", ".join(f"{s:.2f}s" for s in small)
            + f" (median {statistics.median(small):.2f}s)"
        )
    chain.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=20)
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
