"""The semantic encoder of VQ-DeepSC: ``F^l = T_down^l(F^{l-1})``, l = 1..L."""

from __future__ import annotations

from torch import Tensor, nn

from .blocks import DownSampleBlock, ResidualBlock, conv3x3


class SemanticEncoder(nn.Module):
    """conv3x3 + PReLU, then L down-sample blocks; returns every scale's features.

    :param stem_channels: channels of the first conv3x3 (paper: 64).
    :param widths: ``C_1..C_L`` (paper: 128, 256, 512, 1024).
    :param fine_scale: 0-based index of the finest transmitted scale.
    :param fine_blocks: residual blocks after the down-sample block of ``fine_scale`` (paper: 0), so each of its
        codewords is chosen with more context.

    :input images: [B, 3, H, W], float in [0, 1]; H and W multiples of 2^L.
    :output features: list of L tensors ``F^l``: [B, C_l, H/2^l, W/2^l], finest first.
    """

    def __init__(self, stem_channels: int, widths: tuple[int, ...], fine_scale: int = 0, fine_blocks: int = 0):
        super().__init__()
        self.stem = nn.Sequential(conv3x3(3, stem_channels), nn.PReLU(stem_channels))
        channels = (stem_channels, *widths)
        self.down = nn.ModuleList(DownSampleBlock(c_in, c_out) for c_in, c_out in zip(channels, channels[1:]))
        self.fine_scale = fine_scale
        self.fine = nn.Sequential(*(ResidualBlock(widths[fine_scale]) for _ in range(fine_blocks)))

    def forward(self, images: Tensor) -> list[Tensor]:
        f = self.stem(images)
        features = []
        for l, block in enumerate(self.down):
            f = block(f)
            if l == self.fine_scale:
                f = self.fine(f)
            features.append(f)
        return features
