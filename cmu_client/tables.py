"""Tables as text: JSON records and Parquet cells written the way a person would type them,
and CSV or Parquet files read as a header and rows of text (for ``cmu spec init``).

:func:`cmu_client.dataset.load_table` reads Parquet natively (pyarrow, numbers as
numbers); where it needs a non-numeric value as text it uses :func:`cell_text`, so a cell
of a JSON record, a Parquet file or a CSV is judged by the same rule and reported with the
same message (row from 1, column name, what was expected). ``None`` and NaN are an empty
cell (missing), numbers are in Python's shortest round-tripping form.

pyarrow is a core dependency; it is imported when a Parquet file is read, not with this
module (it takes a tenth of a second to import).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cmu_client.dataset import PARQUET_MAGIC, is_parquet
from cmu_client.errors import DataError, Problem

__all__ = [
    "PARQUET_MAGIC",
    "cell_text",
    "is_parquet",
    "parquet_to_csv",
    "read_csv_table",
    "read_parquet",
    "read_table",
    "records_to_csv",
    "rows_to_csv",
]


def cell_text(value: Any) -> str:
    """A JSON or Parquet value as a CSV cell (missing values as an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str)  # reported as a bad cell
    return str(value)  # dates, times, decimals as their usual text


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def records_to_csv(records: Any, subject: str = "request") -> bytes:
    """JSON records (a list of objects, or ``{"records": [...]}``) as CSV.

    Columns are the keys in the order they first appear; a key a record lacks is a
    missing cell in that row.
    """
    if isinstance(records, Mapping) and "records" in records:
        records = records["records"]
    if not isinstance(records, list):
        raise DataError(
            subject,
            [
                Problem(
                    None,
                    None,
                    "not a list of records",
                    'a JSON array of objects, or {"records": [...]}',
                )
            ],
            'send [{"column": value, ...}, ...]',
        )
    header: dict[str, None] = {}
    problems: list[Problem] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            problems.append(
                Problem(
                    number, None, "not a JSON object", "an object mapping column names to values"
                )
            )
            continue
        header.update(dict.fromkeys(str(k) for k in record))
    if problems:
        raise DataError(
            subject,
            problems[:50],
            'each record is {"column": value, ...}',
            max(0, len(problems) - 50),
        )
    names = list(header)
    return rows_to_csv(names, ([cell_text(r.get(n)) for n in names] for r in records))


def read_parquet(raw: bytes, subject: str = "data") -> tuple[list[str], list[list[str]]]:
    """A Parquet file's column names and its cells as text, row by row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(raw))
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            subject,
            [Problem(None, None, f"not a readable Parquet file ({exc})")],
            "write the table with a Parquet writer, or send CSV",
        ) from None
    columns = [_column_text(table.column(i)) for i in range(table.num_columns)]
    return list(table.column_names), [list(row) for row in zip(*columns, strict=True)]


def _column_text(column: Any) -> list[str]:
    """A column's cells as :func:`cell_text` writes them (text columns without a call per
    cell)."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type) and pa.types.is_string(column.type.value_type):
        column = column.cast(pa.string())
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return [v if v is not None else "" for v in column.to_pylist()]
    return [cell_text(v) for v in column.to_pylist()]


def parquet_to_csv(raw: bytes, subject: str = "data") -> bytes:
    header, rows = read_parquet(raw, subject)
    return rows_to_csv(header, rows)


def read_csv_table(raw: bytes, subject: str = "data") -> tuple[list[str], list[list[str]]]:
    """A CSV file's header (names stripped) and its rows, cells as written."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            subject,
            [
                Problem(
                    None,
                    None,
                    f"not UTF-8 text (bad byte at offset {exc.start})",
                    "a UTF-8 encoded CSV file",
                )
            ],
            "save the file as UTF-8 CSV",
        ) from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = [h.strip() for h in next(reader, [])]
        rows = [fields for fields in reader if fields]
    except csv.Error as exc:
        raise DataError(
            subject,
            [Problem(None, None, f"malformed CSV: {exc}")],
            "fix the file: comma separated, quotes closed",
        ) from None
    if not header:
        raise DataError(
            subject,
            [Problem(None, None, "the file is empty", "a header row and at least one data row")],
            "give a CSV file with a header row naming the columns",
        )
    for number, fields in enumerate(rows, start=1):
        if len(fields) != len(header):
            raise DataError(
                subject,
                [
                    Problem(
                        number,
                        None,
                        f"{len(fields)} values",
                        f"{len(header)} values, as in the header",
                    )
                ],
                "every row needs one value per column",
            )
    return header, rows


def read_table(raw: bytes, subject: str = "data") -> tuple[list[str], list[list[str]]]:
    """A CSV or Parquet file (told apart by Parquet's magic bytes) as header and rows."""
    if is_parquet(raw):
        return read_parquet(raw, subject)
    return read_csv_table(raw, subject)
