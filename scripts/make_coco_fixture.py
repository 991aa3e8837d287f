#!/usr/bin/env python3
"""Writes Tests/VigilCoreTests/Fixtures/coco_cases.json: small randomized object-detection cases
whose expected COCO bbox metrics come from pycocotools, for the Swift COCOeval re-implementation
(expected agreement: |diff| <= 1e-9).

Rerun from scratch (from the repository root):

    python3 -m venv /tmp/vigil-peers && /tmp/vigil-peers/bin/pip install numpy pycocotools && /tmp/vigil-peers/bin/python scripts/make_coco_fixture.py

The cases are a pure function of SEED (numpy default_rng). Per case, pycocotools is used exactly so:

    gt = COCO(); gt.dataset = {"images": images, "annotations": annotations,
                               "categories": [{"id": c, "name": f"c{c}"} for c in categories]}
    gt.createIndex()
    dt = gt.loadRes(detections)      # sets area = w*h, id = i+1 in list order, iscrowd = 0
    E = COCOeval(gt, dt, "bbox"); E.evaluate(); E.accumulate(); E.summarize()

and the case records:
  stats           the 12 floats of E.stats (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl)
  per_class_ap    {category id: mean of E.eval["precision"][:, :, k, 0, 2] over entries > -1, else -1}
  per_class_ap50  {category id: same over E.eval["precision"][0, :, k, 0, 2]}
  recall_all_100  {category id: E.eval["recall"][:, k, 0, 2] (10 values, -1 where undefined)}
with k the index of the category in E.params.catIds (sorted ids). Annotations and detections are
stored in the order they were given to pycocotools (ties in score keep that order: pycocotools
sorts with a stable mergesort). Ground-truth `area` is w*h except where a case says otherwise;
COCO uses the annotation's `area` for the area ranges but the bbox for IoU. Only the case
"crowd_regions" has iscrowd = 1 annotations.

The top-level "params" block holds pycocotools' own threshold arrays: iouThrs and recThrs are
numpy linspace values, which are NOT all equal to the decimal literals (e.g. iouThrs[8] is
0.8999999999999999 and recThrs[35] is 0.35000000000000003); a faithful port has to use them.
"""
import contextlib
import copy
import importlib.metadata
import io
import json
import os

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

SEED = 20261125
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                   "Tests", "VigilCoreTests", "Fixtures", "coco_cases.json")
STAT_NAMES = ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
              "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large"]
SIZES = [(640, 480), (800, 600), (1024, 768), (320, 240), (1280, 720)]


def r2(v):
    """Box coordinates/areas as exported by real tools: 2 decimals, plain Python float."""
    return round(float(v), 2)


class Case:
    def __init__(self, name, categories, covers):
        self.name = name
        self.categories = sorted(int(c) for c in categories)
        self.covers = covers
        self.images = []
        self.annotations = []
        self.detections = []

    def image(self, w, h):
        img_id = len(self.images) + 1
        self.images.append({"id": img_id, "width": int(w), "height": int(h)})
        return img_id

    def gt(self, img_id, cat, bbox, area=None, crowd=False):
        bbox = [r2(v) for v in bbox]
        self.annotations.append({
            "id": len(self.annotations) + 1, "image_id": img_id, "category_id": int(cat), "bbox": bbox,
            "area": float(bbox[2] * bbox[3]) if area is None else float(area), "iscrowd": 1 if crowd else 0,
        })
        return bbox

    def det(self, img_id, cat, bbox, score):
        self.detections.append({"image_id": img_id, "category_id": int(cat),
                                "bbox": [r2(v) for v in bbox], "score": float(score)})


# ----------------------------------------------------------------------------- random pieces

