"""The semantic decoder of VQ-DeepSC with the multi-scale concatenation fusion of eq. 6."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from .blocks import ResidualBlock, UpSampleBlock, conv3x3


class SemanticDecoder(nn.Module):
    """conv3x3 + PReLU on the deepest scale, L up-sample blocks, a transposed conv to RGB.

    After up-sample block ``L - l + 1`` the received scale ``l`` (the next finer one) is concatenated,
    ``F_cat = concat(R_up(F_cat), F_hat^l)`` (eq. 6); a scale that is not transmitted is not concatenated.

    :param widths: ``C_1..C_L``, as in the encoder.
    :param up_widths: output channels of the L up-sample blocks, deepest first (paper: ``C_{L-1}, ..., C_1, stem``).
    :param transmitted: 0-based indices of the received scales; must include the deepest, ``L - 1``.
    :param fine_blocks: residual blocks after the concatenation of the finest received scale (paper: 0), where the
        decoder reads most of the bits.

    :input features: list of L tensors or ``None``: ``F_hat^l`` [B, C_l, H/2^l, W/2^l] for received scales,
        ``None`` for the others; finest first.
    :output images: [B, 3, H, W], float in [0, 1]: the sigmoid output less :attr:`colour_cast`, clamped.
    """

    def __init__(self, widths: tuple[int, ...], up_widths: tuple[int, ...], transmitted: tuple[int, ...],
                 fine_blocks: int = 0):
        super().__init__()
        L = len(widths)
        if L - 1 not in transmitted:
            raise ValueError("the deepest scale must be transmitted: the decoder starts from it")
        self.num_scales, self.transmitted, self.finest = L, frozenset(transmitted), min(transmitted)
        self.head = nn.Sequential(conv3x3(widths[-1], widths[-1]), nn.PReLU(widths[-1]))
        blocks, c_in = [], widths[-1]
        for l, c_out in zip(range(L - 2, -2, -1), up_widths):  # l: the scale concatenated after the block
            blocks.append(UpSampleBlock(c_in, c_out))
            c_in = c_out + (widths[l] if l in self.transmitted else 0)
            if l == self.finest:
                self.fine = nn.Sequential(*(ResidualBlock(c_in) for _ in range(fine_blocks)))
        self.up = nn.ModuleList(blocks)
        self.to_image = nn.Sequential(nn.ConvTranspose2d(c_in, 3, 3, padding=1), nn.Sigmoid())
        self.register_buffer("colour_cast", torch.zeros(3))
        """The decoder's mean colour error (R, G, B in [0, 1]) on the images it was calibrated on, subtracted from its
        output; zero until :func:`~vqdeepsc.calibration.calibrate_colour` sets it. Training leaves it as it is."""

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        state_dict.setdefault(prefix + "colour_cast", torch.zeros(3))  # files made before calibration: no cast
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, features: list[Tensor | None]) -> Tensor:
        return self.run(lambda l, state: features[l])

    def tail(self) -> nn.ModuleList:
        """The layers after the finest received scale is concatenated: its fine blocks, the up-sample blocks below it
        and the output. A closed-loop transmitter's choice never depends on them (``vqdeepsc train
        --decoder-tail``)."""
        return nn.ModuleList([self.fine, *self.up[self.num_scales - 1 - self.finest:], self.to_image])

    def run(self, receive: Callable[[int, Tensor | None], Tensor], until: int | None = None) -> Tensor:
        """The decoder scale by scale, deepest first: ``receive(l, state)`` gives received scale ``l``
        [B, C_l, H_l, W_l] given the decoder's state there, [B, up_width, H_l, W_l] (``None`` for the deepest).
        With ``until`` it stops once scale ``until`` is received and returns its state instead of the images."""
        f = self.head(receive(self.num_scales - 1, None))
        for l, block in zip(range(self.num_scales - 2, -2, -1), self.up):
            if until is not None and l < until:
                return f
            f = block(f)
            if l in self.transmitted:
                f = torch.cat([f, receive(l, f)], dim=1)
                if l == self.finest:
                    f = self.fine(f)
        return (self.to_image(f) - self.colour_cast.view(1, 3, 1, 1)).clamp(0, 1)
