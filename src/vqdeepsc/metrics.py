"""Image quality metrics, one :class:`Metric` each: SSIM as in the paper (Gaussian window 11, sigma 1.5, data range
1, RGB), MS-SSIM, PSNR of RGB, of the luma and of the chroma (BT.601), and the CIEDE2000 colour difference.

Every metric takes two image batches ``[B, 3, H, W]`` in [0, 1] and gives one value per image, ``[B]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from pytorch_msssim import ms_ssim as _ms_ssim
from pytorch_msssim import ssim as _ssim
from torch import Tensor

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363)
"""MS-SSIM's scale weights: the first four of Wang, Simoncelli and Bovik (2003), which :func:`ms_ssim` renormalises
to sum 1. A 128x128 tile has room for four scales (128, 64, 32, 16 pixels) with a 7-pixel window; the paper's five
scales with an 11-pixel window need 161 pixels or more."""
MS_SSIM_WINDOW = 7
MS_SSIM_MIN_SIDE = (MS_SSIM_WINDOW - 1) * 16 + 1
"""The smallest side pytorch-msssim accepts for :data:`MS_SSIM_WINDOW` (it checks room for four halvings)."""


def _check(x: Tensor, y: Tensor) -> None:
    if x.shape != y.shape or x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"expected two image batches [B, 3, H, W] of one shape, got {list(x.shape)} and {list(y.shape)}")


def ycbcr(x: Tensor) -> Tensor:
    """BT.601 full-range (JFIF) YCbCr. :input x: [B, 3, H, W] RGB in [0, 1]. :output: [B, 3, H, W], Y, Cb, Cr in
    [0, 1] (Cb, Cr centred on 0.5)."""
    m = x.new_tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
    return torch.einsum("ij,bjhw->bihw", m, x) + x.new_tensor([0.0, 0.5, 0.5]).view(1, 3, 1, 1)


SRGB_TO_XYZ = ((0.412453, 0.357580, 0.180423), (0.212671, 0.715160, 0.072169), (0.019334, 0.119193, 0.950227))
"""Linear sRGB -> CIE XYZ, scikit-image's ``rgb2lab`` matrix."""
D65 = (0.95047, 1.0, 1.08883)
"""The D65 white point (2-degree observer) in XYZ, as scikit-image's default."""


def cielab(x: Tensor) -> Tensor:
    """CIELAB (D65), differentiable, as scikit-image's ``rgb2lab``. :input x: [B, 3, H, W] sRGB, clamped to [0, 1].
    :output: [B, 3, H, W], L* in [0, 100], a*, b*."""
    x = x.float().clamp(0, 1)
    linear = torch.where(x > 0.04045, ((x + 0.055) / 1.055).pow(2.4), x / 12.92)
    xyz = torch.einsum("ij,bjhw->bihw", x.new_tensor(SRGB_TO_XYZ), linear) / x.new_tensor(D65).view(1, 3, 1, 1)
    delta = 6 / 29
    f = torch.where(xyz > delta**3, xyz.clamp_min(delta**3).pow(1 / 3), xyz / (3 * delta**2) + 4 / 29)
    return torch.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


def ssim(x: Tensor, y: Tensor) -> Tensor:
    """:input x, y: [B, 3, H, W] in [0, 1] (H, W >= 11). :output: [B] SSIM per image, averaged over channels."""
    _check(x, y)
    return _ssim(x.float(), y.float(), data_range=1.0, size_average=False, win_size=11, win_sigma=1.5)


def ms_ssim(x: Tensor, y: Tensor) -> Tensor:
    """:input x, y: [B, 3, H, W] in [0, 1] (H, W >= :data:`MS_SSIM_MIN_SIDE`). :output: [B] MS-SSIM per image
    (four scales, :data:`MS_SSIM_WEIGHTS` renormalised, Gaussian window 7, sigma 1.5), averaged over channels."""
    _check(x, y)
    if min(x.shape[2:]) < MS_SSIM_MIN_SIDE:
        raise ValueError(f"MS-SSIM needs images of {MS_SSIM_MIN_SIDE}x{MS_SSIM_MIN_SIDE} pixels or more, got "
                         f"{x.shape[3]}x{x.shape[2]}")
    weights = torch.tensor(MS_SSIM_WEIGHTS)
    return _ms_ssim(x.float(), y.float(), data_range=1.0, size_average=False, win_size=MS_SSIM_WINDOW,
                    win_sigma=1.5, weights=(weights / weights.sum()).tolist())


