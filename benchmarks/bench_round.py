"""Benchmark: one worker round against bare LightGBM, in time and in memory.

On the live dev chain and Kubo it
1. creates a model from a synthetic binary data set (scikit-learn make_classification):
   an initial slice, a validation set, and one contribution, so that the round trains on
   ``--rows`` rows (retrain mode: from scratch on initial + contribution), stored as CSV
   (floats in shortest round-trip form) or Parquet (``--format``);
2. runs one worker round and prints its time per phase (fetch = IPFS download, hash check
   and parsing; train; evaluate; publish = IPFS upload; chain = reads and the
   publish_version transaction);
3. runs the bare baseline: ``lightgbm.train`` on the same rows (same parameters) plus
   prediction and the same metrics on the validation set, from arrays;
4. (time mode) measures the latency from submitting a contribution to its
   ``VersionPublished`` event with a worker already running, on the same model and on a
   small one.

``--memory`` runs the round and the bare fit each in a child process of its own and reports
their peak resident memory (``VmHWM``, reset when the work starts) and how far it rose above the
child's memory just before the work started (interpreter, libraries, chain and IPFS
connections, after a 2,000-row warm-up of the same code paths, whose code pages and thread
pools count in RSS whatever the data size), against the float64 feature matrix of the
rows trained on (rows x features x 8 bytes).

Usage:
  python benchmarks/bench_round.py                      # 100k x 20, CSV: time
  python benchmarks/bench_round.py --rows 1000000 --features 30 --format parquet --memory
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.dataset import Dataset, load_table
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
FORMAT = "csv"  # set from --format


def encode(frame: demo_data.Frame, label: str, classes: tuple[str, ...] | None) -> bytes:
    """A frame as the bytes a contributor uploads: CSV, or Parquet (float64 features)."""
    if FORMAT == "csv":
        return frame.to_csv(label=label, classes=classes)
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {
        name: pa.array(frame.features[:, j]) for j, name in enumerate(frame.feature_names)
    }
    labels = frame.labels.astype(np.int64)
    columns[label] = (
        pa.array([classes[i] for i in labels]) if classes is not None else pa.array(labels)
    )
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def rss_bytes() -> int:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """This process's peak resident memory (VmHWM; since :func:`reset_peak_rss` when the
    kernel allows it). Not ``ru_maxrss``: that survives exec, so a child started from a
    large parent would report the parent's size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak_rss() -> None:
    """Start the peak over from the current RSS (Linux >= 4.0: ``5 > clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass  # the peak then also covers the start-up, which is below the work's


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
    validation_csv = encode(validation, label, classes)
    stored_validation = await store.put(validation_csv)
    doc["validation"] = {"cid": stored_validation.cid, "sha256": stored_validation.sha256.hex()}
    spec = parse_spec(doc)
    initial_csv = encode(initial, label, classes)
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
    stored = await store.put(encode(frame, label, classes))
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
            stored = await store.put(encode(frame, label, classes))
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


def split(rows: int, features: int) -> dict[str, demo_data.Frame]:
    """Validation (rows/5), initial (4/5 of rows), contribution (rows/5), three extras."""
    frame = demo_data.synthetic(rows + rows // 5 + 3 * 2000, features)
    parts = {
        "validation": frame.take(0, rows // 5),
        "initial": frame.take(rows // 5, rows // 5 + rows * 4 // 5),
        "contribution": frame.take(rows // 5 + rows * 4 // 5, rows // 5 + rows),
    }
    for i in range(3):
        start = rows // 5 + rows + i * 2000
        parts[f"extra{i}"] = frame.take(start, start + 2000)
    return parts


async def setup(
    chain: CmuChain, store: IpfsStore, parts: dict[str, demo_data.Frame]
) -> tuple[int, ModelSpec]:
    initial, validation = parts["initial"], parts["validation"]
    print(
        f"data: {initial.rows} initial + {parts['contribution'].rows} contributed rows, "
        f"{validation.rows} validation rows, {len(initial.feature_names)} features, {FORMAT}"
    )
    started = time.perf_counter()
    model_id, spec = await create_model(
        chain,
        store,
        initial,
        validation,
        spec_for(initial.feature_names, "retrain"),
        "target",
        None,
    )
    print(f"model {model_id} created with v0 in {time.perf_counter() - started:.1f}s")
    await contribute(chain, store, model_id, parts["contribution"], "target", None)
    return model_id, spec


def print_round(result: RoundResult, rows: int) -> float:
    total = sum(result.timings.values())
    print(f"\none round, retrain on {rows} rows:")
    order = ("fetch", "rows", "train", "evaluate", "publish", "chain")
    phases = [p for p in order if p in result.timings] + sorted(set(result.timings) - set(order))
    for phase in phases:
        secs = result.timings.get(phase, 0.0)
        print(f"  {phase:<9} {secs:8.2f}s  {100 * secs / total:5.1f}%")
    print(f"  {'total':<9} {total:8.2f}s")
    for decision in result.decisions:
        verdict = "accepted" if decision.accepted else "rejected"
        print(f"  contribution {decision.contribution}: {verdict}: {decision.detail}")
    return total


def joined(parts: dict[str, demo_data.Frame]) -> demo_data.Frame:
    initial, contribution = parts["initial"], parts["contribution"]
    return demo_data.Frame(
        initial.feature_names,
        np.concatenate([initial.features, contribution.features]),
        np.concatenate([initial.labels, contribution.labels]),
    )


async def time_mode(args: argparse.Namespace) -> None:
    rows = args.rows
    parts = split(rows, args.features)
    chain = CmuChain.connect()
    async with IpfsStore(IpfsSettings.from_env()) as store:
        model_id, spec = await setup(chain, store, parts)
        with tempfile.TemporaryDirectory() as state:
            result = await one_round(chain, store, model_id, Path(state))
        bare = bare_fit(spec, joined(parts), parts["validation"])

        total = print_round(result, rows)
        bare_total = bare["fit"] + bare["evaluate"]
        print(
            f"bare LightGBM on the same rows: fit {bare['fit']:.2f}s + evaluate "
            f"{bare['evaluate']:.2f}s = {bare_total:.2f}s"
        )
        chain_secs = result.timings.get("chain", 0.0)
        print(
            f"round / bare = {total / bare_total:.2f}x (goal <= 1.3x); without the chain phase "
            f"{(total - chain_secs) / bare_total:.2f}x; train phase / bare fit = "
            f"{result.timings.get('train', 0.0) / bare['fit']:.2f}x"
        )
        if args.no_latency:
            chain.close()
            return

        print("\nlatency submit_contribution -> VersionPublished (worker already running):")
        extra = [parts[f"extra{i}"] for i in range(3)]
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


def child(*args: str) -> dict[str, Any]:
    """Run this script in a fresh process (``--child-...``) and return its JSON report."""
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def warm_up(spec: ModelSpec) -> None:
    """Run every code path once on 2,000 rows: the pages of the libraries' code and their
    thread pools count in RSS from their first use, whatever the data size."""
    frame = demo_data.synthetic(2000, len(spec.features))
    frame = demo_data.Frame(tuple(spec.feature_names), frame.features, frame.labels)
    global FORMAT
    for kind in ("csv", "parquet"):
        FORMAT, kept = kind, FORMAT
        load_table(encode(frame, spec.label, None), spec)
        FORMAT = kept
    bare_fit(spec, frame, frame)


class PhaseMemory:
    """The highest RSS seen while each stopwatch phase ran (sampled every 10 ms), to see
    which phase holds the peak."""

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {}
        self.current: list[str] = ["other"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            phase = self.current[-1]
            self.peaks[phase] = max(self.peaks.get(phase, 0), rss_bytes())

    def __enter__(self) -> PhaseMemory:
        from offchain import timing

        original = timing.Stopwatch.phase
        current = self.current

        @contextlib.contextmanager
        def phase(watch: timing.Stopwatch, name: str) -> Iterator[None]:
            current.append(name)
            try:
                with original(watch, name):
                    yield
            finally:
                current.pop()

        timing.Stopwatch.phase = phase  # type: ignore[method-assign]
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def child_round(model_id: int, spec_path: str) -> None:
    """One worker round in this process; prints its timings and memory as JSON."""
    warm_up(parse_spec(Path(spec_path).read_bytes()))
    chain = CmuChain.connect()
    async with IpfsStore(IpfsSettings.from_env()) as store:
        await asyncio.to_thread(chain.model, model_id)  # connected, metadata loaded
        before = rss_bytes()
        reset_peak_rss()
        with tempfile.TemporaryDirectory() as state, PhaseMemory() as memory:
            result = await one_round(chain, store, model_id, Path(state))
        peak = peak_rss_bytes()
    chain.close()
    decisions = [
        f"{d.contribution}: {'accepted' if d.accepted else 'rejected'}" for d in result.decisions
    ]
    report = {"timings": result.timings, "before": before, "peak": peak, "decisions": decisions}
    report["phase_peaks"] = memory.peaks
    print(json.dumps(report))


def child_bare(folder: str, spec_path: str) -> None:
    """The bare fit + evaluate on arrays loaded from .npy files; memory as JSON."""
    spec = parse_spec(Path(spec_path).read_bytes())
    warm_up(spec)
    before = rss_bytes()
    reset_peak_rss()
    names = tuple(f.name for f in spec.features)
    train = demo_data.Frame(names, np.load(Path(folder) / "x.npy"), np.load(Path(folder) / "y.npy"))
    validation = demo_data.Frame(
        names, np.load(Path(folder) / "vx.npy"), np.load(Path(folder) / "vy.npy")
    )
    timings = bare_fit(spec, train, validation)
    print(json.dumps({"timings": timings, "before": before, "peak": peak_rss_bytes()}))


async def memory_mode(args: argparse.Namespace) -> None:
    rows, features = args.rows, args.features
    parts = split(rows, features)
    chain = CmuChain.connect()
    async with IpfsStore(IpfsSettings.from_env()) as store:
        model_id, spec = await setup(chain, store, parts)
    chain.close()
    train = joined(parts)
    matrix = train.features.nbytes
    del parts["extra0"], parts["extra1"], parts["extra2"]
    with tempfile.TemporaryDirectory() as folder:
        np.save(Path(folder) / "x.npy", train.features)
        np.save(Path(folder) / "y.npy", train.labels)
        np.save(Path(folder) / "vx.npy", parts["validation"].features)
        np.save(Path(folder) / "vy.npy", parts["validation"].labels)
        (Path(folder) / "spec.json").write_bytes(spec.to_bytes())
        del train, parts
        round_report = child("--child-round", str(model_id), str(Path(folder) / "spec.json"))
        bare_report = child("--child-bare", folder, str(Path(folder) / "spec.json"))
    mib = 1 << 20
    print(f"\nfloat64 feature matrix of the {rows} training rows: {matrix / mib:.0f} MiB")
    for name, report in (("round (worker)", round_report), ("bare fit + evaluate", bare_report)):
        grown = report["peak"] - report["before"]
        print(
            f"  {name:<20} peak RSS {report['peak'] / mib:6.0f} MiB, "
            f"{grown / mib:6.0f} MiB above the {report['before'] / mib:.0f} MiB before it = "
            f"{grown / matrix:.2f}x the matrix; "
            + ", ".join(f"{k} {v:.2f}s" for k, v in report["timings"].items())
        )
    if round_report.get("phase_peaks"):
        print(
            "  round RSS peak by phase (sampled): "
            + ", ".join(
                f"{name} {(value - round_report['before']) / mib:.0f} MiB"
                for name, value in sorted(
                    round_report["phase_peaks"].items(), key=lambda kv: -kv[1]
                )
            )
        )
    if round_report.get("decisions"):
        print("  round decisions: " + ", ".join(round_report["decisions"]))
    grown = round_report["peak"] - round_report["before"]
    print(f"round peak memory / matrix = {grown / matrix:.2f}x (goal <= 3x)")


def main() -> int:
    global FORMAT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--memory", action="store_true", help="peak memory, in child processes")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency samples")
    parser.add_argument("--child-round", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-bare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    FORMAT = args.format
    if args.child_round is not None:
        asyncio.run(child_round(int(args.child_round[0]), args.child_round[1]))
    elif args.child_bare is not None:
        child_bare(*args.child_bare)
    elif args.memory:
        asyncio.run(memory_mode(args))
    else:
        asyncio.run(time_mode(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