def rand_box(rng, W, H, size):
    """A box inside a W x H image; size in tiny / small / medium / large (COCO area ranges)."""
    if size == "tiny":
        w, h = rng.uniform(0.3, 1.99), rng.uniform(0.3, 1.99)
    else:
        lo, hi = {"small": (16, 1000), "medium": (1100, 9000),
                  "large": (9400, min(W * H * 0.35, 260.0 ** 2))}[size]
        area = rng.uniform(lo, hi)
        aspect = np.exp(rng.uniform(-0.7, 0.7))
        w = min(np.sqrt(area * aspect), W - 1.0)
        h = min(area / w, H - 1.0)
    x = rng.uniform(0, W - w)
    y = rng.uniform(0, H - h)
    return [r2(x), r2(y), r2(w), r2(h)]


def rand_size(rng, p=(0.35, 0.4, 0.25)):
    return ["small", "medium", "large"][rng.choice(3, p=list(p))]


def jitter(rng, box, W, H, s=None, clip=True):
    """A detection around `box`: centre shift and log-scale noise of relative size s (IoU ~0.3-1)."""
    if s is None:
        s = rng.uniform(0.0, 0.18)
    x, y, w, h = box
    cx = x + w / 2 + rng.normal(0, s) * w
    cy = y + h / 2 + rng.normal(0, s) * h
    nw = w * np.exp(rng.normal(0, s))
    nh = h * np.exp(rng.normal(0, s))
    x0, y0, x1, y1 = cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2
    if clip:
        x0, y0, x1, y1 = max(x0, 0.0), max(y0, 0.0), min(x1, W), min(y1, H)
        if x1 - x0 <= 0.01 or y1 - y0 <= 0.01:
            return list(box)
    return [r2(x0), r2(y0), r2(x1 - x0), r2(y1 - y0)]


def score(rng, good, rounded):
    s = float(rng.beta(5, 2) if good else rng.beta(2, 5))
    return round(s, 2) if rounded else s


def detect_all(rng, case, img_id, W, H, gts, *, p_detect=0.85, p_wrong=0.06, p_loose=0.1,
               rounded=False, det_cats=None, clip=True):
    """Realistic detections for the ground truth `gts` [(cat, bbox)] of one image."""
    det_cats = case.categories if det_cats is None else det_cats
    for cat, box in gts:
        if rng.random() >= p_detect:
            continue
        c = cat
        if rng.random() < p_wrong and len(det_cats) > 1:
            c = int(rng.choice([d for d in det_cats if d != cat]))
        case.det(img_id, c, jitter(rng, box, W, H, clip=clip), score(rng, True, rounded))
        if rng.random() < p_loose:  # a second, looser and weaker box on the same object
            case.det(img_id, c, jitter(rng, box, W, H, s=rng.uniform(0.15, 0.35), clip=clip),
                     score(rng, False, rounded))


def false_positives(rng, case, img_id, W, H, n, *, rounded=False, cats=None, sizes=(0.5, 0.35, 0.15)):
    cats = case.categories if cats is None else cats
    for _ in range(n):
        case.det(img_id, int(rng.choice(cats)), rand_box(rng, W, H, rand_size(rng, sizes)),
                 score(rng, False, rounded))


def random_image(rng, case, *, n_gt, cats=None, rounded=False, n_fp=None, with_dets=True, **kw):
    cats = case.categories if cats is None else cats
    W, H = SIZES[rng.integers(len(SIZES))]
    img = case.image(W, H)
    gts = []
    for _ in range(n_gt):
        cat = int(rng.choice(cats))
        gts.append((cat, case.gt(img, cat, rand_box(rng, W, H, rand_size(rng)))))
    if with_dets:
        detect_all(rng, case, img, W, H, gts, rounded=rounded, **kw)
        false_positives(rng, case, img, W, H, int(rng.poisson(1.5)) if n_fp is None else n_fp,
                        rounded=rounded)
    return img, W, H, gts


# ----------------------------------------------------------------------------- the cases

def case_basic(rng):
    c = Case("basic_mixed", [1, 2, 3],
             ["jittered detections (IoU ~0.3-1.0)", "wrong-class detections", "pure false positives",
              "all three area ranges", "unrounded Beta scores"])
    for _ in range(10):
        random_image(rng, c, n_gt=int(rng.integers(2, 9)))
    return c


