"""Contribution data: CSV or Parquet checked against a model spec and turned into
LightGBM-ready arrays.

Rules (docs/client.md has the full table):

- CSV: UTF-8 text, comma separated, a header row naming the columns; column order is free.
  Parquet: any file a Parquet writer made; its column names are the header.
- Every spec feature must be a column; contributions and validation sets also need the
  label column. Other columns are refused in training data and ignored for prediction.
- Numeric cells are decimal numbers (``1.5``, ``-2e3``); integer cells are whole numbers;
  categorical cells must be one of the spec's categories (encoded as their index).
- Missing feature values (an empty cell or one of ``NA``, ``N/A``, ``NaN``, ``nan``,
  ``null``, ``NULL``) are legal unless the feature sets ``"allow_missing": false``:
  LightGBM treats them as missing. A label may never be missing.

Every problem is reported with its data row (the first data row is row 1, the header is
row 0) and column, what is wrong and what was expected.

How the bytes are read (pyarrow; imported when data is loaded, not with this module):

- A CSV without quote characters, lone carriage returns, empty lines or very long lines
  (what data tools write) is read by ``pyarrow.csv`` with a type per column: float64 for
  numeric features and regression labels (the missing-value tokens read as nulls),
  dictionary-encoded text for integer and categorical features and class labels.
- Any other CSV is split into cells by Python's ``csv`` module (strict), in batches of
  rows, and its columns go to pyarrow as text; rows are counted exactly as before.
- Parquet is read by ``pyarrow.parquet``: integer and float columns as numbers, the others
  as text (values written the way :func:`cmu_client.tables.cell_text` writes them).

One set of cell rules, :func:`_check_cell` and :func:`_check_label`, decides every value
and every message. The vectorised checks (pyarrow.compute and numpy over whole columns,
or over a column's distinct values) only pick out the cells that are certainly fine;
every other cell goes through the per-cell rule, which gives its value or its problems.
So messages are computed only for the cells that fail, and the same file gives the same
arrays and the same messages whichever reader took it.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import math
import operator
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cmu_client.errors import DataError, Problem
from cmu_client.spec import MISSING_TOKENS, Feature, FeatureType, ModelSpec, Task, normalise_cell

_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
#: The same grammars for pyarrow (RE2, ASCII digits only; a cell they do not match goes
#: to the per-cell rule, whose ``\d`` also takes other scripts' digits). Integers of up
#: to 18 digits fit int64 exactly; longer ones go to the per-cell rule.
_ARROW_NUMBER_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_ARROW_INTEGER_RE = r"^-?[0-9]{1,18}$"
MAX_PROBLEMS = 50
#: Rows per batch when Python's csv module splits a file into cells.
_BATCH_ROWS = 65_536
#: A newline-free stretch this long sends a CSV to the exact reader (Python's csv module
#: refuses fields over 131,072 characters; pyarrow has no such limit).
_LINE_WINDOW = 65_536
_CELL_HINT = "fix the listed cells; missing feature values may be left empty"
#: The first (and last) four bytes of every Parquet file.
PARQUET_MAGIC = b"PAR1"
#: Whether pyarrow parses with its thread pool. Not on two cores or fewer: on the 2-core
#: build machine, shared with other jobs, one thread read the 100k-row benchmark CSV in
#: 75-81 ms against 93-108 ms with the pool (docs/benchmarks.md).
ARROW_THREADS = (os.cpu_count() or 1) > 2

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Dataset:
    """Rows ready for LightGBM: ``features`` is (rows, features) float64 with NaN for
    missing values and categories as their index; ``labels`` is float64 (class index for
    classification) or ``None`` when the CSV had no label column."""

    feature_names: tuple[str, ...]
    features: FloatArray
    labels: FloatArray | None

    @property
    def rows(self) -> int:
        return int(self.features.shape[0])

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return int(self.features.nbytes) + (0 if self.labels is None else int(self.labels.nbytes))

    @staticmethod
    def concat(parts: Sequence[Dataset]) -> Dataset:
        """Rows of several data sets of the same spec, in the given order."""
        if not parts:
            raise ValueError("nothing to concatenate")
        names = parts[0].feature_names
        if any(p.feature_names != names for p in parts):
            raise ValueError("data sets have different features")
        labels: FloatArray | None = None
        if all(p.labels is not None for p in parts):
            labels = np.concatenate([p.labels for p in parts if p.labels is not None])
        return Dataset(names, np.vstack([p.features for p in parts]), labels)


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


def is_parquet(data: bytes) -> bool:
    """Whether ``data`` starts like a Parquet file (a cut one is refused as unreadable)."""
    return data[:4] == PARQUET_MAGIC


def load_table(
    data: bytes,
    spec: ModelSpec,
    *,
    require_label: bool = True,
    allow_extra_columns: bool = False,
    subject: str = "data",
    max_problems: int = MAX_PROBLEMS,
) -> Dataset:
    """Check ``data`` (CSV, or Parquet told apart by its magic bytes) against ``spec`` and
    return its arrays.

    Raises :class:`DataError` listing up to ``max_problems`` problems (and a count of
    the rest) when anything is wrong; nothing partial is returned. CPU-bound: async
    callers use :func:`load_table_async` (or ``asyncio.to_thread``).
    """
    layout = _Layout(spec, require_label, allow_extra_columns, subject, max_problems)
    try:
        if is_parquet(data):
            return _load_parquet(data, layout)
        _check_text(data, subject)
        fast = _fast_csv(data, layout)
        return fast if fast is not None else _exact_csv(data, layout)
    finally:
        if len(data) >= _RELEASE_AFTER:
            _release_arrow_memory()


#: After reading this many bytes, pyarrow's allocator is asked to give freed pages back.
_RELEASE_AFTER = 8 << 20


def _release_arrow_memory() -> None:
    """pyarrow's allocator (mimalloc or jemalloc) keeps freed pages for reuse; after a
    large file they would stay in the process's memory while LightGBM trains."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


