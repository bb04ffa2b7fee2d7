"""``cmu role``: grant, revoke and list per-model roles."""

from __future__ import annotations

import argparse

from cmu_client import decode
from cmu_client.commands.common import check_address, model_id
from cmu_client.errors import UsageError
from cmu_client.plugin import CommandContext, Commands, add_json_argument, add_key_argument
from cmu_client.types import RoleSet, Visibility

_ROLES_HELP = "roles: admin, contributor, trainer, reader (comma separated), all, or bits"


def _roles(text: str) -> RoleSet:
    try:
        return RoleSet.parse(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(f"{exc.message} ({exc.hint})") from None


def register(subparsers: Commands) -> None:
    role = subparsers.add_parser("role", help="per-model roles")
    sub = role.add_subparsers(dest="role_command", required=True, metavar="COMMAND")
    for name, handler, text in (
        ("grant", cmd_grant, "give an account roles on a model"),
        ("revoke", cmd_revoke, "take roles away"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("model", type=model_id)
        p.add_argument("who", help="account address")
        p.add_argument("roles", type=_roles, help=_ROLES_HELP)
        add_key_argument(p)
        add_json_argument(p)
        p.set_defaults(handler=handler)
    lst = sub.add_parser("list", help="who holds which roles (the owner holds all)")
    lst.add_argument("model", type=model_id)
    add_json_argument(lst)
    lst.set_defaults(handler=cmd_list)


def _change(args: argparse.Namespace, ctx: CommandContext, grant: bool) -> int:
    who = check_address(args.who)
    chain = ctx.chain()
    signer = ctx.signer()
    if grant:
        result = chain.grant_role(signer, args.model, who, args.roles)
        event = result.first("Cmu", "RoleGranted")
    else:
        result = chain.revoke_role(signer, args.model, who, args.roles)
        event = result.first("Cmu", "RoleRevoked")
    now = decode.roles(event.attr("roles"))
    ctx.output.result(
        {"model": args.model, "who": who, "roles": now, "result": result},
        f"{who} now holds {now.label()} on model {args.model}",
    )
    if not grant and chain.model(args.model).policy.visibility is Visibility.PERMISSIONED:
        ctx.output.note(
            "versions they could already read remain readable to them (they may hold the "
            "keys); every later version is sealed without them. "
            f"`cmu model rekey {args.model}` re-seals the head for the current holders."
        )
    elif grant and chain.model(args.model).policy.visibility is Visibility.PERMISSIONED:
        ctx.output.note(
            f"they read versions published from now on; for the current head run "
            f"`cmu model rekey {args.model}` (they need a published key: "
            "`cmu keys encryption publish`)"
        )
    return 0


def cmd_grant(args: argparse.Namespace, ctx: CommandContext) -> int:
    return _change(args, ctx, True)


def cmd_revoke(args: argparse.Namespace, ctx: CommandContext) -> int:
    return _change(args, ctx, False)


def cmd_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    chain = ctx.chain()
    model = chain.model(args.model)
    holders = chain.role_holders(args.model)
    rows = [(model.owner or "-", RoleSet.all(), "owner (implicit)")]
    rows += [(who, roles, "granted") for who, roles in sorted(holders.items())]
    if ctx.json:
        ctx.output.json(
            [{"account": who, "roles": roles, "source": source} for who, roles, source in rows]
        )
        return 0
    ctx.output.table(
        f"roles on model {args.model}",
        ["account", "roles", "source"],
        [(who, roles.label(), source) for who, roles, source in rows],
    )
    return 0
