"""Building blocks of the semantic encoder and decoder, as the paper specifies them. All kernels are 3x3."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def check_image_batch(images: Tensor, preset) -> None:
    """``ValueError`` unless ``images`` is a float [B, 3, H, W] batch with H, W positive multiples of
    ``2 ** preset.num_scales`` (the down-sampling stages of ``preset``, VQ-DeepSC's or analog)."""
    m = 2 ** preset.num_scales
    if images.dim() != 4 or images.shape[1] != 3 or not images.is_floating_point():
        raise ValueError(f"expected float images [B, 3, H, W], got {images.dtype} {list(images.shape)}")
    if images.shape[2] % m or images.shape[3] % m or images.shape[2] == 0 or images.shape[3] == 0:
        raise ValueError(f"image height and width must be positive multiples of {m} for preset "
                         f"{preset.name!r}, got {images.shape[2]}x{images.shape[3]}")


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)


class ResidualBlock(nn.Module):
    """conv3x3 -> BN -> PReLU -> conv3x3, plus the identity.

    :input x: [B, C, H, W]
    :output y: [B, C, H, W]
    """

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(conv3x3(channels, channels), nn.BatchNorm2d(channels), nn.PReLU(channels),
                                  conv3x3(channels, channels))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class DownSampleBlock(nn.Sequential):
    """``T_down``: ResidualBlock -> strided conv3x3 -> ResidualBlock -> BN -> PReLU -> conv3x3.

    :input x: [B, C_in, H, W]
    :output y: [B, C_out, H/2, W/2]
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(ResidualBlock(in_channels), conv3x3(in_channels, out_channels, stride=2),
                         ResidualBlock(out_channels), nn.BatchNorm2d(out_channels), nn.PReLU(out_channels),
                         conv3x3(out_channels, out_channels))


class UpSampleBlock(nn.Sequential):
    """``R_up``: ResidualBlock -> nearest x2 up-sampling -> conv3x3 -> BN -> PReLU.

    :input x: [B, C_in, H, W]
    :output y: [B, C_out, 2H, 2W]
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(ResidualBlock(in_channels), nn.Upsample(scale_factor=2, mode="nearest"),
                         conv3x3(in_channels, out_channels), nn.BatchNorm2d(out_channels), nn.PReLU(out_channels))


class ClosedLoopChoice(nn.Sequential):
    """The features a closed-loop transmitter chooses scale ``l``'s codeword for: ``F^l + C(concat(F^l, D_l))``, with
    ``D_l`` the decoder's state where it meets scale ``l`` (what the receiver rebuilt from the coarser scales) and
    ``C`` = conv3x3 -> PReLU -> conv1x1, the last initialised to zero (training starts from the open loop, ``F^l``).

    :input features: ``F^l`` [B, C, H, W]
    :input state: ``D_l`` [B, S, H, W]
    :output chosen: [B, C, H, W]
    """

    def __init__(self, channels: int, state_channels: int):
        last = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        super().__init__(conv3x3(channels + state_channels, channels), nn.PReLU(channels), last)

    def forward(self, features: Tensor, state: Tensor) -> Tensor:
        return features + super().forward(torch.cat([features, state], dim=1))
