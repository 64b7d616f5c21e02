"""Training criteria of VQ-DeepSC, each returning a dict of named terms (as CompressAI's ``losses``).

Generator: ``loss = lambda * (L1 + ssim_weight * (1 - SSIM) + lowpass_weight * L1_lowpass + chroma_weight * L1_chroma
+ lab_weight * L1_lab + codebook + beta_c * commitment) + gan_weight * L_adv`` (the paper's eq. 8 and 9 with the four
extra weights 0). ``L1_lowpass`` compares the images' mean colours over blocks of :data:`LOWPASS` x :data:`LOWPASS`
pixels, ``L1_chroma`` their BT.601 chroma (Cb, Cr) and ``L1_lab`` their CIELAB values over 100 (the space CIEDE2000
measures in): SSIM barely sees a shift of an image's mean colour. Discriminator: the mean of the BCE on real and on fake
patches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pytorch_msssim import ssim
from torch import Tensor

from .metrics import cielab, ycbcr

LOWPASS = 8
"""Side of the pixel blocks whose mean colours ``L1_lowpass`` compares."""


class SemanticLoss:
    """The transceiver's loss.

    :param lam: lambda, the weight of the reconstruction and VQ terms against the adversarial one (paper: 5).
    :param beta_c: the commitment weight (paper: 0.25).
    :param ssim_weight: weight of ``1 - SSIM`` next to L1 (paper: 0; SSIM with the paper's window 11, sigma 1.5).
    :param gan_weight: weight of the adversarial term (paper: 1; 0 trains without the discriminator).
    :param lowpass_weight: weight of the L1 between the images' mean colours over LOWPASS x LOWPASS blocks (paper: 0).
    :param chroma_weight: weight of the L1 between the images' BT.601 chroma channels (paper: 0).
    :param lab_weight: weight of the L1 between the images' CIELAB values over 100 (L* in [0, 1]; paper: 0).

    :input out: the model's training output (``x_hat``, ``codebook_loss``, ``commitment_loss``).
    :input images: [B, 3, H, W], the targets.
    :input fake_logits: the discriminator's logits on ``x_hat`` or ``None`` when ``gan_weight`` is 0.
    :output: dict with ``loss`` (to minimise) and its float terms ``l1``, ``ssim``, ``l1_lowpass``, ``l1_chroma``,
        ``l1_lab`` (each only with a weight > 0), ``codebook``, ``commitment`` and ``g_adv`` (only with a discriminator).
    """

    def __init__(self, lam: float = 5.0, beta_c: float = 0.25, ssim_weight: float = 0.0, gan_weight: float = 1.0,
                 lowpass_weight: float = 0.0, chroma_weight: float = 0.0, lab_weight: float = 0.0):
        self.lam, self.beta_c, self.ssim_weight, self.gan_weight = lam, beta_c, ssim_weight, gan_weight
        self.lowpass_weight, self.chroma_weight, self.lab_weight = lowpass_weight, chroma_weight, lab_weight

    def __call__(self, out: dict, images: Tensor, fake_logits: Tensor | None = None) -> dict[str, Tensor]:
        x_hat = out["x_hat"].float()
        l1 = (x_hat - images).abs().mean()
        distortion = l1
        terms = {"l1": l1, "codebook": out["codebook_loss"], "commitment": out["commitment_loss"]}
        if self.ssim_weight > 0:
            s = ssim(x_hat, images.float(), data_range=1.0, win_size=11, win_sigma=1.5)
            distortion = distortion + self.ssim_weight * (1 - s)
            terms["ssim"] = s
        if self.lowpass_weight > 0:
            lowpass = (F.avg_pool2d(x_hat, LOWPASS) - F.avg_pool2d(images.float(), LOWPASS)).abs().mean()
            distortion = distortion + self.lowpass_weight * lowpass
            terms["l1_lowpass"] = lowpass
        if self.chroma_weight > 0:
            chroma = (ycbcr(x_hat)[:, 1:] - ycbcr(images.float())[:, 1:]).abs().mean()
            distortion = distortion + self.chroma_weight * chroma
            terms["l1_chroma"] = chroma
        if self.lab_weight > 0:
            lab = (cielab(x_hat) - cielab(images)).abs().mean() / 100
            distortion = distortion + self.lab_weight * lab
            terms["l1_lab"] = lab
        loss = self.lam * (distortion + out["codebook_loss"] + self.beta_c * out["commitment_loss"])
        if fake_logits is not None:
            g_adv = F.binary_cross_entropy_with_logits(fake_logits.float(), torch.ones_like(fake_logits.float()))
            loss = loss + self.gan_weight * g_adv
            terms["g_adv"] = g_adv
        return {"loss": loss, **terms}


class AnalogLoss:
    """The analog Deep-JSCC's loss: ``MSE + ssim_weight * (1 - SSIM)`` (Deep-JSCC: the MSE alone, ``ssim_weight`` 0).
    No codebook, no commitment, no discriminator.

    :input out: the model's training output (``x_hat``).
    :input images: [B, 3, H, W], the targets.
    :input fake_logits: must be ``None`` (no discriminator).
    :output: dict with ``loss`` and its float terms ``mse`` and, with a weight > 0, ``ssim``.
    """

    def __init__(self, ssim_weight: float = 0.0):
        self.ssim_weight = ssim_weight

    def __call__(self, out: dict, images: Tensor, fake_logits: Tensor | None = None) -> dict[str, Tensor]:
        x_hat = out["x_hat"].float()
        mse = (x_hat - images).square().mean()
        terms, loss = {"mse": mse}, mse
        if self.ssim_weight > 0:
            terms["ssim"] = ssim(x_hat, images.float(), data_range=1.0, win_size=11, win_sigma=1.5)
            loss = loss + self.ssim_weight * (1 - terms["ssim"])
        return {"loss": loss, **terms}


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """``0.5 * (BCE(D(x), 1) + BCE(D(x_hat), 0))``; ln 2 = 0.693 means the discriminator cannot tell them apart."""
    real, fake = real_logits.float(), fake_logits.float()
    return 0.5 * (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                  + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
