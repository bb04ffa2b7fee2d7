"""sr25519 signing keys: dev URIs, mnemonics, polkadot.js JSON exports, and a local keystore.

The keystore is a directory (``$CMU_KEYSTORE`` or ``~/.config/cmu/keys``, mode 0700) of
polkadot.js-format encrypted JSON files (mode 0600), one per key, so a key can be
moved between the CLI and polkadot.js apps unchanged. Passwords come from
``$CMU_KEY_PASSWORD`` or an interactive prompt; mnemonics are read from a prompt or
stdin, never from the command line. No secret is ever printed, logged or put in an
exception message.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import nacl.hashlib
import sr25519
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from substrateinterface import Keypair, KeypairType
from substrateinterface.utils.encrypted_json import decode_pkcs8

from cmu_client.config import SS58_FORMAT
from cmu_client.crypto import X25519Keypair
from cmu_client.errors import KeyNotFoundError, KeystoreError, WrongPasswordError

PASSWORD_ENV = "CMU_KEY_PASSWORD"
KEYSTORE_ENV = "CMU_KEYSTORE"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_DIR_MODE = 0o700
_FILE_MODE = 0o600


class Signer(Protocol):
    """What CMU needs from a signing key (a substrate-interface ``Keypair``)."""

    ss58_address: str
    public_key: bytes
    crypto_type: int

    def sign(self, data: Any) -> bytes: ...


@dataclass(frozen=True)
class KeyInfo:
    """Public facts about a stored key (never the secret)."""

    name: str
    address: str
    path: Path
    created: int | None


def _scrub(keypair: Any) -> Signer:
    # substrate-interface keeps the mnemonic on the object; drop it so that no dump of
    # the keypair (repr, vars, a debugger) can reveal it.
    keypair.mnemonic = None
    return cast(Signer, keypair)


def keypair_from_uri(uri: str) -> Signer:
    """A keypair from a secret URI such as ``//Alice`` or ``//Alice//stash``.

    Only dev-style URIs (derivation paths from the well-known dev phrase) belong here;
    mnemonics go through :func:`keypair_from_mnemonic`.
    """
    try:
        return _scrub(
            Keypair.create_from_uri(uri, ss58_format=SS58_FORMAT, crypto_type=KeypairType.SR25519)
        )
    except Exception:  # the library's errors may echo the input; do not chain them
        raise KeystoreError(
            "not a valid secret URI", "dev URIs look like //Alice or //Bob//stash"
        ) from None


def keypair_from_mnemonic(mnemonic: str) -> Signer:
    """A keypair from a BIP-39 mnemonic (12-24 words)."""
    words = " ".join(mnemonic.split())
    if not Keypair.validate_mnemonic(words):
        raise KeystoreError(
            "the mnemonic is not a valid BIP-39 phrase",
            "check the words and their order (12, 15, 18, 21 or 24 English words)",
        )
    return _scrub(
        Keypair.create_from_mnemonic(
            words, ss58_format=SS58_FORMAT, crypto_type=KeypairType.SR25519
        )
    )


def generate_mnemonic(words: int = 12) -> str:
    if words not in (12, 15, 18, 21, 24):
        raise KeystoreError(f"cannot generate a {words}-word mnemonic", "use 12, 15, 18, 21 or 24")
    return str(Keypair.generate_mnemonic(words))


def _check_polkadot_json(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise KeystoreError("the key file is not a JSON object")
    encoding = data.get("encoding")
    if not isinstance(encoding, dict) or "encoded" not in data:
        raise KeystoreError(
            "the key file is not a polkadot.js JSON export",
            "export the account from polkadot.js apps (Accounts > ... > Export account)",
        )
    content = encoding.get("content", [])
    if "sr25519" not in content:
        raise KeystoreError(
            f"unsupported key type {content!r}", "CMU signs with sr25519 accounts only"
        )
    if str(encoding.get("version")) != "3" or "xsalsa20-poly1305" not in encoding.get("type", []):
        raise KeystoreError(
            "unsupported polkadot.js JSON encoding",
            "re-export the account with a current polkadot.js (encoding version 3, scrypt)",
        )
    return data


_SCRYPT_HEADER = 32 + 3 * 4
_NONCE = 24
#: An sr25519 key in polkadot.js pkcs8: header 16 + secret 64 + divider 5 + public 32.
_PKCS8_LEN = 117
#: Largest scrypt cost accepted from a file (polkadot.js uses 2^15 or 2^17); bounds the
#: memory a hostile file can make us spend.
_MAX_SCRYPT_N = 1 << 20


def _scrypt(
    password: str, salt: bytes, n: int, r: int, p: int, what: str = "the encryption key file"
) -> bytes:
    """scrypt with parameters read from a file, bounded so that a crafted file cannot make
    it run for hours or exhaust memory; ``what`` names the file in the error."""
    if not (2 <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= p <= 16 and 1 <= r <= 32):
        raise KeystoreError(f"{what} asks for unsupported scrypt parameters")
    return bytes(
        nacl.hashlib.scrypt(
            password.encode("utf-8"),
            salt,
            n=n,
            r=r,
            p=p,
            dklen=32,
            maxmem=128 * n * r * p + (1 << 20),
        )
    )


def _decrypt_polkadot_json(data: dict[str, Any], password: str) -> tuple[bytes, bytes]:
    """(sr25519 secret key, public key) from a polkadot.js v3 JSON export."""
    try:
        encrypted = base64.b64decode(data["encoded"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise KeystoreError("the key file is damaged (its 'encoded' field is not base64)") from None
    if "scrypt" in data["encoding"].get("type", []):
        if len(encrypted) < _SCRYPT_HEADER + _NONCE:
            raise KeystoreError("the key file is damaged (too short)")
        salt = encrypted[:32]
        n, p, r = (int.from_bytes(encrypted[i : i + 4], "little") for i in (32, 36, 40))
        key = _scrypt(password, salt, n, r, p, what="the key file")
        encrypted = encrypted[_SCRYPT_HEADER:]
    else:
        key = password.encode("utf-8").rjust(32, b"\0")[:32]
    if len(encrypted) != _NONCE + SecretBox.MACBYTES + _PKCS8_LEN:
        # A wrong password and a damaged file both fail decryption; the length tells them
        # apart (an sr25519 pkcs8 plaintext has a fixed size).
        raise KeystoreError(
            "the key file is damaged (its encrypted key has the wrong length; truncated?)",
            "restore it from a backup or import the key again",
        )
    try:
        plain = SecretBox(key).decrypt(encrypted[_NONCE:], encrypted[:_NONCE])
    except CryptoError:
        raise WrongPasswordError(
            "wrong password for this key",
            f"set the right password in ${PASSWORD_ENV} or type it at the prompt",
        ) from None
    try:
        secret, public = decode_pkcs8(plain)
        converted_public, secret = sr25519.pair_from_ed25519_secret_key(secret)
    except Exception:  # malformed plaintext: never show it
        raise KeystoreError("the key file is damaged and cannot be decoded") from None
    if bytes(converted_public) != bytes(public):
        raise KeystoreError("the key file is damaged (its public key does not match)")
    return bytes(secret), bytes(public)


def keypair_from_polkadot_json(data: dict[str, Any], password: str) -> Signer:
    """Decrypt a polkadot.js JSON export (scrypt + xsalsa20-poly1305, sr25519)."""
    data = _check_polkadot_json(data)
    secret, public = _decrypt_polkadot_json(data, password)
    keypair = Keypair.create_from_private_key(
        secret, public, ss58_format=SS58_FORMAT, crypto_type=KeypairType.SR25519
    )
    address = data.get("address")
    if isinstance(address, str) and address and keypair.ss58_address != _reencode(address):
        raise KeystoreError("the key file's address does not match its key", "the file is damaged")
    return _scrub(keypair)


def _reencode(address: str) -> str:
    from scalecodec.utils.ss58 import ss58_decode, ss58_encode

    try:
        return str(ss58_encode(ss58_decode(address), SS58_FORMAT))
    except Exception:
        return address


def export_polkadot_json(keypair: Signer, password: str, name: str) -> dict[str, Any]:
    """Encrypt a keypair into the polkadot.js JSON export format."""
    if not password:
        raise KeystoreError("refusing to store a key without a password")
    exporter: Any = keypair
    data: dict[str, Any] = exporter.export_to_encrypted_json(password, name=name)
    data["address"] = keypair.ss58_address
    return data


PasswordSource = Callable[[str, bool], str]


def password_from_env_or_prompt(prompt: str, confirm: bool = False) -> str:
    """``$CMU_KEY_PASSWORD`` if set, else an interactive hidden prompt."""
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if not sys.stdin.isatty():
        raise KeystoreError(
            "a key password is needed but there is no terminal to ask on",
            f"set ${PASSWORD_ENV} or run interactively",
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("repeat password: ") != first:
        raise KeystoreError("the two passwords differ")
    return first


def read_secret_line(prompt: str) -> str:
    """A secret (mnemonic) from a hidden prompt, or the first line of stdin when piped."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line.strip():
        raise KeystoreError("no secret on stdin", "pipe the mnemonic in, or run interactively")
    return line.strip()


