"""Local, free prediction with a verified model artifact (LightGBM text model).

LightGBM is the ``predict`` extra (``pip install 'cmu[predict]'``): it is imported when a
booster is loaded, so importing this module (and ``cmu --help``) does not need it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from cmu_client import lgbm_params
from cmu_client.dataset import Dataset
from cmu_client.errors import ArtifactError, Problem, SpecError, UsageError
from cmu_client.spec import ModelSpec, Task

if TYPE_CHECKING:
    import lightgbm as lgb


def load_booster(artifact: bytes) -> lgb.Booster:
    """A booster from the artifact's bytes (only call this after the hash check)."""
    try:
        import lightgbm as lgb
    except ImportError:
        raise UsageError(
            "loading a model needs LightGBM, which is not installed",
            "pip install 'cmu[predict]'",
        ) from None
    unusable = (
        "do not use this version: pick another (`cmu version list MODEL`) and tell the "
        "model's owner"
    )
    if not artifact.startswith(b"tree\n"):
        # Every LightGBM text model starts so. Checked here because LightGBM also prints
        # its refusal of other bytes on stderr, from C, next to our error.
        raise ArtifactError(
            "the artifact is not a LightGBM text model (it does not start "
            f"with 'tree'; first bytes {artifact[:8]!r})",
            unusable,
        )
    try:
        return lgb.Booster(model_str=artifact.decode("utf-8"))
    except (UnicodeDecodeError, lgb.basic.LightGBMError) as exc:
        raise ArtifactError(
            f"the artifact is not a LightGBM text model ({str(exc)[:200]})", unusable
        ) from None


#: Rows of the initial data that :func:`check_training_params` builds a booster on.
PARAMS_PROBE_ROWS = 500
#: Seconds the parameter check may take (it builds a booster, it does not train).
PARAMS_PROBE_TIMEOUT = 120.0

_PROBE = """
import io, json, sys
import numpy as np
import lightgbm as lgb
raw = sys.stdin.buffer.read()
head, _, arrays = raw.partition(b"\\n")
job = json.loads(head)
npz = np.load(io.BytesIO(arrays))
labels = npz["labels"] if job["labels"] else None
try:
    train_set = lgb.Dataset(npz["features"], label=labels, feature_name=job["names"],
                            categorical_feature=job["categorical"] or "auto",
                            params=job["params"], free_raw_data=True)
    lgb.Booster(params=job["params"], train_set=train_set)
except lgb.basic.LightGBMError as exc:
    sys.stderr.write("REFUSED " + str(exc).split(" at /")[0].strip())
    sys.exit(3)
"""


def check_training_params(spec: ModelSpec, data: Dataset) -> None:
    """Refuse LightGBM parameter values that LightGBM itself refuses (``num_leaves: 1``,
    ``bagging_fraction: 2``, an unknown ``boosting``, ...) or that crash it, before anything
    is stored or created on chain. Builds, without training, a booster with the parameters
    a recipe would record on the first rows of ``data``, in a child process (some
    parameter combinations abort LightGBM instead of raising).
    :func:`cmu_client.spec.parse_spec` has already applied the CMU policy
    (:mod:`cmu_client.lgbm_params`)."""
    import json
    import subprocess
    import sys

    params = dict(
        lgbm_params.resolve(
            spec.training.params,
            spec.task.value,
            spec.class_count if spec.task is Task.MULTICLASS else None,
        )
    )
    rows = min(data.rows, PARAMS_PROBE_ROWS)
    arrays = io.BytesIO()
    labels = data.labels[:rows] if data.labels is not None else np.zeros(0)
    np.savez(arrays, features=data.features[:rows], labels=labels)
    job = {
        "params": params,
        "names": list(data.feature_names),
        "categorical": spec.categorical_indices,
        "labels": data.labels is not None,
    }
    payload = json.dumps(job).encode() + b"\n" + arrays.getvalue()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            input=payload,
            capture_output=True,
            timeout=PARAMS_PROBE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(
            "checking the LightGBM parameters took too long", "simplify lightgbm.params"
        ) from None
    if done.returncode == 0:
        return
    text = done.stderr.decode("utf-8", "replace")
    if "No module named 'lightgbm'" in text:
        raise UsageError(
            "checking the training parameters needs LightGBM, which is not installed",
            "pip install 'cmu[predict]'",
        )
    if "REFUSED " in text:
        detail = text.rsplit("REFUSED ", 1)[1].strip()
    else:
        detail = f"LightGBM crashed on them (exit status {done.returncode})"
    raise SpecError(
        "model spec",
        [Problem(None, "lightgbm.params", f"LightGBM refuses these parameters: {detail}")],
        "fix or remove the parameter; see the LightGBM parameter docs",
    )


