"""Figures: training curves (and, later, the paper's SSIM-vs-SNR panels)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .checkpoint import atomic_write  # noqa: E402


def _save(fig, path: str | Path) -> None:
    suffix = Path(path).suffix.lstrip(".") or "png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, format=suffix, dpi=120, bbox_inches="tight"))
    plt.close(fig)


def plot_training(history: list[dict], path: str | Path) -> None:
    """Losses, validation SSIM/PSNR and codebook usage per epoch, from the training log rows."""
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for key in ("l1", "codebook", "commitment", "g_adv", "loss_d"):
        if key in history[0]:
            axes[0].plot(epochs, [r[key] for r in history], label=key)
    axes[0].set(xlabel="epoch", ylabel="loss", yscale="log", title="training losses")
    axes[0].legend()
    axes[1].plot(epochs, [r["val_ssim"] for r in history], "o-", label="SSIM")
    axes[1].set(xlabel="epoch", ylabel="validation SSIM", title="validation")
    twin = axes[1].twinx()
    twin.plot(epochs, [r["val_psnr"] for r in history], "s--", color="C1", label="PSNR")
    twin.set_ylabel("validation PSNR (dB)")
    usage = sorted(k for k in history[0] if k.startswith("perplexity_"))
    for key in usage:
        axes[2].plot(epochs, [r[key] for r in history], label=f"F^{key.split('_')[1]}")
    axes[2].set(xlabel="epoch", ylabel="perplexity (effective codewords)", title="codebook health")
    if usage:
        axes[2].legend()
    _save(fig, path)


def image_grid(columns: dict[str, "torch.Tensor"], path: str | Path) -> None:
    """One column per entry (title -> [B, 3, H, W] in [0, 1]), one row per image."""
    n_rows, n_cols = next(iter(columns.values())).shape[0], len(columns)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.6 * n_cols, 1.6 * n_rows), squeeze=False)
    for j, (title, images) in enumerate(columns.items()):
        axes[0, j].set_title(title, fontsize=7)
        for i in range(n_rows):
            axes[i, j].imshow(images[i].permute(1, 2, 0).clamp(0, 1).cpu().numpy())
            axes[i, j].axis("off")
    _save(fig, path)
