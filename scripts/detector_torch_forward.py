#!/usr/bin/env python3
"""Cross-check of the artifact and the forward pass: PyTorch loads a Vigil version's
safetensors file into scripts/detector_torch.py's Net, runs the scenes of DATA, decodes each
image's best cell as Vigil does (sigmoid(objectness) * max softmax(class)), and compares it with
the best score of the same image in Vigil's prediction NDJSON (`vigil detector predict`, which
rounds scores to 1e-5). Prints one JSON line: images, max_abs_diff.

    python scripts/detector_torch_forward.py MODEL.safetensors DATA_DIR PREDICTIONS.ndjson
"""
import json, os, sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from detector_torch import Net  # noqa: E402

model, data, predictions = sys.argv[1:4]
config = json.load(open(model[: -len(".safetensors")] + ".json"))
net = Net(config["channels"], config["pools"], len(config["classes"]))
net.load_state_dict(load_file(model))
lines = [json.loads(l) for l in open(predictions)]
x = torch.from_numpy(np.stack([np.asarray(Image.open(os.path.join(data, "images", l["id"])).convert("RGB"))
                               for l in lines]).astype(np.float32) / 255).permute(0, 3, 1, 2)
with torch.no_grad():
    out = net(x)
scores = torch.sigmoid(out[..., 0]) * torch.softmax(out[..., 5:], -1).amax(-1)
best = scores.flatten(1).amax(1).numpy()
diff = 0.0
for l, b in zip(lines, best):
    vigil = max((box["score"] for box in l["boxes"]), default=None)
    if vigil is not None:
        diff = max(diff, abs(vigil - float(b)))
print(json.dumps({"images": len(lines), "max_abs_diff": diff}))
