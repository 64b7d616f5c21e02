"""Validation SSIM of model files with hard bit errors in their indices (each bit flipped with probability BER, the
same flips for every model; decoded by the model's own decoder, no link, no robust decoder).

    python ber_probe.py MODEL...        # a .safetensors file or a shipped name; data: ../shared/data (VQDEEPSC_DATA)
"""
import os
import sys

import torch
from torch.utils.data import DataLoader

from vqdeepsc.data import ImageDataset, collate_images, split_files
from vqdeepsc.metrics import ssim
from vqdeepsc.reception_model import hard_errors
from vqdeepsc.zoo import resolve_model

val = ImageDataset(split_files(os.environ.get("VQDEEPSC_DATA", "../shared/data"), "val"), 128, cache=True)
for spec in sys.argv[1:]:
    model, _ = resolve_model(spec)
    for ber in (0.0, 0.01, 0.03, 0.1):
        flips = torch.Generator().manual_seed(0)
        s = n = 0
        with torch.no_grad():
            for images, _ in DataLoader(val, 16, collate_fn=collate_images):
                indices = model.encode(images)
                x = model.decode_features(hard_errors(model, indices, ber, flips)) if ber else model.decode(indices)
                s, n = s + ssim(x.float(), images).sum().item(), n + len(images)
        print(f"{spec} BER {ber}: val SSIM {s / n:.4f}", flush=True)
