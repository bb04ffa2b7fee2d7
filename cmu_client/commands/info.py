"""``cmu info``: the chain and IPFS the CLI talks to, and the deposits it will hold."""

from __future__ import annotations

import argparse

from cmu_client.ipfs import IpfsStore
from cmu_client.output import amount
from cmu_client.plugin import CommandContext, Commands, add_json_argument


def register(subparsers: Commands) -> None:
    p = subparsers.add_parser("info", help="chain, IPFS node and deposits")
    add_json_argument(p)
    p.set_defaults(handler=cmd_info)

    bal = subparsers.add_parser("balance", help="an account's balance")
    bal.add_argument("address")
    add_json_argument(bal)
    bal.set_defaults(handler=cmd_balance)


def cmd_info(args: argparse.Namespace, ctx: CommandContext) -> int:
    chain = ctx.chain()
    info = chain.info()

    async def ipfs_version() -> str:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            return await store.version()

    kubo = ctx.run(ipfs_version())
    if ctx.json:
        ctx.output.json(
            {
                "chain": info,
                "rpc": chain.connection.settings.url,
                "ipfs_api": ctx.ipfs_settings().api,
                "kubo": kubo,
            }
        )
        return 0

    def fmt(value: int) -> str:
        return amount(value, info.token_decimals, info.token_symbol)

    ctx.output.fields(
        "CMU network",
        [
            ("chain", f"{info.chain} at {chain.connection.settings.url}"),
            ("IPFS", f"Kubo {kubo} at {ctx.ipfs_settings().api}"),
            ("model deposit", fmt(info.model_deposit)),
            ("version deposit", fmt(info.version_deposit)),
            ("contribution deposit", fmt(info.contribution_deposit)),
            ("max pending contributions", info.max_pending_contributions),
        ],
    )
    return 0


def cmd_balance(args: argparse.Namespace, ctx: CommandContext) -> int:
    from cmu_client.commands.common import check_address

    chain = ctx.chain()
    balance = chain.balance(check_address(args.address))
    if ctx.json:
        ctx.output.json(balance)
        return 0
    info = chain.info()
    ctx.output.fields(
        args.address,
        [
            ("free", amount(balance.free, info.token_decimals, info.token_symbol)),
            ("held/reserved", amount(balance.reserved, info.token_decimals, info.token_symbol)),
        ],
    )
    return 0
