"""The training criterion's colour terms see what they are for."""

import pytest
import torch

from vqdeepsc.data import embedded_photos
from vqdeepsc.losses import LOWPASS, SemanticLoss


def _out(x_hat):
    zero = torch.zeros(())
    return {"x_hat": x_hat, "codebook_loss": zero, "commitment_loss": zero}


def test_colour_terms_see_a_colour_shift_that_ssim_barely_sees():
    photos = torch.stack(list(embedded_photos(128).values()))
    loss = SemanticLoss(ssim_weight=1.0, gan_weight=0.0, lowpass_weight=1.0, chroma_weight=1.0, lab_weight=1.0)
    same = loss(_out(photos), photos)
    assert same["l1_lowpass"] == 0 and same["l1_chroma"] == 0 and same["l1_lab"] == 0
    # a mean shift of the red-green axis (R up, G down, by 8 of 255), the colour error SSIM overlooks
    shifted = photos.clone()
    shifted[:, 0] = (shifted[:, 0] + 8 / 255).clamp(0, 1)
    shifted[:, 1] = (shifted[:, 1] - 8 / 255).clamp(0, 1)
    terms = loss(_out(shifted), photos)
    assert terms["ssim"] > 0.97 and terms["l1_lowpass"] > 0.5 * terms["l1"] > 0
    assert terms["l1_chroma"] > 0.5 * 0.418688 * 8 / 255
    assert terms["l1_lab"] > 0.01  # a* moves by several units (CIEDE2000 4-8 on these photos, test_metrics.py)
    # zero-mean texture within each block: the low-pass term is blind to it, plain L1 is not
    checker = (torch.arange(128)[:, None] + torch.arange(128)[None]) % 2 * 2 - 1.0
    textured = (0.5 + 0.1 * checker).expand(1, 3, 128, 128)
    flat = torch.full((1, 3, 128, 128), 0.5)
    terms = loss(_out(textured), flat)
    assert terms["l1"] == pytest.approx(0.1) and terms["l1_lowpass"] < 1e-6
    assert 128 % LOWPASS == 0


def test_weights_scale_the_loss_and_zero_leaves_the_paper_loss():
    photos = torch.stack(list(embedded_photos(128).values()))
    x_hat = (photos + 0.05).clamp(0, 1)
    paper = SemanticLoss(gan_weight=0.0)(_out(x_hat), photos)
    assert set(paper) == {"loss", "l1", "codebook", "commitment"}
    assert paper["loss"] == pytest.approx(5 * paper["l1"])
    both = SemanticLoss(gan_weight=0.0, lowpass_weight=2.0, chroma_weight=3.0, lab_weight=0.5)(_out(x_hat), photos)
    assert both["loss"] == pytest.approx(5 * (both["l1"] + 2 * both["l1_lowpass"] + 3 * both["l1_chroma"]
                                              + 0.5 * both["l1_lab"]))
