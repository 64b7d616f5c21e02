"""Can the shipped decoder and codebooks show the right colours at all? The transmitter's index search with the
colour terms added to its objective (the bits and the receiver unchanged), error-free on a sample of a split.

    python experiments/colour/search_colour.py ../shared/data val [MODEL] [--steps 40]   (numbers: results/training/README.md)
"""

import argparse

import torch

from vqdeepsc import index_search, zoo
from vqdeepsc.checkpoint import load_model
from vqdeepsc.data import load_images
from vqdeepsc.losses import LOWPASS
from vqdeepsc.metrics import ciede2000, psnr, psnr_chroma, ssim, ycbcr


PLAIN = index_search.distortion


def colour_distortion(x_hat, images):
    """L1 + 1 - SSIM + 4 x the L1 of the 8x8 block means + 4 x the L1 of the chroma, per image."""
    lowpass = torch.nn.functional.avg_pool2d(x_hat - images, LOWPASS).abs().mean((1, 2, 3))
    chroma = (ycbcr(x_hat)[:, 1:] - ycbcr(images)[:, 1:]).abs().mean((1, 2, 3))
    return PLAIN(x_hat, images) + 4 * lowpass + 4 * chroma


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("split")
    parser.add_argument("model", nargs="?", default="small-4")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--every", type=int, default=12, help="every N-th image of the split")
    args = parser.parse_args()
    x = load_images(args.data, args.split)[0][::args.every]
    model = load_model(args.model) if args.model.endswith(".safetensors") else zoo.load(args.model)
    for name, objective in (("nearest codewords", None), ("search, L1 + 1 - SSIM", PLAIN),
                            ("search, + colour terms", colour_distortion)):
        index_search.distortion = objective or PLAIN
        steps = 0 if objective is None else args.steps
        with torch.no_grad():
            y = model.decode(index_search.IndexSearch(steps)(model, x))
        print(f"{name} ({steps} steps, {len(x)} images): CIEDE2000 {ciede2000(y, x).mean():.2f}, SSIM "
              f"{ssim(y, x).mean():.4f}, PSNR {psnr(y, x).mean():.2f}, chroma PSNR {psnr_chroma(y, x).mean():.2f}",
              flush=True)


if __name__ == "__main__":
    main()
