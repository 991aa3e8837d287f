#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/twosample_cases.json: inputs and the peers' answers for
the two-sample tests (scipy.stats.ks_2samp with its defaults, scipy.stats.wasserstein_distance,
and the MMD bandwidth and unbiased MMD^2 of scripts/mmd_numpy.py).

Rerun (numpy and scipy from pip; the venv of scripts/bench_mmd.sh works):
    /tmp/vigil-peers/bin/python scripts/make_twosample_fixture.py

Large KS samples are not stored: they are drawn from SplitMix64 (value = unit() + shift), which
the Swift tests regenerate bit for bit with VigilCore's SplitMix64.
"""
import json
import os

import numpy as np
import scipy
from scipy import stats

import mmd_numpy  # scripts/mmd_numpy.py: the vectorised numpy MMD test

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VigilCoreTests", "Fixtures", "twosample_cases.json")
MASK = (1 << 64) - 1


def splitmix(seed, count, shift):
    state, out = seed & MASK, []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        out.append(float(z >> 11) * 2.0 ** -53 + shift)
    return out


def mmd_observed(x, y):
    r = mmd_numpy.test(x, y, permutations=0, seed=0)
    return r["h"], r["mmd2"]


def ks_case(name, x, y, source=None):
    r = stats.ks_2samp(x, y)
    case = {"name": name, "statistic": float(r.statistic), "pvalue": float(r.pvalue),
            "location": float(r.statistic_location), "sign": int(r.statistic_sign)}
    if source is None:
        case["x"], case["y"] = [float(v) for v in x], [float(v) for v in y]
    else:
        case["splitmix"] = source
    return case


def generated(name, sx, nx, shx, sy, ny, shy):
    x, y = np.array(splitmix(sx, nx, shx)), np.array(splitmix(sy, ny, shy))
    return ks_case(name, x, y, {"x": [sx, nx, shx], "y": [sy, ny, shy]})


def main():
    rng = np.random.default_rng(20261125)
    ks = []
    ks.append(ks_case("equal sizes 50, shift 0.5", rng.normal(0, 1, 50), rng.normal(0.5, 1, 50)))
    ks.append(ks_case("unequal 30 vs 47", rng.normal(0, 1, 30), rng.normal(0.3, 1.2, 47)))
    ks.append(ks_case("ties (integers 0-5), 40 vs 60", rng.integers(0, 6, 40).astype(float), rng.integers(0, 6, 60).astype(float)))
    ks.append(ks_case("ties across samples, 25 vs 25", np.round(rng.normal(0, 1, 25), 1), np.round(rng.normal(0.2, 1, 25), 1)))
    ks.append(ks_case("small 5 vs 5", rng.normal(0, 1, 5), rng.normal(1, 1, 5)))
    ks.append(ks_case("small 5 vs 7", rng.normal(0, 1, 5), rng.normal(0, 1, 7)))
    same = rng.normal(0, 1, 100)
    ks.append(ks_case("identical samples", same, same.copy()))
    ks.append(ks_case("disjoint 20 vs 30", rng.uniform(0, 1, 20), rng.uniform(2, 3, 30)))
    ks.append(ks_case("disjoint 300 vs 300 (tiny p)", rng.uniform(0, 1, 300), rng.uniform(2, 3, 300)))
    ks.append(ks_case("tiny p, 500 vs 400", rng.normal(0, 1, 500), rng.normal(1.0, 1, 400)))
    ks.append(ks_case("scores 1000 vs 1500", rng.beta(5, 2, 1000), rng.beta(4.6, 2, 1500)))
    ks.append(ks_case("equal sizes 2000, shift 0.05", rng.normal(0, 1, 2000), rng.normal(0.05, 1, 2000)))
    ks.append(generated("exact 10000 vs 9000", 1, 10000, 0.0, 2, 9000, 0.0))
    ks.append(generated("exact 10000 vs 10000, shift 0.02", 3, 10000, 0.0, 4, 10000, 0.02))
    ks.append(generated("asymptotic 10001 vs 9000", 5, 10001, 0.0, 6, 9000, 0.01))
    ks.append(generated("asymptotic 12000 vs 11000, shift 0.03 (smirnov tail)", 7, 12000, 0.0, 8, 11000, 0.03))
    ks.append(generated("asymptotic 12000 vs 12000 (Pelz-Good)", 9, 12000, 0.0, 10, 12000, 0.0))
    ks.append(generated("asymptotic 5 vs 20000 (n=5)", 11, 5, 0.2, 12, 20000, 0.0))
    ks.append(generated("asymptotic 60 vs 10500 (Pomeranz)", 13, 60, 0.1, 14, 10500, 0.0))
    ks.append(generated("asymptotic 100 vs 10500 (Durbin, small n)", 15, 100, 0.0, 16, 10500, 0.0))
    ks.append(generated("asymptotic 400 vs 10500 (Pelz-Good)", 17, 400, 0.0, 18, 10500, 0.0))
    ks.append(generated("asymptotic 30 vs 11000 shifted (2 smirnov, n<=140)", 19, 30, 0.5, 20, 11000, 0.0))
    ks.append(generated("asymptotic 3 vs 10100 (Ruben-Gambino)", 21, 3, 0.9, 22, 10100, 0.0))

    ws = []
    for name, u, v, uw, vw in [
        ("small integers", [0, 1, 3], [5, 6, 8], None, None),
        ("normal 200 vs 300", rng.normal(0, 1, 200), rng.normal(0.4, 1.3, 300), None, None),
        ("ties", rng.integers(0, 5, 50).astype(float), rng.integers(1, 6, 70).astype(float), None, None),
        ("scores 5000 vs 4000", rng.beta(5, 2, 5000), rng.beta(4, 2, 4000), None, None),
        ("weighted", [0, 8, 3.5, 1], [0, 8, 2], [3, 1, 2, 0.5], [2, 2, 1]),
        ("weighted 100 vs 80", rng.normal(0, 1, 100), rng.normal(0.2, 1, 80), rng.uniform(0.1, 2, 100), rng.uniform(0.1, 2, 80)),
    ]:
        case = {"name": name, "u": [float(a) for a in u], "v": [float(a) for a in v],
                "distance": float(stats.wasserstein_distance(u, v, uw, vw))}
        if uw is not None:
            case["u_weights"], case["v_weights"] = [float(a) for a in uw], [float(a) for a in vw]
        ws.append(case)

    mmd = []
    for name, n, m, d, shift in [("n=m=200, d=8, no shift", 200, 200, 8, 0.0),
                                 ("n=m=200, d=8, +0.5 on 2 dims", 200, 200, 8, 0.5),
                                 ("n=150, m=230, d=8, +0.3 on 2 dims", 150, 230, 8, 0.3),
                                 ("n=40, m=25, d=3", 40, 25, 3, 0.0)]:
        x = np.round(rng.normal(0, 1, (n, d)), 6)
        y = np.round(rng.normal(0, 1, (m, d)), 6)
        y[:, :2] += shift
        h, obs = mmd_observed(x, y)
        mmd.append({"name": name, "dim": d, "x": x.ravel().tolist(), "y": y.ravel().tolist(),
                    "bandwidth_h": h, "mmd2": obs})

    with open(OUT, "w") as f:
        json.dump({"numpy": np.__version__, "scipy": scipy.__version__, "ks": ks, "wasserstein": ws, "mmd": mmd}, f)
    print(f"wrote {OUT}: {len(ks)} KS, {len(ws)} Wasserstein, {len(mmd)} MMD cases")


if __name__ == "__main__":
    main()
