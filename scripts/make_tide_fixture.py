#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/tide_cases.json: seeded synthetic detection windows with
every TIDE error kind present, and tidecv's figures for them, for the Swift ErrorTaxonomy.

Rerun from scratch (from the repository root):

    pip install tidecv && python3 scripts/make_tide_fixture.py

The cases are a pure function of SEED (numpy default_rng). Each image's ground truth boxes get an
outcome: found (IoU > .5, right class), localisation error (IoU .1-.5), classification error
(right place, wrong class), both (IoU .1-.5 with a box of another class), duplicate (a second,
lower-scored good box), missed (no box); images also get background boxes, a few have no ground
truth or no predictions, one has 110 predictions (tidecv keeps the 100 best per image), and the
last class is predicted but never annotated (tidecv counts it with AP 0).

Per case, tidecv is used exactly so (classes are label index + 1, images the list index):

    gt = Data("gt"); preds = Data("preds")
    gt.add_image(i, ...) for every image          # so images without ground truth count too
    gt.add_ground_truth(i, label + 1, [x, y, w, h])   (iscrowd: gt.add_ignore_region(...))
    preds.add_detection(i, label + 1, score, [x, y, w, h])
    tide = TIDE(); run = tide.evaluate(gt, preds, mode=TIDE.BOX)   # pos 0.5, background 0.1

