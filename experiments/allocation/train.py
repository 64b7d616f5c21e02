"""`vqdeepsc train` with candidate bit allocations registered as presets (the small network, closed loop, VQ):
the same 20032 / 7616 index bits per 128x128 tile as the paper's presets, spread differently over the scales.

    python experiments/allocation/train.py --preset beyond-4r --data ../shared/data --out RUN --epochs 20
    (then: python benchmarks/eval_error_free.py ../shared/data/val small-4 RUN/last.safetensors --paired)

Codebook sizes per scale, finest (64x64) first, as in ``config.PAPER_SCALES``. Numbers: results/training/README.md.
"""

import sys

from vqdeepsc import config
from vqdeepsc.cli import main

CANDIDATES = {
    # small-3's scales, 32 words at 8x8, and 3 bits per 2x2 block at 64x64: 12288 + 6144 + 1280 + 320 = 20032
    "4r": (8, 64, 32, 32),
}

if __name__ == "__main__":
    for sizes in CANDIDATES.values():
        bits = sum(n.bit_length() - 1 << 2 * (6 - i) for i, n in enumerate(sizes) if n)  # per 128x128 tile
        assert bits in (20032, 7616), f"{sizes}: {bits} bits, not a paper budget"
    config.PRESETS.update(config._family("beyond", 8, config.SMALL_WIDTHS, config.SMALL_FINE_BLOCKS,
                                         closed_loop=True, scales=CANDIDATES))
    sys.exit(main(["train", *sys.argv[1:]]))