#: The name callers have always used; it reads Parquet too.
load_csv = load_table


async def load_table_async(
    data: bytes,
    spec: ModelSpec,
    *,
    require_label: bool = True,
    allow_extra_columns: bool = False,
    subject: str = "data",
    max_problems: int = MAX_PROBLEMS,
) -> Dataset:
    """:func:`load_table` in a worker thread, off the event loop (pyarrow and numpy
    release the GIL for most of the work)."""
    return await asyncio.to_thread(
        load_table,
        data,
        spec,
        require_label=require_label,
        allow_extra_columns=allow_extra_columns,
        subject=subject,
        max_problems=max_problems,
    )


# --- the per-cell rules ----------------------------------------------------------------

#: One problem of a cell: what is wrong, what was expected.
CellProblem = tuple[str, str | None]
#: A cell's value (NaN when missing or refused) and its problems (none: the value holds).
Checked = tuple[float, tuple[CellProblem, ...]]

_MISSING_VALUE: CellProblem = (
    "missing value",
    "a value (this feature does not allow missing values)",
)


def _check_cell(text: str, feature: Feature) -> Checked:
    """The value of a feature cell (already normalised), or its problems."""
    if text in MISSING_TOKENS:
        return math.nan, (() if feature.allow_missing else (_MISSING_VALUE,))
    if feature.type is FeatureType.CATEGORICAL:
        try:
            return float(feature.categories.index(text)), ()
        except ValueError:
            return math.nan, (
                (f"unknown category {_shown(text)}", "one of " + _short_list(feature.categories)),
            )
    if feature.type is FeatureType.INTEGER:
        value = _whole(text)
        if value is None:
            return math.nan, ((f"{_shown(text)} is not a whole number", "an integer"),)
        if not math.isfinite(value):
            return math.nan, ((f"{_shown(text)} is out of range", "a finite number"),)
    else:
        if not _NUMBER_RE.match(text):
            return math.nan, (
                (
                    f"{_shown(text)} is not a number",
                    "a decimal number such as 1.5 or -2e3, or an empty cell if missing",
                ),
            )
        value = float(text)
        if not math.isfinite(value):
            return math.nan, ((f"{_shown(text)} is out of range", "a finite number"),)
    problems: list[CellProblem] = []
    if feature.min is not None and value < feature.min:
        problems.append(
            (f"{_shown(text, quote=False)} is below the minimum", f">= {feature.min:g}")
        )
    if feature.max is not None and value > feature.max:
        problems.append(
            (f"{_shown(text, quote=False)} is above the maximum", f"<= {feature.max:g}")
        )
    return value, tuple(problems)


