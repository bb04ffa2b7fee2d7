"""Bad CSV given to ``cmu contribute register``: refused with one message, nothing changed.

Every case runs the real CLI against the live chain and Kubo with a funded contributor
and asserts: exit code 3 (validation), exactly one ``error:`` line (the problem list is
indented under it) naming what is wrong, a ``hint:`` saying what to do, and no change
anywhere: Cmu/Nfts storage, the contributor's free, reserved and held balance, the Kubo
pin set and the file itself.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fixtures_client import (
    Accounts,
    csv_rows,
    ipfs_put,
    make_spec,
    run_cli,
    spec_document,
)
from fixtures_state import assert_unchanged, file_state, one_message, snapshot

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.dataset import load_csv
from cmu_client.ipfs import StoredObject
from cmu_client.spec import ContentRef

HEADER = "age,income,region,score,bought\n"
GOOD = "30,1000,east,0.5,yes\n41,2000,north,0.2,no\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", HEADER + GOOD)
    return buffer.getvalue()


#: kind -> (file bytes, text the error must contain)
CASES: dict[str, tuple[bytes, str]] = {
    "malformed quoting (quote inside a field)": (
        (HEADER + GOOD + '52,"30"00,east,0.3,no\n').encode(),
        "row 3: malformed CSV",
    ),
    "malformed quoting (unclosed quote)": (
        (HEADER + GOOD + '52,"3000,east,0.3,no\n').encode(),
        "malformed CSV",
    ),
    "ragged row (too few values)": (
        (HEADER + GOOD + "52,3000,east,0.3\n").encode(),
        "row 3: 4 values (expected 5 values, as in the header)",
    ),
    "ragged row (too many values)": (
        (HEADER + "30,1000,east,0.5,yes,extra\n").encode(),
        "row 1: 6 values",
    ),
    "wrong column name": (
        ("age,salary,region,score,bought\n" + GOOD).encode(),
        "column 'income': missing column",
    ),
    "extra column": (
        (b"age,income,region,score,bought,notes\n30,1000,east,0.5,yes,hi\n"),
        "column 'notes': column not in the spec",
    ),
    "missing feature column": (
        (b"age,income,score,bought\n30,1000,0.5,yes\n"),
        "column 'region': missing column",
    ),
    "missing label column": (
        (b"age,income,region,score\n30,1000,east,0.5\n"),
        "column 'bought': missing label column",
    ),
    "duplicate column": (
        (b"age,income,region,score,bought,age\n30,1000,east,0.5,yes,31\n"),
        "column 'age': duplicate column",
    ),
    "wrong type (text in a numeric column)": (
        (HEADER + "30,lots,east,0.5,yes\n").encode(),
        "row 1, column 'income': 'lots' is not a number",
    ),
    "wrong type (fraction in an integer column)": (
        (HEADER + "30.5,1000,east,0.5,yes\n").encode(),
        "row 1, column 'age': '30.5' is not a whole number",
    ),
    "unknown category": (
        (HEADER + "30,1000,atlantis,0.5,yes\n").encode(),
        "row 1, column 'region': unknown category 'atlantis'",
    ),
    "unknown class label": (
        (HEADER + "30,1000,east,0.5,maybe\n").encode(),
        "row 1, column 'bought': unknown class 'maybe'",
    ),
    "NaN label": (
        (HEADER + "30,1000,east,0.5,NaN\n").encode(),
        "row 1, column 'bought': missing label",
    ),
    "infinite feature (inf)": (
        (HEADER + "30,inf,east,0.5,yes\n").encode(),
        "row 1, column 'income': 'inf' is not a number",
    ),
    "infinite feature (1e999 overflows)": (
        (HEADER + "30,1e999,east,0.5,yes\n").encode(),
        "row 1, column 'income': '1e999' is out of range",
    ),
    "NaN where the feature does not allow missing values": (
        (HEADER + "30,1000,east,NaN,yes\n").encode(),
        "row 1, column 'score': missing value",
    ),
    "value out of the spec's bounds": (
        (HEADER + "200,1000,east,0.5,yes\n").encode(),
        "row 1, column 'age': 200 is above the maximum",
    ),
    "integer of 5,000 digits": (
        (HEADER + "9" * 5_000 + ",1000,east,0.5,yes\n").encode(),
        "row 1, column 'age'",
    ),
    "header only": (HEADER.encode(), "no data rows"),
    "empty file": (b"", "the file is empty"),
    "non-UTF-8 bytes (Latin-1)": (
        (HEADER + "30,1000,east,0.5,yes\n").encode() + "31,1,nörth,0.5,no\n".encode("latin-1"),
        "not UTF-8 text (bad byte at offset",
    ),
    "UTF-16 with a BOM": ((HEADER + GOOD).encode("utf-16"), "this is UTF-16 text, not a CSV"),
    "a ZIP archive named .csv": (_zip(), "this is a ZIP archive"),
    "a gzip file named .csv": (gzip.compress((HEADER + GOOD).encode()), "this is a gzip file"),
    "NUL byte in a cell": (
        (HEADER + "30,1000,east,0.5,yes\n31,10\x0000,east,0.5,no\n").encode(),
        "row 2, column 'income': '10\\x0000' is not a number",
    ),
    "blank line between rows": (
        (HEADER + "30,1000,east,0.5,yes\n\n" + GOOD).encode(),
        "row 2: an empty line",
    ),
}


@pytest.fixture(scope="module")
def csv_model(
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    client_accounts: Accounts,
    client_validation: tuple[bytes, StoredObject],
) -> int:
    _, validation = client_validation
    spec = make_spec(ContentRef(validation.cid, validation.sha256))
    stored = ipfs_put(client_ipfs, spec.to_bytes())
    model, _ = client_chain.create_model(client_accounts.owner, stored.cid, stored.sha256)
    return model


Refuse = Callable[[Path, str], None]


@pytest.fixture
def refused_cleanly(
    client_chain: CmuChain, client_ipfs: IpfsSettings, client_accounts: Accounts, csv_model: int
) -> Refuse:
    def check(path: Path, expected: str) -> None:
        watched = [client_accounts.contributor.ss58_address, client_accounts.owner.ss58_address]
        before = snapshot(client_chain, client_ipfs, watched, [path])
        result = run_cli(
            "contribute",
            "register",
            str(csv_model),
            str(path),
            "--key",
            client_accounts.uri("contributor"),
        )
        assert result.code == 3, (result.code, result.err)
        (line,) = one_message(result.err)
        assert expected in result.err, result.err
        assert str(path) in line, "the message names the file"
        assert result.out == ""
        assert_unchanged(before, snapshot(client_chain, client_ipfs, watched, [path]))

    return check


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_csv_is_refused_and_changes_nothing(
    kind: str, tmp_path: Path, refused_cleanly: Refuse
) -> None:
    raw, expected = CASES[kind]
    path = tmp_path / "contribution.csv"
    path.write_bytes(raw)
    refused_cleanly(path, expected)


def test_a_2_gib_file_is_refused_before_it_is_read(tmp_path: Path, refused_cleanly: Refuse) -> None:
    """A sparse 2 GiB file: over the default 256 MiB limit ($CMU_IPFS_MAX_BYTES), refused
    from its size alone (reading it would take 2 GiB of memory and minutes of parsing)."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write((HEADER + GOOD).encode())
        handle.truncate(2 * 1024**3)
    assert path.stat().st_blocks * 512 < 1024**2, "the test file is sparse"
    refused_cleanly(path, f"the file is {2 * 1024**3} bytes (expected at most 268435456 bytes)")


