#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/drift_cases.json: seeded cases for the drift statistics
on class counts and paired tables, with the expected values computed by SciPy and statsmodels
(expected agreement: statistics 1e-9 relative, p-values 1e-9 absolute).

Rerun from scratch (from the repository root):

    python3 -m venv /tmp/vigil-peers && /tmp/vigil-peers/bin/pip install numpy scipy statsmodels
    /tmp/vigil-peers/bin/python scripts/make_drift_fixture.py

What each block holds, and the peer call that produced it:
  chi2_sf        scipy.stats.chi2.sf(x, df) on a grid
  binomial       scipy.stats.binomtest(k, n, 0.5).pvalue (two-sided)
  categorical    per case (reference counts r, current counts c, both over the same classes):
                   gof_chi2   scipy.stats.chisquare(c, f_exp=r/sum(r)*sum(c))   (classes with r = c = 0 dropped)
                   gof_g      scipy.stats.power_divergence(c, f_exp=..., lambda_="log-likelihood")
                   cont_chi2  scipy.stats.chi2_contingency([r, c])               (Yates when dof = 1)
                   cont_g     scipy.stats.chi2_contingency([r, c], lambda_="log-likelihood")
                   psi        sum((a-b)*ln(a/b)), a, b = shares floored at 1e-4
                   js         scipy.spatial.distance.jensenshannon(c, r, base=2)
  paired         per case a K x K table (rows predicted, columns observed):
                   stuart_maxwell  statsmodels SquareTable(t, shift_zeros=False).homogeneity("stuart_maxwell"),
                                   on the table restricted to classes with at least one discordant item
                   mcnemar         per class (b, c): statsmodels mcnemar(exact=True) and (exact=False, correction=True)
  bh             statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1]
