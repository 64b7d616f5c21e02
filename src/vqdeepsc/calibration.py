"""Colour calibration: the decoder's colour cast, measured on images it has seen, subtracted from its output.

A trained decoder can shift every image's mean colour the same way (a cast: the 40-epoch ``small-4`` run, before
the calibration it ships with as version 2026-12-07, adds about (+2, +3, -2) of 255 to R, G, B on its own training
tiles and on validation). The cast is the mean of decoded minus
original over the pixels of the calibration images, error-free; the decoder subtracts it (``colour_cast``) and
clamps. It sends no bits and leaves the encoder, codebooks and labels as they are, so a decoder trained for errors
still pairs with the calibrated model. Measured in ``results/training/README.md`` ("Colour calibration").
"""

from __future__ import annotations

import torch
from torch import Tensor

from .models.system import VQDeepSC


@torch.no_grad()
def colour_cast(model: VQDeepSC, images: Tensor, batch: int = 32) -> Tensor:
    """:input images: [B, 3, H, W] in [0, 1]. :output: [3], the mean of ``model``'s uncalibrated error-free output
    minus ``images`` per RGB channel (the model is left as it was)."""
    kept = model.decoder.colour_cast.clone()
    model.decoder.colour_cast.zero_()
    try:
        total = torch.zeros(3, dtype=torch.float64)
        for x in images.split(batch):
            x = x.to(kept.device)
            total += (model.decode(model.encode(x)) - x).double().sum((0, 2, 3)).cpu()
    finally:
        model.decoder.colour_cast.copy_(kept)
    return (total / (images.shape[0] * images.shape[2] * images.shape[3])).float()


def calibrate_colour(model: VQDeepSC, images: Tensor) -> Tensor:
    """Set ``model``'s ``colour_cast`` to :func:`colour_cast` of ``images`` (a new calibration replaces an old
    one) and return it."""
    cast = colour_cast(model, images)
    model.decoder.colour_cast.copy_(cast)
    return cast
