"""The short soak: contributions at volume from eight accounts while workers are killed,
Kubo and the chain are stopped and websockets are cut; then nothing may be lost.

Runs `scripts/soak.py --quick`, which starts a chain and Kubo of its own (free ports), so it
neither disturbs nor depends on the network the other tests use. The checks are made by
the soak from chain state alone; this test asserts that they ran and held.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_quick_soak_loses_nothing(tmp_path: Path) -> None:
    report_path = tmp_path / "soak.json"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "soak.py"),
            "--quick",
            "--seed",
            "7",
            "--json",
            str(report_path),
            "--workdir",
            str(tmp_path / "soak"),
        ],
        capture_output=True,
        text=True,
        timeout=1150,
        check=False,
    )
    assert report_path.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    checks = report["checks"]
    # Every check, by name, so a failure says which one.
    for name in (
        "drained",
        "settled_exactly_once",
        "no_contribution_deposit_held",
        "owner_gained_exactly_the_slashed_deposits",
        "balances_sum_to_issuance",
        "others_lost_exactly_slashes_plus_fees",
        "every_version_verifies",
    ):
        assert checks[name] is True, (name, checks)
    assert result.returncode == 0, result.stdout[-3000:]
    volume = report["volume"]
    assert volume["accounts"] >= 8
    assert volume["contributions_on_chain"] >= 40
    assert volume["versions"] > volume["models"]  # workers published beyond version 0
    states = volume["by_state"]
    assert states.get("ACCEPTED", 0) > 0 and states.get("REJECTED", 0) > 0
    # Each kind of fault really happened during the load.
    for kind, figures in report["faults"].items():
        assert figures["injected"] >= 1, kind
    # Slashes happened and were paid to the owner, to the unit.
    figures = checks["figures"]
    assert figures["rejected_deposits"] > 0
    assert figures["owner_gain"] == figures["rejected_deposits"]
