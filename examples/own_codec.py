"""Evaluate your own image codec against VQ-DeepSC and JPEG, at the same bits and on the same channel draws.

    python examples/own_codec.py [--images 4] [--snr 2,4,8]

A classic codec is one :class:`~vqdeepsc.baselines.codecs.ImageCodec`: a quality knob, ``encode`` and ``decode``.
Here "yours" is JPEG without chroma subsampling (4:4:4). Registered in ``CODECS``, it is a method like any other:
fitted to the model's bit budget per image, padded to it, sent over the same link with the same channel seeds as
VQ-DeepSC and JPEG, and scored by every metric.
"""

import argparse

import torch

from vqdeepsc import zoo
from vqdeepsc.baselines.codecs import CODECS, ImageCodec
from vqdeepsc.data import EMBEDDED_PHOTOS, embedded_photos
from vqdeepsc.evaluate import evaluate
from vqdeepsc.link.channel import parse_snr_list

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--images", type=int, default=4, help="how many of the bundled photos (1-4)")
parser.add_argument("--snr", default="2,4,8", help="Es/N0 in dB (default 2,4,8)")
args = parser.parse_args()

CODECS["jpeg444"] = lambda: ImageCodec("jpeg444", "JPEG 4:4:4", "JPEG", 95, optimize=True, subsampling=0)

photos = embedded_photos(128, EMBEDDED_PHOTOS[:args.images])
images = torch.stack(list(photos.values()))  # [N, 3, 128, 128] in [0, 1]
result = evaluate(zoo.load("small-4"), images, methods=["vq-soft", "jpeg", "jpeg444"], channels=["awgn"],
                  snr_db=parse_snr_list(args.snr))
print(f"bit budget per image: {result['budget_bits']} bits (the model's indices; the files are fitted to it)")
print(f"{'method':<10} {'SNR':>5} {'SSIM':>7} {'PSNR':>6} {'CIEDE2000':>9} {'BER':>9}")
for row in result["results"]:
    print(f"{row['method']:<10} {row['snr_db']:>5g} {row['ssim']:>7.4f} {row['psnr']:>6.2f} {row['ciede2000']:>9.2f} "
          f"{row['ber']:>9.2e}")
