"""``cmu keys``: create, import, list and show signing keys."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cmu_client.errors import KeystoreError, UsageError
from cmu_client.keys import (
    dev_encryption_keypair,
    keypair_from_mnemonic,
    keypair_from_uri,
    load_polkadot_json_file,
    password_from_env_or_prompt,
    read_secret_line,
)
from cmu_client.plugin import (
    KEY_ENV,
    CommandContext,
    Commands,
    add_json_argument,
    add_key_argument,
)


def register(subparsers: Commands) -> None:
    keys = subparsers.add_parser("keys", help="manage signing keys (sr25519)")
    sub = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")

    new = sub.add_parser("new", help="generate a key and store it encrypted")
    new.add_argument("name")
    new.add_argument("--words", type=int, default=12, choices=(12, 15, 18, 21, 24))
    new.add_argument(
        "--mnemonic-file",
        metavar="PATH",
        help="also write the mnemonic to this new file (mode 0600) as a backup; "
        "without it the encrypted key file is the only copy",
    )
    add_json_argument(new)
    new.set_defaults(handler=cmd_new)

    imp = sub.add_parser("import", help="store an existing key encrypted")
    imp.add_argument("name")
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--mnemonic",
        action="store_true",
        help="read a BIP-39 mnemonic from a hidden prompt (or stdin)",
    )
    source.add_argument("--uri", help="a dev URI such as //Alice (test chains only)")
    source.add_argument(
        "--json-file", metavar="PATH", help="a polkadot.js JSON export (kept with its own password)"
    )
    add_json_argument(imp)
    imp.set_defaults(handler=cmd_import)

    lst = sub.add_parser("list", help="list stored keys")
    add_json_argument(lst)
    lst.set_defaults(handler=cmd_list)

    enc = sub.add_parser(
        "encryption",
        help="the account's x25519 key for permissioned models (stored beside the key)",
    )
    enc_sub = enc.add_subparsers(dest="encryption_command", required=True, metavar="COMMAND")
    publish = enc_sub.add_parser(
        "publish",
        help="create the encryption key if needed (--rotate: a new one) and publish its "
        "public half on chain",
    )
    publish.add_argument("--rotate", action="store_true", help="replace an existing key")
    add_key_argument(publish)
    add_json_argument(publish)
    publish.set_defaults(handler=cmd_encryption_publish)
    clear = enc_sub.add_parser("clear", help="remove the published key from the chain")
    add_key_argument(clear)
    add_json_argument(clear)
    clear.set_defaults(handler=cmd_encryption_clear)

    show = sub.add_parser("show", help="show a key's address (no password needed)")
    show.add_argument("key", help="keystore name, polkadot.js JSON file or dev URI")
    add_json_argument(show)
    show.set_defaults(handler=cmd_show)


def _new_password() -> str:
    password = password_from_env_or_prompt("new key password: ", True)
    if not password:
        raise KeystoreError("the password is empty", "a stored key must be encrypted")
    return password


def _write_private(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} already exists", "choose a new file for the backup") from None
    except OSError as exc:
        raise UsageError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def cmd_new(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.keystore()
    store.path_of(args.name)
    if store.exists(args.name):
        raise KeystoreError(f"a key named {args.name!r} already exists", "choose another name")
    backup = Path(args.mnemonic_file).expanduser() if args.mnemonic_file else None
    if backup is not None and backup.exists():
        raise UsageError(f"{backup} already exists", "choose a new file for the backup")
    info, mnemonic = store.create(args.name, _new_password(), args.words)
    if backup is not None:
        _write_private(backup, mnemonic)
    del mnemonic
    if ctx.json:
        ctx.output.json({"name": info.name, "address": info.address, "path": str(info.path)})
    else:
        ctx.output.fields(f"key {info.name}", [("address", info.address), ("file", info.path)])
        if backup is not None:
            ctx.output.note(f"mnemonic written to {backup} (mode 0600); keep it offline")
    return 0


def cmd_import(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.keystore()
    store.path_of(args.name)
    if args.json_file:
        data = load_polkadot_json_file(Path(args.json_file).expanduser())
        password = password_from_env_or_prompt(f"password of {Path(args.json_file).name}: ")
        info = store.import_polkadot_json(args.name, data, password)
    elif args.uri:
        info = store.import_keypair(args.name, keypair_from_uri(args.uri), _new_password())
    else:
        keypair = keypair_from_mnemonic(read_secret_line("mnemonic: "))
        info = store.import_keypair(args.name, keypair, _new_password())
    ctx.output.result(
        {"name": info.name, "address": info.address, "path": str(info.path)},
        f"stored key {info.name} ({info.address})",
    )
    return 0


def cmd_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    infos = ctx.keystore().list()
    if ctx.json:
        ctx.output.json(
            [
                {"name": i.name, "address": i.address, "path": str(i.path), "created": i.created}
                for i in infos
            ]
        )
        return 0
    if not infos:
        ctx.output.note(
            f"no keys in {ctx.keystore().directory}; create one with `cmu keys new NAME`"
        )
        return 0
    ctx.output.table(
        f"keys in {ctx.keystore().directory}",
        ["name", "address"],
        [(i.name, i.address) for i in infos],
    )
    return 0


def cmd_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    key: str = args.key
    if key.startswith("//"):
        name, address = key, keypair_from_uri(key).ss58_address
    elif key.endswith(".json") and Path(key).expanduser().is_file():
        data = load_polkadot_json_file(Path(key).expanduser())
        name, address = key, str(data.get("address", ""))
    else:
        data = ctx.keystore().read_json(key)
        name, address = key, str(data.get("address", ""))
    if ctx.json:
        ctx.output.json({"key": name, "address": address})
    else:
        ctx.output.out.print(address, highlight=False)
    return 0


def cmd_encryption_publish(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Create (or rotate) the --key account's x25519 key beside it and publish it."""
    signer = ctx.signer()
    key = args.key or os.environ.get(KEY_ENV, "")
    if key.startswith("//"):
        keypair = dev_encryption_keypair(signer)
    else:
        store = ctx.keystore()
        password = password_from_env_or_prompt(f"password for key {key!r}: ")
        if store.encryption_path(key).exists() and not args.rotate:
            keypair = store.load_encryption_key(key, password)
        else:
            keypair = store.create_encryption_key(key, password, replace=args.rotate)
    chain = ctx.chain()
    if chain.encryption_key(signer.ss58_address) == keypair.public and not args.rotate:
        ctx.output.result(
            {"address": signer.ss58_address, "x25519": keypair.public.hex(), "result": None},
            f"{signer.ss58_address}'s encryption key is already published",
        )
        return 0
    result = chain.set_encryption_key(signer, keypair.public)
    ctx.output.result(
        {"address": signer.ss58_address, "x25519": keypair.public.hex(), "result": result},
        f"encryption key {keypair.public.hex()[:16]}… published for {signer.ss58_address}; "
        "permissioned models seal their next versions to it (ask for `cmu model rekey "
        "MODEL` to read a current head)",
    )
    return 0


def cmd_encryption_clear(args: argparse.Namespace, ctx: CommandContext) -> int:
    signer = ctx.signer()
    result = ctx.chain().set_encryption_key(signer, None)
    ctx.output.result(
        {"address": signer.ss58_address, "result": result},
        f"{signer.ss58_address}'s encryption key cleared: later versions are not sealed to it",
    )
    return 0
