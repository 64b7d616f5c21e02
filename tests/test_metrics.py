"""Every metric against an independent oracle on real photos."""

import math

import numpy as np
import pytest
import torch
from skimage.color import deltaE_ciede2000, rgb2lab, rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from vqdeepsc.data import embedded_photos
from vqdeepsc.metrics import METRICS, ciede2000, cielab, get_metric, image_scores, ms_ssim, psnr, psnr_chroma, psnr_luma, ssim


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


def _ms_ssim_reference(a, b, weights=(0.0448, 0.2856, 0.3001, 0.2363), win=7, sigma=1.5):
    """Wang, Simoncelli and Bovik's MS-SSIM written out with scipy (valid Gaussian filtering, 2x2 mean pooling):
    a, b [H, W, 3] float64 -> the mean over channels."""
    from scipy.signal import convolve2d

    g = np.exp(-((np.arange(win) - win // 2) ** 2) / (2 * sigma ** 2))
    g = np.outer(g, g) / np.outer(g, g).sum()
    w = np.array(weights) / sum(weights)
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    out = []
    for ch in range(3):
        x, y, value = a[..., ch], b[..., ch], 1.0
        for level in range(len(w)):
            f = lambda t: convolve2d(t, g, mode="valid")  # noqa: E731
            mx, my = f(x), f(y)
            sx, sy, sxy = f(x * x) - mx ** 2, f(y * y) - my ** 2, f(x * y) - mx * my
            cs = (2 * sxy + c2) / (sx + sy + c2)
            if level < len(w) - 1:
                value *= max(cs.mean(), 0) ** w[level]
                x = x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).mean((1, 3))
                y = y.reshape(y.shape[0] // 2, 2, y.shape[1] // 2, 2).mean((1, 3))
            else:
                value *= max((((2 * mx * my + c1) / (mx ** 2 + my ** 2 + c1)) * cs).mean(), 0) ** w[level]
        out.append(value)
    return float(np.mean(out))


def _noisy_photos():
    photos = torch.stack(list(embedded_photos(128).values()))
    noisy = (photos + 0.08 * torch.randn(photos.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    return noisy, photos


def test_ms_ssim_matches_a_scipy_reference_on_real_photos():
    noisy, photos = _noisy_photos()
    ours = ms_ssim(noisy, photos)
    for i in range(len(photos)):
        ref = _ms_ssim_reference(noisy[i].permute(1, 2, 0).double().numpy(), photos[i].permute(1, 2, 0).double().numpy())
        assert abs(ours[i].item() - ref) < 1e-4
    assert (ours < 0.99).all() and torch.allclose(ms_ssim(photos, photos), torch.ones(len(photos)))
    with pytest.raises(ValueError, match="MS-SSIM needs images of 97x97 pixels or more, got 96x96"):
        ms_ssim(photos[:, :, :96, :96], photos[:, :, :96, :96])


def test_luma_and_chroma_psnr_match_scikit_image_bt601():
    noisy, photos = _noisy_photos()
    # scikit-image's studio-range BT.601: Y = 16 + 219 Y', Cb = 128 + 224 (Cb' - 1/2), hence these peaks
    for i in range(len(photos)):
        a, b = (rgb2ycbcr(t[i].permute(1, 2, 0).double().numpy()) for t in (noisy, photos))
        assert psnr_luma(noisy, photos)[i].item() == pytest.approx(
            peak_signal_noise_ratio(b[..., 0], a[..., 0], data_range=219), abs=1e-3)
        assert psnr_chroma(noisy, photos)[i].item() == pytest.approx(
            peak_signal_noise_ratio(b[..., 1:], a[..., 1:], data_range=224), abs=1e-3)
    # a shift of the colour with the luma kept: only the chroma PSNR sees it, by the error of Cb and Cr by hand
    gray = torch.full((1, 3, 16, 16), 0.5)
    shift = torch.tensor([0.05 * 0.114 / 0.299, 0.0, -0.05]).view(1, 3, 1, 1)
    d_cb, d_cr = -0.168736 * shift[0, 0, 0, 0] + 0.5 * -0.05, 0.5 * shift[0, 0, 0, 0] - 0.081312 * -0.05
    assert psnr_luma(gray + shift, gray).item() > 80
    assert psnr_chroma(gray + shift, gray).item() == pytest.approx(-10 * math.log10((d_cb ** 2 + d_cr ** 2) / 2), abs=1e-3)


def test_ciede2000_against_hand_computed_differences_and_scikit_image():
    from skimage.color import lab2rgb

    gray = lambda lightness: torch.tensor(lab2rgb([[[lightness, 0.0, 0.0]]]), dtype=torch.float32)  # noqa: E731
    flat = lambda lightness: gray(lightness)[0, 0].view(1, 3, 1, 1).expand(1, 3, 16, 16)  # noqa: E731
    # neutral colours: dE00 = dL / S_L, S_L = 1 + 0.015 (L - 50)^2 / sqrt(20 + (L - 50)^2) at the mean L
    assert ciede2000(flat(50), flat(60)).item() == pytest.approx(10 / (1 + 0.015 * 25 / math.sqrt(45)), abs=1e-3)
    assert ciede2000(torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)).item() == pytest.approx(100.0, abs=1e-3)
    noisy, photos = _noisy_photos()
    ours = ciede2000(noisy, photos)
    for i in range(len(photos)):
        a, b = (t[i].permute(1, 2, 0).double().numpy() for t in (noisy, photos))
        assert ours[i].item() == pytest.approx(deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean(), rel=1e-5)
    assert (ciede2000(photos, photos) == 0).all()
    # a shift of the mean green by 10 of 255, which SSIM barely sees, is a visible colour difference
    greener = photos.clone()
    greener[:, 1] = (greener[:, 1] + 10 / 255).clamp(0, 1)
    assert ciede2000(greener, photos).min() > 4 and ssim(greener, photos).min() > 0.97


def test_cielab_matches_scikit_image_and_has_finite_gradients():
    """The training loss's CIELAB is scikit-image's ``rgb2lab`` (what CIEDE2000 is computed on), on real photos,
    random colours, black and white; its gradient is finite everywhere, black included."""
    photos = torch.stack(list(embedded_photos(128).values()))
    noise = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(0))
    x = torch.cat([photos, noise, torch.zeros(1, 3, 128, 128), torch.ones(1, 3, 128, 128)])
    expected = np.stack([rgb2lab(i.permute(1, 2, 0).double().numpy()) for i in x])
    assert np.abs(cielab(x).permute(0, 2, 3, 1).double().numpy() - expected).max() < 1e-3
    x = x.clone().requires_grad_()
    cielab(x).abs().sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_image_scores_has_every_metric_defined_for_the_size():
    noisy, photos = _noisy_photos()
    scores = image_scores(noisy, photos)
    assert list(scores) == [m.key for m in METRICS] and all(len(v) == len(photos) for v in scores.values())
    assert scores["ssim"] == ssim(noisy, photos).double().tolist()
    small = image_scores(noisy[:, :, :32, :32], photos[:, :, :32, :32])
    assert "ms_ssim" not in small and "ciede2000" in small
    assert get_metric("ms-ssim") is get_metric("ms_ssim")
    with pytest.raises(ValueError, match="unknown metric 'lpips'; known: ssim, ms-ssim, psnr"):
        get_metric("lpips")
