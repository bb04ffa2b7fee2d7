"""The one exception hierarchy of the CMU client.

Every error the library raises on purpose is a :class:`CmuError`. Each carries a
one-line ``message`` (what went wrong) and an optional ``hint`` (what to do), which
the CLI prints as two short lines. Messages never contain secrets: no mnemonic, seed,
private key or password is ever formatted into an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CmuError(Exception):
    """Base of every error raised by cmu_client."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


# --- configuration and input -------------------------------------------------------


class ConfigError(CmuError):
    """A setting (endpoint, path, environment variable) is missing or malformed."""


class UsageError(CmuError):
    """A caller passed arguments that cannot work (bad address, unknown option value)."""


# --- keys --------------------------------------------------------------------------


class KeystoreError(CmuError):
    """A key could not be created, found, read or unlocked."""


class WrongPasswordError(KeystoreError):
    """The password does not decrypt the key file."""


class KeyNotFoundError(KeystoreError):
    """No key with this name in the keystore."""


# --- chain -------------------------------------------------------------------------


class ChainConnectionError(CmuError):
    """The chain's RPC endpoint cannot be reached or stopped answering."""


class ChainTimeoutError(ChainConnectionError):
    """The chain did not answer or include a transaction in time."""


class RpcError(CmuError):
    """The node answered a JSON-RPC request with an error (bad parameters, bytes it
    cannot decode, an unknown method)."""


class TransactionRejectedError(CmuError):
    """The transaction pool refused a transaction before it reached a block.

    Typical causes: the account cannot pay the fee, a stale nonce, a malformed call.
    """


class ChainError(CmuError):
    """A dispatched call failed on chain.

    ``pallet`` and ``name`` identify the error as the runtime metadata names it
    (``Cmu``/``StaleParent``); ``explanation`` is the error's doc comment from metadata.
    """

    def __init__(
        self,
        pallet: str,
        name: str,
        explanation: str,
        hint: str | None = None,
        extrinsic_hash: str | None = None,
    ) -> None:
        summary = f"{pallet}.{name}: {explanation}" if explanation else f"{pallet}.{name}"
        super().__init__(summary, hint)
        self.pallet = pallet
        self.name = name
        self.explanation = explanation
        self.extrinsic_hash = extrinsic_hash


class PermissionDeniedError(ChainError):
    """The signer lacks the role the call needs (NotAdmin, NotTrainer, NotContributor, ...)."""


class ModelFrozenError(ChainError):
    """The model is frozen: no contributions, versions or head changes."""


class StaleParentError(ChainError):
    """publish_version named a parent that is no longer the head."""


class NotFoundError(CmuError):
    """A model, version or contribution does not exist (on chain or in a read)."""


# --- IPFS and content --------------------------------------------------------------


class IpfsError(CmuError):
    """The IPFS daemon failed, timed out, or does not have the content."""


class IpfsTimeoutError(IpfsError):
    """An IPFS request took longer than its timeout."""


class ContentNotFoundError(IpfsError):
    """The CID cannot be found by the IPFS daemon."""


class ContentTooLargeError(IpfsError):
    """The content is larger than the allowed maximum."""


class HashMismatchError(CmuError):
    """Bytes fetched for a CID do not hash to the hash recorded on chain."""

    def __init__(self, what: str, expected_hex: str, actual_hex: str) -> None:
        super().__init__(
            f"{what}: sha2-256 {actual_hex} does not match the on-chain hash {expected_hex}",
            "the content was altered or the record points to other bytes; do not use it",
        )
        self.expected_hex = expected_hex
        self.actual_hex = actual_hex


# --- encryption (permissioned models) -----------------------------------------------


class EncryptionError(CmuError):
    """An encrypted object or key envelope cannot be opened: damaged, tampered with, or
    made for another model, version or kind. Never carries key material."""


class NoAccessError(CmuError):
    """The account holds no key that opens this content (no role, no published
    encryption key, or left out of the version's key envelope)."""


# --- formats -----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a document or a data row.

    ``row`` counts data rows from 1 (the header is row 0); ``None`` for file-level
    problems. ``column`` is the column name when one is concerned.
    """

    row: int | None
    column: str | None
    problem: str
    expected: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        text = f"{prefix}: {self.problem}" if prefix else self.problem
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class ValidationError(CmuError):
    """A spec document or a data file does not match what is required.

    ``problems`` lists every problem found (up to a cap), each with its row and column.
    """

    def __init__(
        self,
        subject: str,
        problems: Sequence[Problem],
        hint: str | None = None,
        more: int = 0,
    ) -> None:
        self.subject = subject
        self.problems = list(problems)
        self.more = more
        count = len(self.problems) + more
        first = str(self.problems[0]) if self.problems else "invalid"
        noun = "problem" if count == 1 else "problems"
        message = f"{subject}: {count} {noun}; first: {first}"
        super().__init__(message, hint)

    def details(self) -> list[str]:
        """Every problem as a line, plus a count of those not listed."""
        lines = [str(p) for p in self.problems]
        if self.more:
            lines.append(f"... and {self.more} more")
        return lines


class SpecError(ValidationError):
    """The model spec document is malformed."""


class DataError(ValidationError):
    """A data set (CSV) does not match the model spec."""


class ArtifactError(CmuError):
    """A model artifact cannot be loaded or used for prediction."""
