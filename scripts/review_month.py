#!/usr/bin/env python3
"""A month of review-queue traffic as a user meets it, measured from the store.

A real image classifier (scikit-learn's handwritten digits, classes "0"…"9", logistic
regression trained on half the images) serves 600 predictions a day for DAYS days; half of
each day's predictions get their true label by `vigil ingest labels` a day later. The policy
samples `@hourly` with daily_budget 200 and shares 50/30/20 (uniform, stratified,
uncertainty). `vigil tick` runs every hour, with VIGIL_NOW.

Prints, from the store: items queued per rolling day against the budget, the realised mix,
queue states (open, done, closed by ingested labels), open items that already have ground
truth (a reviewer would be served them), and how items are grouped by predicted class in
serving order (the longest run of one class among the first 200 open items).

    scripts/review_month.py --vigil .build/release/vigil [--days 30] [--dir /tmp/month]
"""
import argparse, datetime as dt, json, os, shutil, sqlite3, subprocess, sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

POLICY = """model: digits
task: classification
classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
evaluation:
  window: 1d
  label_delay: 1d
schedule:
  - {job: sample, cron: "@hourly"}
sampling:
  daily_budget: 200
  window: 1d
  min_per_class: 12
  strategies:
    - {strategy: uniform, share: 0.5}
    - {strategy: stratified, share: 0.3}
    - {strategy: uncertainty, share: 0.2}
"""


def run(vigil, args, root, now):
    env = dict(os.environ, VIGIL_NOW=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    p = subprocess.run([vigil] + args + ["--workspace", root], env=env, capture_output=True, text=True)
    if p.returncode not in (0, 1, 2, 3):
        sys.exit(f"vigil {' '.join(args)} failed: {p.stderr}")
    return p.stdout


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--vigil", required=True)
    a.add_argument("--days", type=int, default=30)
    a.add_argument("--dir", default="/tmp/vigil-review-month")
    o = a.parse_args()
    shutil.rmtree(o.dir, ignore_errors=True)
    subprocess.run([o.vigil, "init", "--dir", o.dir], check=True, capture_output=True)
    for f in os.listdir(o.dir + "/policies"):
        os.remove(o.dir + "/policies/" + f)
    open(o.dir + "/policies/digits.yaml", "w").write(POLICY)

    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(7)
    order = rng.permutation(len(y))
    train, serve = order[: len(y) // 2], order[len(y) // 2:]
    model = LogisticRegression(max_iter=2000).fit(x[train] / 16, y[train])
    proba = model.predict_proba(x[serve] / 16)

    start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    per_day = 600
    labels_due = {}
    for day in range(o.days):
        day_start = start + dt.timedelta(days=day)
        picks = rng.integers(0, len(serve), per_day)
        preds, labels = [], []
        for i, k in enumerate(picks):
            ts = day_start + dt.timedelta(seconds=int(86400 * i / per_day))
            pid = f"d{day}-{i}"
            p = proba[k]
            top = int(np.argmax(p))
            preds.append(json.dumps({"id": pid, "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "model": "digits", "label": str(top),
                                     "score": round(float(p[top]), 6), "scores": {str(c): round(float(p[c]), 6) for c in range(10)},
                                     "input": {"uri": f"digits/{serve[k]}.png"}}))
            if rng.random() < 0.5:
                labels.append(json.dumps({"prediction_id": pid, "label": str(int(y[serve[k]]))}))
        path = f"{o.dir}/p{day}.ndjson"
        open(path, "w").write("\n".join(preds) + "\n")
        run(o.vigil, ["ingest", "predictions", path], o.dir, day_start)
        labels_due[day + 1] = labels
        if labels_due.get(day):
            lpath = f"{o.dir}/l{day}.ndjson"
            open(lpath, "w").write("\n".join(labels_due[day]) + "\n")
            run(o.vigil, ["ingest", "labels", lpath], o.dir, day_start)
        for h in range(24):
            run(o.vigil, ["tick"], o.dir, day_start + dt.timedelta(hours=h, minutes=1))

    db = sqlite3.connect(o.dir + "/.vigil/vigil.db")
    items = db.execute("""SELECT i.id, i.strategy, i.sampled_at, i.state, p.label_idx,
                            EXISTS (SELECT 1 FROM ground_truth g WHERE g.prediction_seq = i.prediction_seq) AS has_truth
                          FROM review_items i JOIN predictions p ON p.seq = i.prediction_seq ORDER BY i.id""").fetchall()
    cols = {r[1] for r in db.execute("PRAGMA table_info(review_items)")}
    closed = db.execute("SELECT COUNT(*) FROM review_items WHERE closed_by IS NOT NULL AND closed_by <> 'review'").fetchone()[0] if "closed_by" in cols else 0
    ms = lambda d: int(d.timestamp() * 1000)
    daily = []
    for day in range(1, o.days):
        t = ms(start + dt.timedelta(days=day))
        daily.append([r for r in items if t - 86_400_000 <= r[2] < t])
    counts = [len(d) for d in daily]
    mix = {s: sum(1 for d in daily for r in d if r[1] == s) for s in ("uniform", "stratified", "uncertainty")}
    total = sum(mix.values()) or 1
    states = {s: sum(1 for r in items if r[3] == s) for s in ("open", "done", "flagged")}
    open_with_truth = sum(1 for r in items if r[3] == "open" and r[5])
    served = [r[4] for r in items if r[3] == "open"][:200]
    longest, run_len = 0, 0
    for i, c in enumerate(served):
        run_len = run_len + 1 if i and c == served[i - 1] else 1
        longest = max(longest, run_len)
    print(json.dumps({
        "days": o.days, "items": len(items),
        "per_day": {"min": min(counts), "mean": round(sum(counts) / len(counts), 1), "max": max(counts), "budget": 200},
        "mix_percent": {s: round(100 * n / total, 1) for s, n in mix.items()}, "policy_percent": {"uniform": 50, "stratified": 30, "uncertainty": 20},
        "states": states, "closed_by_ingested_labels": closed, "open_with_ground_truth": open_with_truth,
        "longest_same_class_run_in_first_200_open": longest,
    }, indent=1))


if __name__ == "__main__":
    main()