def _check_label(text: str, spec: ModelSpec) -> Checked:
    """The value of a label cell (already normalised), or its problems."""
    if text in MISSING_TOKENS:
        return math.nan, (
            ("missing label", "a label on every row (LightGBM cannot train on unlabeled rows)"),
        )
    if spec.task is Task.REGRESSION:
        if not _NUMBER_RE.match(text) or not math.isfinite(float(text)):
            return math.nan, ((f"{_shown(text)} is not a number", "a finite number"),)
        return float(text), ()
    if spec.classes:
        if text in spec.classes:
            return float(spec.classes.index(text)), ()
        index = _whole(text)
        if index is not None and 0 <= index < len(spec.classes):
            return float(index), ()
        return math.nan, (
            (
                f"unknown class {_shown(text)}",
                "one of " + _short_list(spec.classes) + " or its index",
            ),
        )
    count = spec.class_count
    index = _whole(text)
    if index is None or not 0 <= index < count:
        return math.nan, (
            (f"{_shown(text)} is not a class index", f"an integer from 0 to {count - 1}"),
        )
    return float(index), ()


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


# --- which columns are read, and how the results are put together ----------------------


@dataclass(frozen=True)
class _Target:
    """A column the spec needs: where it is in the file and how its cells are read."""

    column: int  # index among the file's columns
    position: int  # order of its problems within a row: features in spec order, the label last
    name: str
    feature: Feature | None  # None: the label
    spec: ModelSpec

    @property
    def kind(self) -> str:
        """``float`` (numeric feature, regression label), ``integer``, ``category``,
        ``class``."""
        if self.feature is None:
            return "float" if self.spec.task is Task.REGRESSION else "class"
        if self.feature.type is FeatureType.CATEGORICAL:
            return "category"
        return "integer" if self.feature.type is FeatureType.INTEGER else "float"

    def check(self, text: str) -> Checked:
        if self.feature is None:
            return _check_label(text, self.spec)
        return _check_cell(text, self.feature)


@dataclass
class _Column:
    """One column's values and the cells with problems (indices from 0, ascending)."""

    values: FloatArray
    bad: IndexArray
    problems_at: Callable[[int], tuple[CellProblem, ...]]
    count: int


class _Layout:
    """The spec's view of a file: its targets, and the arrays and problems they fill."""

    def __init__(
        self,
        spec: ModelSpec,
        require_label: bool,
        allow_extra: bool,
        subject: str,
        max_problems: int,
    ) -> None:
        self.spec = spec
        self.require_label = require_label
        self.allow_extra = allow_extra
        self.subject = subject
        self.max_problems = max_problems

    def targets(self, columns: list[str]) -> list[_Target]:
        """The columns to read, from the header (names normalised); header problems raise."""
        problems = _Problems(self.max_problems)
        index = _check_header(columns, self.spec, self.require_label, self.allow_extra, problems)
        if problems:
            raise DataError(
                self.subject,
                problems.items,
                _header_hint(self.spec, self.require_label),
                problems.more,
            )
        targets = [
            _Target(index[f.name], position, f.name, f, self.spec)
            for position, f in enumerate(self.spec.features)
        ]
        if self.spec.label in index:
            targets.append(
                _Target(
                    index[self.spec.label],
                    len(self.spec.features),
                    self.spec.label,
                    None,
                    self.spec,
                )
            )
        return targets

    def no_rows(self) -> DataError:
        return DataError(
            self.subject,
            [Problem(None, None, "no data rows", "at least one row after the header")],
            _CELL_HINT,
        )