def case_empty_images(rng):
    c = Case("empty_images", [1, 2],
             ["images without ground truth (only false positives)", "images without detections",
              "an image with neither ground truth nor detections", "scores rounded to 2 decimals"])
    kinds = ["normal", "no_gt", "no_dt", "neither", "normal", "no_gt", "no_dt", "normal"]
    for kind in kinds:
        if kind == "normal":
            random_image(rng, c, n_gt=int(rng.integers(2, 6)), rounded=True)
        elif kind == "no_gt":
            W, H = SIZES[rng.integers(len(SIZES))]
            img = c.image(W, H)
            false_positives(rng, c, img, W, H, int(rng.integers(2, 5)), rounded=True)
        elif kind == "no_dt":
            random_image(rng, c, n_gt=int(rng.integers(1, 5)), with_dets=False)
        else:
            W, H = SIZES[rng.integers(len(SIZES))]
            c.image(W, H)
    return c


def case_duplicates_ties(rng):
    c = Case("duplicates_and_ties", [1, 2],
             ["duplicate detections (same box twice, same score)", "equal scores within and across images",
              "scores rounded to 2 decimals"])
    for i in range(6):
        W, H = SIZES[rng.integers(len(SIZES))]
        img = c.image(W, H)
        gts = [(int(rng.choice(c.categories)), None) for _ in range(int(rng.integers(2, 6)))]
        gts = [(cat, c.gt(img, cat, rand_box(rng, W, H, rand_size(rng)))) for cat, _ in gts]
        for j, (cat, box) in enumerate(gts):
            b = jitter(rng, box, W, H)
            s = round(float(rng.beta(5, 2)), 2)
            c.det(img, cat, b, s)
            if j % 2 == 0:  # exact duplicate: same box, same score, right after the original
                c.det(img, cat, b, s)
            if j == 1:      # another box on the same object with the same score (tie, different IoU)
                c.det(img, cat, jitter(rng, box, W, H, s=0.25), s)
        for _ in range(2):  # a block of false positives sharing one score with a true positive
            c.det(img, int(rng.choice(c.categories)), rand_box(rng, W, H, "small"), 0.7)
        c.det(img, gts[0][0], jitter(rng, gts[0][1], W, H, s=0.05), 0.7)
    return c


def case_over_100_single(rng):
    c = Case("over_100_single_class", [4],
             ["one image with 130 detections of one class (maxDets=100 truncation per image and class)",
              "true positives ranked below 100", "scores rounded to 2 decimals (ties at the cut)"])
    W, H = 1280, 720
    img = c.image(W, H)
    gts = [(4, c.gt(img, 4, rand_box(rng, W, H, rand_size(rng, (0.5, 0.4, 0.1))))) for _ in range(40)]
    dets = []
    for k, (_, box) in enumerate(gts[:36]):
        # the last 12 matched objects get low scores so they fall behind the 100-th detection
        s = round(float(rng.beta(5, 2)), 2) if k < 24 else round(float(rng.uniform(0.01, 0.08)), 2)
        dets.append((jitter(rng, box, W, H), s))
    for _ in range(130 - len(dets)):
        dets.append((rand_box(rng, W, H, rand_size(rng, (0.6, 0.3, 0.1))), round(float(rng.beta(2, 4)), 2)))
    for i in rng.permutation(len(dets)):
        c.det(img, 4, *dets[i])
    for _ in range(2):
        random_image(rng, c, n_gt=int(rng.integers(2, 6)), rounded=True)
    return c


def case_over_100_multi(rng):
    c = Case("over_100_spread_over_classes", [1, 2, 3, 4],
             ["one image with 150 detections spread over 4 classes (each class < 100: no truncation)",
              "scores rounded to 2 decimals"])
    W, H = 1024, 768
    img = c.image(W, H)
    gts = []
    for _ in range(30):
        cat = int(rng.choice(c.categories))
        gts.append((cat, c.gt(img, cat, rand_box(rng, W, H, rand_size(rng)))))
    detect_all(rng, c, img, W, H, gts, rounded=True, p_detect=0.9)
    n = 150 - sum(1 for d in c.detections if d["image_id"] == img)
    false_positives(rng, c, img, W, H, n, rounded=True)
    for _ in range(3):
        random_image(rng, c, n_gt=int(rng.integers(2, 7)), rounded=True)
    return c


