"""Helpers several command groups share: ids, fetching verified documents, formatting."""

from __future__ import annotations

from pathlib import Path

from scalecodec.utils.ss58 import is_valid_ss58_address

from cmu_client.errors import (
    ChainError,
    DataError,
    Problem,
    TransactionRejectedError,
    UsageError,
)
from cmu_client.ipfs import IpfsStore
from cmu_client.output import short_hash
from cmu_client.plugin import CommandContext, id_argument
from cmu_client.spec import MAX_SPEC_BYTES, ModelSpec, parse_spec
from cmu_client.types import Model, Version

#: The argparse type of every id argument (the plugin API's, shared with plugins).
model_id = id_argument


def read_file(path: str, what: str, max_bytes: int | None = None) -> bytes:
    """The file's bytes; with ``max_bytes`` a larger file is refused before it is read."""
    file = Path(path).expanduser()
    try:
        if max_bytes is not None and file.stat().st_size > max_bytes:
            raise DataError(
                path,
                [
                    Problem(
                        None,
                        None,
                        f"the file is {file.stat().st_size} bytes",
                        f"at most {max_bytes} bytes",
                    )
                ],
                "split the data into smaller files, or raise $CMU_IPFS_MAX_BYTES",
            )
        return file.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read {what} {path}: {exc.strerror}", f"give the path of the {what} file"
        ) from None


def chain_refused(error: BaseException) -> bool:
    """Whether the chain (or the pool) definitely refused a write, so that it can never
    land. A timeout, a dropped connection or an interruption after the extrinsic was sent
    may still be followed by its inclusion: uploads it refers to must stay pinned."""
    return isinstance(error, ChainError | TransactionRejectedError | UsageError)


def check_address(address: str) -> str:
    """``address`` if it is an SS58 account address, else a UsageError."""
    if not is_valid_ss58_address(address):
        raise UsageError(
            f"{address!r} is not an SS58 account address",
            "addresses look like 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
        )
    return address


async def fetch_spec(ctx: CommandContext, store: IpfsStore, model: Model) -> ModelSpec:
    """The model's spec document, hash-checked against the chain, parsed."""
    with ctx.output.transfer(f"spec {model.spec_cid[:16]}…") as progress:
        raw = await store.get(
            model.spec_cid,
            model.spec_hash,
            f"model {model.id} spec",
            progress,
            max_bytes=MAX_SPEC_BYTES,
        )
    return parse_spec(raw)


async def fetch_artifact(ctx: CommandContext, store: IpfsStore, version: Version) -> bytes:
    with ctx.output.transfer(f"model v{version.id}") as progress:
        return await store.get(
            version.artifact_cid,
            version.artifact_hash,
            f"model {version.model} version {version.id} artifact",
            progress,
            kind="artifact",
        )


def version_label(model: Model, version: Version) -> str:
    tags = []
    if model.head == version.id:
        tags.append("head")
    if version.status.value != "Active":
        tags.append(version.status.value.lower())
    return f"v{version.id}" + (f" ({', '.join(tags)})" if tags else "")


def metrics_text(version: Version) -> str:
    return ", ".join(f"{m.key}={m.as_float:.6g}" for m in version.metrics) or "-"


def hash_text(value: bytes) -> str:
    return short_hash(value)
