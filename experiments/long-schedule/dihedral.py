"""small-4 (closed loop) trained on the 8 dihedral transforms of each crop (random quarter turns on top of the
package's horizontal flips): does augmentation stop the overfitting that a 40-epoch run shows after epoch 25?
A probe; the package's data pipeline is unchanged.

    python dihedral.py --preset small-4 --data ../shared/data --out runs/dihedral-40 --epochs 40
"""
import sys

import torch

from vqdeepsc import data
from vqdeepsc.cli import main

flipped_crop = data.ImageDataset.__getitem__


def dihedral_crop(self, i):
    crop = flipped_crop(self, i)
    if crop is None or not self.train:
        return crop
    return torch.rot90(crop, int(torch.randint(4, ())), dims=(-2, -1))


data.ImageDataset.__getitem__ = dihedral_crop
sys.exit(main(["train", *sys.argv[1:]]))
