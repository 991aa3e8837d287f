#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/sklearn_classification.json: small classification cases
whose expected metrics come from scikit-learn, for ClassificationMetricsTests.swift.

Rerun (from the repository root):

    python3 -m venv /tmp/vigil-peers && /tmp/vigil-peers/bin/pip install numpy scikit-learn scipy statsmodels && /tmp/vigil-peers/bin/python scripts/make_sklearn_fixture.py

The cases are a pure function of SEED. Conventions (the same as Vigil's ClassificationMetrics):
confusion matrix rows = true class, columns = predicted class; every metric over all K classes
(`labels=list(range(K))`), `zero_division=0`. Wilson 95% intervals on per-class precision
(tp of predicted) and recall (tp of support), and on accuracy, come from statsmodels'
`proportion_confint(..., method="wilson")` when statsmodels is installed, else from scipy's
`binomtest(k, n).proportion_ci(method="wilson")`; the JSON says which in "wilson_source".
An interval with no trials (n = 0) is written as null.
"""
import json
import os
import sys

import numpy as np
import scipy
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

SEED = 20261001
CONFIDENCE = 0.95
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                   "Tests", "VigilCoreTests", "Fixtures", "sklearn_classification.json")

try:
    import statsmodels
    from statsmodels.stats.proportion import proportion_confint

    WILSON_SOURCE = f"statsmodels {statsmodels.__version__} proportion_confint(count, nobs, alpha=0.05, method='wilson')"

    def wilson(k, n):
        if n == 0:
            return None
        lo, hi = proportion_confint(int(k), int(n), alpha=1 - CONFIDENCE, method="wilson")
        return [float(lo), float(hi)]
except ImportError:  # pragma: no cover - fallback when statsmodels does not install
    from scipy.stats import binomtest

    WILSON_SOURCE = f"scipy {scipy.__version__} binomtest(k, n).proportion_ci(confidence_level=0.95, method='wilson')"

    def wilson(k, n):
        if n == 0:
            return None
        ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
        return [float(ci.low), float(ci.high)]


def noisy_predictions(rng, y_true, k, correct):
    """Predicts the true class with probability correct[true class], else a uniformly random other class."""
    y_pred = y_true.copy()
    wrong = rng.random(len(y_true)) >= np.asarray(correct)[y_true]
    shift = rng.integers(1, k, size=len(y_true))  # 1..k-1: never the true class
    y_pred[wrong] = (y_true[wrong] + shift[wrong]) % k
    return y_pred


def build_cases(rng):
    cases = []

    # 1. A normal 5-class case, ~500 items.
    k = 5
    y_true = rng.choice(k, size=500, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    y_pred = noisy_predictions(rng, y_true, k, [0.9, 0.85, 0.8, 0.7, 0.6])
    cases.append(("five_class_500", ["bottle", "can", "box", "bag", "jar"], y_true, y_pred))

    # 2. Zero-division paths: class 3 ("tube") occurs but is never predicted (precision 0/0),
    #    class 2 ("pouch") is predicted but never occurs (recall 0/0), and class 4 ("tray")
    #    neither occurs nor is predicted (precision, recall and F1 all 0/0).
    y_true = rng.choice([0, 1, 3], size=80, p=[0.45, 0.35, 0.2])
    y_pred = rng.choice([0, 1, 2], size=80, p=[0.5, 0.3, 0.2])
    agree = rng.random(80) < 0.6
    keep = agree & (y_true != 3)
    y_pred[keep] = y_true[keep]
    cases.append(("zero_division", ["bottle", "can", "pouch", "tube", "tray"], y_true, y_pred))

    # 3. A single class present (in truth and predictions) among three.
    y_true = np.full(25, 1)
    y_pred = np.full(25, 1)
    cases.append(("single_class_present", ["bottle", "can", "box"], y_true, y_pred))

    # 4. A 10-class imbalanced case, ~3000 items.
    k = 10
    prior = np.array([0.40, 0.20, 0.12, 0.08, 0.06, 0.05, 0.04, 0.03, 0.015, 0.005])
    y_true = rng.choice(k, size=3000, p=prior / prior.sum())
    y_pred = noisy_predictions(rng, y_true, k, [0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5, 0.4, 0.3])
    names = ["bottle", "can", "box", "bag", "jar", "carton", "tube", "pouch", "tray", "cup"]
    cases.append(("ten_class_imbalanced_3000", names, y_true, y_pred))

    # 5. A tiny case: three items, one of them wrong.
    cases.append(("tiny_3", ["bottle", "can", "box"], np.array([0, 1, 2]), np.array([0, 2, 2])))
    return cases


def expected(y_true, y_pred, k):
    labels = list(range(k))
    out = {
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "accuracy": float(accuracy_score(y_true, y_pred)),
    }
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    out["per_class"] = {
        "precision": [float(v) for v in p],
        "recall": [float(v) for v in r],
        "f1": [float(v) for v in f],
        "support": [int(v) for v in s],
    }
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg, zero_division=0)
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    cm = np.asarray(out["confusion_matrix"])
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    out["wilson"] = {
        "precision": [wilson(tp[c], predicted[c]) for c in range(k)],
        "recall": [wilson(tp[c], support[c]) for c in range(k)],
        "accuracy": wilson(tp.sum(), cm.sum()),
    }
    return out


def dumps(value, indent=0):
    """JSON with lists of scalars on one line (so y_true/y_pred stay compact); floats use repr."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(key)}: {dumps(v, indent + 1)}" for key, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        if all(isinstance(v, list) and not any(isinstance(x, (dict, list)) for x in v) for v in value if v is not None) \
                and len(value) <= 12:
            # Short lists of short lists (a confusion matrix, intervals): one row per line.
            return "[\n" + ",\n".join(pad + json.dumps(v) for v in value) + "\n" + "  " * indent + "]"
        return "[\n" + ",\n".join(pad + dumps(v, indent + 1) for v in value) + "\n" + "  " * indent + "]"
    return json.dumps(value)


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    for name, classes, y_true, y_pred in build_cases(rng):
        k = len(classes)
        assert y_true.shape == y_pred.shape and y_true.min() >= 0 and y_pred.max() < k
        cases.append({
            "name": name,
            "classes": classes,
            "y_true": [int(v) for v in y_true],
            "y_pred": [int(v) for v in y_pred],
            "expected": expected(y_true, y_pred, k),
        })
    doc = {
        "generator": "scripts/make_sklearn_fixture.py",
        "seed": SEED,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "scikit-learn": sklearn.__version__, "scipy": scipy.__version__},
        "conventions": "confusion rows = true class, columns = predicted; labels=list(range(K)); zero_division=0",
        "confidence": CONFIDENCE,
        "wilson_source": WILSON_SOURCE,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(dumps(doc) + "\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(cases)} cases ({WILSON_SOURCE})")


if __name__ == "__main__":
    main()
