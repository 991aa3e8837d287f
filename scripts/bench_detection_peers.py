#!/usr/bin/env python3
"""Times pycocotools and faster-coco-eval on the same COCO files; loading timed apart.

    python3 scripts/bench_detection_peers.py GT DT {pycocotools|faster-coco-eval}

Prints JSON: load_s, compute_s (evaluate() + accumulate()), peak_rss_mib, stats.
"""
import contextlib
import io
import json
import resource
import sys
import time


def main(gt_path, dt_path, peer):
    if peer == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval as Eval
    else:
        from faster_coco_eval import COCO
        from faster_coco_eval import COCOeval_faster as Eval
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        t1 = time.perf_counter()
        e = Eval(gt, dt, "bbox")
        e.evaluate()
        e.accumulate()
        t2 = time.perf_counter()
        e.summarize()
    print(json.dumps({"peer": peer, "load_s": t1 - t0, "compute_s": t2 - t1,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "stats": [float(s) for s in e.stats]}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
