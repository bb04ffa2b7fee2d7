"""What the monitor's panes contain at a given width: pure functions, no Textual.

Columns are chosen by priority and added while they fit, so at 80 columns a table keeps
the columns it exists for (the version, its acceptance metric, its status) with their
values whole, and uses more room for more columns (parent, accepted contributions,
block, the other metrics, the trainer). Names are abbreviated deliberately
(:data:`METRIC_SHORT`, :data:`STATUS_SHORT`), never cut.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from cmu_client.types import ChainEvent, Contribution, ContributionState, RoleSet, Version

BARS = "▁▂▃▄▅▆▇█"

#: Metric names as column headers: the ``val_`` prefix dropped, long names shortened.
METRIC_SHORT = {
    "accuracy": "acc",
    "logloss": "logloss",
    "multi_logloss": "mlogloss",
    "auc": "auc",
    "rmse": "rmse",
    "mae": "mae",
    "r2": "r2",
}
STATUS_SHORT = {"Active": "active", "Deprecated": "deprec", "Revoked": "REVOKED"}
STATE_SHORT = {
    ContributionState.PENDING: "pending",
    ContributionState.ACCEPTED: "accepted",
    ContributionState.REJECTED: "rejected",
    ContributionState.WITHDRAWN: "withdrawn",
}


def metric_label(key: str) -> str:
    bare = key.removeprefix("val_")
    return METRIC_SHORT.get(bare, bare[:10])


def primary_metric(keys: Sequence[str]) -> str | None:
    """The metric a trend and the narrow table show: auc, else r2/rmse, else the first."""
    for wanted in ("auc", "multi_logloss", "rmse", "r2", "accuracy", "logloss"):
        for key in keys:
            if key.removeprefix("val_") == wanted:
                return key
    return keys[0] if keys else None


def sparkline(values: Sequence[float], width: int) -> str:
    """The last ``width`` values as bars, scaled between their min and max."""
    shown = list(values)[-width:] if width > 0 else []
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    if high - low < 1e-12:
        return BARS[3] * len(shown)
    top = len(BARS) - 1
    return "".join(BARS[round((v - low) / (high - low) * top)] for v in shown)


def short_address(address: str, keep: int = 6) -> str:
    return address if len(address) <= 2 * keep else address[:keep] + "…" + address[-4:]


def age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


def version_columns(width: int, metric_keys: Sequence[str], attested: bool = False) -> list[Column]:
    """Columns of the versions table that fit ``width`` cells, by priority; ``attested``
    adds how many accounts verified / disputed each version (pallet-cmu v2)."""
    primary = primary_metric(metric_keys)
    must = [Column("version", "ver", 7)]
    if primary is not None:
        must.append(Column(f"metric:{primary}", metric_label(primary), 9))
    must.append(Column("status", "status", 8))
    optional = [
        Column("parent", "parent", 7),
        Column("accepted", "acc#", 5),
    ]
    if attested:
        optional.append(Column("verified", "ok/disp", 7))
    optional += [Column("block", "block", 8)]
    optional += [Column(f"metric:{k}", metric_label(k), 9) for k in metric_keys if k != primary]
    optional.append(Column("trainer", "trainer", 14))
    return _fit(must, optional, width)


def contribution_columns(width: int) -> list[Column]:
    must = [Column("id", "id", 6), Column("state", "state", 9), Column("age", "age", 5)]
    # a rejection's reason before who sent it: at 80 columns the reason stays
    optional = [
        Column("rows", "rows", 7),
        Column("settled", "in", 6),
        Column("reason", "reason", 13),
        Column("contributor", "contributor", 12),
        Column("block", "block", 8),
    ]
    return _fit(must, optional, width)


def _fit(must: list[Column], optional: list[Column], width: int) -> list[Column]:
    # DataTable pads each cell by one on both sides
    used = sum(c.width + 2 for c in must)
    chosen = list(must)
    for column in optional:
        if used + column.width + 2 <= width:
            chosen.append(column)
            used += column.width + 2
    return chosen


def version_cell(column: Column, version: Version, head: int | None) -> str:
    key = column.key
    if key == "version":
        return f"v{version.id}" + ("*" if version.id == head else "")
    if key.startswith("metric:"):
        wanted = key.split(":", 1)[1]
        for metric in version.metrics:
            if metric.key == wanted:
                return f"{metric.as_float:.4f}"
        return "-"
    if key == "status":
        return STATUS_SHORT.get(version.status.value, version.status.value)
    if key == "parent":
        return "-" if version.parent is None else f"v{version.parent}"
    if key == "accepted":
        return str(len(version.contributions))
    if key == "verified":
        return f"{version.matches}/{version.mismatches}"
    if key == "block":
        return f"#{version.created_at}"
    if key == "trainer":
        return short_address(version.trainer)
    return ""


def contribution_cell(column: Column, contribution: Contribution, age_s: float | None) -> str:
    key = column.key
    if key == "id":
        return f"#{contribution.id}"
    if key == "state":
        return STATE_SHORT.get(contribution.status.state, contribution.status.state.value)
    if key == "age":
        return age(age_s) if contribution.status.state is ContributionState.PENDING else "-"
    if key == "rows":
        return str(contribution.rows)
    if key == "settled":
        return "-" if contribution.settled_in is None else f"v{contribution.settled_in}"
    if key == "contributor":
        return short_address(contribution.contributor)
    if key == "reason":
        reason = contribution.status.reason
        return "-" if reason is None else reason.value
    if key == "block":
        return f"#{contribution.submitted_at}"
    return ""


def role_row(address: str, roles: RoleSet) -> tuple[str, str]:
    return short_address(address, 8), ",".join(n.lower() for n in roles.names()) or "-"


def event_line(block: int, event: ChainEvent, seen: float | None = None) -> str:
    """One feed line, e.g. ``#41 m3 VersionPublished v5 (+2 -1)``."""
    attrs = event.attributes if isinstance(event.attributes, dict) else {}
    model = attrs.get("model")
    parts = [f"#{block}"]
    if seen is not None:
        parts.append(time.strftime("%H:%M:%S", time.localtime(seen)))
    if model is not None:
        parts.append(f"m{model}")
    parts.append(event.name)
    for key in ("version", "contribution", "to", "from", "who", "reason", "rows"):
        value = attrs.get(key)
        if value is None:
            continue
        if key == "version" or key in ("to", "from"):
            text = f"{key}=v{value}" if key != "version" else f"v{value}"
        elif key == "contribution":
            text = f"#{value}"
        elif key == "who":
            text = short_address(str(value))
        else:
            text = f"{key}={value}"
        parts.append(text)
    return " ".join(parts)
