"""``cmu predict``: fetch a version, verify its hash, predict a CSV or Parquet file locally."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cmu_client.commands.common import fetch_artifact, fetch_spec, model_id, read_file
from cmu_client.dataset import is_parquet, load_table
from cmu_client.errors import PermissionDeniedError, UsageError
from cmu_client.ipfs import IpfsStore
from cmu_client.plugin import CommandContext, Commands, add_json_argument, add_key_argument
from cmu_client.predict import load_booster, predict, summary, write_predictions_csv
from cmu_client.spec import ModelSpec
from cmu_client.tables import parquet_to_csv
from cmu_client.types import RoleSet, Version, VersionStatus, Visibility


def register(subparsers: Commands) -> None:
    p = subparsers.add_parser(
        "predict", help="predict a CSV or Parquet file with a model version, locally"
    )
    p.add_argument("model", type=model_id)
    p.add_argument(
        "data",
        help="CSV or Parquet file with the spec's feature columns (other columns are kept)",
    )
    p.add_argument("--version", type=model_id, help="a version id (default: the head)")
    p.add_argument("--out", "-o", help="write the CSV with predictions here (default: stdout)")
    add_key_argument(p)
    add_json_argument(p)
    p.set_defaults(handler=cmd_predict)


def cmd_predict(args: argparse.Namespace, ctx: CommandContext) -> int:
    raw = read_file(args.data, "data", ctx.ipfs_settings().max_bytes)
    chain = ctx.chain()
    model = chain.model(args.model)
    keyring = None
    if model.policy.visibility is Visibility.PERMISSIONED:
        # Chain state is public; the artifact is encrypted to the role holders (and any
        # version published while the model was public is in the clear).
        reader = ctx.signer().ss58_address
        keyring = ctx.keyring()
        if chain.roles_of(model.id, reader) == RoleSet.none():
            raise PermissionDeniedError(
                "Cmu",
                "NotReader",
                f"model {model.id} is permissioned and {reader} holds no role on it",
                "ask the owner or an admin: `cmu role grant MODEL ADDRESS reader`",
            )
    if args.version is None:
        version = chain.head(model.id)
    else:
        version = chain.version(model.id, args.version)
    if version.status is VersionStatus.REVOKED:
        raise UsageError(
            f"model {model.id} v{version.id} is revoked and must not be used",
            f"use the head (v{model.head}) or another version",
        )
    if version.status is VersionStatus.DEPRECATED:
        ctx.output.warn(f"v{version.id} is deprecated; the head is v{model.head}")

    async def fetch() -> tuple[ModelSpec, bytes]:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            store.keyring = keyring
            spec = await fetch_spec(ctx, store, model)
            artifact = await fetch_artifact(ctx, store, version)
            return spec, artifact

    spec, artifact = ctx.run(fetch())
    data = load_table(raw, spec, require_label=False, allow_extra_columns=True, subject=args.data)
    booster = load_booster(artifact)  # only after fetch_artifact checked the hash
    values = predict(booster, data, spec)
    # The output is CSV either way: a Parquet input's columns as text, then the predictions.
    source = parquet_to_csv(raw, args.data) if is_parquet(raw) else raw
    table = write_predictions_csv(source, values, spec)
    if args.out:
        try:
            Path(args.out).expanduser().write_bytes(table)
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror}") from None
    elif not ctx.json:
        sys.stdout.write(table.decode("utf-8"))
    _report(ctx, args, version, data.rows, values.tolist(), summary(values, spec))
    return 0


def _report(
    ctx: CommandContext,
    args: argparse.Namespace,
    version: Version,
    rows: int,
    values: list[object],
    counts: object,
) -> None:
    if ctx.json:
        ctx.output.json(
            {
                "model": version.model,
                "version": version.id,
                "artifact_cid": version.artifact_cid,
                "artifact_sha256": version.artifact_hash.hex(),
                "rows": rows,
                "predictions": values,
                "counts": counts,
                "out": args.out,
            }
        )
    else:
        ctx.output.done(
            f"{rows} rows predicted with model {version.model} v{version.id} "
            f"(artifact hash verified)" + (f" -> {args.out}" if args.out else "")
        )