def lightgbm_feature_names(names: Sequence[str]) -> list[str]:
    """The names LightGBM stores for these features: it writes every space as an
    underscore (``"mean radius"`` is ``mean_radius`` in a model's text and in
    ``Booster.feature_name()``); everything else is kept."""
    return [name.replace(" ", "_") for name in names]


def predict(booster: lgb.Booster, data: Dataset, spec: ModelSpec) -> npt.NDArray[np.float64]:
    """Raw predictions: P(class 1) for binary, (rows, classes) probabilities for
    multiclass, values for regression. The model's feature names are compared with the
    data's as LightGBM stores them (:func:`lightgbm_feature_names`), so a spec whose
    feature names have spaces predicts with the models trained on it."""
    names = list(booster.feature_name())
    if names != lightgbm_feature_names(data.feature_names):
        raise ArtifactError(
            "the model's features differ from the spec's",
            f"model: {', '.join(names[:6])}...; spec: {', '.join(data.feature_names[:6])}...",
        )
    result = booster.predict(data.features)
    values = np.asarray(result, dtype=np.float64)
    if spec.task is Task.MULTICLASS and values.ndim != 2:
        raise ArtifactError("a multiclass model should give one probability per class")
    return values


def prediction_columns(spec: ModelSpec) -> list[str]:
    if spec.task is Task.REGRESSION:
        return ["prediction"]
    labels = _class_labels(spec)
    if spec.task is Task.BINARY:
        return ["prediction", f"p_{labels[1]}"]
    return ["prediction", *(f"p_{c}" for c in labels)]


def _class_labels(spec: ModelSpec) -> list[str]:
    return list(spec.classes) if spec.classes else [str(i) for i in range(spec.class_count)]


def prediction_rows(values: npt.NDArray[np.float64], spec: ModelSpec) -> list[list[str]]:
    """Predictions as CSV cells (labels by name when the spec names classes)."""
    labels = _class_labels(spec) if spec.task is not Task.REGRESSION else []
    rows: list[list[str]] = []
    if spec.task is Task.REGRESSION:
        rows = [[repr(float(v))] for v in values]
    elif spec.task is Task.BINARY:
        rows = [[labels[int(p >= 0.5)], repr(float(p))] for p in values]
    else:
        for probs in values:
            rows.append([labels[int(np.argmax(probs))], *(repr(float(p)) for p in probs)])
    return rows


def write_predictions_csv(source: bytes, values: npt.NDArray[np.float64], spec: ModelSpec) -> bytes:
    """The input CSV with prediction columns appended, row for row."""
    reader = csv.reader(io.StringIO(source.decode("utf-8-sig"), newline=""))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    header = next(reader)
    writer.writerow([*header, *prediction_columns(spec)])
    predictions = prediction_rows(values, spec)
    for fields, cells in zip(reader, predictions, strict=True):
        writer.writerow([*fields, *cells])
    return out.getvalue().encode("utf-8")


def summary(values: npt.NDArray[np.float64], spec: ModelSpec) -> Sequence[tuple[str, int]]:
    """How many rows got each predicted label (classification only)."""
    if spec.task is Task.REGRESSION:
        return []
    counts: dict[str, int] = {}
    for row in prediction_rows(values, spec):
        counts[row[0]] = counts.get(row[0], 0) + 1
    return sorted(counts.items())