def test_the_size_limit_follows_the_configured_maximum(
    tmp_path: Path, refused_cleanly: Refuse, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "small.csv"
    path.write_bytes(csv_rows(50, seed=5))
    monkeypatch.setenv("CMU_IPFS_MAX_BYTES", "1000")
    refused_cleanly(path, "(expected at most 1000 bytes)")


def test_a_bom_is_accepted_and_ignored(
    tmp_path: Path, client_chain: CmuChain, client_accounts: Accounts, csv_model: int
) -> None:
    """The one 'odd' input that is legal: a UTF-8 byte order mark (Excel writes one)."""
    raw = csv_rows(20, seed=os.getpid())
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + raw)
    spec = make_spec()
    assert np.array_equal(
        load_csv(path.read_bytes(), spec).features, load_csv(raw, spec).features, equal_nan=True
    )
    result = run_cli(
        "contribute",
        "register",
        str(csv_model),
        str(path),
        "--key",
        client_accounts.uri("contributor"),
        "--json",
    )
    assert result.code == 0, result.err
    record = client_chain.contribution(csv_model, result.json()["contribution"])
    assert record.rows == 20


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("inf", "'inf' is not a number"),
        ("1e999", "'1e999' is not a number"),
        ("NaN", "missing label"),
        ("", "missing label"),
    ],
)
def test_regression_label_that_is_not_a_finite_number(
    label: str, expected: str, tmp_path: Path
) -> None:
    """Regression labels are numbers: NaN and infinities are refused (offline check with a
    local spec; nothing to change)."""
    doc = spec_document(task="regression", classes=None, acceptance={"metric": "rmse"})
    spec, data = tmp_path / "spec.json", tmp_path / "data.csv"
    spec.write_text(json.dumps(doc))
    data.write_text(HEADER + f"30,1000,east,0.5,{label}\n")
    before = file_state(data)
    result = run_cli("contribute", "validate", str(data), "--spec", str(spec))
    assert result.code == 3, result.err
    one_message(result.err)
    assert f"row 1, column 'bought': {expected}" in result.err
    assert file_state(data) == before
