"""small-4 with 4 decoder fine blocks at its finest sent scale (the preset has 2; encoder unchanged), closed loop.
A probe; the package's presets are unchanged.

    python dec4.py --preset small-4-dec4 --data ../shared/data --out runs/dec4 --epochs 40
"""
import sys
from dataclasses import replace

from vqdeepsc import config
from vqdeepsc.cli import main

config.PRESETS["small-4-dec4"] = replace(config.PRESETS["small-4"], name="small-4-dec4", decoder_fine_blocks=4)
sys.exit(main(["train", *sys.argv[1:]]))