def case_tiny_border(rng):
    c = Case("tiny_border_degenerate", [1, 2],
             ["tiny boxes (w, h < 2 px)", "boxes touching every image border",
              "detections extending past the image border (not clipped)",
              "zero-width and zero-height boxes (ground truth and detections)"])
    W, H = 640, 480
    img = c.image(W, H)
    gts = []
    for _ in range(5):  # tiny objects, detected by tiny boxes
        cat = int(rng.choice(c.categories))
        gts.append((cat, c.gt(img, cat, rand_box(rng, W, H, "tiny"))))
    for cat, box in gts:
        if rng.random() < 0.8:
            c.det(img, cat, jitter(rng, box, W, H, s=rng.uniform(0.0, 0.15), clip=False), score(rng, True, False))
    c.det(img, 1, [300.0, 200.0, 1.5, 0.5], score(rng, False, False))  # tiny false positive
    img = c.image(W, H)
    border = [[0.0, 100.0, 80.0, 60.0], [W - 120.0, 40.0, 120.0, 90.0], [200.0, 0.0, 50.0, 40.0],
              [350.0, H - 70.5, 140.25, 70.5], [0.0, 0.0, 33.0, 31.0], [W - 20.0, H - 20.0, 20.0, 20.0]]
    for i, b in enumerate(border):
        cat = c.categories[i % 2]
        box = c.gt(img, cat, b)
        c.det(img, cat, jitter(rng, box, W, H, clip=bool(i % 2)), score(rng, True, False))
    c.det(img, 1, [-6.4, 300.0, 50.0, 40.0], score(rng, False, False))   # overlaps the left border
    c.det(img, 2, [W - 30.0, 220.0, 55.5, 60.0], score(rng, False, False))  # past the right border
    img = c.image(W, H)
    c.gt(img, 1, [50.0, 50.0, 0.0, 20.0])           # zero width  (area 0: "small")
    c.gt(img, 2, [120.0, 80.0, 30.0, 0.0])          # zero height
    c.gt(img, 1, [300.0, 300.0, 40.0, 40.0])
    c.det(img, 1, [50.0, 50.0, 0.0, 20.0], 0.9)     # same degenerate box: IoU 0, so a false positive
    c.det(img, 2, [120.0, 80.0, 30.0, 0.0], 0.8)
    c.det(img, 1, [300.0, 300.0, 0.0, 40.0], 0.85)  # zero-width detection inside a real object
    c.det(img, 1, [301.0, 299.0, 40.0, 41.0], 0.6)
    c.det(img, 2, [200.0, 200.0, 25.0, 0.0], 0.3)
    for _ in range(2):
        random_image(rng, c, n_gt=int(rng.integers(2, 6)), clip=False)
    return c


