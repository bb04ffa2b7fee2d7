"""JSON records and Parquet as the CSV cells every check reads. No network needed."""

from __future__ import annotations

import datetime
import decimal
import io
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cmu_client.errors import DataError
from cmu_client.tables import cell_text, is_parquet, read_table, records_to_csv


def test_cells_as_a_person_would_type_them() -> None:
    assert [cell_text(v) for v in (None, math.nan, 1.5, 3, True, "a ", [1])] == [
        "",
        "",
        "1.5",
        "3",
        "true",
        "a ",
        "[1]",
    ]
    assert cell_text(datetime.date(2020, 1, 2)) == "2020-01-02"
    assert cell_text(decimal.Decimal("1.50")) == "1.50"


def test_records_columns_in_first_seen_order_and_gaps_missing() -> None:
    raw = records_to_csv([{"a": 1, "b": "x"}, {"b": None, "c": 2.5}])
    assert raw == b"a,b,c\n1,x,\n,,2.5\n"
    assert records_to_csv({"records": [{"a": 1}]}) == b"a\n1\n"
    with pytest.raises(DataError, match="not a list of records"):
        records_to_csv({"a": 1})
    with pytest.raises(DataError, match="row 2: not a JSON object"):
        records_to_csv([{"a": 1}, 5])


def test_parquet_types_read_as_text() -> None:
    table = pa.table(
        {
            "when": [datetime.date(2020, 1, 2), None],
            "price": [decimal.Decimal("1.50"), decimal.Decimal("2")],
            "flag": [True, False],
            "kind": pa.array(["a ", "b"]).dictionary_encode(),
            "n": pa.array([1, None], type=pa.int64()),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    assert is_parquet(sink.getvalue())
    header, rows = read_table(sink.getvalue())
    assert header == ["when", "price", "flag", "kind", "n"]
    assert rows == [["2020-01-02", "1.50", "true", "a ", "1"], ["", "2.00", "false", "b", ""]]
    with pytest.raises(DataError, match="not a readable Parquet file"):
        read_table(b"PAR1 this is not parquet PAR1")


def test_csv_tables_are_checked_for_shape() -> None:
    assert read_table(b"a, b\n1,2\n") == (["a", "b"], [["1", "2"]])
    with pytest.raises(DataError, match="row 1: 1 values"):
        read_table(b"a,b\n1\n")
    with pytest.raises(DataError, match="the file is empty"):
        read_table(b"")