class _Assembly:
    """Columns of one file put into the (rows, features) matrix and the label vector as
    they come, keeping only their problems."""

    def __init__(self, layout: _Layout, targets: list[_Target], rows: int) -> None:
        self.layout = layout
        self.rows = rows
        # C order: what LightGBM reads without a copy.
        self.features: FloatArray = np.empty((rows, len(layout.spec.features)), dtype=np.float64)
        has_label = any(t.feature is None for t in targets)
        self.labels: FloatArray | None = np.empty(rows, dtype=np.float64) if has_label else None
        self.found: list[tuple[_Target, _Column]] = []

    def put(self, target: _Target, column: _Column) -> None:
        if target.feature is None:
            assert self.labels is not None
            self.labels[:] = column.values
        else:
            self.features[:, target.position] = column.values
        if column.count:
            column.values = np.empty(0, dtype=np.float64)
            self.found.append((target, column))

    def finish(
        self, row_numbers: IndexArray | None = None, structural: Sequence[Problem] = ()
    ) -> Dataset:
        """The data set, or :class:`DataError` with the first problems in row order."""
        total = len(structural) + sum(column.count for _, column in self.found)
        if total:
            cap = self.layout.max_problems
            ranked: list[tuple[tuple[int, int, int], Problem]] = [
                ((p.row or 0, -1, 0), p) for p in structural
            ]
            for target, column in self.found:
                for i in column.bad[:cap].tolist():
                    row = i + 1 if row_numbers is None else int(row_numbers[i])
                    for k, (what, expected) in enumerate(column.problems_at(i)):
                        ranked.append(
                            ((row, target.position, k), Problem(row, target.name, what, expected))
                        )
            ranked.sort(key=operator.itemgetter(0))
            items = [p for _, p in ranked[:cap]]
            raise DataError(self.layout.subject, items, _CELL_HINT, total - len(items))
        return Dataset(tuple(self.layout.spec.feature_names), self.features, self.labels)


# --- column conversion -----------------------------------------------------------------


def _float_column(
    values: FloatArray,
    missing: BoolArray | None,
    target: _Target,
    texts: Callable[[IndexArray], list[str]],
    suspect_present: bool = False,
) -> _Column:
    """A column read as float64 (NaN where ``missing``): cells that are not certainly fine
    (not finite, missing where that is refused, out of bounds; every present one when
    ``suspect_present``) go through the per-cell rule with their text."""
    present: BoolArray = np.ones(values.shape, dtype=np.bool_) if missing is None else ~missing
    flag: BoolArray = present & ~np.isfinite(values)
    feature = target.feature
    if missing is not None and (feature is None or not feature.allow_missing):
        flag |= missing
    if feature is not None:
        if suspect_present:
            flag |= present
        if feature.min is not None:
            flag |= values < feature.min
        if feature.max is not None:
            flag |= values > feature.max
    flagged = np.flatnonzero(flag)
    found: dict[int, tuple[CellProblem, ...]] = {}
    if flagged.size:
        if not values.flags.writeable:
            values = values.copy()
        cache: dict[str, Checked] = {}
        for i, text in zip(flagged.tolist(), texts(flagged), strict=True):
            checked = cache.get(text)
            if checked is None:
                checked = cache[text] = target.check(normalise_cell(text))
            values[i] = checked[0]
            if checked[1]:
                found[i] = checked[1]
    bad = np.fromiter(found, dtype=np.intp, count=len(found))
    return _Column(values, bad, found.__getitem__, sum(len(p) for p in found.values()))


