"""``cmu validation``: a model's validation set, public or committed and private.

A private validation set is a commit-reveal scheme (after the prediction market of
Sharing Updatable Models): the spec records the set's CID and sha2-256, so every recipe
commits to it, but its bytes are not in IPFS. Contributors cannot tune their data to a set
they cannot see; trainers are given the file and point the worker at it
(``cmu worker run --validation-dir``). When the owner rotates to a new set, the old one is
revealed: added to IPFS at exactly the committed CID, and from then on anyone can verify the
versions it judged (``cmu verify`` checks its hash against the recipe). On a permissioned
model a reveal would publish the model's data to everyone, so it needs ``--in-the-clear``;
otherwise the owner hands the file to the role holders who verify, and they run
``cmu verify M V --validation-dir DIR``.

- ``cmu validation rotate M --file NEW.csv [--public] [--reveal OLD.csv]`` (owner): a new
  spec whose validation set is NEW (private unless ``--public``), then reveals OLD.
- ``cmu validation reveal M OLD.csv``: publishes a retired private set (anyone holding it).
- ``cmu validation show M``: what the current spec says.
"""

from __future__ import annotations

import argparse
import hashlib

from cmu_client.access import put_sealed
from cmu_client.commands.common import fetch_spec, hash_text, model_id, read_file
from cmu_client.dataset import load_csv
from cmu_client.errors import UsageError
from cmu_client.ipfs import IpfsStore
from cmu_client.plugin import CommandContext, Commands, add_json_argument, add_key_argument
from cmu_client.spec import ContentRef, ModelSpec
from cmu_client.types import Model, Visibility


def register(commands: Commands) -> None:
    group = commands.add_parser(
        "validation", help="a model's validation set: show, rotate, reveal a private one"
    )
    sub = group.add_subparsers(dest="validation_command", required=True, metavar="COMMAND")

    show = sub.add_parser("show", help="the validation set the model's spec names")
    show.add_argument("model", type=model_id)
    add_json_argument(show)
    show.set_defaults(handler=cmd_show)

    rotate = sub.add_parser(
        "rotate",
        help="switch the model to a new validation set (owner); reveal the old one",
        description="Writes a new spec naming the new set and submits it "
        "(set_model_metadata). A private set is committed by CID and hash but not added "
        "to IPFS: give the file to the model's trainers (cmu worker run --validation-dir). "
        "--reveal publishes the old private set once the new spec is on chain.",
    )
    rotate.add_argument("model", type=model_id)
    rotate.add_argument("--file", required=True, help="the new validation set (CSV)")
    rotate.add_argument(
        "--public", action="store_true", help="publish the new set instead of committing to it"
    )
    rotate.add_argument("--reveal", metavar="OLD", help="the old private set, to publish now")
    _add_in_the_clear(rotate)
    add_key_argument(rotate)
    add_json_argument(rotate)
    rotate.set_defaults(handler=cmd_rotate)

    reveal = sub.add_parser(
        "reveal",
        help="publish a retired private validation set at its committed CID",
    )
    reveal.add_argument("model", type=model_id)
    reveal.add_argument("file", help="the retired validation set (CSV)")
    _add_in_the_clear(reveal)
    add_json_argument(reveal)
    reveal.set_defaults(handler=cmd_reveal)


def _add_in_the_clear(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--in-the-clear",
        action="store_true",
        help="on a permissioned model, reveal anyway: the set becomes readable by anyone",
    )


def cmd_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    spec = _current_spec(ctx, args.model)
    ref = _validation_of(spec, args.model)
    summary = {
        "model": args.model,
        "cid": ref.cid,
        "sha256": ref.sha256.hex(),
        "private": spec.validation_private,
    }
    if ctx.json:
        ctx.output.json(summary)
    else:
        what = "private (committed, not in IPFS)" if spec.validation_private else "public"
        ctx.output.fields(
            f"model {args.model} validation set",
            [("cid", ref.cid), ("sha256", hash_text(ref.sha256)), ("kind", what)],
        )
    return 0


