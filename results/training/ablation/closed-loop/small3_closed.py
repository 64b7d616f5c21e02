"""small-3 with the closed-loop transmitter: the probe that trained the shipped small-3 (tenth session) before the
package's small-3 preset had `closed_loop`; today it changes nothing.

    python small3_closed.py --preset small-3 --data ../shared/data --out runs/cl-small-3 --epochs 20
"""
import sys
from dataclasses import replace

from vqdeepsc import config
from vqdeepsc.cli import main

config.PRESETS["small-3"] = replace(config.PRESETS["small-3"], closed_loop=True)
sys.exit(main(["train", *sys.argv[1:]]))