def _psnr(x: Tensor, y: Tensor) -> Tensor:
    mse = (x.float() - y.float()).pow(2).flatten(1).mean(1)
    return (10 * torch.log10(1.0 / mse.clamp_min(1e-10))).clamp_max(100.0)


def psnr(x: Tensor, y: Tensor) -> Tensor:
    """:input x, y: [B, 3, H, W] in [0, 1]. :output: [B] PSNR of RGB in dB (capped at 100 dB for identical images)."""
    _check(x, y)
    return _psnr(x, y)


def psnr_luma(x: Tensor, y: Tensor) -> Tensor:
    """:input x, y: [B, 3, H, W] RGB in [0, 1]. :output: [B] PSNR of the BT.601 luma Y in dB (peak 1)."""
    _check(x, y)
    return _psnr(ycbcr(x.float())[:, :1], ycbcr(y.float())[:, :1])


def psnr_chroma(x: Tensor, y: Tensor) -> Tensor:
    """:input x, y: [B, 3, H, W] RGB in [0, 1]. :output: [B] PSNR of the BT.601 chroma Cb and Cr together in dB
    (the mean squared error over both channels, peak 1)."""
    _check(x, y)
    return _psnr(ycbcr(x.float())[:, 1:], ycbcr(y.float())[:, 1:])


def ciede2000(x: Tensor, y: Tensor) -> Tensor:
    """:input x, y: [B, 3, H, W] sRGB in [0, 1]. :output: [B] the CIEDE2000 colour difference (scikit-image's
    ``deltaE_ciede2000`` of ``rgb2lab``, D65), averaged over the pixels; about 1 is just noticeable, 5 plain."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    _check(x, y)
    a, b = (t.detach().float().clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy().astype(np.float64) for t in (x, y))
    return torch.tensor([deltaE_ciede2000(rgb2lab(p), rgb2lab(q)).mean() for p, q in zip(a, b)], dtype=torch.float32)


@dataclass(frozen=True)
class Metric:
    """A per-image quality measure.

    :param key: its key in per-image records, results files and training logs (``ms_ssim``).
    :param name: its name on the command line (``ms-ssim``).
    :param label: what it is, for tables and figures (``PSNR of the luma Y``).
    :param unit: its unit (``dB``) or ``""``.
    :param digits: decimals worth printing.
    :param higher_is_better: ``False`` for a distance (CIEDE2000).
    :param compute: ``(x_hat, images) -> [B]``.
    :param min_side: the smallest image side it is defined for.
    """

    key: str
    name: str
    label: str
    unit: str
    digits: int
    higher_is_better: bool
    compute: Callable[[Tensor, Tensor], Tensor]
    min_side: int = 1

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        return self.compute(x, y)

    @property
    def axis_label(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def format(self, value: float) -> str:
        """``value`` with :attr:`digits` decimals and the unit."""
        return f"{value:.{self.digits}f}" + (f" {self.unit}" if self.unit else "")


METRICS: tuple[Metric, ...] = (
    Metric("ssim", "ssim", "SSIM", "", 4, True, ssim, 11),
    Metric("ms_ssim", "ms-ssim", "MS-SSIM", "", 4, True, ms_ssim, MS_SSIM_MIN_SIDE),
    Metric("psnr", "psnr", "PSNR", "dB", 2, True, psnr),
    Metric("psnr_luma", "psnr-luma", "PSNR of the luma Y", "dB", 2, True, psnr_luma),
    Metric("psnr_chroma", "psnr-chroma", "PSNR of the chroma Cb, Cr", "dB", 2, True, psnr_chroma),
    Metric("ciede2000", "ciede2000", "CIEDE2000 colour difference", "", 2, False, ciede2000),
)
"""Every metric the evaluation, the demo, ``send`` and training's validation report, in this order."""


def get_metric(name: str) -> Metric:
    """The metric called ``name`` (its command-line name or its key); ``ValueError`` naming the known ones."""
    for metric in METRICS:
        if name in (metric.name, metric.key):
            return metric
    raise ValueError(f"unknown metric {name!r}; known: {', '.join(m.name for m in METRICS)}")


def image_scores(x_hat: Tensor, images: Tensor) -> dict[str, list[float]]:
    """Every metric of :data:`METRICS` that is defined for the images' size, per image.

    :input x_hat, images: [N, 3, H, W] in [0, 1].
    :output: metric key -> N floats.
    """
    _check(x_hat, images)
    x_hat, images = x_hat.detach().cpu().float(), images.detach().cpu().float()
    return {m.key: m(x_hat, images).double().tolist() for m in METRICS if min(images.shape[2:]) >= m.min_side}
