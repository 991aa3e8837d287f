#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/sweep_cases.json: the expected threshold sweeps
(precision and recall against the score threshold) for Vigil's ThresholdSweep, from
scikit-learn's precision_recall_curve, on two kinds of input:

1. "scores": seeded random scores (with ties: some rounded to 2 decimals) and correctness
   flags; expected = precision_recall_curve(correct, scores) as it returns it.
2. "detection": every case of Tests/VigilCoreTests/Fixtures/coco_cases.json (the detection
   fixture pycocotools checks). pycocotools matches the detections at IoU 0.5 (area "all",
   maxDets 100: E.evalImgs' dtMatches[0] and dtIgnore[0]); the detections it does not ignore
   become (score, matched) pairs per category, and precision_recall_curve gives the curve.
   Its recall divides by the matched detections, Vigil's by the ground-truth boxes (the
   objects no detection found count too), so the case records both numbers: Vigil's recall is
   scikit-learn's times matched / ground truth. A case with more than 100 detections of one
   class in one image is marked truncated_at_100 (pycocotools drops the rest, Vigil does not).

Rerun from the repository root (numpy, scikit-learn, pycocotools):

    python3 scripts/make_sweep_fixture.py

Agreement expected: 1e-12 (both compute the same ratios of integers).
"""
import json
import os

import numpy as np
import sklearn
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from sklearn.metrics import precision_recall_curve

SEED = 20261207
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "VigilCoreTests", "Fixtures")


def curve(correct, scores):
    precision, recall, thresholds = precision_recall_curve(np.array(correct, dtype=int), np.array(scores, dtype=float))
    # scikit-learn appends (precision 1, recall 0) with no threshold; the rest is ascending.
    return {"thresholds": thresholds.tolist(), "precision": precision[:-1].tolist(), "recall": recall[:-1].tolist()}


def score_cases(rng):
    cases = []
    for i, (n, p_correct, rounding) in enumerate([(50, 0.5, None), (400, 0.8, 2), (1000, 0.3, 2), (7, 0.6, 1)]):
        scores = rng.random(n)
        if rounding is not None:
            scores = np.round(scores, rounding)
        correct = (rng.random(n) < p_correct * (0.5 + scores)).tolist()
        if not any(correct):
            correct[0] = True
        cases.append({"name": f"scores_{i}", "scores": scores.tolist(), "correct": correct, "expected": curve(correct, scores)})
    return cases


def detection_cases():
    coco_cases = json.load(open(os.path.join(FIXTURES, "coco_cases.json")))["cases"]
    cases = []
    for case in coco_cases:
        gt = COCO()
        gt.dataset = {"images": case["images"], "annotations": case["annotations"],
                      "categories": [{"id": c, "name": f"c{c}"} for c in case["categories"]]}
        gt.createIndex()
        if not case["detections"]:
            continue
        dt = gt.loadRes(case["detections"])
        E = COCOeval(gt, dt, "bbox")
        E.params.iouThrs = np.array([0.5])
        E.evaluate()
        per_class = {}
        for c in case["categories"]:
            scores, correct, gt_boxes = [], [], 0
            for e in E.evalImgs:
                if e is None or e["category_id"] != c or e["aRng"] != E.params.areaRng[0] or e["maxDet"] != 100:
                    continue
                gt_boxes += int(np.sum(np.logical_not(e["gtIgnore"])))
                for s, m, ign in zip(e["dtScores"], e["dtMatches"][0], e["dtIgnore"][0]):
                    if not ign:
                        scores.append(float(s))
                        correct.append(bool(m > 0))
            entry = {"ground_truth": gt_boxes, "matched": int(sum(correct)), "detections": len(scores)}
            if scores and any(correct):
                entry["expected"] = curve(correct, scores)
            per_class[str(c)] = entry
        per_image_class = {}
        for d in case["detections"]:
            key = (d["image_id"], d["category_id"])
            per_image_class[key] = per_image_class.get(key, 0) + 1
        # pycocotools keeps the 100 best detections per image and class; Vigil's sweep keeps all.
        truncated = max(per_image_class.values()) > 100
        cases.append({"name": case["name"], "truncated_at_100": truncated, "per_class": per_class})
    return cases


def main():
    rng = np.random.default_rng(SEED)
    out = {"generator": "scripts/make_sweep_fixture.py", "sklearn": sklearn.__version__, "seed": SEED,
           "scores": score_cases(rng), "detection": detection_cases()}
    with open(os.path.join(FIXTURES, "sweep_cases.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
