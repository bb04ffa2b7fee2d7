"""Parquet files given to `cmu contribute` and `cmu predict` (live chain and Kubo for the
last two tests): read natively, checked with the CSV's messages, stored and hashed as
the bytes of the file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from fixtures_client import (
    Accounts,
    ModelFactory,
    csv_rows,
    publish,
    rows,
    run_cli,
    sha,
    spec_document,
    to_csv,
)

from cmu_client.chain import CmuChain
from cmu_client.ipfs import StoredObject
from cmu_client.types import RoleSet


def parquet_of(raw_csv: bytes, **types: pa.DataType) -> bytes:
    """A CSV's table as Parquet (columns typed by pyarrow, or as given)."""
    table = pcsv.read_csv(
        io.BytesIO(raw_csv), convert_options=pcsv.ConvertOptions(column_types=types)
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_validate_a_parquet_file_offline(client_env: Accounts, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_document()))
    good = tmp_path / "good.parquet"
    good.write_bytes(parquet_of(csv_rows(80, seed=3)))
    ok = run_cli("contribute", "validate", str(good), "--spec", str(spec), "--json")
    assert ok.code == 0, ok.err
    assert ok.json()["rows"] == 80
    bad_csv = b"age,income,region,score,bought\n30,1000,east,0.5,yes\n41,lots,mars,0.2,no\n"
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(parquet_of(bad_csv, income=pa.string()))
    refused = run_cli("contribute", "validate", str(bad), "--spec", str(spec))
    assert refused.code == 3
    assert "row 2, column 'income': 'lots' is not a number" in refused.err
    assert "row 2, column 'region': unknown category 'mars'" in refused.err
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[:200])
    broken = run_cli("contribute", "validate", str(cut), "--spec", str(spec))
    assert broken.code == 3 and "not a readable Parquet file" in broken.err


def test_register_a_parquet_contribution(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    tmp_path: Path,
) -> None:
    model = client_new_model().id
    raw = parquet_of(csv_rows(50, seed=8))
    path = tmp_path / "rows.parquet"
    path.write_bytes(raw)
    done = run_cli(
        "contribute",
        "register",
        str(model),
        str(path),
        "--key",
        client_env.uri("contributor"),
        "--json",
    )
    assert done.code == 0, done.err
    record = client_chain.contribution(model, done.json()["contribution"])
    assert record.rows == 50
    assert record.data_hash == sha(raw)  # the hash of the file as stored


def test_predict_a_parquet_file_like_the_same_csv(
    client_env: Accounts,
    client_chain: CmuChain,
    client_new_model: ModelFactory,
    client_artifacts: list[StoredObject],
    tmp_path: Path,
) -> None:
    created = client_new_model()
    a = client_env
    client_chain.grant_role(a.owner, created.id, a.trainer.ss58_address, RoleSet.TRAINER)
    publish(client_chain, a.trainer, created.id, None, client_artifacts[0])
    table = [r[:4] for r in rows(30, seed=12)]
    table[0].insert(0, "customer")
    for i, r in enumerate(table[1:]):
        r.insert(0, f"c{i}")
    as_csv, as_parquet = tmp_path / "c.csv", tmp_path / "c.parquet"
    as_csv.write_bytes(to_csv(table))
    as_parquet.write_bytes(parquet_of(to_csv(table)))
    by_csv = run_cli("predict", str(created.id), str(as_csv))
    by_parquet = run_cli("predict", str(created.id), str(as_parquet))
    assert by_csv.code == 0 and by_parquet.code == 0, by_parquet.err
    got_csv = list(csv.DictReader(io.StringIO(by_csv.out)))
    got_parquet = list(csv.DictReader(io.StringIO(by_parquet.out)))
    assert len(got_parquet) == 30 and got_parquet[0]["customer"] == "c0"
    assert [r["p_yes"] for r in got_parquet] == [r["p_yes"] for r in got_csv]
