"""Value types, call building and error decoding. No chain needed.

(Storage keys are built by substrate-interface from the runtime metadata; they are tested
against the live chain in test_client_history.py.)"""

from __future__ import annotations

import pytest

from cmu_client import calls, decode
from cmu_client.errors import ModelFrozenError, PermissionDeniedError, StaleParentError, UsageError
from cmu_client.types import (
    AccessPolicy,
    ContributionState,
    Metric,
    RejectionReason,
    RoleSet,
    SlashDestination,
    SlashKind,
    Verdict,
)


def test_role_sets_match_the_pallet_bits() -> None:
    assert int(RoleSet.parse("admin")) == 1
    assert int(RoleSet.parse("contributor,trainer")) == 6
    assert int(RoleSet.parse("all")) == 15
    assert int(RoleSet.parse("8")) == 8
    assert RoleSet.parse("trainer, reader").names() == ["trainer", "reader"]
    assert RoleSet.none().label() == "-"
    with pytest.raises(UsageError, match="unknown role 'owner'"):
        RoleSet.parse("owner")
    with pytest.raises(UsageError, match="undefined bits"):
        RoleSet.parse("16")


def test_metrics_are_fixed_point_1e9() -> None:
    metric = Metric.from_float("val_auc", 0.912345678912)
    assert metric.value == 912_345_679
    assert metric.as_float == pytest.approx(0.912345679)
    assert Metric.from_float("loss", -1.5).value == -1_500_000_000
    with pytest.raises(UsageError):
        Metric.from_float("x", float("nan"))
    with pytest.raises(UsageError):
        Metric.from_float("x", 1e12)


def test_call_arguments_are_checked_before_signing() -> None:
    call = calls.publish_version(
        3,
        None,
        "bafkreiabc",
        bytes(32),
        bytes(32),
        [Metric.from_float("auc", 0.5)],
        [(1, Verdict.accept()), (2, Verdict.reject(RejectionReason.HARMS_METRIC))],
    )
    assert call.args["expected_parent"] is None
    assert call.args["settlements"] == ([(1, "Accept"), (2, {"Reject": "HarmsMetric"})],)
    assert call.args["artifact_cid"] == "0x" + b"bafkreiabc".hex()
    with pytest.raises(UsageError, match="32 bytes"):
        calls.submit_contribution(1, "bafkreiabc", b"short", 10)
    with pytest.raises(UsageError, match="not a CID"):
        calls.create_model("has space", bytes(32), AccessPolicy())
    with pytest.raises(UsageError, match="empty or has undefined bits"):
        calls.grant_role(1, "5Grw", RoleSet.none())
    with pytest.raises(UsageError, match="not a valid id"):
        calls.freeze_model(-1)
    assert SlashDestination(SlashKind.ACCOUNT, "5Grw").to_scale() == {"Account": "5Grw"}
    batch = calls.batch_all([calls.freeze_model(1), calls.thaw_model(1)])
    assert batch.name == "Utility.batch_all" and len(batch.nested) == 2


def test_decoding_renderings() -> None:
    assert decode.as_bytes("0x0102") == b"\x01\x02"
    assert decode.as_text("bafkreiabc") == "bafkreiabc"
    assert decode.as_text("0x" + b"bafk".hex()) == "bafk"
    assert decode.as_int({"0": 6}) == 6
    status = decode.contribution_status({"Rejected": "Duplicate"})
    assert status.state is ContributionState.REJECTED
    assert status.reason is RejectionReason.DUPLICATE
    assert status.label() == "Rejected(Duplicate)"
    assert decode.contribution_status("Pending").reason is None


def test_pallet_errors_map_to_specific_exceptions() -> None:
    assert isinstance(decode.chain_error("Cmu", "NotTrainer", "x"), PermissionDeniedError)
    assert isinstance(decode.chain_error("Cmu", "ModelFrozen", "x"), ModelFrozenError)
    stale = decode.chain_error("Cmu", "StaleParent", "The head is not the parent")
    assert isinstance(stale, StaleParentError)
    assert stale.name == "StaleParent" and stale.pallet == "Cmu"
    assert stale.message == "Cmu.StaleParent: The head is not the parent"
    assert stale.hint and "rebuild" in stale.hint
