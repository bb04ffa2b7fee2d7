"""The CSV reader as it was before pyarrow (cmu_client/dataset.py at 26d320f), kept as the
reference the new readers are compared with (tests/test_dataset_equivalence.py): same
arrays, same problems, same messages. Not used by the library."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from cmu_client.dataset import Dataset
from cmu_client.errors import DataError, Problem
from cmu_client.spec import MISSING_TOKENS, Feature, FeatureType, ModelSpec, Task, normalise_cell

_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
MAX_PROBLEMS = 50

FloatArray = npt.NDArray[np.float64]


class _Problems:
    def __init__(self, cap: int) -> None:
        self.items: list[Problem] = []
        self.more = 0
        self.cap = cap

    def add(
        self, row: int | None, column: str | None, problem: str, expected: str | None = None
    ) -> None:
        if len(self.items) < self.cap:
            self.items.append(Problem(row, column, problem, expected))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)


def _short_list(values: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


#: Leading bytes of files that are often given instead of a CSV, and what they are.
_NOT_CSV = (
    (b"PK\x03\x04", "a ZIP archive (or an .xlsx/.ods spreadsheet)", "unzip it or export CSV"),
    (b"PK\x05\x06", "an empty ZIP archive", "give the CSV itself"),
    (b"\x1f\x8b", "a gzip file", "decompress it first (gunzip)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document", "export it as CSV"),
    (b"%PDF", "a PDF document", "export the table as CSV"),
    (b"\x80\x04\x95", "a Python pickle", "write the data as CSV"),
    (b"\xff\xfe", "UTF-16 text", "save it as UTF-8"),
    (b"\xfe\xff", "UTF-16 text", "save it as UTF-8"),
)


def _decode(data: bytes, problems: _Problems) -> str | None:
    for magic, what, todo in _NOT_CSV:
        if data.startswith(magic):
            problems.add(None, None, f"this is {what}, not a CSV file", f"a UTF-8 CSV file: {todo}")
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            None,
            None,
            f"not UTF-8 text (bad byte at offset {exc.start})",
            "a UTF-8 encoded CSV file",
        )
        return None


def load_csv(
    data: bytes,
    spec: ModelSpec,
    *,
    require_label: bool = True,
    allow_extra_columns: bool = False,
    subject: str = "data",
    max_problems: int = MAX_PROBLEMS,
) -> Dataset:
    """Check ``data`` against ``spec`` and return its arrays.

    Raises :class:`DataError` listing up to ``max_problems`` problems (and a count of
    the rest) when anything is wrong; nothing partial is returned.
    """
    problems = _Problems(max_problems)
    text = _decode(data, problems)
    if text is None:
        raise DataError(subject, problems.items, "save the file as UTF-8 CSV")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(
            subject,
            [Problem(None, None, "the file is empty", "a header row and at least one data row")],
            "give a CSV file with a header row naming the columns",
        ) from None
    except csv.Error as exc:
        raise DataError(
            subject,
            [Problem(0, None, f"malformed CSV: {exc}")],
            "fix the header row: comma separated, quotes closed",
        ) from None

    columns = [normalise_cell(h) for h in header]
    index = _check_header(columns, spec, require_label, allow_extra_columns, problems)
    if problems:
        raise DataError(subject, problems.items, _header_hint(spec, require_label), problems.more)

    feature_cols = [index[f.name] for f in spec.features]
    label_col = index.get(spec.label)
    rows_x: list[list[float]] = []
    rows_y: list[float] = []
    row_no = 0
    try:
        for fields in reader:
            row_no += 1
            if len(fields) != len(columns):
                what = "an empty line" if not fields else f"{len(fields)} values"
                problems.add(row_no, None, what, f"{len(columns)} values, as in the header")
                continue
            x = [
                _cell(normalise_cell(fields[col]), feat, row_no, problems)
                for feat, col in zip(spec.features, feature_cols, strict=True)
            ]
            rows_x.append(x)
            if label_col is not None:
                rows_y.append(_label(normalise_cell(fields[label_col]), spec, row_no, problems))
    except csv.Error as exc:
        problems.add(row_no + 1, None, f"malformed CSV: {exc}", "properly quoted fields")
    if row_no == 0 and not problems:
        problems.add(None, None, "no data rows", "at least one row after the header")
    if problems:
        raise DataError(
            subject,
            problems.items,
            "fix the listed cells; missing feature values may be left empty",
            problems.more,
        )

    features = np.asarray(rows_x, dtype=np.float64).reshape(len(rows_x), len(spec.features))
    labels = np.asarray(rows_y, dtype=np.float64) if label_col is not None else None
    return Dataset(tuple(spec.feature_names), features, labels)


def _check_header(
    columns: list[str],
    spec: ModelSpec,
    require_label: bool,
    allow_extra: bool,
    problems: _Problems,
) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(columns):
        if name in index:
            problems.add(0, name, "duplicate column")
        index.setdefault(name, i)
    wanted = [*spec.feature_names, spec.label]
    for name in spec.feature_names:
        if name not in index:
            problems.add(0, name, "missing column", "every feature of the spec as a column")
    if require_label and spec.label not in index:
        problems.add(0, spec.label, "missing label column")
    if not allow_extra:
        for name in columns:
            if name not in wanted:
                problems.add(0, name, "column not in the spec", _short_list(wanted))
    return index


def _header_hint(spec: ModelSpec, require_label: bool) -> str:
    cols = [*spec.feature_names] + ([spec.label] if require_label else [])
    return "the header must name exactly these columns (any order): " + ", ".join(cols)


def _cell(text: str, feature: Feature, row: int, problems: _Problems) -> float:
    if text in MISSING_TOKENS:
        if not feature.allow_missing:
            problems.add(
                row,
                feature.name,
                "missing value",
                "a value (this feature does not allow missing values)",
            )
        return math.nan
    if feature.type is FeatureType.CATEGORICAL:
        try:
            return float(feature.categories.index(text))
        except ValueError:
            problems.add(
                row,
                feature.name,
                f"unknown category {_shown(text)}",
                "one of " + _short_list(feature.categories),
            )
            return math.nan
    if feature.type is FeatureType.INTEGER:
        value = _whole(text)
        if value is None:
            problems.add(row, feature.name, f"{_shown(text)} is not a whole number", "an integer")
            return math.nan
        if not math.isfinite(value):
            problems.add(row, feature.name, f"{_shown(text)} is out of range", "a finite number")
            return math.nan
    else:
        if not _NUMBER_RE.match(text):
            problems.add(
                row,
                feature.name,
                f"{_shown(text)} is not a number",
                "a decimal number such as 1.5 or -2e3, or an empty cell if missing",
            )
            return math.nan
        value = float(text)
        if not math.isfinite(value):
            problems.add(row, feature.name, f"{_shown(text)} is out of range", "a finite number")
            return math.nan
    if feature.min is not None and value < feature.min:
        problems.add(
            row,
            feature.name,
            f"{_shown(text, quote=False)} is below the minimum",
            f">= {feature.min:g}",
        )
    if feature.max is not None and value > feature.max:
        problems.add(
            row,
            feature.name,
            f"{_shown(text, quote=False)} is above the maximum",
            f"<= {feature.max:g}",
        )
    return value


def _label(text: str, spec: ModelSpec, row: int, problems: _Problems) -> float:
    if text in MISSING_TOKENS:
        problems.add(
            row,
            spec.label,
            "missing label",
            "a label on every row (LightGBM cannot train on unlabeled rows)",
        )
        return math.nan
    if spec.task is Task.REGRESSION:
        if not _NUMBER_RE.match(text) or not math.isfinite(float(text)):
            problems.add(row, spec.label, f"{_shown(text)} is not a number", "a finite number")
            return math.nan
        return float(text)
    if spec.classes:
        if text in spec.classes:
            return float(spec.classes.index(text))
        index = _whole(text)
        if index is not None and 0 <= index < len(spec.classes):
            return float(index)
        problems.add(
            row,
            spec.label,
            f"unknown class {_shown(text)}",
            "one of " + _short_list(spec.classes) + " or its index",
        )
        return math.nan
    count = spec.class_count
    index = _whole(text)
    if index is None or not 0 <= index < count:
        problems.add(
            row,
            spec.label,
            f"{_shown(text)} is not a class index",
            f"an integer from 0 to {count - 1}",
        )
        return math.nan
    return float(index)


def _whole(text: str) -> float | None:
    """The value of a whole-number cell (inf when it is too large for a float), or None."""
    if not _INTEGER_RE.match(text):
        return None
    if len(text.lstrip("+-").lstrip("0")) > 308:  # beyond float range (and int()'s digit limit)
        return -math.inf if text.startswith("-") else math.inf
    return float(int(text))


def _shown(text: str, limit: int = 40, quote: bool = True) -> str:
    """A cell as quoted in a problem, cut short (a cell may be a whole file's worth)."""
    show = repr if quote else str
    return show(text) if len(text) <= limit else show(text[:limit]) + f"... ({len(text)} chars)"


def parquet_to_csv(raw: bytes) -> bytes:
    """A Parquet file as the CSV text the old path read (cmu_client.tables before pyarrow
    read Parquet natively): every cell through ``cell_text``."""
    import pyarrow.parquet as pq

    from cmu_client.tables import cell_text, rows_to_csv

    table = pq.read_table(io.BytesIO(raw))
    columns = [
        [cell_text(v) for v in table.column(i).to_pylist()] for i in range(table.num_columns)
    ]
    return rows_to_csv(list(table.column_names), [list(r) for r in zip(*columns, strict=True)])
