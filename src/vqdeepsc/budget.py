"""The paper's Table I for a preset, derived from the model's own feature shapes."""

from __future__ import annotations

import math

import torch

from .config import Preset
from .link.phy import plan_codewords
from .models.system import VQDeepSC


def bit_budget(preset: Preset, height: int = 128, width: int = 128) -> dict:
    """Bits and symbols one ``height x width`` image costs with ``preset``.

    The feature shapes come from running the encoder on the meta device (no memory, no arithmetic).
    For an upper-bound preset the numbers are those of its quantized twin (the upper bound itself is not sent).

    :output: dict with ``index_bits`` (sum over transmitted scales of H_l W_l ceil(log2 N_l)), ``paper_symbols``
        (index_bits / 4, the paper's count), ``unquantized_values`` (sum of C_l H_l W_l: the features sent
        without an embedding space), ``unquantized_symbols`` (/ 4, the paper's count), ``ratio`` (paper_symbols /
        unquantized_symbols), ``channel_symbols`` and ``padding_bits`` (the real 16-QAM symbols after 5G LDPC
        rate 1/3), ``bpp`` (index bits per pixel).
    """
    with torch.device("meta"):
        model, image = VQDeepSC(preset), torch.zeros(1, 3, height, width)
        model.check_images(image)
        features = model.encoder(image)
    sent = [features[l] for l in preset.transmitted]
    index_bits = sum(f.shape[2] * f.shape[3] * b for f, b in zip(sent, preset.bits_per_index))
    values = sum(math.prod(f.shape[1:]) for f in sent)
    plan = plan_codewords(index_bits)
    return {
        "preset": preset.name,
        "image": [height, width],
        "index_bits": index_bits,
        "paper_symbols": index_bits / 4,
        "unquantized_values": values,
        "unquantized_symbols": values / 4,
        "ratio": index_bits / values,
        "channel_symbols": plan.channel_symbols,
        "padding_bits": plan.padding_bits,
        "bpp": index_bits / (height * width),
    }


def format_budget(b: dict) -> str:
    """Table I as markdown."""
    rows = [
        ("index bits / image", f"{b['index_bits']}"),
        ("paper's symbols = bits / 4", f"{b['paper_symbols']:g}"),
        ("without embedding space: feature values", f"{b['unquantized_values']}"),
        ("without embedding space: values / 4", f"{b['unquantized_symbols']:g}"),
        ("ratio", f"{100 * b['ratio']:.2f} %"),
        ("channel symbols, 5G LDPC 1/3 + 16-QAM", f"{b['channel_symbols']} ({b['padding_bits']} padding bits)"),
        ("bits per pixel", f"{b['bpp']:.3f}"),
    ]
    h, w = b["image"]
    lines = [f"| {b['preset']} ({h}x{w}) | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)
