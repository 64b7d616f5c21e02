"""`vqdeepsc train` with candidate bit allocations registered as presets (the small network, closed loop, VQ):
the same 20032 / 7616 index bits per 128x128 tile as the paper's presets, spread differently over the scales.

    python experiments/allocation/train.py --preset beyond-4r --data ../shared/data --out RUN --epochs 20
    (then: python benchmarks/eval_error_free.py ../shared/data/val small-4 RUN/last.safetensors --paired)

Codebook sizes per scale, finest (64x64) first, as in ``config.PAPER_SCALES``. Numbers: results/training/README.md.
"""

import sys

from vqdeepsc import config
from vqdeepsc.cli import main
from vqdeepsc.link.bits import index_bits
from vqdeepsc.models.system import VQDeepSC

CANDIDATES = {
    # small-3's scales, 32 words at 8x8, and 3 bits per 2x2 block at 64x64: 12288 + 6144 + 1280 + 320 = 20032
    "4r": (8, 64, 32, 32),
}

if __name__ == "__main__":
    candidates = config._family("beyond", 8, config.SMALL_WIDTHS, config.SMALL_FINE_BLOCKS, closed_loop=True,
                                scales=CANDIDATES)
    for preset in candidates.values():
        if preset.quantized:
            bits = index_bits(preset.bits_per_index, VQDeepSC(preset).code_shapes(config.TILE, config.TILE))
            assert bits in (20032, 7616), f"{preset.name}: {bits} bits per tile, not a paper budget"
    config.PRESETS.update(candidates)
    sys.exit(main(["train", *sys.argv[1:]]))
