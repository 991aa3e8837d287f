#!/usr/bin/env python3
"""Deterministic COCO detection files for Vigil's detection benchmark.

    python3 scripts/make_detection_data.py --out bench-data/detection [--images 5000] [--seed 11]

Writes gt.json (images, categories c1..c20, annotations with area = w*h, iscrowd 0) and
dt.json (a results list). On purpose: images without ground truth, images without
detections, duplicate detections, scores rounded to 2 decimals (ties), images with more
than 100 detections, tiny boxes, boxes on the border, all three COCO area ranges, and a
category that only ever appears in the detections. Needs numpy only.
"""
import argparse
import json
import os

import numpy as np

SIZES = [(640, 480), (800, 600), (1024, 768), (320, 240), (1280, 720)]
K = 20


def box(rng, w_img, h_img):
    kind = rng.choice(3, p=[0.35, 0.4, 0.25])
    area = [rng.uniform(2, 32 * 32), rng.uniform(32 * 32, 96 * 96), rng.uniform(96 * 96, min(w_img * h_img * 0.5, 400 * 400))][kind]
    aspect = np.exp(rng.uniform(-0.8, 0.8))
    w = min(np.sqrt(area * aspect), w_img)
    h = min(area / w, h_img)
    x = 0.0 if rng.random() < 0.05 else rng.uniform(0, max(w_img - w, 0))
    y = rng.uniform(0, max(h_img - h, 0))
    return [round(float(v), 2) for v in (x, y, w, h)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    images, anns, dets = [], [], []
    for i in range(1, a.images + 1):
        w_img, h_img = SIZES[rng.integers(len(SIZES))]
        images.append({"id": i, "width": w_img, "height": h_img, "file_name": f"img-{i:05d}.jpg"})
        n_gt = 0 if rng.random() < 0.05 else int(rng.integers(1, 16))
        for _ in range(n_gt):
            cat = int(rng.integers(1, K))  # category K never has ground truth
            b = box(rng, w_img, h_img)
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": cat, "bbox": b,
                         "area": round(b[2] * b[3], 4), "iscrowd": 0})
            if i % 97 == 0 or rng.random() > 0.85:
                continue
            jitter = rng.normal(0, 0.08, 4) * np.array([b[2], b[3], b[2], b[3]])
            d = [b[0] + jitter[0], b[1] + jitter[1], max(b[2] + jitter[2], 1.0), max(b[3] + jitter[3], 1.0)]
            dcat = cat if rng.random() > 0.05 else int(rng.integers(1, K + 1))
            det = {"image_id": i, "category_id": dcat, "bbox": [round(float(v), 2) for v in d],
                   "score": round(float(rng.beta(6, 2)), 2)}
            dets.append(det)
            if rng.random() < 0.03:
                dets.append(dict(det))  # an exact duplicate
        extra = 120 if i % 211 == 0 else int(rng.integers(0, 3))
        for _ in range(extra):
            dets.append({"image_id": i, "category_id": int(rng.integers(1, K + 1)), "bbox": box(rng, w_img, h_img),
                         "score": round(float(rng.beta(2, 5)), 2)})
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gt.json"), "w") as f:
        json.dump({"images": images, "categories": [{"id": c, "name": f"c{c}"} for c in range(1, K + 1)], "annotations": anns}, f)
    with open(os.path.join(a.out, "dt.json"), "w") as f:
        json.dump(dets, f)
    print(f"{len(images)} images, {len(anns)} annotations, {len(dets)} detections in {a.out}")


if __name__ == "__main__":
    main()
