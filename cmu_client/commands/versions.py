"""``cmu version``: lineage, one version, and head/status changes."""

from __future__ import annotations

import argparse

from cmu_client import history
from cmu_client.commands.common import metrics_text, model_id, version_label
from cmu_client.output import amount
from cmu_client.plugin import CommandContext, Commands, add_json_argument, add_key_argument
from cmu_client.types import AttestationOutcome, Version


def register(subparsers: Commands) -> None:
    version = subparsers.add_parser("version", help="a model's versions")
    sub = version.add_subparsers(dest="version_command", required=True, metavar="COMMAND")

    lst = sub.add_parser(
        "list", aliases=["lineage"], help="the lineage from the head (or --from) back to version 0"
    )
    lst.add_argument("model", type=model_id)
    lst.add_argument("--from", dest="start", type=model_id, help="start at this version")
    lst.add_argument("--limit", type=model_id, help="at most this many versions")
    lst.add_argument(
        "--all",
        action="store_true",
        help="every version by id, including branches left by rollbacks",
    )
    add_json_argument(lst)
    lst.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="one version")
    show.add_argument("model", type=model_id)
    show.add_argument("version", type=model_id)
    add_json_argument(show)
    show.set_defaults(handler=cmd_show)

    attestations = sub.add_parser(
        "attestations", help="who re-derived a version and what they found (pallet-cmu v2)"
    )
    attestations.add_argument("model", type=model_id)
    attestations.add_argument("version", type=model_id)
    add_json_argument(attestations)
    attestations.set_defaults(handler=cmd_attestations)

    attest = sub.add_parser(
        "attest",
        help="record a re-derivation's outcome on chain (`cmu verify --attest` does it "
        "after verifying; pallet-cmu v2)",
    )
    attest.add_argument("model", type=model_id)
    attest.add_argument("version", type=model_id)
    attest.add_argument("outcome", choices=["match", "mismatch"])
    attest.add_argument(
        "--report-cid", required=True, help="CID of the verification report in IPFS"
    )
    add_key_argument(attest)
    add_json_argument(attest)
    attest.set_defaults(handler=cmd_attest)

    head = sub.add_parser("set-head", help="move the head to a version (rollback/forward)")
    head.add_argument("model", type=model_id)
    head.add_argument("version", type=model_id)
    head.add_argument("--reason", type=int, default=0, help="a code 0-255 recorded in the event")
    add_key_argument(head)
    add_json_argument(head)
    head.set_defaults(handler=cmd_set_head)

    for name, handler, text in (
        ("deprecate", cmd_deprecate, "mark a version discouraged (still usable)"),
        ("revoke", cmd_revoke, "mark a version unusable for good"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("model", type=model_id)
        p.add_argument("version", type=model_id)
        add_key_argument(p)
        add_json_argument(p)
        p.set_defaults(handler=handler)


def cmd_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    chain = ctx.chain()
    model = chain.model(args.model)
    versions: list[Version]
    if args.all:
        versions = history.all_versions(chain, args.model)
    else:
        versions = list(history.lineage(chain, args.model, args.start, args.limit).versions)
    if ctx.json:
        ctx.output.json(versions)
        return 0
    if not versions:
        ctx.output.note(f"model {args.model} has no versions yet")
        return 0
    title = f"model {args.model}: " + ("every version" if args.all else "lineage, newest first")
    attested = chain.features().attestations
    columns = ["version", "parent", "metrics", "accepted", "trainer", "block", "artifact"]
    if attested:
        columns.insert(4, "verified / disputed")
    rows = []
    for v in versions:
        row: list[object] = [
            version_label(model, v),
            None if v.parent is None else f"v{v.parent}",
            metrics_text(v),
            len(v.contributions),
            v.trainer,
            v.created_at,
            v.artifact_cid,
        ]
        if attested:
            row.insert(4, f"{v.matches} / {v.mismatches}")
        rows.append(tuple(row))
    ctx.output.table(title, columns, rows)
    return 0


def cmd_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    chain = ctx.chain()
    model = chain.model(args.model)
    v = chain.version(args.model, args.version)
    attested = chain.features().attestations
    if ctx.json:
        ctx.output.json(
            {"version": v, "is_head": model.head == v.id, "attestations_supported": attested}
        )
        return 0
    info = chain.info()
    pairs: list[tuple[str, object]] = [
        ("parent", None if v.parent is None else f"v{v.parent}"),
        ("status", v.status.value),
        ("metrics", metrics_text(v)),
        ("contributions used", ", ".join(str(c) for c in v.contributions) or "-"),
        ("artifact", v.artifact_cid),
        ("artifact sha256", v.artifact_hash.hex()),
        ("recipe sha256", v.recipe_hash.hex()),
    ]
    if v.card_cid is not None:
        pairs.append(("version card", v.card_cid))
    pairs += [
        ("trainer", v.trainer),
        ("block", v.created_at),
        ("deposit", amount(v.deposit, info.token_decimals, info.token_symbol)),
        (
            "attestations",
            v.attestation_label()
            if attested
            else "not recorded by this runtime (pallet-cmu before v2)",
        ),
    ]
    ctx.output.fields(f"model {v.model} {version_label(model, v)}", pairs)
    return 0


def cmd_attestations(args: argparse.Namespace, ctx: CommandContext) -> int:
    chain = ctx.chain()
    v = chain.version(args.model, args.version)
    chain.features().require("attestations", "listing attestations")
    found = chain.attestations(args.model, args.version)
    if ctx.json:
        ctx.output.json({"matches": v.matches, "mismatches": v.mismatches, "attestations": found})
        return 0
    ctx.output.note(f"model {args.model} v{args.version}: {v.attestation_label()}")
    if found:
        ctx.output.table(
            f"model {args.model} v{args.version} attestations",
            ["attester", "outcome", "report", "block"],
            [(a.attester, a.outcome.value, a.report_cid, a.at) for a in found],
        )
    return 0


def cmd_attest(args: argparse.Namespace, ctx: CommandContext) -> int:
    outcome = AttestationOutcome.MATCH if args.outcome == "match" else AttestationOutcome.MISMATCH
    chain = ctx.chain()
    result = chain.attest_version(ctx.signer(), args.model, args.version, outcome, args.report_cid)
    v = chain.version(args.model, args.version)
    ctx.output.result(
        result,
        f"model {args.model} v{args.version} attested {outcome.value}: {v.attestation_label()}",
    )
    return 0


def cmd_set_head(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = ctx.chain().set_head(ctx.signer(), args.model, args.version, args.reason)
    ctx.output.result(result, f"model {args.model} head is now v{args.version}")
    return 0


def cmd_deprecate(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = ctx.chain().deprecate_version(ctx.signer(), args.model, args.version)
    ctx.output.result(result, f"model {args.model} v{args.version} deprecated")
    return 0


def cmd_revoke(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = ctx.chain().revoke_version(ctx.signer(), args.model, args.version)
    ctx.output.result(result, f"model {args.model} v{args.version} revoked")
    return 0
