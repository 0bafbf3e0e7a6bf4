"""Labelled data for training and evaluation: reading files, checking them, fingerprinting them.

Files are CSV (also ``;`` or tab separated, UTF-8 or GB18030), Parquet or ARFF. One column is
the label (0 = no default, 1 = default), an optional one identifies rows, every other column is a
numeric feature. Missing values are allowed (an empty cell, ``?``, ``NA``, ``NaN``, ``null``);
infinities are not. Every problem is reported with its column and the first rows it affects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from arshield.kit.tabular import ROW, TableError, read_table
from arshield.workbench.arff import read_arff
from arshield.workbench.domain import TrainingDataError

FloatMatrix = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int8]

MISSING_TOKENS: Final = ("", "?", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")
TRUE_LABELS: Final = ("1", "1.0", "true", "True", "TRUE")
FALSE_LABELS: Final = ("0", "0.0", "false", "False", "FALSE")
MAX_FILE_BYTES: Final = 4 * 2**30
_SHOWN: Final = 5


@dataclass(frozen=True)
class LabelledData:
    """Feature matrix (float64, NaN = missing), 0/1 labels and optional row ids."""

    features: FloatMatrix
    labels: Labels
    feature_names: tuple[str, ...]
    label: str
    source: str
    ids: tuple[str, ...] | None = None

    @property
    def rows(self) -> int:
        return int(self.labels.shape[0])

    @property
    def defaults(self) -> int:
        return int(self.labels.sum())

    def fingerprint(self) -> str:
        """SHA-256 of the content (names, values, labels in row order), whatever the format."""
        digest = hashlib.sha256()
        header = {"features": list(self.feature_names), "label": self.label, "rows": self.rows}
        digest.update(json.dumps(header, sort_keys=True).encode())
        values = np.where(np.isnan(self.features), np.nan, self.features)
        digest.update(np.ascontiguousarray(values, dtype="<f8").tobytes())
        digest.update(np.ascontiguousarray(self.labels, dtype=np.int8).tobytes())
        return "sha256:" + digest.hexdigest()

    def select(self, names: tuple[str, ...]) -> LabelledData:
        """The same rows with the feature columns ``names`` in that order (all must exist)."""
        missing = [n for n in names if n not in self.feature_names]
        if missing:
            raise TrainingDataError(
                f"the data lacks the model's feature column(s): {', '.join(missing)}"
            )
        index = [self.feature_names.index(n) for n in names]
        return LabelledData(
            features=np.ascontiguousarray(self.features[:, index]),
            labels=self.labels,
            feature_names=names,
            label=self.label,
            source=self.source,
            ids=self.ids,
        )


def _read_text_table(path: Path, *, max_bytes: int) -> pl.DataFrame:
    """Text cells with ``ROW`` from any supported file; unreadable files are one clear error."""
    if not path.exists():
        raise TrainingDataError(f"{path}: no such file")
    if not path.is_file():
        raise TrainingDataError(f"{path}: not a file")
    try:
        if path.suffix.lower() == ".arff":
            frame, _attributes = read_arff(path, max_bytes=max_bytes)
            return frame
        return read_table(path, max_bytes=max_bytes, fold_case=False).frame
    except TableError as exc:
        raise TrainingDataError(f"{path.name}: {exc.detail}") from None
    except OSError as exc:
        raise TrainingDataError(f"{path.name}: cannot be read ({exc.strerror})") from None


def _listed(rows: list[int], values: list[str | None]) -> str:
    shown = ", ".join(
        f"row {r} {v!r}" for r, v in zip(rows[:_SHOWN], values[:_SHOWN], strict=False)
    )
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    return shown + more


def parse_labels(frame: pl.DataFrame, label: str) -> Labels:
    """The label column as 0/1; anything else (or a missing label) is an error."""
    text = frame[label].str.strip_chars()
    is_true = text.is_in(list(TRUE_LABELS))
    is_false = text.is_in(list(FALSE_LABELS))
    bad = frame.filter(~(is_true | is_false).fill_null(False))
    if bad.height:
        found = bad[label].fill_null("(missing)").value_counts(sort=True).head(_SHOWN).iter_rows()
        values = ", ".join(f"{v!r} x{n}" for v, n in found)
        raise TrainingDataError(
            f"label {label!r} must be binary, 0 (no default) or 1 (default); {bad.height} row(s) "
            f"are not, e.g. {_listed(bad[ROW].to_list(), bad[label].to_list())} (values: {values})"
        )
    return is_true.cast(pl.Int8).to_numpy().astype(np.int8)


def parse_features(frame: pl.DataFrame, names: list[str]) -> FloatMatrix:
    """Feature columns as float64 with NaN for missing; non-numeric cells are an error."""
    problems: list[str] = []
    columns: list[npt.NDArray[np.float64]] = []
    for name in names:
        text = frame[name].str.strip_chars()
        missing = text.is_null() | text.is_in(list(MISSING_TOKENS))
        values = text.cast(pl.Float64, strict=False)
        bad = ~missing & (values.is_null() | values.is_infinite() | values.is_nan())
        if bad.any():
            rows = frame[ROW].filter(bad).to_list()
            cells = text.filter(bad).to_list()
            problems.append(
                f"column {name!r} is not numeric: {len(rows)} cell(s), {_listed(rows, cells)}"
            )
            continue
        columns.append(values.set(missing, None).fill_null(np.nan).to_numpy().astype(np.float64))
    if problems:
        raise TrainingDataError("; ".join(problems))
    if not columns:
        return np.empty((frame.height, 0), dtype=np.float64)
    return np.ascontiguousarray(np.column_stack(columns), dtype=np.float64)


def check_classes(labels: Labels, *, source: str, folds: int = 0) -> None:
    """Both classes present (and, for K folds, at least K rows of each)."""
    defaults = int(labels.sum())
    others = int(labels.shape[0]) - defaults
    if defaults == 0 or others == 0:
        only = "1 (default)" if others == 0 else "0 (no default)"
        raise TrainingDataError(
            f"{source}: every one of the {labels.shape[0]} rows has label {only}; a model needs "
            "both defaulted and non-defaulted rows"
        )
    if folds and min(defaults, others) < folds:
        raise TrainingDataError(
            f"{source}: {folds}-fold cross-validation needs at least {folds} rows of each class; "
            f"the data has {defaults} default(s) and {others} non-default(s)"
        )


def from_text_frame(
    frame: pl.DataFrame,
    *,
    label: str,
    id_column: str | None,
    source: str,
    features: tuple[str, ...] | None = None,
) -> LabelledData:
    """Labelled data from text cells (with ``ROW``).

    The features are ``features`` in that order when given (other columns are ignored), else
    every column but the label and the id.
    """
    columns = [c for c in frame.columns if c != ROW]
    for role, name in (("label", label), ("id", id_column)):
        if name is not None and name not in columns:
            raise TrainingDataError(
                f"{source}: no {role} column {name!r}; the columns are {', '.join(columns)}"
            )
    if id_column is not None and id_column == label:
        raise TrainingDataError("the id column and the label column must differ")
    if frame.height == 0:
        raise TrainingDataError(f"{source}: the file holds no rows")
    if features is not None:
        absent = [name for name in features if name not in columns]
        if absent:
            raise TrainingDataError(
                f"{source}: the model reads column(s) the file lacks: {', '.join(absent)}"
            )
    names = (
        list(features)
        if features is not None
        else [c for c in columns if c not in (label, id_column)]
    )
    if not names:
        raise TrainingDataError(f"{source}: no feature columns besides the label and the id")
    labels = parse_labels(frame, label)
    ids = None
    if id_column is not None:
        ids = tuple(frame[id_column].fill_null("").to_list())
    return LabelledData(
        features=parse_features(frame, names),
        labels=labels,
        feature_names=tuple(names),
        label=label,
        source=source,
        ids=ids,
    )


def read_labelled(
    path: Path,
    *,
    label: str,
    id_column: str | None = None,
    features: tuple[str, ...] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> LabelledData:
    """Read a CSV, Parquet or ARFF file of labelled rows (see :func:`from_text_frame`)."""
    frame = _read_text_table(path, max_bytes=max_bytes)
    return from_text_frame(
        frame, label=label, id_column=id_column, source=path.name, features=features
    )
