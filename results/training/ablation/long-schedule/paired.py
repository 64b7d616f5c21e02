"""Per-tile SSIM of model files on a folder (nearest codewords), and each model's paired difference to the first.

    python paired.py ../shared/data/val small-4 runs/closed-40/best.safetensors runs/dec4-40/best.safetensors
"""
import sys
from dataclasses import replace

import torch
from torch.utils.data import DataLoader

from vqdeepsc import config, zoo
from vqdeepsc.checkpoint import load_model
from vqdeepsc.data import ImageDataset, collate_images, find_images
from vqdeepsc.metrics import ssim, psnr

config.PRESETS["small-4-dec4"] = replace(config.PRESETS["small-4"], name="small-4-dec4", decoder_fine_blocks=4)
folder, names = sys.argv[1], sys.argv[2:]
loader = DataLoader(ImageDataset(find_images(folder), 128), 32, collate_fn=collate_images)
scores = {}
for name in names:
    model = (load_model(name) if name.endswith(".safetensors") else zoo.load(name, "cpu")).eval()
    s, p = [], []
    with torch.no_grad():
        for x, _ in loader:
            y = model.decode(model.encode(x)).float()
            s.append(ssim(y, x)); p.append(psnr(y, x))
    scores[name] = torch.cat(s).double(), torch.cat(p).double()
base_s, base_p = scores[names[0]]
for name, (s, p) in scores.items():
    ds, dp = s - base_s, p - base_p
    ci = lambda v: 1.96 * v.std().item() / len(v) ** 0.5
    print(f"{name}: SSIM {s.mean():.4f}, paired diff {ds.mean():+.4f} +- {ci(ds):.4f}; PSNR {p.mean():.2f}, "
          f"paired diff {dp.mean():+.2f} +- {ci(dp):.2f} dB; tiles better {int((ds > 0).sum())}/{len(ds)}")
