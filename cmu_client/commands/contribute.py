"""``cmu contribute``: validate, upload and register data; list, show and withdraw."""

from __future__ import annotations

import argparse
import contextlib
import os

from cmu_client import history
from cmu_client.access import put_sealed
from cmu_client.chain import CmuChain
from cmu_client.commands.common import chain_refused, fetch_spec, hash_text, model_id, read_file
from cmu_client.commands.reused_data import refuse_reused_data
from cmu_client.dataset import Dataset, load_table, load_table_async
from cmu_client.errors import CmuError, UsageError
from cmu_client.ipfs import IpfsStore, StoredObject, sha256
from cmu_client.keys import Signer
from cmu_client.output import amount
from cmu_client.plugin import (
    KEY_ENV,
    CommandContext,
    Commands,
    add_json_argument,
    add_key_argument,
)
from cmu_client.spec import MAX_SPEC_BYTES, ModelSpec, parse_spec
from cmu_client.types import (
    ContributionMode,
    ContributionState,
    Model,
    RejectionReason,
    RoleSet,
    Visibility,
)

_REASONS = {r.value.lower(): r for r in RejectionReason}


def register(subparsers: Commands) -> None:
    contribute = subparsers.add_parser("contribute", help="contribute training data to a model")
    sub = contribute.add_subparsers(dest="contribute_command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="check a CSV or Parquet file against a model's spec")
    validate.add_argument("data", help="CSV or Parquet file")
    target = validate.add_mutually_exclusive_group(required=True)
    target.add_argument("--model", type=model_id, help="check against this model's spec")
    target.add_argument("--spec", help="check against a local spec file (no chain needed)")
    add_json_argument(validate)
    validate.set_defaults(handler=cmd_validate)

    upload = sub.add_parser(
        "upload", help="validate and store a CSV or Parquet file in IPFS (no transaction)"
    )
    upload.add_argument("model", type=model_id)
    upload.add_argument("data", help="CSV or Parquet file")
    # Optional: a permissioned model's data is also sealed to this account's key.
    add_key_argument(upload)
    add_json_argument(upload)
    upload.set_defaults(handler=cmd_upload)

    reg = sub.add_parser(
        "register",
        help="register data on chain, holding the deposit (validates and uploads the file first)",
    )
    reg.add_argument("model", type=model_id)
    reg.add_argument("data", nargs="?", help="CSV or Parquet file (or give --cid and --sha256)")
    reg.add_argument("--cid", help="already uploaded data's CID")
    reg.add_argument("--sha256", help="already uploaded data's sha2-256 (hex)")
    reg.add_argument(
        "--force",
        action="store_true",
        help="register even data this model already used or has pending",
    )
    add_key_argument(reg)
    add_json_argument(reg)
    reg.set_defaults(handler=cmd_register)

    lst = sub.add_parser("list", help="a model's contributions")
    lst.add_argument("model", type=model_id)
    lst.add_argument("--pending", action="store_true", help="only pending ones")
    add_json_argument(lst)
    lst.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="one contribution")
    show.add_argument("model", type=model_id)
    show.add_argument("contribution", type=model_id)
    add_json_argument(show)
    show.set_defaults(handler=cmd_show)

    withdraw = sub.add_parser("withdraw", help="take back a pending contribution and its deposit")
    withdraw.add_argument("model", type=model_id)
    withdraw.add_argument("contribution", type=model_id)
    add_key_argument(withdraw)
    add_json_argument(withdraw)
    withdraw.set_defaults(handler=cmd_withdraw)

    reject = sub.add_parser(
        "reject",
        help="reject pending contributions without publishing a version (Trainer; pallet-cmu v2)",
    )
    reject.add_argument("model", type=model_id)
    reject.add_argument("contributions", type=model_id, nargs="+", metavar="ID")
    reject.add_argument(
        "--reason",
        required=True,
        choices=sorted(_REASONS),
        help="the rejection reason recorded on chain",
    )
    add_key_argument(reject)
    add_json_argument(reject)
    reject.set_defaults(handler=cmd_reject)

    totals = sub.add_parser(
        "totals",
        help="an account's track record as a contributor across every model (pallet-cmu v2)",
    )
    totals.add_argument("address", nargs="?", help="the account (default: --key's)")
    add_key_argument(totals)
    add_json_argument(totals)
    totals.set_defaults(handler=cmd_totals)


async def _model_spec(ctx: CommandContext, store: IpfsStore, model: Model) -> ModelSpec:
    return await fetch_spec(ctx, store, model)


