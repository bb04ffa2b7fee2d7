"""``cmu serve MODEL``: the ``cmu.plugins`` entry point ``serve = "offchain.serve.cli:plugin"``.

Only builds the parser; Starlette, uvicorn and LightGBM are imported by the handler.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from cmu_client.errors import UsageError
from cmu_client.plugin import CliPlugin, CommandContext, Commands, add_key_argument, id_argument


def register(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="an HTTP prediction service that follows the model's head",
        description="Serve predictions over HTTP (POST /predict with JSON records, CSV or "
        "Parquet; GET /model, /healthz, /metrics). Follows the head: a new head (published "
        "or set by set_head) is fetched, hash-checked, loaded and swapped in between "
        "requests. Revoked versions are never served.",
    )
    serve.add_argument("model", type=id_argument)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--pin",
        type=id_argument,
        metavar="VERSION",
        help="serve this version instead of following the head",
    )
    serve.add_argument(
        "--poll", type=float, default=1.0, help="seconds between head checks (default 1)"
    )
    serve.add_argument(
        "--max-body",
        type=int,
        default=64 * 1024 * 1024,
        help="largest request body in bytes (default 64 MiB)",
    )
    serve.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    add_key_argument(serve)
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace, ctx: CommandContext) -> int:
    try:
        import uvicorn

        from offchain.serve.app import build_app
    except ImportError as exc:
        raise UsageError(
            f"serving needs the serve extra ({exc.name} is not installed)",
            "pip install 'cmu[serve]'",
        ) from None
    from cmu_client.ipfs import IpfsStore
    from offchain.serve.follower import HeadFollower

    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    chain = ctx.chain()
    key = args.key or os.environ.get("CMU_KEY")
    reader = ctx.signer().ss58_address if key else None
    model = chain.model(args.model)  # fails now, with the CLI's message, if there is none
    if args.pin is not None:
        chain.version(model.id, args.pin)

    async def serve() -> None:
        async with IpfsStore(ctx.ipfs_settings()) as store:
            if key:
                # A permissioned model's versions are encrypted to its role holders.
                store.keyring = ctx.keyring()
            follower = HeadFollower(
                chain, store, model.id, pin=args.pin, poll=args.poll, reader=reader
            )
            await follower.step()  # the first version is loaded before the port opens
            if follower.current is None:
                raise UsageError(
                    f"nothing to serve: {follower.state.unavailable}",
                    "publish or un-pin a version that is not revoked",
                )
            app = build_app(follower, max_body=args.max_body)
            config = uvicorn.Config(
                app,
                host=args.host,
                port=args.port,
                log_level=args.log_level.lower(),
                access_log=False,
                lifespan="on",
            )
            await uvicorn.Server(config).serve()

    ctx.run(serve())
    return 0


#: The ``cmu.plugins`` entry point.
plugin = CliPlugin(register=register)
