"""Image quality metrics as in the paper: SSIM (Gaussian window 11, sigma 1.5, data range 1, RGB) and PSNR."""

from __future__ import annotations

import torch
from pytorch_msssim import ssim as _ssim
from torch import Tensor


def _check(x: Tensor, y: Tensor) -> None:
    if x.shape != y.shape or x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"expected two image batches [B, 3, H, W] of one shape, got {list(x.shape)} and {list(y.shape)}")


def ssim(x: Tensor, y: Tensor) -> Tensor:
    """:input x, y: [B, 3, H, W] in [0, 1] (H, W >= 11). :output: [B] SSIM per image, averaged over channels."""
    _check(x, y)
    return _ssim(x.float(), y.float(), data_range=1.0, size_average=False, win_size=11, win_sigma=1.5)


def psnr(x: Tensor, y: Tensor) -> Tensor:
    """:input x, y: [B, 3, H, W] in [0, 1]. :output: [B] PSNR in dB (capped at 100 dB for identical images)."""
    _check(x, y)
    mse = (x.float() - y.float()).pow(2).flatten(1).mean(1)
    return (10 * torch.log10(1.0 / mse.clamp_min(1e-10))).clamp_max(100.0)