def case_area_boundaries(rng):
    c = Case("area_range_boundaries", [1, 2, 3],
             ["ground truth with area exactly 32^2 = 1024 and 96^2 = 9216 (32x32, 16x64, 96x96, 64x144)",
              "detections with area exactly 1024 and 9216 (matched and unmatched)",
              "boxes just below/above the boundaries", "all three area ranges"])
    W, H = 1024, 768
    shapes = [(32, 32), (16, 64), (31.99, 32), (32, 32.01), (96, 96), (64, 144), (95.99, 96), (96.01, 96),
              (10, 10), (50, 60), (200, 150)]
    for part in range(2):
        img = c.image(W, H)
        for i, (w, h) in enumerate(shapes):
            cat = c.categories[(i + part) % 3]
            x, y = 20.0 + (i % 6) * 160.0, 20.0 + (i // 6) * 300.0 + part * 20.0
            box = c.gt(img, cat, [x, y, w, h])
            if (i + part) % 3 == 0:   # exact copy: detection area also exactly on the boundary
                c.det(img, cat, box, score(rng, True, False))
            elif (i + part) % 3 == 1:
                c.det(img, cat, jitter(rng, box, W, H, s=0.08), score(rng, True, False))
        c.det(img, c.categories[part], [900.0, 600.0, 32.0, 32.0], score(rng, False, False))  # FP, area 1024
        c.det(img, c.categories[part + 1], [700.0, 600.0, 96.0, 96.0], score(rng, False, False))  # FP, 9216
        c.det(img, c.categories[2], [40.0, 650.0, 1024.0 / 48.0, 48.0], score(rng, False, False))
    for _ in range(3):
        random_image(rng, c, n_gt=int(rng.integers(3, 8)))
    return c


def case_explicit_area(rng):
    c = Case("explicit_gt_area", [1, 2],
             ["ground-truth `area` different from w*h (segmentation-like), which moves objects between "
              "area ranges (e.g. 40x40 box with area 1000 is small; 100x100 box with area 9000 is medium)",
              "area exactly 1024 / 9216 given explicitly"])
    W, H = 800, 600
    img = c.image(W, H)
    special = [([100.0, 100.0, 40.0, 40.0], 1000.0), ([300.0, 100.0, 100.0, 100.0], 9000.0),
               ([100.0, 300.0, 40.0, 40.0], 1024.0), ([300.0, 300.0, 110.0, 100.0], 9216.0),
               ([500.0, 300.0, 30.0, 30.0], 450.5)]
    for i, (b, area) in enumerate(special):
        cat = c.categories[i % 2]
        box = c.gt(img, cat, b, area=area)
        c.det(img, cat, jitter(rng, box, W, H, s=0.06), score(rng, True, False))
    for _ in range(5):
        W, H = SIZES[rng.integers(len(SIZES))]
        img = c.image(W, H)
        gts = []
        for _ in range(int(rng.integers(2, 7))):
            cat = int(rng.choice(c.categories))
            b = rand_box(rng, W, H, rand_size(rng))
            gts.append((cat, c.gt(img, cat, b, area=r2(b[2] * b[3] * rng.uniform(0.35, 0.95)))))
        detect_all(rng, c, img, W, H, gts)
        false_positives(rng, c, img, W, H, int(rng.poisson(1.5)))
    return c


def case_class_presence(rng):
    # non-contiguous ids: 3 and 9 normal, 12 only in predictions, 40 only in ground truth
    c = Case("class_only_in_predictions_or_gt", [3, 9, 12, 40],
             ["non-contiguous category ids", "category 12 has detections but no ground truth",
              "category 40 has ground truth but no detections"])
    for _ in range(8):
        img, W, H, gts = random_image(rng, c, n_gt=int(rng.integers(1, 6)), cats=[3, 9, 40],
                                      with_dets=False)
        detect_all(rng, c, img, W, H, [g for g in gts if g[0] != 40], det_cats=[3, 9, 12])
        false_positives(rng, c, img, W, H, int(rng.integers(1, 4)), cats=[3, 9, 12])
    return c


def case_exact_iou(rng):
    c = Case("exact_iou_thresholds", [1, 2],
             ["IoU exactly 0.5, 0.55, ..., 0.95 and 1.0 (integer boxes)",
              "IoU 0.9 vs pycocotools' iouThrs[8] = 0.8999999999999999", "IoU just below 0.5",
              "a detection with equal IoU to two ground truths (pycocotools keeps the later one)"])
    img = c.image(1280, 720)
    hs = [50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 49.99]
    for i, h in enumerate(hs):
        x, y = 10.0 + (i % 6) * 200.0, 10.0 + (i // 6) * 300.0
        cat = c.categories[i % 2]
        c.gt(img, cat, [x, y, 100.0, 100.0])
        c.det(img, cat, [x, y, 100.0, float(h)], round(0.95 - 0.05 * i, 2))
    img = c.image(640, 480)
    c.gt(img, 1, [0.0, 0.0, 100.0, 100.0])
    c.gt(img, 1, [20.0, 0.0, 100.0, 100.0])
    c.det(img, 1, [10.0, 0.0, 100.0, 100.0], 0.9)   # IoU 9/11 with both
    c.det(img, 1, [0.0, 0.0, 100.0, 100.0], 0.8)    # IoU 1 with the first, 2/3 with the second
    c.gt(img, 2, [300.0, 200.0, 100.0, 100.0])
    c.gt(img, 2, [340.0, 200.0, 100.0, 100.0])
    c.det(img, 2, [320.0, 200.0, 100.0, 100.0], 0.7)  # IoU 2/3 with both
    c.det(img, 2, [340.0, 200.0, 100.0, 100.0], 0.6)
    random_image(rng, c, n_gt=4)
    return c


def case_recall_grid(rng):
    c = Case("recall_on_linspace_points", [5, 6],
             ["category 5 has exactly 20 ground truths, category 6 exactly 50: recall hits k/20, k/50, "
              "where numpy's recThrs differ from the decimal literals (0.35, 0.7, ...)"])
    per_img = {5: [4, 4, 4, 4, 4], 6: [10, 10, 10, 10, 10]}
    for i in range(5):
        W, H = SIZES[rng.integers(len(SIZES))]
        img = c.image(W, H)
        gts = []
        for cat in (5, 6):
            for _ in range(per_img[cat][i]):
                gts.append((cat, c.gt(img, cat, rand_box(rng, W, H, rand_size(rng)))))
        detect_all(rng, c, img, W, H, gts, p_detect=0.8, p_wrong=0.0, p_loose=0.05)
        false_positives(rng, c, img, W, H, int(rng.integers(1, 4)))
    return c


def case_large_random(rng):
    c = Case("large_random", [1, 2, 3, 4, 5, 6],
             ["40 images, 6 categories, everything mixed", "images without ground truth / detections",
              "scores rounded to 2 decimals", "duplicates"])
    for i in range(40):
        kind = rng.random()
        if kind < 0.08:
            W, H = SIZES[rng.integers(len(SIZES))]
            img = c.image(W, H)
            false_positives(rng, c, img, W, H, int(rng.integers(1, 4)), rounded=True)
        elif kind < 0.15:
            random_image(rng, c, n_gt=int(rng.integers(1, 6)), with_dets=False)
        else:
            random_image(rng, c, n_gt=int(rng.integers(1, 10)), rounded=True)
        if rng.random() < 0.1 and c.detections:
            c.detections.append(dict(c.detections[-1], bbox=list(c.detections[-1]["bbox"])))
    return c


def case_single_detection(rng):
    c = Case("minimal_single_detection", [1, 2],
             ["3 images, one detection in total", "category 2 has ground truth only"])
    img = c.image(320, 240)
    box = c.gt(img, 1, [10.0, 20.0, 60.5, 40.25])
    c.gt(img, 2, [100.0, 100.0, 20.0, 30.0])
    c.det(img, 1, jitter(rng, box, 320, 240, s=0.1), 0.5)
    img = c.image(320, 240)
    c.gt(img, 1, [150.0, 60.0, 100.0, 100.0])
    c.image(320, 240)
    return c


def case_crowd(rng):
    c = Case("crowd_regions", [1, 2],
             ["iscrowd = 1 ground truth: ignored, IoU against it is intersection / detection area",
              "several detections inside one crowd region (a crowd box can be matched many times)",
              "a detection overlapping both an ordinary object and a crowd region (the ordinary one wins)",
              "a crowd region of one class with detections of the other class",
              "an image whose only ground truth is a crowd region"])
    W, H = 800, 600
    img = c.image(W, H)
    crowd = c.gt(img, 1, [100.0, 100.0, 300.0, 200.0], crowd=True)
    for _ in range(5):  # people inside the crowd region
        x, y = rng.uniform(110, 340), rng.uniform(110, 240)
        c.det(img, 1, [r2(x), r2(y), r2(rng.uniform(20, 50)), r2(rng.uniform(40, 60))], score(rng, True, False))
    person = c.gt(img, 1, [380.0, 150.0, 60.0, 120.0])          # straddles the crowd's right edge
    c.det(img, 1, jitter(rng, person, W, H, s=0.05), score(rng, True, False))
    c.det(img, 2, [150.0, 150.0, 40.0, 40.0], score(rng, False, False))  # other class inside the crowd
    c.gt(img, 2, [600.0, 400.0, 80.0, 80.0], crowd=True)
    c.det(img, 2, [620.0, 420.0, 30.0, 30.0], score(rng, True, False))
    img = c.image(W, H)                                          # only a crowd region
    c.gt(img, 2, [50.0, 50.0, 400.0, 300.0], crowd=True)
    for _ in range(3):
        c.det(img, 2, rand_box(rng, 400, 300, "small"), score(rng, True, True))
    c.det(img, 1, [500.0, 400.0, 60.0, 60.0], score(rng, False, True))
    for _ in range(4):
        img, W2, H2, gts = random_image(rng, c, n_gt=int(rng.integers(2, 6)))
        if rng.random() < 0.75:
            b = rand_box(rng, W2, H2, "large")
            c.gt(img, int(rng.choice(c.categories)), b, crowd=True)
            for _ in range(int(rng.integers(1, 4))):
                c.det(img, int(rng.choice(c.categories)), jitter(rng, b, W2, H2, s=0.3), score(rng, True, False))
    return c


CASES = [case_basic, case_empty_images, case_duplicates_ties, case_over_100_single, case_over_100_multi,
         case_tiny_border, case_area_boundaries, case_explicit_area, case_class_presence, case_exact_iou,
         case_recall_grid, case_large_random, case_single_detection, case_crowd]


# ----------------------------------------------------------------------------- evaluation

def coco_eval(images, categories, annotations, detections, max_dets=None):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": copy.deepcopy(images), "annotations": copy.deepcopy(annotations),
                      "categories": [{"id": c, "name": f"c{c}"} for c in categories]}
        gt.createIndex()
        dt = gt.loadRes(copy.deepcopy(detections))  # loadRes mutates its input: keep ours clean
        E = COCOeval(gt, dt, "bbox")
        if max_dets is not None:
            E.params.maxDets = max_dets
        E.evaluate()
        E.accumulate()
        E.summarize()
    return E


def mean_valid(a):
    a = a[a > -1]
    return float(np.mean(a)) if a.size else -1.0


def expected(case):
    E = coco_eval(case["images"], case["categories"], case["annotations"], case["detections"])
    assert list(E.params.catIds) == case["categories"]
    prec, rec = E.eval["precision"], E.eval["recall"]  # [T, R, K, A, M], [T, K, A, M]
    ks = list(enumerate(E.params.catIds))
    return {
        "stats": [float(v) for v in E.stats],
        "per_class_ap": {str(c): mean_valid(prec[:, :, k, 0, 2]) for k, c in ks},
        "per_class_ap50": {str(c): mean_valid(prec[0, :, k, 0, 2]) for k, c in ks},
        "recall_all_100": {str(c): [float(v) for v in rec[:, k, 0, 2]] for k, c in ks},
    }


def check_coverage(cases):
    """Fails loudly if a reseed or edit loses an edge case the fixture promises."""
    by = {c["name"]: c for c in cases}

    def count(case, pred):
        return sum(1 for d in case["detections"] if pred(d))

    for c in cases:
        assert c["detections"], c["name"]
        assert [a["id"] for a in c["annotations"]] == list(range(1, len(c["annotations"]) + 1))
        assert c["name"] == "crowd_regions" or all(a["iscrowd"] == 0 for a in c["annotations"])
        assert 3 <= len(c["images"]) <= 40 and 1 <= len(c["categories"]) <= 6, c["name"]
        for d in c["detections"] + c["annotations"]:
            assert all(type(v) is float for v in d["bbox"]), d
    all_img = [(c, im["id"]) for c in cases for im in c["images"]]
    has_gt = {(c["name"], a["image_id"]) for c in cases for a in c["annotations"]}
    has_dt = {(c["name"], d["image_id"]) for c in cases for d in c["detections"]}
    keys = [(c["name"], i) for c, i in all_img]
    assert any(k not in has_gt and k in has_dt for k in keys), "image without ground truth"
    assert any(k in has_gt and k not in has_dt for k in keys), "image without detections"
    assert any(k not in has_gt and k not in has_dt for k in keys), "image with neither"
    per = {}
    for c in cases:
        for d in c["detections"]:
            per.setdefault((c["name"], d["image_id"], d["category_id"]), []).append(d)
    assert any(len(v) > 100 for v in per.values()), "> 100 detections of one class in one image"
    img_tot = {}
    for (n, i, _), v in per.items():
        img_tot.setdefault((n, i), []).append(len(v))
    assert any(sum(v) > 100 and max(v) <= 100 for v in img_tot.values()), "> 100 spread over classes"
    dup = any(len({(json.dumps(d["bbox"]), d["score"]) for d in v}) < len(v) for v in per.values())
    assert dup, "duplicate detections"
    areas = [a["area"] for c in cases for a in c["annotations"]]
    assert 1024.0 in areas and 9216.0 in areas
    assert any(a < 1024 for a in areas) and any(1024 < a < 9216 for a in areas) and any(a > 9216 for a in areas)
    boxes = [b["bbox"] for c in cases for b in c["annotations"] + c["detections"]]
    assert any(0 < b[2] < 2 and 0 < b[3] < 2 for b in boxes), "tiny boxes"
    assert any(b[2] == 0 for b in boxes) and any(b[3] == 0 for b in boxes), "zero-width/height"
    assert any(a["area"] != a["bbox"][2] * a["bbox"][3] for a in by["explicit_gt_area"]["annotations"])
    cp = by["class_only_in_predictions_or_gt"]
    assert 12 not in {a["category_id"] for a in cp["annotations"]} and count(cp, lambda d: d["category_id"] == 12)
    assert 40 in {a["category_id"] for a in cp["annotations"]} and not count(cp, lambda d: d["category_id"] == 40)
    # the 130-detection image must actually lose true positives to the maxDets=100 cut
    o = by["over_100_single_class"]
    wide = coco_eval(o["images"], o["categories"], o["annotations"], o["detections"], max_dets=[1, 10, 1000])
    assert wide.stats[8] > o["stats"][8], "truncation at 100 detections has no effect"


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    for make in CASES:
        c = make(rng)
        case = {"name": c.name, "covers": c.covers, "images": c.images, "categories": c.categories,
                "annotations": c.annotations, "detections": c.detections}
        case.update(expected(case))
        # what the Swift test reads back must give the same numbers
        again = expected(json.loads(json.dumps(case)))
        assert again == {k: case[k] for k in again}, c.name
        cases.append(case)
    check_coverage(cases)
    p = COCOeval(iouType="bbox").params
    doc = {
        "generator": "scripts/make_coco_fixture.py",
        "pycocotools": importlib.metadata.version("pycocotools"),
        "numpy": np.__version__,
        "seed": SEED,
        "stat_names": STAT_NAMES,
        "params": {"iouThrs": [float(v) for v in p.iouThrs], "recThrs": [float(v) for v in p.recThrs],
                   "maxDets": [int(v) for v in p.maxDets],
                   "areaRng": [[float(a), float(b)] for a, b in p.areaRng], "areaRngLbl": list(p.areaRngLbl)},
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    size = os.path.getsize(OUT)
    print(f"wrote {os.path.normpath(OUT)} ({size} bytes, {len(cases)} cases)")
    for c in cases:
        print(f"  {c['name']:34s} imgs={len(c['images']):2d} cats={len(c['categories'])} "
              f"gt={len(c['annotations']):3d} dt={len(c['detections']):3d} "
              f"AP={c['stats'][0]:.4f} AP50={c['stats'][1]:.4f} AR100={c['stats'][8]:.4f}")


if __name__ == "__main__":
    main()
