"""Trains ${{ values.modelName }}, logs the run to MLflow and registers a new model version.

    MLFLOW_TRACKING_URI=https://mlflow.example.com python train.py

The new version's number is printed as the last line and, with
--github-output (the CI passes $GITHUB_OUTPUT), written as `version=<n>` so
the next job can open the deployment pull request for it.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL_NAME = "${{ values.modelName }}"
DEFAULT_DATA = Path(__file__).parent / "data" / "dataset.csv"
FEATURES = ("x1", "x2", "x3", "x4")
LABEL = "label"


@dataclass
class Dataset:
    features: list[list[float]]
    labels: list[int]


@dataclass
class Params:
    c: float = 1.0
    max_iter: int = 200
    test_fraction: float = 0.25
    seed: int = 42


def load_dataset(path: Path) -> Dataset:
    """Reads a CSV with the columns in FEATURES and a 0/1 LABEL column."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (*FEATURES, LABEL) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)}; "
                f"the header must contain {', '.join((*FEATURES, LABEL))}"
            )
        features: list[list[float]] = []
        labels: list[int] = []
        for line, row in enumerate(reader, start=2):
            try:
                features.append([float(row[name]) for name in FEATURES])
            except ValueError as error:
                raise ValueError(f"{path}:{line}: a feature is not a number ({error})") from None
            if row[LABEL] not in ("0", "1"):
                raise ValueError(f"{path}:{line}: {LABEL} must be 0 or 1, not {row[LABEL]!r}")
            labels.append(int(row[LABEL]))
    if len(set(labels)) < 2:
        raise ValueError(f"{path}: needs rows of both classes, found {sorted(set(labels))}")
    return Dataset(features, labels)


def split(data: Dataset, test_fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """A reproducible split that keeps the class balance in both parts."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, not {test_fraction}")
    rng = random.Random(seed)
    train, test = Dataset([], []), Dataset([], [])
    for label in sorted(set(data.labels)):
        rows = [i for i, y in enumerate(data.labels) if y == label]
        rng.shuffle(rows)
        cut = max(1, round(len(rows) * test_fraction))
        for part, indices in ((test, rows[:cut]), (train, rows[cut:])):
            part.features.extend(data.features[i] for i in indices)
            part.labels.extend(data.labels[i] for i in indices)
    return train, test


def build_model(params: Params):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(),
        LogisticRegression(C=params.c, max_iter=params.max_iter, random_state=params.seed),
    )


def evaluate(model, test: Dataset) -> dict[str, float]:
    """The metrics the config repo's performance gate can check."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    scores = model.predict_proba(test.features)[:, 1]
    predictions = model.predict(test.features)
    # Latency of one prediction at a time, as a serving request sees it.
    timings = []
    for row in test.features:
        start = time.perf_counter()
        model.predict_proba([row])
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    return {
        "auc": float(roc_auc_score(test.labels, scores)),
        "accuracy": float(accuracy_score(test.labels, predictions)),
        "latency_p95_ms": float(p95),
    }


def train(data: Dataset, params: Params):
    train_set, test_set = split(data, params.test_fraction, params.seed)
    model = build_model(params)
    model.fit(train_set.features, train_set.labels)
    return model, evaluate(model, test_set), test_set


def register(model_name: str, data_path: Path, params: Params) -> str:
    """Trains, logs params and metrics to MLflow, registers a version; returns its number."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    data = load_dataset(data_path)
    mlflow.set_experiment(model_name)
    with mlflow.start_run() as run:
        model, metrics, test_set = train(data, params)
        mlflow.log_params(
            {
                "model": "logistic_regression",
                "C": params.c,
                "max_iter": params.max_iter,
                "test_fraction": params.test_fraction,
                "seed": params.seed,
                "rows": len(data.labels),
            }
        )
        mlflow.log_metrics(metrics)
        commit = os.environ.get("GITHUB_SHA")
        if commit:
            mlflow.set_tag("git_commit", commit)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(test_set.features, model.predict_proba(test_set.features)),
            input_example=test_set.features[:2],
            registered_model_name=model_name,
        )
        version = info.registered_model_version
        if version is None:
            raise RuntimeError(f"MLflow logged run {run.info.run_id} but registered no version")
        if commit:
            mlflow.MlflowClient().set_model_version_tag(model_name, str(version), "git_commit", commit)
    return str(version)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-name", default=os.environ.get("MODEL_NAME") or DEFAULT_MODEL_NAME)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI"))
    parser.add_argument("--c", type=float, default=Params.c, help="inverse regularisation strength")
    parser.add_argument("--max-iter", type=int, default=Params.max_iter)
    parser.add_argument("--test-fraction", type=float, default=Params.test_fraction)
    parser.add_argument("--seed", type=int, default=Params.seed)
    parser.add_argument("--github-output", type=Path, help="append version=<n> to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.tracking_uri:
        print(
            "train.py: no MLflow tracking server: set MLFLOW_TRACKING_URI "
            "(in CI: the repository secret MLFLOW_TRACKING_URI) or pass --tracking-uri",
            file=sys.stderr,
        )
        return 2
    import mlflow

    mlflow.set_tracking_uri(args.tracking_uri)
    params = Params(c=args.c, max_iter=args.max_iter, test_fraction=args.test_fraction, seed=args.seed)
    version = register(args.model_name, args.data, params)
    if args.github_output:
        with args.github_output.open("a") as handle:
            handle.write(f"version={version}\n")
    print(f"registered {args.model_name} version {version}")
    print(version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
