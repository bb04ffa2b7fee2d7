"""The monitor's column choices, abbreviations, sparkline and feed lines. No chain needed."""

from __future__ import annotations

from cmu_client.types import ChainEvent
from offchain.monitor_tui.view import (
    BARS,
    age,
    contribution_columns,
    event_line,
    metric_label,
    primary_metric,
    sparkline,
    version_columns,
)

KEYS = ["val_auc", "val_logloss", "val_accuracy"]


def keys_of(columns: list) -> list[str]:  # type: ignore[type-arg]
    return [c.key for c in columns]


def test_at_80_columns_the_essentials_stay_and_wider_screens_get_more() -> None:
    narrow = keys_of(version_columns(80 - 18, KEYS))
    assert narrow[:3] == ["version", "metric:val_auc", "status"]
    assert "trainer" not in narrow and "metric:val_logloss" not in narrow
    wide = keys_of(version_columns(200 - 18, KEYS))
    assert {"trainer", "metric:val_logloss", "metric:val_accuracy"} <= set(wide)
    assert keys_of(contribution_columns(80 - 18)) == [
        "id",
        "state",
        "age",
        "rows",
        "settled",
        "reason",
    ]
    assert "contributor" in keys_of(contribution_columns(200 - 18))
    # a very narrow screen still keeps what the table exists for
    assert keys_of(version_columns(10, KEYS)) == ["version", "metric:val_auc", "status"]


def test_names_abbreviated_on_purpose() -> None:
    assert [metric_label(k) for k in KEYS] == ["auc", "logloss", "acc"]
    assert metric_label("val_multi_logloss") == "mlogloss"
    assert primary_metric(["val_accuracy", "val_auc"]) == "val_auc"
    assert primary_metric(["val_rmse", "val_r2"]) == "val_rmse"
    assert primary_metric([]) is None


def test_sparkline_and_ages() -> None:
    assert sparkline([0.1, 0.2, 0.3], 10) == BARS[0] + BARS[4] + BARS[7]
    assert sparkline([0.5, 0.5], 10) == BARS[3] * 2
    assert len(sparkline([float(i) for i in range(100)], 20)) == 20
    assert sparkline([], 5) == ""
    assert [age(5), age(125), age(7200), age(200000), age(None)] == [
        "5s",
        "2m",
        "2.0h",
        "2.3d",
        "?",
    ]


def test_event_lines() -> None:
    published = ChainEvent("Cmu", "VersionPublished", {"model": 3, "version": 5})
    assert event_line(41, published) == "#41 m3 VersionPublished v5"
    head = ChainEvent("Cmu", "HeadSet", {"model": 3, "from": 5, "to": 2, "reason": 0})
    assert event_line(42, head) == "#42 m3 HeadSet to=v2 from=v5 reason=0"
    rejected = ChainEvent(
        "Cmu",
        "ContributionRejected",
        {"model": 3, "contribution": 7, "version": 6, "reason": "Duplicate"},
    )
    assert event_line(43, rejected) == "#43 m3 ContributionRejected v6 #7 reason=Duplicate"
