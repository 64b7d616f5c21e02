"""Figures: training curves, the paper's Fig. 3 (SSIM or any other metric against Es/N0 per channel) and image
grids."""

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
    for key in ("l1", "mse", "l1_lowpass", "l1_chroma", "l1_lab", "codebook", "commitment", "g_adv", "loss_d"):
        if any(r.get(key, 0) > 0 for r in history):  # a term the run weighs (a log axis cannot draw a zero)
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
    axes[2].set(xlabel="epoch", ylabel="perplexity (effective codewords)",
                title="codebook health" if usage else "codebook health (no codebook learns in this run)")
    if usage:
        axes[2].legend()
    fig.tight_layout()
    _save(fig, path)


def plot_runs(runs: dict[str, list[dict]], path: str | Path) -> None:
    """Validation SSIM against cumulative training CPU minutes, one line per run (name -> log rows)."""
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, history in runs.items():
        minutes = [sum(r["seconds"] for r in history[: i + 1]) / 60 for i in range(len(history))]
        ax.plot(minutes, [r["val_ssim"] for r in history], "o-", markersize=3, label=name)
    ax.set(xlabel="training time (minutes, one CPU thread)", ylabel="validation SSIM (128x128 centre crops)",
           title="quality per CPU-minute")
    later = [r["val_ssim"] for history in runs.values() for r in history[1:]]  # a first epoch can be far below
    if later:
        ax.set_ylim(bottom=max(0.0, min(later) - 0.05))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def image_grid(columns: dict, path: str | Path) -> None:
    """One column per entry (title -> tensor [B, 3, H, W] in [0, 1]), one row per image; titles are wrapped to the
    column's width."""
    import textwrap

    n_rows, n_cols = next(iter(columns.values())).shape[0], len(columns)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.6 * n_cols, 1.6 * n_rows), squeeze=False)
    for j, (title, images) in enumerate(columns.items()):
        axes[0, j].set_title("\n".join(textwrap.fill(line, 24) for line in title.split("\n")), fontsize=7)
        for i in range(n_rows):
            axes[i, j].imshow(images[i].permute(1, 2, 0).clamp(0, 1).cpu().numpy())
            axes[i, j].axis("off")
    _save(fig, path)


def _line_label(row: dict, several_presets: bool, scheme: str, family: list[int] | None = None) -> str:
    """A line's legend, from one of its rows: the upper bound and VQ-DeepSC are named with their model (the
    rate-adaptive VQ-DeepSC with its family's bits per image, ``family``); a classic codec with the link (and whose
    budget, when several models share a figure); one at capacity alone; the analog Deep-JSCC with its channel
    symbols."""
    from .baselines.codecs import CODECS
    from .senders import CAPACITY, labels

    method, label = row["method"], labels()[row["method"]]
    if method == "djscc":  # analog: its bandwidth, no bits, no link scheme
        return f"{label}, {row['channel_symbols']:.0f} symbols"
    if method.startswith(CAPACITY):  # a classic codec at the channel's capacity: no link, no model's budget
        return label
    if method in CODECS:  # a classic codec's file over the link (at some SNRs perhaps none fits: no BER there)
        return f"{label} + {scheme}" + (f" ({row['preset']} budget)" if several_presets else "")
    if method == "vq" and family:
        return f"{label}, rate-adaptive ({' / '.join(str(b) for b in sorted(family))} bits)"
    return f"{label} ({row['preset']})"  # VQ-DeepSC or its upper bound