def cmd_validate(args: argparse.Namespace, ctx: CommandContext) -> int:
    raw = read_file(args.data, "data", ctx.ipfs_settings().max_bytes)
    if args.spec:
        spec = parse_spec(read_file(args.spec, "spec", MAX_SPEC_BYTES))
    else:
        model = ctx.chain().model(args.model)

        async def get() -> ModelSpec:
            async with IpfsStore(ctx.ipfs_settings()) as store:
                return await _model_spec(ctx, store, model)

        spec = ctx.run(get())
    data = load_table(raw, spec, subject=args.data)
    if ctx.json:
        ctx.output.json({"valid": True, "rows": data.rows, "features": list(data.feature_names)})
    else:
        ctx.output.done(f"{args.data}: {data.rows} rows match the spec of {spec.name!r}")
    return 0


def _refuse_early(chain: CmuChain, model: Model, signer: Signer) -> None:
    """Refuse before uploading when the chain would refuse the registration anyway."""
    if model.frozen:
        raise chain.pallet_error("ModelFrozen")
    if (
        model.policy.contributions is ContributionMode.ROLE_REQUIRED
        and RoleSet.CONTRIBUTOR not in chain.roles_of(model.id, signer.ss58_address)
    ):
        raise chain.pallet_error("NotContributor")


async def _validated_upload(
    ctx: CommandContext, store: IpfsStore, model: Model, path: str
) -> tuple[Dataset, StoredObject, bool]:
    raw = read_file(path, "data", store.settings.max_bytes)
    spec = await _model_spec(ctx, store, model)
    data = await load_table_async(raw, spec, subject=path)
    if model.policy.visibility is Visibility.PERMISSIONED:
        # Sealed to the model's trainers and owner: the bytes in IPFS are ciphertext, the
        # hash the chain records is the plaintext's.
        # ... and to the contributor, when it has a key, so that it can read its own data.
        own: dict[str, bytes] = {}
        if getattr(ctx.args, "key", None) or os.environ.get(KEY_ENV):
            keypair = ctx.encryption_keypair()
            if keypair is not None:
                own[ctx.signer().ss58_address] = keypair.public
        sealed = await put_sealed(
            ctx.chain(), store, model.id, raw, kind="data", roles=RoleSet.TRAINER, extra=own
        )
        return data, sealed, True
    already = await store.has_pin_for(raw)
    with ctx.output.transfer(f"upload {path}") as progress:
        obj = await store.put(raw, progress)
    return data, obj, not already


def cmd_upload(args: argparse.Namespace, ctx: CommandContext) -> int:
    model = ctx.chain().model(args.model)

    async def go() -> tuple[Dataset, StoredObject, bool]:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            return await _validated_upload(ctx, store, model, args.data)

    data, obj, _ = ctx.run(go())
    summary = {
        "model": model.id,
        "cid": obj.cid,
        "sha256": obj.sha256.hex(),
        "rows": data.rows,
        "bytes": obj.size,
    }
    if ctx.json:
        ctx.output.json(summary)
    else:
        ctx.output.fields(f"uploaded {args.data}", list(summary.items()))
        ctx.output.note(
            f"register it with: cmu contribute register {model.id} --cid {obj.cid} "
            f"--sha256 {obj.sha256.hex()}"
        )
    return 0