and records (AP in tidecv's unit: percent points):
  ap50                run.ap
  dap                 tide.get_main_errors()["preds"]      {Cls, Loc, Both, Dupe, Bkg, Miss}
  ap50_if_fixed       run.fix_errors(isinstance(e, T)).get_mAP() per main error type T
  special_dap         tide.get_special_errors()["preds"]   {FalsePos, FalseNeg}
  counts              len(run.error_dict[T])
  per_class           {class: {"ap50": run.ap_data.objs[c].get_ap(),
                               "ap50_if_fixed": {T: run.fix_errors(T).objs[c].get_ap()},
                               "counts": {T: errors of T whose predicted box (misses: ground truth) is of c}}}
"""
import importlib.metadata
import json
import os

import numpy as np
from tidecv import TIDE
from tidecv.data import Data
from tidecv.errors.main_errors import (BackgroundError, BoxError, ClassError, DuplicateError,
                                       MissedError, OtherError)

SEED = 20261207
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                   "Tests", "VigilCoreTests", "Fixtures", "tide_cases.json")
MAIN = [ClassError, BoxError, OtherError, DuplicateError, BackgroundError, MissedError]
W, H = 640, 480


def r2(v):
    return round(float(v), 2)


def shifted(rng, box, lo, hi):
    """A box of the same size, moved along x until its IoU with `box` is in (lo, hi)."""
    x, y, w, h = box
    for _ in range(100):
        dx = rng.uniform(0, w)
        cand = [r2(x + dx), y, w, h]
        inter = max(0.0, w - dx) * h
        iou = inter / (2 * w * h - inter)
        if lo < iou < hi:
            return cand
    return [r2(x + 0.5 * w), y, w, h]


def jitter(rng, box, scale=0.04):
    x, y, w, h = box
    return [r2(x + rng.normal(0, scale * w)), r2(y + rng.normal(0, scale * h)),
            r2(w * (1 + rng.normal(0, scale))), r2(h * (1 + rng.normal(0, scale)))]


def random_box(rng):
    w, h = rng.uniform(20, 160), rng.uniform(20, 160)
    return [r2(rng.uniform(0, W - w)), r2(rng.uniform(0, H - h)), r2(w), r2(h)]


def make_case(rng, name, n_images, n_classes, score_digits, crowd):
    annotated = n_classes - 1  # the last class is only ever predicted
    images = []
    score = (lambda lo, hi: round(float(rng.uniform(lo, hi)), score_digits)) if score_digits \
        else (lambda lo, hi: float(rng.uniform(lo, hi)))
    outcomes = ["found", "found", "found", "loc", "cls", "both", "dupe", "miss"]
    for i in range(n_images):
        gts, preds = [], []
        n_gt = 0 if i % 17 == 5 else int(rng.integers(1, 7))
        for _ in range(n_gt):
            box, label = random_box(rng), int(rng.integers(0, annotated))
            gts.append({"label": label, "bbox": box})
            other = (label + 1 + int(rng.integers(0, n_classes - 1))) % n_classes
            outcome = outcomes[int(rng.integers(0, len(outcomes)))]
            if outcome in ("found", "dupe"):
                preds.append({"label": label, "bbox": jitter(rng, box), "score": score(0.3, 1.0)})
            if outcome == "dupe":
                preds.append({"label": label, "bbox": jitter(rng, box), "score": score(0.1, 0.8)})
            if outcome == "loc":
                preds.append({"label": label, "bbox": shifted(rng, box, 0.1, 0.5), "score": score(0.05, 0.9)})
            if outcome == "cls":
                preds.append({"label": other, "bbox": jitter(rng, box), "score": score(0.05, 0.9)})
            if outcome == "both":
                preds.append({"label": other, "bbox": shifted(rng, box, 0.1, 0.5), "score": score(0.05, 0.9)})
        for _ in range(int(rng.integers(0, 3))):
            preds.append({"label": int(rng.integers(0, n_classes)), "bbox": random_box(rng), "score": score(0.0, 0.6)})
        if crowd and i % 9 == 2:
            region = [r2(rng.uniform(0, 200)), r2(rng.uniform(0, 200)), 300.0, 250.0]
            label = int(rng.integers(0, annotated))
            gts.append({"label": label, "bbox": region, "iscrowd": 1})
            preds.append({"label": label, "bbox": jitter(rng, [region[0] + 20, region[1] + 20, 100.0, 80.0]), "score": score(0.1, 0.9)})
        if i == 7:
            preds += [{"label": int(rng.integers(0, n_classes)), "bbox": random_box(rng), "score": score(0.0, 0.2)} for _ in range(110)]
        if i % 23 == 11:
            preds = []
        rng.shuffle(preds)
        images.append({"ground_truth": gts, "predicted": preds})
    return {"name": name, "classes": n_classes, "images": images}


def tide_figures(case):
    gt, preds = Data("gt"), Data("preds")
    for i, image in enumerate(case["images"]):
        gt.add_image(i, f"image {i}")
        for b in image["ground_truth"]:
            if b.get("iscrowd"):
                gt.add_ignore_region(i, b["label"] + 1, b["bbox"])
            else:
                gt.add_ground_truth(i, b["label"] + 1, b["bbox"])
        for b in image["predicted"]:
            preds.add_detection(i, b["label"] + 1, b["score"], b["bbox"])
    tide = TIDE()
    run = tide.evaluate(gt, preds, mode=TIDE.BOX)
    main = tide.get_main_errors()["preds"]
    special = tide.get_special_errors()["preds"]
    fixed = {T.short_name: run.fix_errors(lambda e, T=T: isinstance(e, T)) for T in MAIN}
    per_class = {}
    for c in range(1, case["classes"] + 1):
        counts = {T.short_name: 0 for T in MAIN}
        for T in MAIN:
            for e in run.error_dict[T]:
                owner = e.pred if hasattr(e, "pred") else e.gt
                counts[T.short_name] += owner["class"] == c
        per_class[str(c - 1)] = {
            "ap50": run.ap_data.objs[c].get_ap() if c in run.ap_data.objs else None,
            "ap50_if_fixed": {k: (v.objs[c].get_ap() if c in v.objs else None) for k, v in fixed.items()},
            "counts": counts,
        }
    return {
        "ap50": run.ap,
        "dap": {k: float(v) for k, v in main.items()},
        "ap50_if_fixed": {k: v.get_mAP() for k, v in fixed.items()},
        "special_dap": {k: float(v) for k, v in special.items()},
        "counts": {T.short_name: len(run.error_dict[T]) for T in MAIN},
        "per_class": per_class,
    }


def main():
    rng = np.random.default_rng(SEED)
    cases = [make_case(rng, "continuous_scores", 200, 5, None, False),
             make_case(rng, "two_digit_scores_with_ties", 200, 4, 2, False),
             make_case(rng, "crowd_regions", 120, 3, 3, True)]
    for case in cases:
        case["tidecv"] = tide_figures(case)
        print(case["name"], json.dumps({k: case["tidecv"][k] for k in ("ap50", "dap", "counts")}))
    with open(OUT, "w") as f:
        json.dump({"tidecv": importlib.metadata.version("tidecv"), "seed": SEED, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
