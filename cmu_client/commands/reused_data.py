"""Refusing to register data the worker would reject as ``Duplicate`` (and slash).

A worker rejects a contribution whose data hash an accepted contribution, or an earlier
pending one, already registered (``offchain.rounds``: data counts as used once accepted;
rejected and withdrawn data may be offered again). ``cmu contribute register`` checks the
same before anything is uploaded or any deposit is held, and refuses unless ``--force``.
"""

from __future__ import annotations

from cmu_client import history
from cmu_client.chain import CmuChain
from cmu_client.errors import UsageError
from cmu_client.plugin import CommandContext
from cmu_client.types import Contribution, ContributionState, Model


def reusing(chain: CmuChain, model: Model, data_hash: bytes) -> list[Contribution]:
    """Accepted or pending contributions of ``model`` that registered ``data_hash``."""
    return [
        c
        for c in history.contributions(chain, model.id)
        if c.data_hash == data_hash
        and c.status.state in (ContributionState.ACCEPTED, ContributionState.PENDING)
    ]


def refuse_reused_data(
    ctx: CommandContext, chain: CmuChain, model: Model, data_hash: bytes, force: bool
) -> None:
    """Raise (or with ``force`` warn) when the data was already used or is pending."""
    found = reusing(chain, model, data_hash)
    if not found:
        return
    first = found[0]
    if first.status.state is ContributionState.ACCEPTED:
        where = f"accepted in v{first.settled_in}" if first.settled_in is not None else "accepted"
        what = f"the model already used it (contribution {first.id}, {where})"
    else:
        what = f"contribution {first.id} registered it and is pending"
    message = (
        f"this data (sha2-256 {data_hash.hex()[:16]}...) is not new to model {model.id}: "
        f"{what}; a worker would reject it as Duplicate and slash the deposit"
    )
    if force:
        ctx.output.warn(message + " (registering anyway: --force)")
        return
    raise UsageError(message, "change or add data, or pass --force to register it anyway")