def _hex_or_none(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        return None  # refused with its message below


def cmd_register(args: argparse.Namespace, ctx: CommandContext) -> int:
    if bool(args.data) == bool(args.cid):
        raise UsageError("give either a data file (CSV or Parquet) or --cid with --sha256")
    if args.cid and not args.sha256:
        raise UsageError("--cid needs --sha256 (the hash the chain will record)")
    chain = ctx.chain()
    model = chain.model(args.model)
    signer = ctx.signer()
    _refuse_early(chain, model, signer)
    data_hash = (
        sha256(read_file(args.data, "data", ctx.ipfs_settings().max_bytes))
        if args.data
        else _hex_or_none(args.sha256)
    )
    if data_hash is not None:
        refuse_reused_data(ctx, chain, model, data_hash, args.force)

    async def go() -> dict[str, object]:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            fresh = False
            if args.data:
                data, obj, fresh = await _validated_upload(ctx, store, model, args.data)
            else:
                try:
                    expected = bytes.fromhex(args.sha256.removeprefix("0x"))
                except ValueError:
                    raise UsageError(
                        "--sha256 is not hex",
                        "give the 64 hex characters `cmu contribute upload` printed",
                    ) from None
                spec = await _model_spec(ctx, store, model)
                if model.policy.visibility is Visibility.PERMISSIONED:
                    # Data uploaded sealed (by `cmu contribute upload`) opens with the key.
                    store.keyring = ctx.keyring(signer)
                with ctx.output.transfer(f"data {args.cid[:16]}…") as progress:
                    raw = await store.get(args.cid, expected, "data", progress)
                data = await load_table_async(raw, spec, subject=args.cid)
                obj = StoredObject(args.cid, expected, len(raw))
            try:
                contribution, result = chain.submit_contribution(
                    signer, model.id, obj.cid, obj.sha256, data.rows
                )
            except BaseException as failed:
                if not chain_refused(failed):
                    # The registration may still land (sent, then a timeout or a dropped
                    # connection): unpinning now could get the data rejected as
                    # unreachable and the deposit slashed. Keep it pinned.
                    if isinstance(failed, CmuError):
                        failed.hint = (
                            f"the registration may still land, so {obj.cid} stays pinned; "
                            f"check `cmu contribute list {model.id}` before registering again"
                        )
                    raise
                if fresh:  # refused for certain: nothing refers to it, do not leave it pinned
                    with contextlib.suppress(CmuError):
                        await store.unpin(obj.cid)
                raise
            event = result.first("Cmu", "ContributionSubmitted")
            return {
                "model": model.id,
                "contribution": contribution,
                "cid": obj.cid,
                "sha256": obj.sha256.hex(),
                "rows": data.rows,
                "deposit": int(event.attr("deposit") or 0),
                "block": result.block_number,
            }

    summary = ctx.run(go())
    if ctx.json:
        ctx.output.json(summary)
    else:
        info = chain.info()
        ctx.output.done(
            f"contribution {summary['contribution']} registered on model {model.id} "
            f"({summary['rows']} rows, deposit "
            f"{amount(int(str(summary['deposit'])), info.token_decimals, info.token_symbol)} "
            "held until a trainer settles it)"
        )
    return 0


def cmd_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    chain = ctx.chain()
    state = ContributionState.PENDING if args.pending else None
    items = history.contributions(chain, args.model, state)
    if ctx.json:
        ctx.output.json(items)
        return 0
    if not items:
        ctx.output.note(
            f"model {args.model} has no {'pending ' if args.pending else ''}contributions"
        )
        return 0
    ctx.output.table(
        f"contributions to model {args.model}",
        ["id", "contributor", "rows", "status", "settled in", "data", "block"],
        [
            (
                c.id,
                c.contributor,
                c.rows,
                c.status.label(),
                None if c.settled_in is None else f"v{c.settled_in}",
                c.data_cid,
                c.submitted_at,
            )
            for c in items
        ],
    )
    return 0


def cmd_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    chain = ctx.chain()
    item = chain.contribution(args.model, args.contribution)
    if ctx.json:
        ctx.output.json(item)
        return 0
    info = chain.info()
    ctx.output.fields(
        f"contribution {item.id} to model {item.model}",
        [
            ("contributor", item.contributor),
            ("status", item.status.label()),
            ("settled in", None if item.settled_in is None else f"v{item.settled_in}"),
            ("rows", item.rows),
            ("data", item.data_cid),
            ("sha256", hash_text(item.data_hash)),
            ("deposit", amount(item.deposit, info.token_decimals, info.token_symbol)),
            ("submitted at block", item.submitted_at),
            *(
                [
                    ("reward weight", item.reward_weight),
                    ("reward", amount(item.reward, info.token_decimals, info.token_symbol)),
                ]
                if item.status.state is ContributionState.ACCEPTED and chain.features().rewards
                else []
            ),
        ],
    )
    return 0


def cmd_reject(args: argparse.Namespace, ctx: CommandContext) -> int:
    from cmu_client.chain import skipped_settlements

    reason = _REASONS[args.reason]
    result = ctx.chain().reject_contributions(
        ctx.signer(), args.model, [(c, reason) for c in args.contributions]
    )
    skipped = skipped_settlements(result)
    rejected = [c for c in args.contributions if c not in skipped]
    text = f"model {args.model}: rejected {', '.join(f'#{c}' for c in rejected) or 'none'}"
    if skipped:
        text += f"; skipped {', '.join(f'#{c}' for c in skipped)} (no longer pending)"
    ctx.output.result(result, text)
    return 0


def cmd_totals(args: argparse.Namespace, ctx: CommandContext) -> int:
    from cmu_client.commands.common import check_address

    if args.address:
        address = check_address(args.address)
    elif args.key or os.environ.get("CMU_KEY"):
        address = ctx.signer().ss58_address
    else:
        raise UsageError(
            "whose totals? give an ADDRESS (or --key)",
            "cmu contribute totals 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
        )
    chain = ctx.chain()
    totals = chain.contributor_totals(address)
    if ctx.json:
        ctx.output.json({"address": address, "totals": totals})
        return 0
    info = chain.info()

    def money(value: int) -> str:
        return amount(value, info.token_decimals, info.token_symbol)

    ctx.output.fields(
        f"contributor {address}",
        [
            ("accepted", totals.accepted),
            ("rejected", totals.rejected),
            ("deposits returned", money(totals.returned)),
            ("rewards received", money(totals.rewards)),
            ("deposits slashed", money(totals.slashed)),
        ],
    )
    return 0


def cmd_withdraw(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = ctx.chain().withdraw_contribution(ctx.signer(), args.model, args.contribution)
    ctx.output.result(result, f"contribution {args.contribution} withdrawn; deposit released")
    return 0
