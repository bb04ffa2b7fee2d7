"""Services of a test's own: the project's service scripts run with a private environment.

Tests that stop, restart or upgrade a chain (or start another node) must not touch the
shared per-worker network; they start their own with these helpers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def run_script(script: str, env: dict[str, str], action: str, timeout: int = 300) -> str:
    """Runs ``scripts/<script> <action>`` with ``env``; fails the test with its output if it
    exits non-zero. Returns its stdout."""
    done = subprocess.run(
        ["bash", str(SCRIPTS / script), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"scripts/{script} {action}: {done.stderr}{done.stdout}"
    return done.stdout
