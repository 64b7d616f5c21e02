"""Training recipes: named sets of ``TrainConfig`` values. A flag given on the command line overrides its value.

``paper``: exactly the paper's recipe (Adam 1.75e-4, betas (0.5, 0.999), batch 24, 200 epochs, constant
rate, lambda 5, beta_c 0.25, PatchGAN (64 channels) with BCE at weight 1 and Adam 1e-5, plain VQ-VAE codebooks
(U(-1/N, 1/N), no restarts), full 128x128 images); the best checkpoint by validation SSIM. The default for
``paper-*`` presets.

``fast``: the recipe measured best per CPU-minute on our data (``results/training/README.md``, the ablation
table): random 64x64 crops, batch 16, Adam 2e-3 (0.9, 0.99) with 200 warm-up steps and a cosine decay per step,
L1 + (1 - SSIM) + 2 x the L1 of the BT.601 chroma (which keeps the colours of ``small-4``: CIEDE2000 on the
validation split 11.9 -> 5.1), no discriminator, the preset's quantizer (the paper's VQ) with k-means initialisation,
dead-code restarts and EMA codebook updates (decay 0.99), images decoded once into memory. The default for
``small-*`` presets.

``djscc``: the analog Deep-JSCC presets' (``djscc-*``): the fast recipe's optimiser, crops and schedule, 20 epochs,
the MSE alone (Deep-JSCC's loss; no codebook, no discriminator), the best checkpoint by validation PSNR (through AWGN
at the preset's validation SNRs).
"""

from __future__ import annotations

PAPER = dict(epochs=200, batch_size=24, lr=1.75e-4, lr_disc=1e-5, betas=(0.5, 0.999), lr_schedule="constant",
             warmup_steps=0, lam=5.0, beta_c=0.25, ssim_weight=0.0, gan_weight=1.0, disc_channels=64,
             quantizer="vq", kmeans_init=False, dead_code_threshold=0.0, ema_decay=None, crop=128, val_crop=128,
             lowpass_weight=0.0, chroma_weight=0.0, lab_weight=0.0, select="ssim")

FAST = dict(PAPER, epochs=70, batch_size=16, lr=2e-3, betas=(0.9, 0.99), lr_schedule="warmup-cosine",
           warmup_steps=200, gan_weight=0.0, ssim_weight=1.0, quantizer=None, kmeans_init=True,
           dead_code_threshold=0.1, ema_decay=0.99, crop=64, cache_images=True, chroma_weight=2.0)

DJSCC = dict(FAST, epochs=20, ssim_weight=0.0, quantizer=None, chroma_weight=0.0, select="psnr")

RECIPES: dict[str, dict] = {"paper": PAPER, "fast": FAST, "djscc": DJSCC}


def default_recipe(preset: str) -> str:
    """``djscc`` for the analog ``djscc-*`` presets, ``fast`` for the ``small-*`` and ``beyond-*`` ones, ``paper``
    otherwise."""
    if preset.startswith("djscc-"):
        return "djscc"
    return "fast" if preset.startswith(("small-", "beyond-")) else "paper"


def recipe_values(name: str, preset: str) -> dict:
    """The ``TrainConfig`` values of recipe ``name`` for ``preset`` (an upper bound has no quantizer to choose)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    values = dict(RECIPES[name], recipe=name)
    if preset.endswith("-upper"):
        values["quantizer"] = None
    return values
