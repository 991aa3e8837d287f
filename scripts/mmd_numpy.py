#!/usr/bin/env python3
"""The vectorised numpy MMD two-sample test that Vigil is checked against (the algorithm of
peerbench's peers/mmd.py, copied so the project stands alone): RBF kernel
k(x, y) = exp(-||x - y||^2 / h), h = median of ||z_i - z_j||^2 over pooled pairs i < j,
unbiased MMD^2, p = (1 + #{perm >= observed}) / (1 + P); the kernel matrix once, all
permutations in one matrix product K @ A.

Used by scripts/make_twosample_fixture.py (import) and scripts/bench_mmd.sh (command line):
    python scripts/mmd_numpy.py reference.npy current.npy PERMUTATIONS   # prints JSON
"""
import json
import sys
import time

import numpy as np


def kernel(z):
    sq = np.einsum("ij,ij->i", z, z)
    d = sq[:, None] + sq[None, :] - 2.0 * (z @ z.T)
    np.maximum(d, 0, out=d)
    np.fill_diagonal(d, 0)
    iu = np.triu_indices(z.shape[0], 1)
    h = float(np.median(d[iu]))
    np.exp(-d / h, out=d)
    return d, h


def mmd2_from_sums(sxx, syy, sxy, n, m):
    # diag(K) = 1 for the RBF kernel, so the within-sample traces are n and m
    return (sxx - n) / (n * (n - 1)) + (syy - m) / (m * (m - 1)) - 2.0 * sxy / (n * m)


def test(x, y, permutations, seed, dtype=np.float64):
    z = np.vstack([x, y]).astype(dtype)
    n, m = x.shape[0], y.shape[0]
    big = n + m
    k, h = kernel(z)
    r = k.sum(axis=1)
    total = r.sum()

    def stat_for(a):  # a: (big, B) 0/1 indicators of the first sample
        aka = np.einsum("ij,ij->j", a, k @ a)
        ar = a.T @ r
        sxy = ar - aka
        syy = total - 2.0 * ar + aka
        return mmd2_from_sums(aka, syy, sxy, n, m)

    a0 = np.zeros((big, 1), dtype=dtype)
    a0[:n] = 1
    obs = float(stat_for(a0)[0])
    rng = np.random.default_rng(seed)
    a = np.zeros((big, permutations), dtype=dtype)
    for j in range(permutations):
        a[rng.permutation(big)[:n], j] = 1
    stats = stat_for(a) if permutations > 0 else np.zeros(0)
    count = int(np.sum(stats >= obs))
    return {"h": h, "mmd2": obs, "p": (1 + count) / (1 + permutations)}


if __name__ == "__main__":
    ref, cur = np.load(sys.argv[1]), np.load(sys.argv[2])
    t0 = time.perf_counter()
    result = test(ref, cur, int(sys.argv[3]), seed=0)
    result["seconds"] = time.perf_counter() - t0
    result["numpy"] = np.__version__
    print(json.dumps(result))
