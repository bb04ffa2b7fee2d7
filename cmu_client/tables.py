"""Tables that are not CSV files: JSON records and Parquet, as the CSV text every check
in :mod:`cmu_client.dataset` reads.

Turning another table format into CSV (rather than checking it separately) keeps one set
of rules and one set of messages: a bad cell in a JSON record or a Parquet file is
reported exactly as the same cell in a CSV would be (row from 1, column name, what was
expected). Cells are written as text the way a person would type them: ``None`` and NaN
as an empty cell (missing), numbers in Python's shortest round-tripping form.

Parquet needs pyarrow (``pip install 'cmu[tables]'``), imported only when a Parquet file
is read.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cmu_client.errors import DataError, Problem, UsageError

#: The first (and last) four bytes of every Parquet file.
PARQUET_MAGIC = b"PAR1"


def is_parquet(raw: bytes) -> bool:
    return raw[:4] == PARQUET_MAGIC


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
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(
            "reading Parquet needs pyarrow, which is not installed",
            "pip install 'cmu[tables]', or send CSV",
        ) from None
    try:
        table = pq.read_table(io.BytesIO(raw))
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            subject,
            [Problem(None, None, f"not a readable Parquet file ({exc})")],
            "write the table with a Parquet writer, or send CSV",
        ) from None
    columns = [_column_text(table.column(i).to_pylist()) for i in range(table.num_columns)]
    return list(table.column_names), [list(row) for row in zip(*columns, strict=True)]


def _column_text(values: list[Any]) -> list[str]:
    return [cell_text(v) for v in values]


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