def cmd_rotate(args: argparse.Namespace, ctx: CommandContext) -> int:
    signer = ctx.signer()
    chain = ctx.chain()
    record = chain.model(args.model)
    if record.owner != signer.ss58_address:
        raise UsageError(
            f"only the model's owner can change its spec; {signer.ss58_address} is not",
            f"sign with the owner's key ({record.owner})",
        )
    limit = ctx.ipfs_settings().max_bytes
    new_bytes = read_file(args.file, "validation set", limit)
    old_bytes = read_file(args.reveal, "old validation set", limit) if args.reveal else None

    async def run() -> dict[str, object]:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            spec = await fetch_spec(ctx, store, record)
            old = _validation_of(spec, args.model)
            if old_bytes is not None:
                _check_reveal(old_bytes, old, spec, args.reveal)
                _refuse_clear_reveal(record, args)
            load_csv(new_bytes, spec, subject=args.file)  # the new set must fit the spec
            if args.public and record.policy.visibility is Visibility.PERMISSIONED:
                # Sealed to the owner and every role holder (trainers read it at once;
                # readers also get its key through the envelopes of the versions it judges).
                stored = await put_sealed(
                    chain, store, args.model, new_bytes, kind="validation", roles=None
                )
                ref = ContentRef(stored.cid, stored.sha256)
            elif args.public:
                stored = await store.put(new_bytes)
                ref = ContentRef(stored.cid, stored.sha256)
            else:
                ref = ContentRef(await store.cid_of(new_bytes), hashlib.sha256(new_bytes).digest())
            if ref == old:
                raise UsageError(
                    "the new validation set is the current one", "pass a different --file"
                )
            new_spec = spec.with_validation(ref, private=not args.public)
            spec_obj = await store.put(new_spec.to_bytes())
            result = chain.set_model_metadata(signer, args.model, spec_obj.cid, spec_obj.sha256)
            if not ctx.json:
                ctx.output.result(result, f"model {args.model}: new validation set {ref.cid}")
            summary: dict[str, object] = {
                "model": args.model,
                "spec_cid": spec_obj.cid,
                "validation_cid": ref.cid,
                "validation_sha256": ref.sha256.hex(),
                "private": not args.public,
                "revealed": None,
                "block": result.block_number,
            }
            if old_bytes is not None:
                revealed = await store.put(old_bytes)
                summary["revealed"] = revealed.cid
                ctx.output.done(f"revealed the old validation set at {revealed.cid}")
            return summary

    summary = ctx.run(run())
    if ctx.json:
        ctx.output.json(summary)
    elif not args.public:
        ctx.output.note(
            "the new set is private: give the file to the model's trainers"
            " (cmu worker run --validation-dir DIR)"
        )
    return 0


def cmd_reveal(args: argparse.Namespace, ctx: CommandContext) -> int:
    raw = read_file(args.file, "validation set", ctx.ipfs_settings().max_bytes)
    record = ctx.chain().model(args.model)

    async def run() -> dict[str, object]:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            spec = await fetch_spec(ctx, store, record)
            current = _validation_of(spec, args.model)
            if spec.validation_private and hashlib.sha256(raw).digest() == current.sha256:
                raise UsageError(
                    f"this is model {args.model}'s current private validation set: revealing"
                    " it would let contributors tune to it",
                    "rotate to a new set first: cmu validation rotate M --file NEW --reveal OLD",
                )
            _refuse_clear_reveal(record, args)
            stored = await store.put(raw)
            return {"model": args.model, "cid": stored.cid, "sha256": stored.sha256.hex()}

    summary = ctx.run(run())
    if ctx.json:
        ctx.output.json(summary)
    else:
        ctx.output.done(
            f"revealed at {summary['cid']}: versions whose recipe names it can now be verified"
        )
    return 0


def _current_spec(ctx: CommandContext, model: int) -> ModelSpec:
    record = ctx.chain().model(model)

    async def run() -> ModelSpec:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            return await fetch_spec(ctx, store, record)

    return ctx.run(run())


def _validation_of(spec: ModelSpec, model: int) -> ContentRef:
    if spec.validation is None:
        raise UsageError(
            f"model {model}'s spec names no validation set",
            "rotate to one: cmu validation rotate M --file VALIDATION.csv",
        )
    return spec.validation


def _check_reveal(raw: bytes, committed: ContentRef, spec: ModelSpec, path: str) -> None:
    if not spec.validation_private:
        raise UsageError(
            "the current validation set is public: there is nothing to reveal",
            "leave out --reveal",
        )
    if hashlib.sha256(raw).digest() != committed.sha256:
        raise UsageError(
            f"{path} is not the committed validation set (sha2-256"
            f" {hashlib.sha256(raw).hexdigest()[:16]}..., committed"
            f" {committed.sha256.hex()[:16]}...)",
            "pass the file the spec committed to",
        )


def _refuse_clear_reveal(record: Model, args: argparse.Namespace) -> None:
    """A reveal puts the set into IPFS in the clear, at the CID the spec committed to (which
    is what lets anyone verify). On a permissioned model that publishes the model's data to
    everyone, so it takes an explicit ``--in-the-clear``; without it, the owner gives the
    file to the role holders who verify, and they pass ``cmu verify --validation-dir``."""
    if record.policy.visibility is Visibility.PERMISSIONED and not args.in_the_clear:
        raise UsageError(
            f"model {args.model} is permissioned: revealing its validation set would publish"
            " it in the clear, readable by anyone with the CID",
            "give the file to the role holders who verify (cmu verify M V --validation-dir"
            " DIR), or pass --in-the-clear to publish it anyway",
        )
