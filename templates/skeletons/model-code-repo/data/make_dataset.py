"""Writes data/dataset.csv: the small synthetic dataset the model starts with.

Four numeric features and a binary label drawn from a logistic model with a
fixed seed, so every run of this script writes the same file. Replace the
dataset with your own (same columns, or change FEATURES in train.py) when the
model is real.

    python data/make_dataset.py
"""

import csv
import math
import random
from pathlib import Path

ROWS = 240
SEED = 7
WEIGHTS = (1.6, -1.1, 0.8, 0.0)  # x4 carries no signal on purpose
BIAS = -0.2


def main() -> None:
    rng = random.Random(SEED)
    out = Path(__file__).with_name("dataset.csv")
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["x1", "x2", "x3", "x4", "label"])
        for _ in range(ROWS):
            xs = [rng.gauss(0.0, 1.0) for _ in WEIGHTS]
            logit = BIAS + sum(w * x for w, x in zip(WEIGHTS, xs))
            label = 1 if rng.random() < 1.0 / (1.0 + math.exp(-logit)) else 0
            writer.writerow([f"{x:.4f}" for x in xs] + [label])
    print(f"wrote {ROWS} rows to {out}")


if __name__ == "__main__":
    main()
