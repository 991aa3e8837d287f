#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/detection_ece_cases.json: seeded (score, matched) detection
cases whose expected detection calibration error (D-ECE, confidence only) comes from netcal, for
the Swift re-implementation `DetectionCalibration` (expected agreement: |diff| <= 1e-12).

Rerun from scratch (from the repository root; netcal pulls torch, which is large):

    python3 -m venv /tmp/vigil-peers && /tmp/vigil-peers/bin/pip install netcal && /tmp/vigil-peers/bin/python scripts/make_detection_ece_fixture.py

The cases are a pure function of SEED (numpy default_rng). Per case, netcal is used exactly so:

    X = np.asarray(scores, dtype=np.float64).reshape(-1, 1)     # confidence only, one feature
    y = np.asarray(matched, dtype=np.float64)                   # 1 = true positive at the IoU
    ece = ECE(bins=bins, detection=True, equal_intervals=True, sample_threshold=sample_threshold)
    value = ece.measure(X, y)

and the case records `ece` = value. The reliability bins come from netcal's own binning (the
histograms `measure` uses internally), with sample_threshold=1 so every non-empty bin is shown:

    R = ECE(bins=bins, detection=True, equal_intervals=True, sample_threshold=1)
    Xs, matched, _, bounds, _ = R.prepare(X, y)
    (precision, mean_score), counts, _, _ = R.binning(bounds[0], Xs[0], matched[0], Xs[0][:, 0], nan=np.nan)

recorded as `bin_counts`, `bin_precision`, `bin_mean_score` (null for an empty bin).

netcal clips confidences to [eps, 1 - eps] (float64 eps) before binning, its bin edges are
np.linspace(0, 1, bins + 1) (so 0.3 lies below the 4th of 11 edges, 0.30000000000000004), and a
confidence on an inner edge goes to the bin above. The hand-made cases pin these rules: scores on
bin edges written as decimals and as linspace values, exactly 0 and 1, empty bins, one detection,
all / none matched, and sample_threshold 2 and 3 (a thinned bin adds nothing to the sum but its
detections stay in the total).
"""
import importlib.metadata
import json
import os

import numpy as np
from netcal.metrics import ECE

SEED = 20261207
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                   "Tests", "VigilCoreTests", "Fixtures", "detection_ece_cases.json")


def netcal_case(name, scores, matched, bins, sample_threshold=1):
    X = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
    y = np.asarray(matched, dtype=np.float64)
    value = ECE(bins=bins, detection=True, equal_intervals=True, sample_threshold=sample_threshold).measure(X, y)
    R = ECE(bins=bins, detection=True, equal_intervals=True, sample_threshold=1)
    Xs, m, _, bounds, _ = R.prepare(X, y)
    (precision, mean_score), counts, _, _ = R.binning(bounds[0], Xs[0], m[0], Xs[0][:, 0], nan=np.nan)
    nullable = lambda a: [None if np.isnan(v) else float(v) for v in a]
    return {
        "name": name, "bins": bins, "sample_threshold": sample_threshold,
        "scores": [float(s) for s in scores], "matched": [bool(v) for v in matched],
        "ece": float(value),
        "bin_counts": [int(c) for c in counts], "bin_precision": nullable(precision),
        "bin_mean_score": nullable(mean_score),
    }


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    # Random detectors: over-confident, under-confident, calibrated; raw and 2-decimal scores.
    for bins in (10, 15, 20):
        for n in (1, 7, 60, 400):
            for shape, name in ((0.6, "overconfident"), (1.0, "calibrated"), (1.8, "underconfident")):
                scores = rng.uniform(0, 1, n)
                matched = rng.uniform(0, 1, n) < scores ** shape
                cases.append(netcal_case(f"random_{name}_n{n}_b{bins}", scores, matched, bins))
                rounded = np.round(scores, 2)
                cases.append(netcal_case(f"rounded_{name}_n{n}_b{bins}", rounded, matched, bins))
    # Scores exactly on bin edges: decimal literals, numpy linspace values, and 0 and 1.
    for bins in (10, 15, 20):
        decimals = [round(i / bins, 12) for i in range(bins + 1)]
        linspace = [float(v) for v in np.linspace(0, 1, bins + 1)]
        for label, edges in (("decimal", decimals), ("linspace", linspace)):
            scores = edges * 3
            matched = rng.uniform(0, 1, len(scores)) < 0.5
            cases.append(netcal_case(f"edges_{label}_b{bins}", scores, matched, bins))
        cases.append(netcal_case(f"zero_and_one_b{bins}", [0.0, 1.0, 1.0, 0.0, 0.5, 1.0], [False, True, False, True, True, True], bins))
        tenths = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]
        cases.append(netcal_case(f"tenths_and_halves_b{bins}", tenths, [i % 3 == 0 for i in range(len(tenths))], bins))
    # Empty bins: every score in two narrow clusters.
    for bins in (10, 15, 20):
        scores = np.concatenate([rng.uniform(0.05, 0.12, 20), rng.uniform(0.88, 0.99, 30)])
        matched = rng.uniform(0, 1, 50) < np.where(scores > 0.5, 0.7, 0.2)
        cases.append(netcal_case(f"clusters_empty_bins_b{bins}", scores, matched, bins))
    # Degenerate: one detection, all matched, none matched, one bin only.
    for bins in (10, 15, 20):
        cases.append(netcal_case(f"single_b{bins}", [0.42], [True], bins))
        s = rng.uniform(0, 1, 40)
        cases.append(netcal_case(f"all_matched_b{bins}", s, [True] * 40, bins))
        cases.append(netcal_case(f"none_matched_b{bins}", s, [False] * 40, bins))
        cases.append(netcal_case(f"one_bin_b{bins}", [0.97, 0.98, 0.99, 0.975], [True, False, True, True], bins))
    # sample_threshold > 1: thinned bins add nothing but keep their share of the total.
    for bins in (10, 15, 20):
        for threshold in (2, 3):
            scores = np.round(rng.uniform(0, 1, 25), 3)
            matched = rng.uniform(0, 1, 25) < scores
            cases.append(netcal_case(f"sample_threshold{threshold}_b{bins}", scores, matched, bins, threshold))

    doc = {
        "generator": "scripts/make_detection_ece_fixture.py",
        "netcal": importlib.metadata.version("netcal"),
        "numpy": np.__version__,
        "scipy": importlib.metadata.version("scipy"),
        "seed": SEED,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes, {len(cases)} cases)")
    for c in cases:
        print(f"  {c['name']:34s} n={len(c['scores']):3d} bins={c['bins']:2d} thr={c['sample_threshold']} ECE={c['ece']:.12f}")


if __name__ == "__main__":
    main()
