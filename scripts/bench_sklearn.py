#!/usr/bin/env python3
"""scikit-learn side of `scripts/bench.sh`: the same classification metrics as `vigil evaluate`,
timed inside Python.

    python bench_sklearn.py --predictions bench-data/predictions.ndjson \
        --labels bench-data/labels.ndjson [--repeat 3] [--cache bench-data/sklearn-arrays.npz]

Loads the predictions (id -> predicted class) and the ground truth (prediction_id -> observed
class), joins them on the prediction id, maps class names to indices in the example model's
order and keeps two numpy int arrays. Only then does the clock start: each repetition times,
with time.perf_counter(), exactly

    confusion_matrix(y_true, y_pred, labels=L)
    precision_recall_fscore_support(y_true, y_pred, labels=L, average=None, zero_division=0)
    ... the same with average="macro", "micro" and "weighted"

with L = list(range(10)). Python start-up, file parsing and the join are not timed.

Prints one JSON object: the times of every repetition (seconds), their best and median, and
the metrics (confusion matrix rows = observed, columns = predicted, per-class precision/recall/
F1/support, macro/micro/weighted, accuracy) for the agreement check against vigil.

With --cache, the parsed arrays are kept in an .npz next to the data and reused while the
input files are unchanged (same size and mtime), so repeated runs skip the slow parse.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

# The example model's classes, in index order (vigil's ExampleData.classes / the policy).
CLASSES = ["bottle", "can", "box", "bag", "jar", "carton", "tube", "pouch", "tray", "cup"]
LABELS = list(range(len(CLASSES)))


def file_key(paths):
    return [[os.path.abspath(p), os.stat(p).st_size, os.stat(p).st_mtime_ns] for p in paths]


def parse(predictions_path, labels_path):
    """Returns (y_true, y_pred) as int64 arrays, one entry per labelled prediction."""
    index = {c: i for i, c in enumerate(CLASSES)}
    predicted = {}
    loads = json.loads
    with open(predictions_path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            r = loads(line)
            predicted[r["id"]] = index[r["label"]]
    y_true, y_pred = [], []
    missing = 0
    with open(labels_path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            r = loads(line)
            p = predicted.get(r["prediction_id"])
            if p is None:
                missing += 1
                continue
            y_true.append(index[r["label"]])
            y_pred.append(p)
    if missing:
        print(f"bench_sklearn: {missing} labels without a prediction were skipped", file=sys.stderr)
    return np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64), len(predicted)


def load(predictions_path, labels_path, cache):
    key = json.dumps(file_key([predictions_path, labels_path]))
    if cache and os.path.exists(cache):
        try:
            with np.load(cache, allow_pickle=False) as z:
                if str(z["key"]) == key:
                    return z["y_true"], z["y_pred"], int(z["n_predictions"]), True
        except Exception:  # a corrupt or old cache: parse again
            pass
    y_true, y_pred, n_predictions = parse(predictions_path, labels_path)
    if cache:
        tmp = cache + ".tmp.npz"
        np.savez(tmp, key=np.array(key), y_true=y_true, y_pred=y_pred, n_predictions=np.array(n_predictions))
        os.replace(tmp, cache)
    return y_true, y_pred, n_predictions, False


def compute(y_true, y_pred):
    """The timed work: the confusion matrix and every precision/recall/F1 variant vigil reports."""
    cm = confusion_matrix(y_true, y_pred, labels=LABELS)
    per = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, average=None, zero_division=0)
    avg = {a: precision_recall_fscore_support(y_true, y_pred, labels=LABELS, average=a, zero_division=0)
           for a in ("macro", "micro", "weighted")}
    return cm, per, avg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--predictions", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache", help="an .npz file to keep the parsed arrays in")
    a = ap.parse_args()

    t0 = time.perf_counter()
    y_true, y_pred, n_predictions, cached = load(a.predictions, a.labels, a.cache)
    load_seconds = time.perf_counter() - t0
    # Touch the arrays once so that the first timed repetition does not pay for page faults.
    int(y_true.sum()) + int(y_pred.sum())

    times = []
    result = None
    for _ in range(max(1, a.repeat)):
        start = time.perf_counter()
        result = compute(y_true, y_pred)
        times.append(time.perf_counter() - start)
    cm, (p, r, f, s), avg = result

    out = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "n_predictions": n_predictions,
        "n_labeled": int(len(y_true)),
        "load_seconds": load_seconds,
        "loaded_from_cache": cached,
        "times": times,
        "best": min(times),
        "median": statistics.median(times),
        "classes": CLASSES,
        "confusion_matrix": cm.tolist(),
        "per_class": [{"class": CLASSES[k], "precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]),
                       "support": int(s[k])} for k in LABELS],
        "macro": dict(zip(("precision", "recall", "f1"), map(float, avg["macro"][:3]))),
        "micro": dict(zip(("precision", "recall", "f1"), map(float, avg["micro"][:3]))),
        "weighted": dict(zip(("precision", "recall", "f1"), map(float, avg["weighted"][:3]))),
        # Not timed: only for the agreement check.
        "accuracy": float(accuracy_score(y_true, y_pred)),
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
