"""The methods an evaluation compares, by name: VQ-DeepSC with each receiver, its upper bound, classic codecs."""

from __future__ import annotations

from .baselines import CODECS
from .receivers import RECEIVERS

METHODS = ("vq", *(f"vq-{p}{r}" for p in ("", "robust-") for r in RECEIVERS), "upper", *CODECS)
"""``vq`` is VQ-DeepSC with the evaluation's default receiver (``dequantize``), ``vq-<receiver>`` with that
receiver (:data:`~vqdeepsc.receivers.RECEIVERS`), ``vq-robust-<receiver>`` with it and a decoder trained for
errors (``robust``); every VQ-DeepSC method sees the same receptions."""
LABELS = {"vq": "VQ-DeepSC", **{f"vq-{r.name}": f"VQ-DeepSC, {r.label}" for r in RECEIVERS.values()},
          **{f"vq-robust-{r.name}": f"VQ-DeepSC, {r.label}, decoder trained for errors" for r in RECEIVERS.values()},
          "upper": "upper bound (noiseless)", "jpeg": "JPEG", "webp": "WebP", "jpeg2000": "JPEG 2000", "avif": "AVIF",
          "heif": "HEIF"}


def parse_methods(text: str) -> list[str]:
    """``"vq,upper,jpeg"`` -> ``["vq", "upper", "jpeg"]``; ``ValueError`` naming the known methods otherwise."""
    methods = list(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown method {unknown[0] if unknown else text!r}; known methods: {', '.join(METHODS)}")
    return methods