"""
import json
import os

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon
from statsmodels.stats.contingency_tables import SquareTable, mcnemar
from statsmodels.stats.multitest import multipletests

SEED = 20261125
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VigilCoreTests", "Fixtures", "drift_cases.json")


def psi(c, r, floor=1e-4):
    a = np.maximum(c, floor)
    b = np.maximum(r, floor)
    return float(np.sum((a - b) * np.log(a / b)))


def categorical_case(r, c):
    r = np.asarray(r, dtype=float)
    c = np.asarray(c, dtype=float)
    keep = ~((r == 0) & (c == 0))
    rk, ck = r[keep], c[keep]
    exp = rk / rk.sum() * ck.sum()
    gof = stats.chisquare(ck, f_exp=exp)
    gofg = stats.power_divergence(ck, f_exp=exp, lambda_="log-likelihood")
    cont = stats.chi2_contingency(np.vstack([rk, ck]))
    contg = stats.chi2_contingency(np.vstack([rk, ck]), lambda_="log-likelihood")
    return {
        "reference": r.tolist(), "current": c.tolist(),
        "gof_chi2": [float(gof.statistic), float(gof.pvalue)],
        "gof_g": [float(gofg.statistic), float(gofg.pvalue)],
        "cont_chi2": [float(cont.statistic), float(cont.pvalue), int(cont.dof)],
        "cont_g": [float(contg.statistic), float(contg.pvalue)],
        "psi": psi(c / c.sum(), r / r.sum()),
        "js": float(jensenshannon(c, r, base=2)),
    }


def paired_case(t):
    t = np.asarray(t, dtype=np.int64)
    k = t.shape[0]
    keep = [i for i in range(k) if any((t[i, j] > 0 or t[j, i] > 0) for j in range(k) if j != i)]
    sub = t[np.ix_(keep, keep)]
    if len(keep) >= 2:
        sm = SquareTable(sub, shift_zeros=False).homogeneity(method="stuart_maxwell")
        smv = [float(sm.statistic), float(sm.pvalue), int(sm.df)]
    else:
        smv = [0.0, 1.0, max(len(keep) - 1, 0)]
    per = []
    for c in range(k):
        b = int(t[c].sum() - t[c, c])
        cc = int(t[:, c].sum() - t[c, c])
        tab = np.array([[0, b], [cc, 0]])
        ex = mcnemar(tab, exact=True)
        if b + cc > 0:
            asy = mcnemar(tab, exact=False, correction=True)
            asyv = [float(asy.statistic), float(asy.pvalue)]
        else:
            asyv = None
        per.append({"b": b, "c": cc, "exact": [float(ex.statistic), float(ex.pvalue)], "corrected": asyv})
    return {"table": t.tolist(), "stuart_maxwell": smv, "mcnemar": per}


def main():
    rng = np.random.default_rng(SEED)
    out = {"seed": SEED, "peers": {"scipy": __import__("scipy").__version__, "statsmodels": __import__("statsmodels").__version__}}
    grid = []
    for df in [1, 2, 3, 5, 9, 10, 19, 50, 99, 250]:
        for x in [0.0, 1e-6, 0.01, 0.5, 1.0, 2.0, 3.84, df * 0.5, float(df), df + 0.3, df * 2.0, df * 4.0 + 10, 60.0, 150.0]:
            grid.append([x, df, float(stats.chi2.sf(x, df))])
    out["chi2_sf"] = grid
    out["binomial"] = [[k, n, float(stats.binomtest(k, n, 0.5).pvalue)] for n in [1, 2, 5, 10, 24, 25, 60, 200, 1000] for k in sorted({0, 1, n // 3, n // 2, n})]

    cases = []
    # Hand-made edges: two classes (Yates), an empty class in both, a class empty in one window, identical.
    cases.append(categorical_case([120, 80], [90, 110]))
    cases.append(categorical_case([50, 0, 30, 20], [45, 0, 40, 15]))
    cases.append(categorical_case([50, 5, 30, 20], [45, 0, 40, 15]))
    cases.append(categorical_case([100, 200, 300], [100, 200, 300]))
    for _ in range(14):
        k = int(rng.integers(3, 12))
        p = rng.dirichlet(np.ones(k) * 2)
        q = p if rng.random() < 0.4 else rng.dirichlet(np.ones(k) * 2) * 0.3 + p * 0.7
        nr, nc = int(rng.integers(200, 200_000)), int(rng.integers(100, 50_000))
        cases.append(categorical_case(rng.multinomial(nr, p), rng.multinomial(nc, q / q.sum())))
    out["categorical"] = cases

    paired = []
    paired.append(paired_case([[10, 2], [7, 30]]))
    paired.append(paired_case([[20, 0, 0], [0, 15, 4], [0, 1, 9]]))  # class 0 has no discordant items
    for _ in range(12):
        k = int(rng.integers(2, 11))
        n = int(rng.integers(30, 20_000))
        truth = rng.dirichlet(np.ones(k) * 3)
        acc = rng.uniform(0.5, 0.97)
        bias = rng.dirichlet(np.ones(k))
        t = np.zeros((k, k), dtype=np.int64)
        observed = rng.choice(k, size=n, p=truth)
        right = rng.random(n) < acc
        wrong = rng.choice(k, size=n, p=bias)
        predicted = np.where(right, observed, wrong)
        np.add.at(t, (predicted, observed), 1)
        paired.append(paired_case(t))
    out["paired"] = paired

    bh = []
    for m in [1, 3, 10, 40]:
        p = np.sort(rng.uniform(0, 1, m) ** 3) if m > 3 else rng.uniform(0, 0.05, m)
        p = rng.permutation(p)
        if m == 10:
            p[3] = p[5]  # a tie
        bh.append({"p": p.tolist(), "adjusted": multipletests(p, method="fdr_bh")[1].tolist()})
    out["bh"] = bh
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {OUT}: {len(cases)} categorical, {len(paired)} paired cases")


if __name__ == "__main__":
    main()
