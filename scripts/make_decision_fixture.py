#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/decision_cases.json: seeded cases for the decision rule
of threshold findings (docs/statistics.md, "Decisions on evidence"), with the expected values
computed by statsmodels and SciPy (expected agreement: p-values 1e-9 absolute).

Rerun from scratch (from the repository root):

    python3 -m venv /tmp/vigil-peers && /tmp/vigil-peers/bin/pip install numpy scipy statsmodels
    /tmp/vigil-peers/bin/python scripts/make_decision_fixture.py

What each block holds, and the peer call that produced it:
  absolute   families of per-class proportions x/n judged against absolute levels (warning W,
             critical C):
               p      statsmodels.stats.proportion.proportions_ztest(x, n, value=L,
                      alternative="smaller", prop_var=L)[1]   (the Wilson score test), per level
               bh     statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1], per level
               severity  critical when bh(C) < (1 - confidence)/2, else warning when bh(W) < that, else ok
  relative   one proportion against its baseline with a drop D:
               se     (upper - lower) / (2 z) of statsmodels proportion_confint(x, n, alpha, method="wilson")
               p      scipy.stats.norm.cdf((x/n - xb/nb + D) / sqrt(se^2 + se_b^2))
"""
import json
import numpy as np
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

rng = np.random.default_rng(21)
CONFIDENCE = 0.95
ALPHA = (1 - CONFIDENCE) / 2


def family(k, warning, critical):
    rows = []
    for _ in range(k):
        n = int(rng.integers(12, 400))
        p = float(rng.choice([rng.uniform(0.3, 0.99), warning, critical]))
        x = int(rng.binomial(n, min(max(p, 0.01), 0.99)))
        rows.append((x, n))
    out = {"warning": warning, "critical": critical, "rows": rows}
    for name, level in (("warning", warning), ("critical", critical)):
        ps = [float(proportions_ztest(x, n, value=level, alternative="smaller", prop_var=level)[1]) for x, n in rows]
        out[name + "_p"] = ps
        out[name + "_bh"] = [float(v) for v in multipletests(ps, method="fdr_bh")[1]]
    out["severity"] = ["critical" if c < ALPHA else "warning" if w < ALPHA else "ok"
                       for w, c in zip(out["warning_bh"], out["critical_bh"])]
    return out


def relative():
    n, nb = int(rng.integers(15, 600)), int(rng.integers(100, 3000))
    pb = float(rng.uniform(0.6, 0.97))
    p = pb - float(rng.uniform(-0.05, 0.25))
    x, xb = int(rng.binomial(n, min(max(p, 0.01), 0.99))), int(rng.binomial(nb, pb))
    drop = float(rng.choice([0.0, 0.03, 0.05, 0.1]))
    z = norm.ppf(1 - ALPHA)
    lo, hi = proportion_confint(x, n, alpha=1 - CONFIDENCE, method="wilson")
    lob, hib = proportion_confint(xb, nb, alpha=1 - CONFIDENCE, method="wilson")
    se, seb = (hi - lo) / (2 * z), (hib - lob) / (2 * z)
    pv = float(norm.cdf((x / n - xb / nb + drop) / np.sqrt(se * se + seb * seb)))
    return {"x": x, "n": n, "xb": xb, "nb": nb, "drop": drop, "p": pv}


cases = {
    "confidence": CONFIDENCE,
    "absolute": [family(int(rng.integers(1, 12)), w, c) for w, c in [(0.8, 0.65)] * 20 + [(0.9, 0.7)] * 10 + [(0.95, 0.5)] * 10],
    "relative": [relative() for _ in range(60)],
}
with open("Tests/VigilCoreTests/Fixtures/decision_cases.json", "w") as f:
    json.dump(cases, f, indent=1)
print("absolute families:", len(cases["absolute"]), "relative cases:", len(cases["relative"]),
      "severities:", {s: sum(r["severity"].count(s) for r in cases["absolute"]) for s in ("ok", "warning", "critical")})