def plot_snr_curves(rows: list[dict], metric: str, path: str | Path, rician_factor: float | None = None,
                    scheme: str = "5G LDPC 1/3 + 16-QAM", families: dict[str, list[int]] | None = None) -> None:
    """The paper's Fig. 3 layout: ``metric`` (a name or key of :data:`~vqdeepsc.metrics.METRICS`, the paper's
    ``"ssim"``) against Es/N0, one panel per channel, one line per preset and method (a classic codec gets its
    preset's bit budget), error bars = the 95 % confidence interval (rows of ``vqdeepsc eval``), the link's
    modulation and coding ``scheme`` in the legend; ``families``: preset -> bits per image of the family its ``vq``
    rows adapted over (the rate-adaptive VQ-DeepSC); ``ValueError`` if the rows lack the metric."""
    from .metrics import get_metric
    from .senders import CAPACITY, METHODS

    measure = get_metric(metric)
    metric, families = measure.key, families or {}
    if any(r.get(metric) is None for r in rows):
        raise ValueError(f"these results have no {measure.label} (made before it was measured, or on images too small "
                         f"for it): rerun the evaluation")

    presets = list(dict.fromkeys(r["preset"] for r in rows))
    channels = list(dict.fromkeys(r["channel"] for r in rows))
    lines = sorted(dict.fromkeys((r["preset"], r["method"]) for r in rows),
                   key=lambda line: (presets.index(line[0]), METHODS.index(line[1])))
    colors = plt.get_cmap("tab10" if len(lines) <= 10 else "tab20").colors  # one colour per line
    fig, axes = plt.subplots(1, len(channels), figsize=(4.5 * len(channels), 3.8), squeeze=False, sharey=True)
    for ax, channel in zip(axes[0], channels):
        for j, (preset, method) in enumerate(lines):
            line = [r for r in rows if r["channel"] == channel and r["method"] == method and r["preset"] == preset]
            if line:
                x, y, err = zip(*sorted((r["snr_db"], r[metric], r[f"{metric}_ci95"]) for r in line))
                ideal = method.startswith(CAPACITY)  # a codec at the channel's capacity
                style = "--" if ideal else ":" if method == "djscc" else "-" if presets.index(preset) == 0 else "-."
                label = _line_label(line[0], len(presets) > 1, scheme, families.get(preset))
                ax.errorbar(x, y, yerr=err, color=colors[j % len(colors)], marker="os^vDP"[METHODS.index(method) % 6],
                            markersize=4, capsize=3, linestyle=style, label=label)
        rician = f" (r = {rician_factor:g})" if channel == "rician" and rician_factor is not None else ""
        ax.set(xlabel="Es/N0 (dB)", title=f"{channel}{rician}, per-symbol fading" if channel != "awgn" else channel)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel(measure.axis_label + ("" if measure.higher_is_better else ", lower is better"))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(3, len(labels)), fontsize=8)
    names = ["rate-adaptive VQ-DeepSC" if families.get(p) else p for p in presets]
    fig.suptitle(f"{', '.join(names)}: {measure.label} against Es/N0, mean over {rows[0]['images']} images, "
                 "95 % CI", fontsize=10)
    _save(fig, path)


def plot_reconstructions(grid, path: str | Path, max_snrs: int = 4) -> None:
    """Original | upper bound | each method at up to ``max_snrs`` SNRs, one row per image, from the ``grid.npz`` of
    ``vqdeepsc eval --grid`` (``meta`` JSON, ``original`` and noiseless methods [G, 3, H, W] uint8, the others
    [S, G, 3, H, W])."""
    import json

    import torch

    from .senders import labels

    meta = json.loads(str(grid["meta"]))
    snrs, count = meta["snr_db"], min(max_snrs, len(meta["snr_db"]))
    picks = sorted({round(i * (len(snrs) - 1) / max(1, count - 1)) for i in range(count)})
    images = {k: torch.from_numpy(v).float() / 255 for k, v in grid.items() if k != "meta"}
    columns = {"original": images.pop("original")}
    columns.update({labels()[m]: x for m, x in images.items() if x.dim() == 4})
    for j in picks:
        columns.update({f"{labels()[m]}\n{meta['channel']} {snrs[j]:g} dB": x[j]
                        for m, x in images.items() if x.dim() == 5})
    image_grid(columns, path)