def _text_column(column: Any, target: _Target) -> _Column:
    """A column of text (or of any Arrow type, as :func:`cmu_client.tables.cell_text`
    writes its values): each distinct value is decided once, vectorised where it is
    certainly fine, by the per-cell rule otherwise, and rows take their value's result."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cmu_client.tables import cell_text

    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    column = column.unify_dictionaries()
    if column.num_chunks == 0:
        empty = np.empty(0, dtype=np.intp)
        return _Column(np.empty(0, dtype=np.float64), empty, lambda i: (), 0)
    dictionary = column.chunk(0).dictionary
    if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
        dictionary = pa.array([cell_text(v) for v in dictionary.to_pylist()], type=pa.string())
    distinct = len(dictionary)
    codes: IndexArray = np.concatenate(
        [
            np.asarray(
                (chunk.indices if chunk.null_count == 0 else chunk.indices.fill_null(distinct))
                .to_numpy(zero_copy_only=False)
                .astype(np.intp, copy=False)
            )
            for chunk in column.chunks
        ]
    )
    # One slot per distinct value, and one for nulls (an empty cell).
    values: FloatArray = np.full(distinct + 1, np.nan, dtype=np.float64)
    certain: BoolArray = np.zeros(distinct + 1, dtype=np.bool_)
    _precheck(dictionary, target, values, certain)
    problems: list[tuple[CellProblem, ...]] = [()] * (distinct + 1)
    todo = np.flatnonzero(~certain[:distinct])
    if todo.size:
        texts = dictionary.take(pa.array(todo)).to_pylist()
        for u, text in zip(todo.tolist(), texts, strict=True):
            values[u], problems[u] = target.check(normalise_cell(text))
    values[distinct], problems[distinct] = target.check("")
    counts = np.fromiter(map(len, problems), dtype=np.intp, count=distinct + 1)
    per_row = counts[codes]
    bad = np.flatnonzero(per_row)
    return _Column(values[codes], bad, lambda i: problems[codes[i]], int(per_row.sum()))


def _precheck(dictionary: Any, target: _Target, values: FloatArray, certain: BoolArray) -> None:
    """Mark the distinct values that are certainly fine, with their values (vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(dictionary)
    if n == 0:
        return
    kind = target.kind
    good: BoolArray
    if kind in ("float", "integer"):
        pattern = _ARROW_NUMBER_RE if kind == "float" else _ARROW_INTEGER_RE
        ok = pc.match_substring_regex(dictionary, pattern)
        numbers = pc.cast(
            pc.if_else(ok, dictionary, pa.scalar(None, dictionary.type)),
            pa.float64() if kind == "float" else pa.int64(),
        )
        found = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
        good = np.asarray(ok.fill_null(False).to_numpy(zero_copy_only=False)) & np.isfinite(found)
        feature = target.feature
        if feature is not None and feature.min is not None:
            good &= ~(found < feature.min)
        if feature is not None and feature.max is not None:
            good &= ~(found > feature.max)
    elif kind == "category" or target.spec.classes:
        names = target.feature.categories if target.feature is not None else target.spec.classes
        index = pc.index_in(dictionary, value_set=pa.array(names, type=dictionary.type))
        found = np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.float64)
        good = ~np.isnan(found)
    else:
        return  # class indexes without names: few distinct values, all by the rule
    values[:n][good] = found[good]
    certain[:n] = good
    if target.feature is not None and target.feature.allow_missing:
        missing = pc.is_in(dictionary, value_set=pa.array(sorted(MISSING_TOKENS), dictionary.type))
        absent = np.asarray(missing.to_numpy(zero_copy_only=False), dtype=np.bool_)
        values[:n][absent] = np.nan
        certain[:n] |= absent


# --- CSV ---------------------------------------------------------------------------------


