#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/sequential_cases.json: seeded streams and river's
detection indices for drift.ADWIN and drift.PageHinkley, for Vigil's ports (expected: the
same indices; ADWIN's final width, total and variance to 1e-9 relative).

Rerun from scratch (from the repository root):

    python3 -m venv /tmp/vigil-peers && /tmp/vigil-peers/bin/pip install numpy river
    /tmp/vigil-peers/bin/python scripts/make_sequential_fixture.py

The streams are a pure function of SEED (numpy default_rng) and are stored in the file, so
the Swift tests need no generator. Each stream is run through every detector setting listed
in ADWIN_SETTINGS / PH_SETTINGS (keys as in Vigil's policy YAML), river used exactly so:

    d = drift.ADWIN(**settings)            # or drift.PageHinkley(**settings)
    for i, x in enumerate(stream):
        d.update(x)
        if d.drift_detected: hits.append(i)

and for ADWIN the state after the last value: d.width, d.total, d.variance, d.n_detections
(river's n_detections restarts at each reset that follows a detection).
"""
import json
import os

import numpy as np
import river
from river import drift

SEED = 20261125
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VigilCoreTests", "Fixtures", "sequential_cases.json")

ADWIN_SETTINGS = [
    {"delta": 0.002, "clock": 32, "max_buckets": 5, "min_window_length": 5, "grace_period": 10},
    {"delta": 0.05, "clock": 32, "max_buckets": 5, "min_window_length": 5, "grace_period": 10},
]
# Also a setting that tests at every value with fewer buckets (on streams up to 5,000 only).
ADWIN_EVERY_VALUE = {"delta": 0.01, "clock": 1, "max_buckets": 3, "min_window_length": 8, "grace_period": 20}
PH_DEFAULTS = {"min_instances": 30, "delta": 0.005, "threshold": 50.0, "alpha": 1 - 0.0001}
PH_OTHER = {"min_instances": 10, "delta": 0.01, "threshold": 15.0, "alpha": 0.999}
PH_SETTINGS = [dict(base, mode=m) for base in (PH_DEFAULTS, PH_OTHER) for m in ("both", "up", "down")]


def streams(rng):
    """(name, values, integer?) for every case."""
    def bernoulli(n, p0, p1, at):
        k = int(n * at)
        return np.concatenate([rng.random(k) < p0, rng.random(n - k) < p1]).astype(int).tolist()

    def gaussian(segments, sd=1.0, offset=0.0):
        return np.concatenate([offset + m + sd * rng.standard_normal(n) for m, n in segments]).tolist()

    out = []
    for n in (50, 200, 1000, 5000, 20000, 50000):
        out.append((f"bernoulli accuracy 0.9 to 0.7 at 2/3, n={n}", bernoulli(n, 0.9, 0.7, 2 / 3), True))
    out.append(("bernoulli accuracy 0.95 to 0.93 at 1/2, n=50000 (small drop)", bernoulli(50000, 0.95, 0.93, 0.5), True))
    out.append(("bernoulli accuracy 0.7 to 0.95 at 1/3, n=5000 (rise)", bernoulli(5000, 0.7, 0.95, 1 / 3), True))
    out.append(("bernoulli no change 0.85, n=20000", bernoulli(20000, 0.85, 0.85, 0.5), True))
    for n, shift in ((500, 1.0), (5000, 0.3), (10000, -0.5)):
        out.append((f"gaussian mean shift {shift} at 1/2, n={n}", gaussian([(0, n // 2), (shift, n - n // 2)]), False))
    out.append(("gaussian no change, n=10000", gaussian([(0, 10000)]), False))
    out.append(("gaussian several changes 0,2,-1,1,3 x 2000", gaussian([(m, 2000) for m in (0, 2, -1, 1, 3)]), False))
    out.append(("gaussian large offset 1e6, sd 1e-3, shift 1e-2 at 3000", gaussian([(0, 3000), (1e-2, 3000)], sd=1e-3, offset=1e6), False))
    out.append(("river docstring shape: 0/1 then 4..7", rng.integers(0, 2, 1000).tolist() + rng.integers(4, 8, 1000).tolist(), True))
    out.append(("constant 1, n=2000", [1] * 2000, True))
    out.append(("constant 0, n=500", [0] * 500, True))
    out.append(("constant 1 then 0, n=400", [1] * 200 + [0] * 200, True))
    out.append(("step 0 to 1 at 60, n=120", [0] * 60 + [1] * 60, True))
    for n in (0, 1, 5, 10, 11, 12, 29, 30, 31, 32, 33, 64):
        out.append((f"short bernoulli 0.5, n={n}", (rng.random(n) < 0.5).astype(int).tolist(), True))
    out.append(("alternating 0/1, n=3000", [i % 2 for i in range(3000)], True))
    return out


# Page-Hinkley exactly at its threshold: with alpha 1, delta 0 and threshold 1, the stream
# 0, 2 gives test_increase = 1 (not > 1), and 0, 2, 0, 2 ... keeps landing near it.
THRESHOLD_CASES = [
    ("page-hinkley at threshold: 0,2", [0.0, 2.0]),
    ("page-hinkley at threshold: 0,2,2", [0.0, 2.0, 2.0]),
    ("page-hinkley at threshold: 2,0,0", [2.0, 0.0, 0.0]),
    ("page-hinkley at threshold: 0,0,0,4", [0.0, 0.0, 0.0, 4.0]),
]
PH_AT_THRESHOLD = [{"min_instances": 1, "delta": 0.0, "threshold": 1.0, "alpha": 1.0, "mode": m} for m in ("both", "up", "down")]


def run(detector, stream):
    hits = []
    for i, x in enumerate(stream):
        detector.update(x)
        if detector.drift_detected:
            hits.append(i)
    return hits


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    for name, values, integer in streams(rng):
        floats = [float(v) for v in values]
        runs = []
        adwins = ADWIN_SETTINGS + ([ADWIN_EVERY_VALUE] if len(values) <= 5000 else [])
        for s in adwins:
            d = drift.ADWIN(**s)
            hits = run(d, floats)
            runs.append({"detector": "adwin", "settings": s, "detections": hits,
                         "width": d.width, "total": d.total, "variance": d.variance, "estimation": d.estimation,
                         "n_detections": d.n_detections})
        for s in PH_SETTINGS:
            runs.append({"detector": "page-hinkley", "settings": s, "detections": run(drift.PageHinkley(**s), floats)})
        cases.append({"name": name, "stream": values, "runs": runs})
        print(f"{name}: " + "; ".join(f"{r['detector']} {len(r['detections'])}" for r in runs))
    for name, values in THRESHOLD_CASES:
        runs = [{"detector": "page-hinkley", "settings": s, "detections": run(drift.PageHinkley(**s), values)} for s in PH_AT_THRESHOLD]
        cases.append({"name": name, "stream": values, "runs": runs})
        print(f"{name}: " + "; ".join(str(r["detections"]) for r in runs))
    with open(OUT, "w") as f:
        json.dump({"river": river.__version__, "numpy": np.__version__, "seed": SEED, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT) / 1e6:.2f} MB), river {river.__version__}")


if __name__ == "__main__":
    main()
