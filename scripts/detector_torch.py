#!/usr/bin/env python3
"""The embedded detector's architecture and loss written in PyTorch (CPU), trained on the same
PNG scenes with the same batch size, epochs, optimiser, schedule and left-right mirroring
(a centre exactly on a cell border may land one cell over after mirroring), as the peer of
`vigil detector train` in scripts/bench_detector.sh. Prints one JSON line: images, epochs,
seconds and cpu_seconds (training only: the images are decoded before the clocks start),
images_per_second, images_per_cpu_second, final_loss.

    python scripts/detector_torch.py DATA_DIR [--epochs 8] [--batch 32] [--lr 3e-3]
        [--channels 8,16,32,32] [--threads 2] [--seed 1] [--no-mirror]
"""
import argparse, json, math, os, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def load(data_dir, grid, cell, anchor):
    coco = json.load(open(os.path.join(data_dir, "annotations.json")))
    images = sorted(coco["images"], key=lambda im: im["id"])
    row = {im["id"]: i for i, im in enumerate(images)}
    k = len(coco["categories"])
    x = np.stack([np.asarray(Image.open(os.path.join(data_dir, "images", im["file_name"])).convert("RGB"))
                  for im in images]).astype(np.float32) / 255.0
    n = len(images)
    # Targets per cell: objectness, centre offsets, log sizes, class; the larger object wins a cell.
    obj = np.zeros((n, grid, grid), np.float32)
    off = np.zeros((n, grid, grid, 2), np.float32)
    size = np.zeros((n, grid, grid, 2), np.float32)
    cls = np.zeros((n, grid, grid), np.int64)
    area = np.zeros((n, grid, grid), np.float64)
    for a in coco["annotations"]:
        i = row[a["image_id"]]
        bx, by, bw, bh = a["bbox"]
        cx, cy = bx + bw / 2, by + bh / 2
        c, r = min(grid - 1, max(0, int(cx / cell))), min(grid - 1, max(0, int(cy / cell)))
        if obj[i, r, c] and area[i, r, c] >= bw * bh:
            continue
        obj[i, r, c], area[i, r, c] = 1, bw * bh
        off[i, r, c] = (cx / cell - c, cy / cell - r)
        size[i, r, c] = (math.log(max(bw, 1) / anchor), math.log(max(bh, 1) / anchor))
        cls[i, r, c] = a["category_id"] - 1
    return (torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(obj), torch.from_numpy(off),
            torch.from_numpy(size), torch.from_numpy(cls), k)


class Net(nn.Module):
    """Parameter names match Vigil's safetensors (conv1.weight … head.bias), so
    `net.load_state_dict(safetensors.torch.load_file("v1.safetensors"))` loads a Vigil version."""

    def __init__(self, channels, pools, classes):
        super().__init__()
        self.pools, self.count, cin = pools, len(channels), 3
        for i, c in enumerate(channels):
            conv = nn.Conv2d(cin, c, 3, padding=1)
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)
            setattr(self, f"conv{i + 1}", conv)
            cin = c
        self.head = nn.Conv2d(cin, 5 + classes, 1)
        nn.init.kaiming_normal_(self.head.weight, nonlinearity="relu")
        nn.init.zeros_(self.head.bias)
        with torch.no_grad():
            self.head.bias[0] = -4.0

    def forward(self, x):
        for i in range(self.count):
            x = F.relu(getattr(self, f"conv{i + 1}")(x))
            if i < self.pools:
                x = F.max_pool2d(x, 2)
        return self.head(x).permute(0, 2, 3, 1)  # B × grid × grid × outputs


def loss_fn(out, obj, off, size, cls, box_weight=5.0):
    b = out.shape[0]
    total = F.binary_cross_entropy_with_logits(out[..., 0], obj, reduction="sum")
    pos = obj > 0
    p = out[pos]
    total = total + box_weight * ((torch.sigmoid(p[:, 1:3]) - off[pos]) ** 2).sum()
    total = total + box_weight * ((p[:, 3:5] - size[pos]) ** 2).sum()
    total = total + F.cross_entropy(p[:, 5:], cls[pos], reduction="sum")
    return total / b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--channels", default="8,16,32,32")
    ap.add_argument("--pools", type=int, default=3)
    ap.add_argument("--anchor", type=float, default=14)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-mirror", dest="mirror", action="store_false", help="no left-right mirroring")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    channels = [int(c) for c in a.channels.split(",")]
    cell = 2 ** a.pools
    first = json.load(open(os.path.join(a.data, "annotations.json")))["images"][0]
    grid = first["width"] // cell
    x, obj, off, size, cls, k = load(a.data, grid, cell, a.anchor)
    net = Net(channels, a.pools, k)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    n = x.shape[0]
    steps = a.epochs * math.ceil(n / a.batch)
    g = torch.Generator().manual_seed(a.seed)
    step, last = 0, 0.0
    start, start_cpu = time.perf_counter(), time.process_time()
    for epoch in range(a.epochs):
        order = torch.randperm(n, generator=g)
        total, batches = 0.0, 0
        for s in range(0, n, a.batch):
            idx = order[s:s + a.batch]
            xb, objb, offb, sizeb, clsb = x[idx], obj[idx], off[idx], size[idx], cls[idx]
            flip = torch.rand(len(idx), generator=g) < 0.5
            if a.mirror and flip.any():
                # Left-right mirroring as Vigil's trainer does: columns reversed, x offsets 1 - x.
                xb, objb, offb, sizeb, clsb = xb.clone(), objb.clone(), offb.clone(), sizeb.clone(), clsb.clone()
                xb[flip] = xb[flip].flip(-1)
                objb[flip] = objb[flip].flip(-1)
                t = offb[flip].flip(-2)
                t[..., 0] = 1 - t[..., 0]
                offb[flip] = t
                sizeb[flip] = sizeb[flip].flip(-2)
                clsb[flip] = clsb[flip].flip(-1)
            for group in opt.param_groups:
                group["lr"] = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / max(1, steps - 1))))
            opt.zero_grad(set_to_none=False)
            loss = loss_fn(net(xb), objb, offb, sizeb, clsb)
            loss.backward()
            opt.step()
            step += 1
            total += loss.item()
            batches += 1
        last = total / batches
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(json.dumps({"images": n, "epochs": a.epochs, "seconds": seconds, "cpu_seconds": cpu,
                      "images_per_second": n * a.epochs / seconds, "images_per_cpu_second": n * a.epochs / cpu,
                      "final_loss": last,
                      "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
