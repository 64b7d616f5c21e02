"""SSIM and PSNR against independent oracles on real photos."""

import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from vqdeepsc.data import embedded_photos
from vqdeepsc.metrics import psnr, ssim


def test_ssim_and_psnr_match_scikit_image_on_real_photos():
    photos = torch.stack(list(embedded_photos(128).values()))
    noisy = (photos + 0.08 * torch.randn(photos.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    ours_ssim, ours_psnr = ssim(noisy, photos), psnr(noisy, photos)
    for i in range(len(photos)):
        a, b = noisy[i].permute(1, 2, 0).double().numpy(), photos[i].permute(1, 2, 0).double().numpy()
        ref = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                    channel_axis=2, data_range=1.0)
        assert abs(ours_ssim[i].item() - ref) < 1e-3
        assert ours_psnr[i].item() == pytest.approx(peak_signal_noise_ratio(b, a, data_range=1.0), abs=1e-3)
    assert (ours_ssim < 0.95).all() and torch.allclose(ssim(photos, photos), torch.ones(len(photos)))


def test_metrics_refuse_mismatched_batches():
    with pytest.raises(ValueError, match="one shape"):
        ssim(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 16, 16))