def default_keystore_dir() -> Path:
    env = os.environ.get(KEYSTORE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cmu" / "keys"


class Keystore:
    """A directory of encrypted polkadot.js JSON key files with owner-only permissions."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_keystore_dir()

    # -- paths and permissions ----------------------------------------------------

    def _ensure_dir(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
        os.chmod(self.directory, _DIR_MODE)

    def path_of(self, name: str) -> Path:
        if not _NAME_RE.match(name):
            # Not echoed: a mistaken --key may be a mnemonic or a seed.
            raise KeystoreError(
                f"invalid key name ({len(name)} characters; not a keystore name, a .json "
                "file or a dev URI)",
                "key names are 1-64 letters, digits, '.', '_' or '-'; mnemonics and seeds "
                "never go on the command line (`cmu keys import NAME --mnemonic` reads one)",
            )
        return self.directory / f"{name}.json"

    def exists(self, name: str) -> bool:
        return self.path_of(name).exists()

    def _write_new(self, name: str, data: dict[str, Any]) -> KeyInfo:
        path = self.path_of(name)
        self._ensure_dir()
        if path.exists():
            raise KeystoreError(
                f"a key named {name!r} already exists", "choose another name or delete the old file"
            )
        # Write to a private temporary file, then link it into place: the key file
        # never exists with loose permissions or half written, and an existing key is
        # never overwritten.
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.directory)
        try:
            os.fchmod(fd, _FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise KeystoreError(f"a key named {name!r} already exists") from None
        finally:
            Path(tmp).unlink(missing_ok=True)
        return self._info(name, data)

    @staticmethod
    def _info_from(name: str, path: Path, data: dict[str, Any]) -> KeyInfo:
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        created = meta.get("whenCreated") if isinstance(meta, dict) else None
        return KeyInfo(
            name=name,
            address=str(data.get("address", "")),
            path=path,
            created=int(created) if isinstance(created, int | float) else None,
        )

    def _info(self, name: str, data: dict[str, Any]) -> KeyInfo:
        return self._info_from(name, self.path_of(name), data)

    # -- creating and importing ---------------------------------------------------

    def create(self, name: str, password: str, words: int = 12) -> tuple[KeyInfo, str]:
        """Generate a new key; returns its info and the mnemonic (for a backup the
        caller writes somewhere private). The mnemonic is not stored."""
        self.path_of(name)  # validate the name before generating anything
        if self.exists(name):
            raise KeystoreError(f"a key named {name!r} already exists", "choose another name")
        mnemonic = generate_mnemonic(words)
        keypair = keypair_from_mnemonic(mnemonic)
        return self._write_new(name, export_polkadot_json(keypair, password, name)), mnemonic

    def import_keypair(self, name: str, keypair: Signer, password: str) -> KeyInfo:
        """Store any keypair (from a mnemonic or a URI) encrypted with ``password``."""
        return self._write_new(name, export_polkadot_json(keypair, password, name))

    def import_polkadot_json(self, name: str, data: dict[str, Any], password: str) -> KeyInfo:
        """Store a polkadot.js export as is, after checking that ``password`` opens it."""
        keypair = keypair_from_polkadot_json(data, password)
        stored = dict(data)
        stored["address"] = keypair.ss58_address
        return self._write_new(name, stored)

    # -- reading ------------------------------------------------------------------

    def read_json(self, name: str) -> dict[str, Any]:
        path = self.path_of(name)
        if not path.exists():
            raise KeyNotFoundError(
                f"no key named {name!r} in {self.directory}",
                "list keys with `cmu keys list`, or create one with `cmu keys new NAME`",
            )
        self._check_permissions(path)
        return _check_polkadot_json(_read_key_file(path))

    @staticmethod
    def _check_permissions(path: Path) -> None:
        check_key_file_permissions(path)

    def unlock(self, name: str, password: str) -> Signer:
        return keypair_from_polkadot_json(self.read_json(name), password)

    def list(self) -> list[KeyInfo]:
        if not self.directory.exists():
            return []
        infos = []
        for path in sorted(self.directory.glob("*.json")):
            if path.name.endswith(ENCRYPTION_SUFFIX):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if isinstance(data, dict):
                infos.append(self._info_from(path.stem, path, data))
        return infos

    def delete(self, name: str) -> None:
        path = self.path_of(name)
        if not path.exists():
            raise KeyNotFoundError(f"no key named {name!r} in {self.directory}")
        path.unlink()
        self.encryption_path(name).unlink(missing_ok=True)

    # -- the account's x25519 encryption key ----------------------------------------

    def encryption_path(self, name: str) -> Path:
        """Where the encryption key of key ``name`` lives: beside it, same protection."""
        self.path_of(name)  # validates the name
        return self.directory / f"{name}{ENCRYPTION_SUFFIX}"

    def create_encryption_key(
        self, name: str, password: str, *, replace: bool = False
    ) -> X25519Keypair:
        """A new x25519 keypair for key ``name``, stored encrypted with the key's password
        (checked first: the account key must open with it)."""
        account = self.unlock(name, password)
        path = self.encryption_path(name)
        if path.exists() and not replace:
            raise KeystoreError(
                f"key {name!r} already has an encryption key",
                "publish it with `cmu keys encryption publish`; --rotate makes a new one",
            )
        keypair = X25519Keypair.generate()
        data = _seal_encryption_secret(keypair, password, account.ss58_address)
        if replace:
            path.unlink(missing_ok=True)
        self._write_new(f"{name}{ENCRYPTION_SUFFIX.removesuffix('.json')}", data)
        return keypair

    def load_encryption_key(self, name: str, password: str) -> X25519Keypair:
        path = self.encryption_path(name)
        if not path.exists():
            raise KeyNotFoundError(
                f"key {name!r} has no encryption key in {self.directory}",
                f"create and publish one: `cmu keys encryption publish --key {name}`",
            )
        check_key_file_permissions(path)
        return _open_encryption_secret(_read_key_file(path), password)


#: File name suffix of an account's encryption key, beside ``NAME.json``.
ENCRYPTION_SUFFIX = ".x25519.json"
_ENCRYPTION_FORMAT = "cmu-x25519/1"
_ENC_SCRYPT = {"n": 1 << 15, "r": 8, "p": 1}


def _seal_encryption_secret(keypair: X25519Keypair, password: str, address: str) -> dict[str, Any]:
    if not password:
        raise KeystoreError("refusing to store an encryption key without a password")
    salt = os.urandom(32)
    box = SecretBox(_scrypt(password, salt, _ENC_SCRYPT["n"], _ENC_SCRYPT["r"], _ENC_SCRYPT["p"]))
    return {
        "format": _ENCRYPTION_FORMAT,
        "address": address,
        "public": keypair.public.hex(),
        "scrypt": dict(_ENC_SCRYPT, salt=base64.b64encode(salt).decode("ascii")),
        "encrypted": base64.b64encode(bytes(box.encrypt(keypair.secret))).decode("ascii"),
    }


def _open_encryption_secret(data: Any, password: str) -> X25519Keypair:
    try:
        if data["format"] != _ENCRYPTION_FORMAT:
            raise KeystoreError("not a CMU encryption key file")
        params = data["scrypt"]
        salt = base64.b64decode(params["salt"], validate=True)
        encrypted = base64.b64decode(data["encrypted"], validate=True)
        public = bytes.fromhex(data["public"])
        n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise KeystoreError("the encryption key file is damaged") from None
    try:
        secret = SecretBox(_scrypt(password, salt, n, r, p)).decrypt(encrypted)
    except CryptoError:
        raise WrongPasswordError(
            "wrong password for this encryption key",
            f"it uses the account key's password: set ${PASSWORD_ENV} or type it",
        ) from None
    keypair = X25519Keypair.from_secret(bytes(secret))
    if keypair.public != public:
        raise KeystoreError("the encryption key file is damaged (its public key does not match)")
    return keypair


def dev_encryption_keypair(signer: Signer) -> X25519Keypair:
    """The encryption key of a dev account (``//Alice``): derived from its secret, which
    is public anyway, so dev chains need no keystore. Never used for stored keys."""
    secret = bytes(getattr(signer, "private_key", b"") or b"")
    if not secret:
        raise KeystoreError("this signer has no secret to derive a dev encryption key from")
    derived = hashlib.blake2b(secret, digest_size=32, person=b"cmu-x25519-dev").digest()
    return X25519Keypair.from_secret(derived)


def resolve_encryption_keypair(
    key: str,
    keystore: Keystore | None = None,
    password: PasswordSource = password_from_env_or_prompt,
) -> X25519Keypair:
    """The x25519 keypair that goes with a ``--key`` value: derived for dev URIs, read
    from beside the key in the keystore otherwise."""
    if key.startswith("//"):
        return dev_encryption_keypair(keypair_from_uri(key))
    if key.endswith(".json"):
        raise KeystoreError(
            "encryption keys live in the keystore, not beside exported .json files",
            "import the account: `cmu keys import NAME --json FILE`, then use --key NAME",
        )
    store = keystore or Keystore()
    return store.load_encryption_key(key, password(f"password for key {key!r}: ", False))


def resolve_signer(
    key: str,
    keystore: Keystore | None = None,
    password: PasswordSource = password_from_env_or_prompt,
) -> Signer:
    """Turn a ``--key`` value into a keypair.

    ``//Name`` is a dev URI; a path ending in ``.json`` is a polkadot.js export; anything
    else is the name of a key in the local keystore.
    """
    if key.startswith("//"):
        return keypair_from_uri(key)
    if key.endswith(".json") and Path(key).expanduser().is_file():
        path = Path(key).expanduser()
        check_key_file_permissions(path)
        data = _check_polkadot_json(_read_key_file(path))
        return keypair_from_polkadot_json(data, password(f"password for {path.name}: ", False))
    store = keystore or Keystore()
    data = store.read_json(key)
    return keypair_from_polkadot_json(data, password(f"password for key {key!r}: ", False))


def check_key_file_permissions(path: Path) -> None:
    """Refuse a key file that others may read or write (keystore files are 0600)."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeystoreError(
            f"key file {path} is readable by others (mode {mode:o})",
            f"run: chmod 600 {path}",
        )


def _read_key_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeystoreError(f"cannot read key file {path}: {type(exc).__name__}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise KeystoreError(
            f"key file {path} is damaged (not complete JSON; truncated?)",
            "restore it from a backup or import the key again",
        ) from None


def load_polkadot_json_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeystoreError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        # Some tools wrap the export in base64.
        try:
            data = json.loads(base64.b64decode(raw))
        except (ValueError, binascii.Error):
            raise KeystoreError(f"{path} is not JSON") from None
    return _check_polkadot_json(data)
