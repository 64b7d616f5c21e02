"""Send one image through the shipped VQ-DeepSC over a Rayleigh channel and look at what arrives.

    python examples/send_image.py [IMAGE] [--snr 8] [--out received.png]

Without IMAGE it sends scikit-image's astronaut (bundled, no download). The same as
``vqdeepsc send IMAGE --channel rayleigh --snr 8 -o received.png``, written out in Python.
"""

import argparse

from vqdeepsc import zoo
from vqdeepsc.data import embedded_photos
from vqdeepsc.imagefile import load_image, save_image, send_image
from vqdeepsc.link.phy import DigitalLink
from vqdeepsc.metrics import image_scores
from vqdeepsc.receivers import get_receiver

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("image", nargs="?", help="any image file Pillow reads (default: the astronaut)")
parser.add_argument("--snr", type=float, default=8.0, help="Es/N0 in dB (default 8)")
parser.add_argument("--out", default="received.png", help="where the received image goes")
args = parser.parse_args()

# [1, 3, H, W] in [0, 1]; any size works (the model pads to a multiple of 16 and crops back)
image = load_image(args.image) if args.image else embedded_photos(128)["astronaut"][None]
model = zoo.load("small-4")  # the shipped 4-scale model: 20032 index bits per 128x128 image
link = DigitalLink("rayleigh")  # 5G LDPC 1/3 + 16-QAM, i.i.d. Rayleigh fading per symbol, perfect CSI, ZF

# the soft receiver reads each index from the LDPC decoder's bit posteriors instead of hard decisions
got = send_image(model, image, link, args.snr, seed=0, receiver=get_receiver("soft"))
scores = {name: values[0] for name, values in image_scores(got.image, image).items()}
print(f"{got.stats.num_bits} bits in {got.stats.channel_symbols} channel symbols, BER {got.stats.ber:.2e}, "
      f"{got.stats.codeword_errors} of {got.stats.num_codewords} codewords wrong")
print(", ".join(f"{name} {value:.4f}" for name, value in scores.items()))
save_image(got.image.clamp(0, 1), args.out)
print(f"wrote {args.out}")
