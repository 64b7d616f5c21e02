"""small-4 with every width doubled (`wide2`, results/training/ablation/wide2/) and the closed-loop transmitter: do
capacity and the closed loop add up? A probe; the package's presets are unchanged.

    python wide2_closed.py --preset small-4-wide2 --data ../shared/data --out runs/cl-wide2 --epochs 20
"""
import sys
from dataclasses import replace

from vqdeepsc import config
from vqdeepsc.cli import main

config.PRESETS["small-4-wide2"] = replace(config.PRESETS["small-4"], name="small-4-wide2", stem_channels=16,
                                          widths=(32, 64, 128, 256), up_widths=None)
sys.exit(main(["train", *sys.argv[1:]]))
