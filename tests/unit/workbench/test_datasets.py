"""Reading labelled data: ARFF, CSV and Parquet alike; every bad input is one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from arshield.kit.tabular import TableError
from arshield.workbench.arff import parse_arff, write_arff
from arshield.workbench.datasets import check_classes, read_labelled
from arshield.workbench.domain import TrainingDataError

ARFF = """% a comment
@relation 'test data'

@attribute Attr1 numeric
@attribute 'net profit' REAL
@attribute size integer
@attribute class {0,1}

@data
0.2,1.5,10,0
% a comment between rows
-0.1,?,3,1
?, 2.25 ,7,'0'
"""


def test_arff_header_missing_values_and_quotes() -> None:
    frame, attributes = parse_arff(ARFF)
    assert [a.name for a in attributes] == ["Attr1", "net profit", "size", "class"]
    assert [a.kind for a in attributes] == ["numeric", "numeric", "numeric", "nominal"]
    assert attributes[3].values == ("0", "1")
    assert frame["Attr1"].to_list() == ["0.2", "-0.1", None]
    assert frame["net profit"].to_list() == ["1.5", None, "2.25"]
    assert frame["class"].to_list() == ["0", "1", "0"]
    # Rows keep their line in the file, so errors point at it.
    assert frame["__row"].to_list() == [10, 12, 13]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@relation x\n@attribute a numeric\n", "no @data"),
        ("@relation x\n@attribute a numeric\n@data\n{0 1}\n", "sparse"),
        ("@relation x\n@attribute a numeric\n@attribute b numeric\n@data\n1,2\n3\n", "line 6"),
        ("@relation x\n@attribute a relational\n@data\n", "unsupported type"),
        ("@relation x\n@attribute c {0,1}\n@data\n2\n", "not a declared value"),
        ("@relation x\n@attribute a numeric\n@attribute a numeric\n@data\n1,2\n", "duplicate"),
        ("@relation x\n@attribute a numeric\n@data\n", "no rows"),
        ("hello,world\n1,2\n", "expected @relation"),
    ],
)
def test_bad_arff_is_refused(text: str, message: str) -> None:
    with pytest.raises(TableError, match=message):
        parse_arff(text)


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ref": ["a", "b", "c", "d"],
            "x1": [0.5, None, -1.25, 3.0],
            "x2": [1.0, 2.0, 3.0, 1e-7],
            "default": [0, 1, 0, 1],
        }
    )


def test_csv_parquet_and_arff_give_the_same_data_and_fingerprint(tmp_path: Path) -> None:
    frame = _frame()
    frame.write_csv(tmp_path / "d.csv")
    frame.write_parquet(tmp_path / "d.parquet")
    (tmp_path / "d.arff").write_text(write_arff(frame.drop("ref")))
    csv = read_labelled(tmp_path / "d.csv", label="default", id_column="ref")
    parquet = read_labelled(tmp_path / "d.parquet", label="default", id_column="ref")
    arff = read_labelled(tmp_path / "d.arff", label="default")
    assert csv.feature_names == parquet.feature_names == arff.feature_names == ("x1", "x2")
    assert csv.ids == ("a", "b", "c", "d")
    np.testing.assert_array_equal(csv.features, parquet.features)
    np.testing.assert_array_equal(csv.features, arff.features)
    assert np.isnan(csv.features[1, 0])
    assert csv.labels.tolist() == [0, 1, 0, 1]
    assert csv.fingerprint() == parquet.fingerprint() == arff.fingerprint()
    changed = frame.with_columns(pl.col("x2").replace(3.0, 3.0000001))
    changed.write_csv(tmp_path / "e.csv")
    other = read_labelled(tmp_path / "e.csv", label="default", id_column="ref")
    assert other.fingerprint() != csv.fingerprint()


def test_a_label_that_is_not_binary(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    _frame().with_columns(pl.Series("default", [0, 1, 2, 1])).write_csv(path)
    with pytest.raises(TrainingDataError, match=r"must be binary.*row 4 '2'"):
        read_labelled(path, label="default", id_column="ref")


def test_a_missing_label_is_not_binary_either(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    _frame().with_columns(pl.Series("default", [0, 1, None, 1])).write_csv(path)
    with pytest.raises(TrainingDataError, match="must be binary"):
        read_labelled(path, label="default", id_column="ref")


def test_a_file_with_one_class() -> None:
    with pytest.raises(TrainingDataError, match="every one of the 3 rows has label 0"):
        check_classes(np.array([0, 0, 0], dtype=np.int8), source="d.csv")
    with pytest.raises(TrainingDataError, match="at least 5 rows of each class"):
        check_classes(np.array([0, 1, 0, 1, 0, 0], dtype=np.int8), source="d.csv", folds=5)


def test_a_non_numeric_feature_column(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    _frame().with_columns(pl.Series("sector", ["C25", "C25", "G46", "1"])).write_csv(path)
    with pytest.raises(
        TrainingDataError, match=r"column 'sector' is not numeric: 3 cell\(s\), row 2 'C25'"
    ):
        read_labelled(path, label="default", id_column="ref")


def test_infinity_is_not_a_number_here(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x,default\n1,0\ninf,1\n")
    with pytest.raises(TrainingDataError, match="'x' is not numeric"):
        read_labelled(path, label="default")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "no such file"),
        ("d.parquet", b"PAR1 this is not parquet", "not a readable Parquet file"),
        ("d.arff", b"\x00\x01binary\xff\xfe", "neither UTF-8 nor GB18030"),
        ("e.arff", b"hello,world\n1,2\n", "expected @relation"),
        ("d.xls", b"whatever", "unknown file type"),
        ("d.csv", b"", "empty"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TrainingDataError, match=message):
        read_labelled(path, label="default")


def test_label_and_id_columns_must_exist(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    _frame().write_csv(path)
    with pytest.raises(TrainingDataError, match="no label column 'class'"):
        read_labelled(path, label="class")
    with pytest.raises(TrainingDataError, match="no id column 'id'"):
        read_labelled(path, label="default", id_column="id")


def test_features_can_be_picked_by_name(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    _frame().with_columns(pl.lit("text").alias("note")).write_csv(path)
    data = read_labelled(path, label="default", features=("x2", "x1"))
    assert data.feature_names == ("x2", "x1")
    assert data.features[3, 0] == pytest.approx(1e-7)
    with pytest.raises(TrainingDataError, match="lacks: x9"):
        read_labelled(path, label="default", features=("x1", "x9"))
