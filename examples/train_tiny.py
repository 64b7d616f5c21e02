"""Train a tiny VQ-DeepSC on a folder of your images, then send one image with it.

    python examples/train_tiny.py DATA RUN [--epochs 2] [--crop 32] [--batch-size 16]

DATA holds ``train/`` and ``val/`` folders of images (any format Pillow reads; the Stanford Cars layout works
too). RUN is a new folder: the run's ``config.json``, ``log.csv``, ``curves.png``, ``checkpoint.pt`` (resume
with ``vqdeepsc train --resume RUN``) and ``best.safetensors``. The same as
``vqdeepsc train --preset small-4 --data DATA --out RUN --epochs 2 --crop 32 --val-crop 32``; the shipped
models took 20-70 epochs of 64x64 crops (README, "Training").
"""

import argparse
from dataclasses import replace

from vqdeepsc.checkpoint import load_model
from vqdeepsc.data import load_images
from vqdeepsc.imagefile import send_image
from vqdeepsc.link.phy import DigitalLink
from vqdeepsc.recipes import recipe_values
from vqdeepsc.train import TrainConfig, Trainer

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("data")
parser.add_argument("run")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--crop", type=int, default=32, help="training and validation crop (default 32)")
parser.add_argument("--batch-size", type=int, default=16, help="at most the number of training images (default 16)")
args = parser.parse_args()

# the recipe's values (loss weights, learning rate, codebook remedies), then our changes
values = recipe_values("fast", "small-4")
config = replace(TrainConfig(**{**values, "betas": tuple(values["betas"])}, preset="small-4", data=args.data,
                             run_dir=args.run),
                 epochs=args.epochs, crop=args.crop, val_crop=args.crop, batch_size=args.batch_size, workers=0)
history = Trainer(config).fit()  # one dict per epoch: losses and validation metrics
last = history[-1]
print(f"epoch {last['epoch']}: L1 {last['l1']:.4f}, val SSIM {last['val_ssim']:.4f}, "
      f"val CIEDE2000 {last['val_ciede2000']:.2f}")

model = load_model(f"{args.run}/best.safetensors")
images, names = load_images(args.data, "val", limit=1, size=args.crop)
got = send_image(model, images[:1], DigitalLink("awgn"), snr_db=6.0)
print(f"sent {names[0]} over AWGN at 6 dB: {got.stats.num_bits} bits, {got.stats.bit_errors} bit errors")