def _check_text(data: bytes, subject: str) -> None:
    """Refuse files that are not UTF-8 text (other formats named), without decoding a copy."""
    for magic, what, todo in _NOT_CSV:
        if data.startswith(magic):
            raise DataError(
                subject,
                [
                    Problem(
                        None, None, f"this is {what}, not a CSV file", f"a UTF-8 CSV file: {todo}"
                    )
                ],
                "save the file as UTF-8 CSV",
            )
    if data.isascii():
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    step = 1 << 20
    try:
        for start in range(0, len(data), step):
            decoder.decode(view[start : start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:  # the offset as the whole-file decode gives it
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


def _plain_lines(data: bytes) -> int | None:
    """The number of lines of a CSV that pyarrow's reader without quoting splits exactly
    as Python's csv module does (no quote characters, line ends \\n or \\r\\n, no line
    long enough to hit the csv module's field limit), or None. Empty lines are found
    later, by comparing this count with the rows pyarrow read (it skips them)."""
    if b'"' in data:
        return None
    octets = np.frombuffer(data, dtype=np.uint8)
    if b"\r" in data:
        returns = np.flatnonzero(octets == 13) + 1
        if returns[-1] >= len(data) or not bool((octets[returns] == 10).all()):
            return None  # a carriage return that does not end a line
    size = len(data)
    for start in range(0, size - _LINE_WINDOW, _LINE_WINDOW):
        if data.find(b"\n", start, start + _LINE_WINDOW + 1) < 0:
            return None  # a newline-free stretch of 64 KiB: let the csv module judge it
    if size - (data.rfind(b"\n") + 1) > _LINE_WINDOW:
        return None
    step = 1 << 20  # counted a MiB at a time: the comparison stays in cache
    newlines = sum(
        int(np.count_nonzero(octets[start : start + step] == 10)) for start in range(0, size, step)
    )
    return newlines + (0 if data.endswith(b"\n") else 1)


def _arrow_csv(data: bytes, columns: int, types: dict[int, Any]) -> Any:
    """The data rows (the header skipped) of the given columns, with these types."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(columns)]
    return pcsv.read_csv(
        pa.BufferReader(data),
        read_options=pcsv.ReadOptions(skip_rows=1, column_names=names, use_threads=ARROW_THREADS),
        parse_options=pcsv.ParseOptions(
            delimiter=",",
            quote_char=False,
            escape_char=False,
            double_quote=False,
            newlines_in_values=False,
            ignore_empty_lines=True,  # counted: see _plain_lines
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={names[i]: t for i, t in types.items()},
            include_columns=[names[i] for i in types],
            null_values=sorted(MISSING_TOKENS),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            check_utf8=False,  # checked before
        ),
    )


def _float_values(column: Any) -> FloatArray:
    """A float64 column as one writable array (NaN where null), chunks copied once."""
    out: FloatArray = np.empty(len(column), dtype=np.float64)
    start = 0
    for chunk in column.chunks:
        stop = start + len(chunk)
        out[start:stop] = chunk.to_numpy(zero_copy_only=False)
        start = stop
    return out


def _fast_csv(data: bytes, layout: _Layout) -> Dataset | None:
    """A plain CSV through ``pyarrow.csv`` with a type per column; None when the file is
    not plain (the exact reader takes it)."""
    lines = _plain_lines(data)
    if lines is None:
        return None
    end = data.find(b"\n")
    head = data[: end if end >= 0 else len(data)].removesuffix(b"\r")
    header = head.decode("utf-8-sig")
    if not header or end < 0:
        return None  # the exact reader reports an empty header or a file without rows
    columns = [normalise_cell(name) for name in header.split(",")]
    targets = layout.targets(columns)

    import pyarrow as pa

    text_type = pa.dictionary(pa.int32(), pa.string())
    typed = {t.column: pa.float64() if t.kind == "float" else text_type for t in targets}
    try:
        table = _arrow_csv(data, len(columns), typed)
    except pa.ArrowInvalid:  # a cell that is not a number: every column as text
        try:
            table = _arrow_csv(data, len(columns), dict.fromkeys(typed, text_type))
        except pa.ArrowInvalid:
            return None
    if table.num_rows == 0 or table.num_rows != lines - 1:
        return None  # no rows, or empty lines (the exact reader reports both)
    chunked = [table.column(f"c{t.column}") for t in targets]
    del table
    strings: dict[int, list[str]] = {}

    def texts_of(column: int) -> Callable[[IndexArray], list[str]]:
        def texts(rows: IndexArray) -> list[str]:
            if column not in strings:
                read = _arrow_csv(data, len(columns), {column: pa.string()})
                strings[column] = read.column(0).to_pylist()
            whole = strings[column]
            return [whole[i] for i in rows.tolist()]

        return texts

    assembly = _Assembly(layout, targets, chunked[0].length())
    for k, target in enumerate(targets):
        column, chunked[k] = chunked[k], None
        if pa.types.is_floating(column.type):
            values = _float_values(column)
            missing = (
                np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
                if column.null_count
                else None
            )
            assembly.put(target, _float_column(values, missing, target, texts_of(target.column)))
        else:
            assembly.put(target, _text_column(column, target))
        del column
    return assembly.finish()


def _exact_csv(data: bytes, layout: _Layout) -> Dataset:
    """Any CSV, split into cells by Python's csv module (strict) in batches of rows."""
    import pyarrow as pa

    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(stream, strict=True)
    subject = layout.subject
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
    targets = layout.targets(columns)
    width = len(columns)
    wanted = [t.column for t in targets]
    chunks: list[list[Any]] = [[] for _ in targets]
    batch: list[Sequence[str]] = []
    kept: list[int] = []
    structural: list[Problem] = []

    def flush() -> None:
        if batch:
            for k, cells in enumerate(zip(*batch, strict=True)):
                chunks[k].append(pa.array(cells, type=pa.string()))
            batch.clear()

    pick: Callable[[list[str]], Sequence[str]]
    if len(wanted) == 1:
        only = wanted[0]

        def pick(fields: list[str]) -> Sequence[str]:
            return (fields[only],)
    else:
        pick = operator.itemgetter(*wanted)
    row_no = 0
    try:
        for fields in reader:
            row_no += 1
            if len(fields) != width:
                what = "an empty line" if not fields else f"{len(fields)} values"
                structural.append(Problem(row_no, None, what, f"{width} values, as in the header"))
                continue
            kept.append(row_no)
            batch.append(pick(fields))
            if len(batch) >= _BATCH_ROWS:
                flush()
    except csv.Error as exc:
        structural.append(
            Problem(row_no + 1, None, f"malformed CSV: {exc}", "properly quoted fields")
        )
    flush()
    if row_no == 0 and not structural:
        raise layout.no_rows()
    assembly = _Assembly(layout, targets, len(kept))
    for k, target in enumerate(targets):
        column = pa.chunked_array(chunks[k], type=pa.string())
        chunks[k] = []
        assembly.put(target, _text_column(column, target))
    return assembly.finish(np.asarray(kept, dtype=np.intp), structural)


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


# --- Parquet -----------------------------------------------------------------------------


def _load_parquet(data: bytes, layout: _Layout) -> Dataset:
    """A Parquet file: integer and float columns as numbers, every other type as the text
    :func:`cmu_client.tables.cell_text` writes (so a cell reads as it would in a CSV)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cmu_client.tables import cell_text

    def unreadable(exc: Exception) -> DataError:
        return DataError(
            layout.subject,
            [Problem(None, None, f"not a readable Parquet file ({exc})")],
            "write the table with a Parquet writer, or send CSV",
        )

    try:
        file = pq.ParquetFile(pa.BufferReader(data))
        names = [str(name) for name in file.schema_arrow.names]
        rows = int(file.metadata.num_rows)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from None
    targets = layout.targets([normalise_cell(name) for name in names])
    if rows == 0:
        raise layout.no_rows()
    assembly = _Assembly(layout, targets, rows)
    for target in targets:
        # One column at a time: the file's bytes, the arrays and one column in memory.
        try:
            column = file.read(columns=[names[target.column]], use_threads=ARROW_THREADS).column(0)
        except (pa.ArrowException, OSError) as exc:
            raise unreadable(exc) from None
        kind, type_ = target.kind, column.type
        integers = pa.types.is_integer(type_)
        floats = pa.types.is_floating(type_)
        if kind in ("float", "integer") and (integers or floats):
            missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
            filled = column.fill_null(0) if column.null_count else column
            values = np.array(filled.to_numpy(), dtype=np.float64)  # a writable copy
            if floats:
                missing |= np.isnan(values)
            values[missing] = np.nan

            def texts(rows: IndexArray, column: Any = column) -> list[str]:
                return [cell_text(v) for v in column.take(pa.array(rows)).to_pylist()]

            result = _float_column(
                values, missing, target, texts, suspect_present=floats and kind == "integer"
            )
        else:
            try:
                result = _text_column(column, target)
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # no dictionary encoding
                as_text = pa.array([cell_text(v) for v in column.to_pylist()], type=pa.string())
                result = _text_column(pa.chunked_array([as_text]), target)
        assembly.put(target, result)
        del column
    return assembly.finish()
