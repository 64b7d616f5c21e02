"""Is the colour cast a model's own? Estimate one RGB offset on one split (the mean of decoded - original over its
pixels) and subtract it from the decoded images of another; error-free, nearest codewords.

    python experiments/colour/cast.py ../shared/data val test MODEL...     (numbers: results/training/README.md)
"""

import sys

import torch

from vqdeepsc import zoo
from vqdeepsc.checkpoint import load_model
from vqdeepsc.data import load_images
from vqdeepsc.metrics import ciede2000, psnr, ssim


def decoded(model, x):
    with torch.no_grad():
        return torch.cat([model.decode(model.encode(b)) for b in x.split(32)])


def main():
    data, fit_split, apply_split, *names = sys.argv[1:]
    fit, _ = load_images(data, fit_split)
    test, _ = load_images(data, apply_split)
    for name in names:
        model = load_model(name) if name.endswith(".safetensors") else zoo.load(name)
        cast = (decoded(model, fit) - fit).mean((0, 2, 3), keepdim=True)
        y = decoded(model, test)
        for label, z in (("as decoded", y), (f"minus the {fit_split} cast", (y - cast).clamp(0, 1))):
            print(f"{name} on {apply_split}, {label}: CIEDE2000 {ciede2000(z, test).mean():.2f}, SSIM "
                  f"{ssim(z, test).mean():.4f}, PSNR {psnr(z, test).mean():.2f}")
        print(f"  the {fit_split} cast, R, G, B of 255: {(cast.flatten() * 255).numpy().round(2)}")


if __name__ == "__main__":
    main()
