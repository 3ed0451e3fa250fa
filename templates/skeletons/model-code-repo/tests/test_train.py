"""Tests of the training code: the data, the split, the model and the MLflow registration."""

from pathlib import Path

import pytest

import train

DATA = Path(__file__).parent.parent / "data" / "dataset.csv"


def test_loads_the_bundled_dataset():
    data = train.load_dataset(DATA)
    assert len(data.features) == len(data.labels) == 240
    assert all(len(row) == len(train.FEATURES) for row in data.features)
    assert set(data.labels) == {0, 1}


def test_refuses_a_dataset_without_the_label(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,x3,x4\n1,2,3,4\n")
    with pytest.raises(ValueError, match="missing column\\(s\\) label"):
        train.load_dataset(bad)


def test_refuses_a_label_that_is_not_binary(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,x3,x4,label\n1,2,3,4,0\n1,2,3,4,yes\n")
    with pytest.raises(ValueError, match=":3: label must be 0 or 1"):
        train.load_dataset(bad)


def test_split_is_reproducible_disjoint_and_stratified():
    data = train.load_dataset(DATA)
    first_train, first_test = train.split(data, 0.25, seed=1)
    again_train, again_test = train.split(data, 0.25, seed=1)
    assert first_test == again_test and first_train == again_train
    assert len(first_train.labels) + len(first_test.labels) == len(data.labels)
    share = sum(data.labels) / len(data.labels)
    assert abs(sum(first_test.labels) / len(first_test.labels) - share) < 0.05
    _, other_test = train.split(data, 0.25, seed=2)
    assert other_test != first_test


def test_trains_a_model_that_beats_chance():
    pytest.importorskip("sklearn")
    model, metrics, test = train.train(train.load_dataset(DATA), train.Params())
    assert set(metrics) == {"auc", "accuracy", "latency_p95_ms"}
    assert metrics["auc"] > 0.8
    assert metrics["accuracy"] > 0.7
    assert metrics["latency_p95_ms"] > 0
    assert len(model.predict(test.features)) == len(test.labels)


def test_registers_a_new_version_in_mlflow(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)  # MLflow keeps the artifacts of a local store here
    monkeypatch.setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    output = tmp_path / "github_output"

    assert train.main(["--model-name", "test-model", "--tracking-uri", uri]) == 0
    assert train.main(["--model-name", "test-model", "--tracking-uri", uri, "--github-output", str(output)]) == 0

    assert output.read_text() == "version=2\n"
    client = mlflow.MlflowClient(tracking_uri=uri)
    version = client.get_model_version("test-model", "2")
    assert version.tags["git_commit"] == "0123456789abcdef0123456789abcdef01234567"
    run = client.get_run(version.run_id)
    assert run.data.metrics["auc"] > 0.8
    assert run.data.params["model"] == "logistic_regression"


def test_refuses_to_run_without_a_tracking_server(monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert train.main([]) == 2
    assert "set MLFLOW_TRACKING_URI" in capsys.readouterr().err
