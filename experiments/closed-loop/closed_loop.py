"""Probe (the runs of results/training/ablation/closed-loop/ and `small-4-ninth/`): a closed-loop transmitter. Each
scale's codeword is chosen from the encoder's features *and* the receiver's state at that scale, i.e. what the
decoder has already rebuilt from the coarser, already quantized scales (the transmitter holds the decoder). The
receiver, the bits and the codebook sizes are unchanged: the decoder still concatenates the looked-up codewords; only
the choice of the indices changes.

    z'_l = F^l + C_l(...)       D_l: decoder state after the up-sample block that meets scale l
    index_l = argmin_n ||z'_l - e_n||  (the deepest scale, which has no coarser context: z'_L = F^L)

    python closed_loop.py VARIANT vqdeepsc-train-arguments...
    # VARIANT: conv (C_l(D_l): a zero-initialised conv3x3)
    #          mix  (C_l(F^l, D_l): conv3x3 on the concatenation, PReLU, zero-initialised conv1x1)
    #          res  (as mix, a residual block before the conv1x1)

The probe ran before the package had the closed loop; `mix` is now the package's `Preset.closed_loop`
(`ClosedLoopChoice`), and this file keeps the probe's runs loadable: the package's loop with the probe's choice
networks, stored as ``context.*``.
"""
import sys
from dataclasses import replace

import torch
from torch import nn

import vqdeepsc.train
from vqdeepsc.cli import main
from vqdeepsc.models.blocks import ClosedLoopChoice, ResidualBlock, conv3x3
from vqdeepsc.models.system import VQDeepSC


class StateOnly(nn.Module):
    """``conv``: ``F^l + conv3x3(D_l)``, zero-initialised."""

    def __init__(self, channels, state_channels):
        super().__init__()
        self.conv = conv3x3(state_channels, channels)
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, features, state):
        return features + self.conv(state)

    def _load_from_state_dict(self, state, prefix, *args):  # the probe stored the conv as the module itself
        for k in ("weight", "bias"):
            if prefix + k in state:
                state[prefix + "conv." + k] = state.pop(prefix + k)
        super()._load_from_state_dict(state, prefix, *args)


class WithResidualBlock(ClosedLoopChoice):
    """``res``: the package's choice with a residual block before its last conv."""

    def __init__(self, channels, state_channels):
        super().__init__(channels, state_channels)
        last = self.pop(2)
        self.append(ResidualBlock(channels))
        self.append(last)


VARIANTS = {"conv": StateOnly, "mix": ClosedLoopChoice, "res": WithResidualBlock}


class ClosedLoop(VQDeepSC):
    variant = "conv"

    def __init__(self, preset, **options):
        super().__init__(replace(preset, closed_loop=True), **options)
        widths = dict(zip(range(preset.num_scales - 2, -2, -1), preset.up_widths))
        del self._modules["closed_loop"]
        self.context = nn.ModuleDict({str(l): VARIANTS[self.variant](preset.widths[l], widths[l])
                                      for l in preset.transmitted[:-1]})

    @property
    def closed_loop(self):
        return self.context


if __name__ == "__main__":
    ClosedLoop.variant = sys.argv[1]
    vqdeepsc.train.VQDeepSC = ClosedLoop
    sys.exit(main(["train", *sys.argv[2:]]))
