"""``cmu model``: create (spec + initial data + first version), show, list, transfer,
freeze, thaw, policy."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
from dataclasses import dataclass

from cmu_client import access, crypto
from cmu_client.chain import CmuChain
from cmu_client.commands.common import (
    chain_refused,
    check_address,
    fetch_spec,
    hash_text,
    metrics_text,
    model_id,
    read_file,
    version_label,
)
from cmu_client.dataset import Dataset, load_csv
from cmu_client.errors import CmuError, UsageError
from cmu_client.ipfs import IpfsStore, StoredObject
from cmu_client.keys import Signer
from cmu_client.plugin import CommandContext, Commands, add_json_argument, add_key_argument
from cmu_client.predict import check_training_params
from cmu_client.spec import MAX_SPEC_BYTES, ContentRef, ModelSpec, parse_spec
from cmu_client.trainer import FirstVersion, FirstVersionRequest
from cmu_client.types import (
    AccessPolicy,
    ContributionMode,
    Model,
    SlashDestination,
    SlashKind,
    Version,
    Visibility,
)

_VISIBILITY = {"public": Visibility.PUBLIC, "permissioned": Visibility.PERMISSIONED}
_CONTRIBUTIONS = {"open": ContributionMode.OPEN, "role": ContributionMode.ROLE_REQUIRED}


def register(subparsers: Commands) -> None:
    model = subparsers.add_parser("model", help="create, inspect and hand over models")
    sub = model.add_subparsers(dest="model_command", required=True, metavar="COMMAND")

    create = sub.add_parser(
        "create", help="upload a spec and initial data, create the model, publish version 0"
    )
    create.add_argument("--spec", required=True, help="model spec JSON file")
    create.add_argument("--data", required=True, help="initial training data (CSV)")
    create.add_argument(
        "--validation", help="validation set CSV (else the spec's validation CID is used)"
    )
    create.add_argument(
        "--private-validation",
        action="store_true",
        help="commit to the --validation set by CID and hash without adding it to IPFS; "
        "give it to the trainers (cmu worker run --validation-dir), reveal it when you "
        "rotate (cmu validation rotate)",
    )
    _policy_arguments(create)
    create.add_argument(
        "--no-first-version",
        action="store_true",
        help="only create the model; a trainer publishes version 0 later",
    )
    add_key_argument(create)
    add_json_argument(create)
    create.set_defaults(handler=cmd_create)

    show = sub.add_parser("show", help="a model's on-chain record")
    show.add_argument("model", type=model_id)
    show.add_argument("--spec", action="store_true", help="also fetch and show the spec")
    add_json_argument(show)
    show.set_defaults(handler=cmd_show)

    lst = sub.add_parser("list", help="every model")
    add_json_argument(lst)
    lst.set_defaults(handler=cmd_list)

    transfer = sub.add_parser("transfer", help="give the model (its NFT) to another account")
    transfer.add_argument("model", type=model_id)
    transfer.add_argument("dest", help="the new owner's address")
    add_key_argument(transfer)
    add_json_argument(transfer)
    transfer.set_defaults(handler=cmd_transfer)

    for name, handler, text in (
        ("freeze", cmd_freeze, "refuse contributions and versions"),
        ("thaw", cmd_thaw, "accept contributions and versions again"),
        (
            "rekey",
            cmd_rekey,
            "re-seal the head's content key for the current role holders (permissioned)",
        ),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("model", type=model_id)
        add_key_argument(p)
        add_json_argument(p)
        p.set_defaults(handler=handler)

    slash = sub.add_parser(
        "slash-destination",
        help="where rejected contributions' deposits go (owner only)",
        description="owner: the model's owner; burn: destroyed; contributors: shared among "
        "the accepted contributors of the version that rejected them, by reward "
        "weight (pallet-cmu v2); or an account address.",
    )
    slash.add_argument("model", type=model_id)
    slash.add_argument("destination", help="owner, burn, contributors or an address")
    add_key_argument(slash)
    add_json_argument(slash)
    slash.set_defaults(handler=cmd_slash_destination)

    retire = sub.add_parser(
        "retire",
        help="stop the model for good: no new versions or contributions (owner; pallet-cmu v2)",
    )
    retire.add_argument("model", type=model_id)
    add_key_argument(retire)
    add_json_argument(retire)
    retire.set_defaults(handler=cmd_retire)

    policy = sub.add_parser("policy", help="set who may read and who may contribute")
    policy.add_argument("model", type=model_id)
    _policy_arguments(policy)
    add_key_argument(policy)
    add_json_argument(policy)
    policy.set_defaults(handler=cmd_policy)


def _policy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--visibility",
        choices=sorted(_VISIBILITY),
        default="public",
        help="who may read the model (default: public)",
    )
    parser.add_argument(
        "--contributions",
        choices=sorted(_CONTRIBUTIONS),
        default="open",
        help="open: anyone with the deposit; role: Contributor role only",
    )


def _policy(args: argparse.Namespace) -> AccessPolicy:
    return AccessPolicy(_VISIBILITY[args.visibility], _CONTRIBUTIONS[args.contributions])


# --- create ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Uploaded:
    spec: ModelSpec
    spec_obj: StoredObject
    data_obj: StoredObject
    validation: Dataset
    fresh_pins: tuple[str, ...]


def cmd_create(args: argparse.Namespace, ctx: CommandContext) -> int:
    limit = ctx.ipfs_settings().max_bytes
    spec = parse_spec(read_file(args.spec, "spec", MAX_SPEC_BYTES))
    data_bytes = read_file(args.data, "data", limit)
    data = load_csv(data_bytes, spec, subject=args.data)
    validation_bytes = (
        read_file(args.validation, "validation set", limit) if args.validation else None
    )
    if validation_bytes is None and spec.validation is None:
        raise UsageError(
            "the spec names no validation set",
            "pass --validation FILE (it is uploaded and put into the spec)",
        )
    if args.private_validation and validation_bytes is None:
        raise UsageError(
            "--private-validation needs the set itself", "pass --validation FILE as well"
        )
    trainer = None if args.no_first_version else ctx.first_version_trainer()
    if trainer is not None:
        # Parameters LightGBM refuses would only fail after the model exists on chain.
        check_training_params(spec, data)
    signer = ctx.signer()  # unlock the key before anything is uploaded
    chain = ctx.chain()
    policy = _policy(args)
    summary = ctx.run(
        _create(
            ctx,
            chain,
            signer,
            spec,
            data_bytes,
            data,
            validation_bytes,
            policy,
            trainer is not None,
            args.no_first_version,
            args.private_validation,
        )
    )
    if ctx.json:
        ctx.output.json(summary)
    else:
        ctx.output.fields(f"model {summary['model']}", list(summary.items()))
    return 0


async def _create(
    ctx: CommandContext,
    chain: CmuChain,
    signer: Signer,
    spec: ModelSpec,
    data_bytes: bytes,
    data: Dataset,
    validation_bytes: bytes | None,
    policy: AccessPolicy,
    train: bool,
    skip_first: bool,
    private_validation: bool = False,
) -> dict[str, object]:
    async with IpfsStore(ctx.ipfs_settings()) as store:
        sealed_to = None
        if policy.visibility is Visibility.PERMISSIONED:
            store.keyring = _owner_keyring(ctx, chain, signer)
            assert store.keyring.keypair is not None
            sealed_to = (
                chain.next_model_id(),
                {signer.ss58_address: store.keyring.keypair.public},
            )
        uploaded = await _upload_inputs(
            ctx, store, spec, data_bytes, validation_bytes, private_validation, sealed_to
        )
        try:
            model, _ = chain.create_model(
                signer, uploaded.spec_obj.cid, uploaded.spec_obj.sha256, policy
            )
        except BaseException as failed:
            if not chain_refused(failed):
                # create_model may still land (sent, then a timeout or a dropped
                # connection): its spec must stay available. Keep the pins.
                if isinstance(failed, CmuError):
                    failed.hint = (
                        "the model may still be created, so the uploads stay "
                        "pinned; check `cmu model list` before creating it again"
                    )
                raise
            # Refused for certain: nothing on chain refers to the uploads; take back the
            # pins this run added.
            for cid in uploaded.fresh_pins:
                with contextlib.suppress(CmuError):
                    await store.unpin(cid)
            raise
        ctx.output.done(f"created model {model}")
        summary: dict[str, object] = {
            "model": model,
            "owner": signer.ss58_address,
            "spec_cid": uploaded.spec_obj.cid,
            "spec_sha256": uploaded.spec_obj.sha256.hex(),
            "data_cid": uploaded.data_obj.cid,
            "data_sha256": uploaded.data_obj.sha256.hex(),
            "data_rows": data.rows,
            "validation_cid": uploaded.spec.validation.cid if uploaded.spec.validation else None,
            "version": None,
        }
        if skip_first:
            return summary
        trainer = ctx.first_version_trainer()
        if not train or trainer is None:
            # Without the offchain plugin (a client-only install) the model waits for a
            # trainer to publish version 0.
            ctx.output.warn(
                "version 0 not published: no trainer plugin (a cmu.plugins entry point with "
                "train_first_version, e.g. pip install cmu[worker]); a trainer must publish "
                "the first version"
            )
            return summary
        request = FirstVersionRequest(
            model=model,
            spec=uploaded.spec,
            spec_ref=ContentRef(uploaded.spec_obj.cid, uploaded.spec_obj.sha256),
            data_ref=uploaded.data_obj,
            data=data,
            validation=uploaded.validation,
            store=store,
            content_key=None if sealed_to is None else crypto.new_content_key(),
        )
        try:
            with ctx.output.status("training version 0"):
                first: FirstVersion = await trainer(request)
            envelope = None
            if request.content_key is not None:
                envelope = await _seal_first(chain, store, model, request, first)
            version, _ = chain.publish_version(
                signer,
                model,
                None,
                first.artifact.cid,
                first.artifact.sha256,
                first.recipe_hash,
                first.metrics,
                card_cid=None if first.card is None else first.card.cid,
                envelope_cid=envelope,
            )
        except CmuError as exc:
            # The model exists on chain now; say so, so that nobody creates it twice.
            raise CmuError(
                f"model {model} was created, but version 0 was not published: {exc.message}",
                exc.hint or "a trainer can publish version 0 later (cmu worker run)",
            ) from exc
        ctx.output.done(f"published version {version} ({first.artifact.cid})")
        summary["version"] = version
        summary["artifact_cid"] = first.artifact.cid
        if first.card is not None:
            summary["card_cid"] = first.card.cid
        summary["metrics"] = {m.key: m.as_float for m in first.metrics}
        return summary


def _owner_keyring(ctx: CommandContext, chain: CmuChain, signer: Signer) -> access.Keyring:
    """The creator's keyring for a permissioned model: its encryption key must exist and
    be published (version 0's envelope is sealed to the published keys)."""
    keyring = ctx.keyring(signer)
    published = chain.encryption_key(signer.ss58_address)
    if keyring.keypair is None or published != keyring.keypair.public:
        raise UsageError(
            f"a permissioned model is encrypted to its holders' keys and {signer.ss58_address} "
            "has no published encryption key",
            "run `cmu keys encryption publish --key KEY` first",
        )
    return keyring


async def _seal_first(
    chain: CmuChain, store: IpfsStore, model: int, request: FirstVersionRequest, first: FirstVersion
) -> str:
    """Version 0's key envelope: its content key for the current holders, where its
    documents are, and the keys of the validation set and the initial data."""
    keyring = store.keyring
    assert keyring is not None and request.content_key is not None
    assert first.card is not None and first.recipe is not None
    objects = {o.sha256.hex(): o.cid for o in (first.artifact, first.recipe, first.card)}
    needed = [request.data_ref.sha256]
    if request.spec.validation is not None:
        needed.append(request.spec.validation.sha256)
    data_keys = {
        kid: keyring.keys[kid]
        for kid in (keyring.key_of_hash.get(digest) for digest in needed)
        if kid is not None and kid in keyring.keys
    }
    payload = crypto.EnvelopePayload(objects, data_keys)
    cid, _ = await access.seal_version(chain, store, model, 0, request.content_key, payload)
    return cid


async def _upload_inputs(
    ctx: CommandContext,
    store: IpfsStore,
    spec: ModelSpec,
    data_bytes: bytes,
    validation_bytes: bytes | None,
    private_validation: bool = False,
    sealed_to: tuple[int, dict[str, bytes]] | None = None,
) -> _Uploaded:
    """Store the validation set, spec and initial data; with ``sealed_to`` (the model id it
    will get, the owner's key) the data sets are encrypted to the owner (the spec stays
    public: contributors validate against it)."""
    fresh: list[str] = []

    async def put(raw: bytes, label: str) -> StoredObject:
        if sealed_to is not None and label != "spec":
            kind = "validation" if label == "validation set" else "data"
            with ctx.output.transfer(f"upload {label} (encrypted)"):
                obj = await access.put_sealed_to(
                    store, sealed_to[0], raw, kind=kind, recipients=sealed_to[1]
                )
            fresh.append(obj.cid)
            return obj
        already = await store.has_pin_for(raw)
        with ctx.output.transfer(f"upload {label}") as progress:
            obj = await store.put(raw, progress)
        if not already:
            fresh.append(obj.cid)
        return obj

    try:
        if validation_bytes is not None:
            validation = load_csv(validation_bytes, spec, subject="validation set")
            if private_validation:  # committed: the CID it will have, nothing stored
                cid = await store.cid_of(validation_bytes)
                ref = ContentRef(cid, hashlib.sha256(validation_bytes).digest())
            else:
                val_obj = await put(validation_bytes, "validation set")
                ref = ContentRef(val_obj.cid, val_obj.sha256)
            spec = spec.with_validation(ref, private=private_validation)
        else:
            assert spec.validation is not None
            with ctx.output.transfer("validation set") as progress:
                raw = await store.get(
                    spec.validation.cid, spec.validation.sha256, "validation set", progress
                )
            validation = load_csv(raw, spec, subject="validation set")
        spec_obj = await put(spec.to_bytes(), "spec")
        data_obj = await put(data_bytes, "data")
    except BaseException:
        for cid in fresh:
            with contextlib.suppress(CmuError):
                await store.unpin(cid)
        raise
    return _Uploaded(spec, spec_obj, data_obj, validation, tuple(fresh))


# --- reading -----------------------------------------------------------------------


def _model_pairs(
    model: Model, head: Version | None, symbol: str, decimals: int
) -> list[tuple[str, object]]:
    from cmu_client.output import amount

    return [
        ("owner", model.owner),
        ("head", version_label(model, head) if head else None),
        ("head metrics", metrics_text(head) if head else None),
        ("versions", model.version_count),
        ("contributions", f"{model.contribution_count} ({model.pending_contributions} pending)"),
        ("frozen", "yes" if model.frozen else "no"),
        ("retired", "yes" if model.retired else "no"),
        ("visibility", model.policy.visibility.value),
        ("contributions from", model.policy.contributions.value),
        ("slash destination", model.slash_destination.label()),
        ("spec", f"{model.spec_cid} ({hash_text(model.spec_hash)})"),
        ("created at block", model.created_at),
        ("deposit", amount(model.deposit, decimals, symbol)),
    ]


def cmd_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    chain = ctx.chain()
    model = chain.model(args.model)
    head = chain.version(model.id, model.head) if model.head is not None else None
    spec = None
    if args.spec:

        async def get_spec() -> ModelSpec:
            async with IpfsStore(ctx.ipfs_settings()) as store:
                return await fetch_spec(ctx, store, model)

        spec = ctx.run(get_spec())
    if ctx.json:
        ctx.output.json(
            {"model": model, "head_version": head, "spec": spec.to_document() if spec else None}
        )
        return 0
    info = chain.info()
    ctx.output.fields(
        f"model {model.id}", _model_pairs(model, head, info.token_symbol, info.token_decimals)
    )
    if spec is not None:
        ctx.output.table(
            f"spec: {spec.name} ({spec.task.value}, label {spec.label!r}, "
            f"accept: {spec.acceptance.metric} tolerance {spec.acceptance.tolerance_text})",
            ["feature", "type", "categories", "missing allowed"],
            [
                (
                    f.name,
                    f.type.value,
                    ", ".join(f.categories) or "-",
                    "yes" if f.allow_missing else "no",
                )
                for f in spec.features
            ],
        )
    return 0


def cmd_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    models = ctx.chain().models()
    if ctx.json:
        ctx.output.json(models)
        return 0
    if not models:
        ctx.output.note("no models yet; create one with `cmu model create`")
        return 0
    ctx.output.table(
        "models",
        ["id", "owner", "head", "versions", "contributions (pending)", "frozen", "policy"],
        [
            (
                m.id,
                m.owner,
                m.head,
                m.version_count,
                f"{m.contribution_count} ({m.pending_contributions})",
                "yes" if m.frozen else "no",
                f"{m.policy.visibility.value}/{m.policy.contributions.value}",
            )
            for m in models
        ],
    )
    return 0


# --- writing -----------------------------------------------------------------------


def _report(ctx: CommandContext, text: str, result: object) -> int:
    ctx.output.result(result, text)
    return 0


def cmd_transfer(args: argparse.Namespace, ctx: CommandContext) -> int:
    dest = check_address(args.dest)
    signer = ctx.signer()
    result = ctx.chain().transfer_model(signer, args.model, dest)
    return _report(ctx, f"model {args.model} now belongs to {dest}", result)


def cmd_freeze(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = ctx.chain().freeze_model(ctx.signer(), args.model)
    return _report(ctx, f"model {args.model} frozen", result)


def cmd_thaw(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = ctx.chain().thaw_model(ctx.signer(), args.model)
    return _report(ctx, f"model {args.model} thawed", result)


def cmd_rekey(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Open the head's envelope with the caller's key, seal the same content key and
    payload to the current holders, and record the new envelope (owner or Admin)."""
    chain = ctx.chain()
    signer = ctx.signer()
    model = chain.model(args.model)
    if model.head is None:
        raise chain.pallet_error("NoHead")
    head = model.head
    keyring = ctx.keyring(signer)

    async def reseal() -> tuple[str, list[str], list[str]]:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            store.keyring = keyring
            payload = await keyring.open_version(store, model.id, head)
            key = keyring.content_key(model.id, head)
            assert key is not None
            cid, missing = await access.seal_version(chain, store, model.id, head, key, payload)
            found, _ = access.holders(chain, model.id)
            return cid, sorted(found), missing

    cid, holders, missing = ctx.run(reseal())
    result = chain.set_version_envelope(signer, model.id, cid)
    for who in missing:
        ctx.output.warn(f"{who} holds a role but has no published encryption key: left out")
    return _report(
        ctx, f"model {model.id} v{head} re-sealed for {len(holders)} holder(s): {cid}", result
    )


def cmd_policy(args: argparse.Namespace, ctx: CommandContext) -> int:
    policy = _policy(args)
    result = ctx.chain().set_access_policy(ctx.signer(), args.model, policy)
    return _report(
        ctx, f"model {args.model}: {policy.visibility.value} / {policy.contributions.value}", result
    )


_SLASH_KINDS = {
    "owner": SlashKind.MODEL_OWNER,
    "burn": SlashKind.BURN,
    "contributors": SlashKind.ACCEPTED_CONTRIBUTORS,
}


def cmd_slash_destination(args: argparse.Namespace, ctx: CommandContext) -> int:
    text = args.destination.strip()
    kind = _SLASH_KINDS.get(text.lower())
    destination = (
        SlashDestination(kind)
        if kind is not None
        else SlashDestination(SlashKind.ACCOUNT, check_address(text))
    )
    result = ctx.chain().set_slash_destination(ctx.signer(), args.model, destination)
    return _report(
        ctx, f"model {args.model}: rejected deposits go to {destination.label()}", result
    )


def cmd_retire(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = ctx.chain().retire_model(ctx.signer(), args.model)
    released = result.find("Cmu", "ModelDepositReleased")
    tail = (
        "; model deposit released"
        if released
        else ("; the model deposit is released when the last pending contribution is withdrawn")
    )
    return _report(ctx, f"model {args.model} retired{tail}", result)
