"""VQ-DeepSC against its upper bound and classic codecs over channel x SNR (the paper's Fig. 3).

Each method encodes every image once: VQ-DeepSC its indices (and their noiseless reconstruction), the upper
bound its reconstruction, a classic codec its file under VQ-DeepSC's bit budget
(:func:`~vqdeepsc.baselines.fit_to_budget`). At every channel and SNR only the link runs, one image per call with
a generator seeded by (seed, channel, SNR, image): an image's result does not depend on the other images, on
``limit`` or on ``batch``, and payloads of one length (VQ-DeepSC's bits, a classic file padded to the budget)
meet the same channel realisation. The semantic decoder runs only on the images whose indices changed; an
error-free frame reuses the noiseless reconstruction. The upper bound is noiseless (no link): its row is the
same at every channel and SNR.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import platform
import random
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from . import zoo
from .baselines import CODECS, fit_to_budget, get_codec, send_file, to_image
from .budget import bit_budget
from .checkpoint import atomic_write, load_model
from .data import SPLIT_SEED, ImageDataset, split_files, to_tensor
from .link.phy import MAX_K, DigitalLink
from .metrics import psnr, ssim
from .models.system import VQDeepSC
from .receivers import DEFAULT_RECEIVER, RECEIVERS, check_same_transmitter, get_receiver
from .transceiver import Transceiver, link_rates, seeded

METHODS = ("vq", *(f"vq-{p}{r}" for p in ("", "robust-") for r in RECEIVERS), "upper", *CODECS)
"""``vq`` is VQ-DeepSC with the evaluation's default receiver (``dequantize``), ``vq-<receiver>`` with that
receiver (:data:`~vqdeepsc.receivers.RECEIVERS`), ``vq-robust-<receiver>`` with it and a decoder trained for
errors (``robust``); every VQ-DeepSC method sees the same receptions."""
LABELS = {"vq": "VQ-DeepSC", **{f"vq-{r.name}": f"VQ-DeepSC, {r.label}" for r in RECEIVERS.values()},
          **{f"vq-robust-{r.name}": f"VQ-DeepSC, {r.label}, decoder trained for errors" for r in RECEIVERS.values()},
          "upper": "upper bound (noiseless)", "jpeg": "JPEG", "webp": "WebP", "jpeg2000": "JPEG 2000", "avif": "AVIF",
          "heif": "HEIF"}
FIELDS = ("preset", "method", "channel", "snr_db", "images", "ssim", "ssim_ci95", "psnr", "psnr_ci95", "ber", "bler",
          "frame_error_rate", "failure_rate", "quality", "excess_bits", "source_bits", "channel_symbols")
"""Columns of ``results.csv`` (and keys of each row of ``results.json``); empty / null where they do not apply."""
RESULTS_FORMAT = "vqdeepsc-eval/1"
LIBRARIES = ("vqdeepsc", "torch", "sionna-no-rt", "pillow", "numpy", "pytorch-msssim", "pillow-heif")


def parse_methods(text: str) -> list[str]:
    """``"vq,upper,jpeg"`` -> ``["vq", "upper", "jpeg"]``; ``ValueError`` naming the known methods otherwise."""
    methods = list(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown method {unknown[0] if unknown else text!r}; known methods: {', '.join(METHODS)}")
    return methods


def resolve_model(spec: str, device: str = "cpu") -> tuple[VQDeepSC, dict]:
    """A shipped model's name or a ``.safetensors`` file of ``save_model`` -> (model in eval mode, its record:
    ``model`` (spec), ``file``, ``sha256``, ``preset``)."""
    shipped = zoo.shipped()
    if spec in shipped:
        record = shipped[spec]
        return zoo.load(spec, device), {"model": spec, "file": record["file"], "sha256": record["sha256"],
                                        "preset": record["preset"]}
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"no shipped model or model file {spec!r} (shipped: {', '.join(shipped) or 'none'})")
    model = load_model(path, device=device)
    return model, {"model": spec, "file": str(path.resolve()), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                   "preset": model.preset.name}


def load_images(data: str | Path, split: str, limit: int | None = None, size: int = 128) -> tuple[Tensor, list[str]]:
    """``limit`` images of ``split`` (a fixed random sample, in sorted order; all if ``None``), centre-cropped by
    the crop rule of :mod:`vqdeepsc.data`. A random sample, because neighbouring tiles come from one photo.

    :output images: [N, 3, size, size] in [0, 1] (unreadable files are skipped with a warning).
    :output names: their paths relative to ``data``.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be positive, got {limit}")
    files = sorted(split_files(data, split))
    if limit is not None and limit < len(files):
        files = sorted(random.Random(SPLIT_SEED).sample(files, limit))
    dataset = ImageDataset(files, size)
    kept = [(f, x) for f, x in ((f, dataset[i]) for i, f in enumerate(files)) if x is not None]
    if not kept:
        raise ValueError(f"no readable images in split {split!r} of {data}")
    return torch.stack([x for _, x in kept]), [str(f.relative_to(data)) for f, _ in kept]


def link_seed(seed: int, channel: str, snr_db: float, image: int) -> int:
    """The seed of image ``image``'s link realisation at (``channel``, ``snr_db``), the same for every method."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{channel}/{snr_db:g}/{image}".encode()).digest()[:8], "little") >> 1


def mean_ci95(values: Tensor) -> tuple[float, float]:
    """Mean and 95 % confidence half-width ``1.96 std / sqrt(n)`` (sample std; 0 for one value)."""
    values = values.double()
    std = values.std().item() if values.numel() > 1 else 0.0
    return values.mean().item(), 1.96 * std / math.sqrt(values.numel())


def score(x_hat: Tensor, images: Tensor) -> dict:
    """:input x_hat, images: [N, 3, H, W]. :output: ``ssim``, ``ssim_ci95``, ``psnr``, ``psnr_ci95``."""
    x_hat = x_hat.cpu()
    (s, s_ci), (p, p_ci) = mean_ci95(ssim(x_hat, images)), mean_ci95(psnr(x_hat, images))
    return {"ssim": s, "ssim_ci95": s_ci, "psnr": p, "psnr_ci95": p_ci}


class UpperBound:
    """The network without quantization, noiseless: ``noiseless`` [N, 3, H, W] is its only output."""

    def __init__(self, model: VQDeepSC, images: Tensor, batch: int):
        self.noiseless = torch.cat([model.decode(model.encode(x)) for x in images.split(batch)])
        self.info = {}


class ClassicSender:
    """A classic codec's budget-fitted file per image (fitted once), padded to the budget and sent over the link.

    :input images: [N, 3, H, W] in [0, 1].
    :attr noiseless: [N, 3, H, W], the local decode of the files.
    """

    def __init__(self, name: str, images: Tensor, budget_bits: int):
        self.codec, self.budget_bits, self.size = get_codec(name), budget_bits, (images.shape[3], images.shape[2])
        self.files = [fit_to_budget(self.codec, to_image(x), budget_bits) for x in images]
        self.noiseless = torch.stack([to_tensor(self.codec.decode(f.data, self.size)) for f in self.files])
        n = len(self.files)
        self.info = {"quality": sum(f.quality for f in self.files) / n,
                     "excess_bits": sum(f.excess_bits for f in self.files) / n,
                     "source_bits": sum(8 * len(f.data) for f in self.files) / n}

    def send(self, link, snr_db: float, seeds: list[int]) -> tuple[Tensor, dict]:
        got = [send_file(self.codec, f.data, link, snr_db, self.size, payload_bits=self.budget_bits,
                         generator=seeded(s, link)) for f, s in zip(self.files, seeds)]
        n = len(got)
        return torch.stack([g.image for g in got]), {**link_rates([g.stats for g in got]),
                                                     "frame_error_rate": sum(g.changed for g in got) / n,
                                                     "failure_rate": sum(g.failed for g in got) / n}


@torch.no_grad()
def evaluate(model: VQDeepSC, images: Tensor, *, methods: list[str], channels: list[str], snr_db: list[float],
             upper: VQDeepSC | None = None, robust: VQDeepSC | None = None, rician_factor: float = 2.0,
             seed: int = 0, batch: int = 16, grid: int = 0, decoder: str = "early", max_k: int = MAX_K,
             dequantize: str = DEFAULT_RECEIVER, on_row=None) -> dict:
    """Mean SSIM / PSNR (95 % CI), BER, codeword error rate and classic-codec failures per method x channel x SNR.

    :param model: a quantized VQ-DeepSC (its preset fixes the classic codecs' bit budget).
    :param methods: from :data:`METHODS`; ``"upper"`` needs ``upper``, an upper-bound model.
    :param decoder, max_k: the link's LDPC decoder and longest codeword (see :class:`~.link.phy.DigitalLink`).
    :param robust: the model whose decoder the ``vq-robust-*`` methods use (fine-tuned from ``model`` for errors).
    :param dequantize: the receiver of method ``vq`` (a name in :data:`~vqdeepsc.receivers.RECEIVERS`, or
        ``robust-<name>``).
    :param grid: keep the first ``grid`` reconstructions at every SNR of channel awgn (else the first channel).
    :param on_row: called with every result row as it is made.
    :input images: [N, 3, H, W] in [0, 1] (CPU).
    :output: dict with ``results`` (rows keyed by :data:`FIELDS`), ``settings`` (these arguments, the link and the
        library versions, for the results' ``config``), ``noiseless`` (method -> scores and file
        statistics without the link), ``budget_bits``, and ``grid`` (name -> uint8 array; ``original`` and
        noiseless methods [G, 3, H, W], the others [S, G, 3, H, W]) with ``grid_meta`` (preset, channel, SNRs).
    """
    if not model.preset.quantized:
        raise ValueError(f"{model.preset.name!r} is an upper-bound model; evaluate the quantized model instead")
    if "upper" in methods and (upper is None or upper.preset.quantized):
        raise ValueError("method 'upper' needs an upper-bound model (an '*-upper' preset)")
    if not channels or not snr_db:
        raise ValueError("nothing to evaluate: no channel or no SNR")
    device = next(model.parameters()).device
    budget = bit_budget(model.preset, images.shape[2], images.shape[3])["index_bits"]
    if robust is not None:
        check_same_transmitter(model, robust)
    receivers = {m: get_receiver(dequantize if m == "vq" else m[3:], robust) for m in methods
                 if m.split("-")[0] == "vq"}
    transceiver = Transceiver(model, images.to(device), batch) if receivers else None
    senders = {m: transceiver if m in receivers
               else UpperBound(upper, images.to(device), batch) if m == "upper"
               else ClassicSender(m, images, budget) for m in methods}
    noiseless = {m: {**score(s.noiseless, images), **s.info} for m, s in senders.items()}
    grid_channel = "awgn" if "awgn" in channels else channels[0]
    kept = {m: [] for m in methods if m != "upper"}
    rows = []
    for channel in channels:
        link = DigitalLink(channel, rician_factor if channel == "rician" else None, decoder=decoder, max_k=max_k,
                           device=str(device))
        for snr in snr_db:
            seeds = [link_seed(seed, channel, snr, i) for i in range(len(images))]
            reception = transceiver.receive(link, snr, seeds) if transceiver else None
            for method, sender in senders.items():
                if method == "upper":
                    row = noiseless[method]
                else:
                    if method in receivers:
                        x_hat, extra = transceiver.reconstruct(receivers[method], reception), reception[2]
                    else:
                        x_hat, extra = sender.send(link, snr, seeds)
                    row = {**score(x_hat, images), **sender.info, **extra}
                    if grid and channel == grid_channel:
                        kept[method].append(x_hat[:grid].cpu())
                row = {"preset": model.preset.name, "method": method, "channel": channel, "snr_db": snr,
                       "images": len(images), **row}
                rows.append({k: row.get(k) for k in FIELDS})
                if on_row:
                    on_row(rows[-1])
    settings = {"preset": model.preset.name, "images": len(images), "methods": methods, "channels": channels,
                "snr_db": list(snr_db), "rician_factor": rician_factor, "fading": "per symbol",
                "link": f"5G LDPC 1/3 (at most {link.num_iter} BP iterations) + 16-QAM, ZF", "decoder": decoder,
                "dequantize": dequantize, "max_k": max_k, "seed": seed, "batch": batch, "versions": library_versions()}
    out = {"results": rows, "settings": settings, "noiseless": noiseless, "budget_bits": budget}
    if grid:
        out["grid"] = {"original": _uint8(images[:grid]), **{m: _uint8(torch.stack(x)) for m, x in kept.items()},
                       **({"upper": _uint8(senders["upper"].noiseless[:grid])} if "upper" in senders else {})}
        out["grid_meta"] = {"preset": model.preset.name, "channel": grid_channel, "snr_db": list(snr_db)}
    return out


def _uint8(x: Tensor) -> np.ndarray:
    return (x.cpu().clamp(0, 1) * 255).round().byte().numpy()


def library_versions() -> dict:
    return {"python": platform.python_version(), **{name: version(name) for name in LIBRARIES}}


RESULT_FILES = ("results.csv", "results.json", "table1.md", "grid.npz")
"""The files an evaluation writes into its results folder."""


def write_results(out: str | Path, result: dict, config: dict) -> None:
    """``results.csv``, ``results.json`` (with ``config``, completed by the evaluation's settings, and the
    noiseless scores) and, if kept, ``grid.npz``."""
    out = Path(out)

    def write_csv(tmp):
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(result["results"])

    atomic_write(out / "results.csv", write_csv)
    document = {"format": RESULTS_FORMAT, "config": {**config, **result["settings"]}, "noiseless": result["noiseless"],
                "results": result["results"]}
    atomic_write(out / "results.json", lambda tmp: Path(tmp).write_text(json.dumps(document, indent=1) + "\n"))
    if "grid" in result:
        def write_npz(tmp):
            with open(tmp, "wb") as f:
                np.savez_compressed(f, meta=np.array(json.dumps(result["grid_meta"])), **result["grid"])

        atomic_write(out / "grid.npz", write_npz)


def read_results(path: str | Path) -> dict:
    """The document of a ``results.json`` (or of the folder holding one); ``ValueError`` if it is not one."""
    path = Path(path)
    path = path / "results.json" if path.is_dir() else path
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read results {path}: {e}") from None
    if not isinstance(document, dict) or document.get("format") != RESULTS_FORMAT:
        raise ValueError(f"not a vqdeepsc eval results file: {path}")
    return document


FORMAT_HEADER = ("| preset | method | channel | Es/N0 (dB) | source bits / image | SSIM ± 95 % CI | PSNR (dB) ± 95 % CI "
                 "| BER | codeword error rate | decode failures | quality |\n"
                 "|---|---|---|---:|---:|---|---|---:|---:|---:|---:|")


def format_row(row: dict) -> str:
    """One markdown line of :data:`FORMAT_HEADER`."""
    def num(key, spec):
        return "" if row[key] is None else format(row[key], spec)

    return (f"| {row['preset']} | {LABELS[row['method']]} | {row['channel']} | {row['snr_db']:g} | "
            f"{num('source_bits', '.0f')} | {row['ssim']:.4f} ± {row['ssim_ci95']:.4f} | {row['psnr']:.2f} ± {row['psnr_ci95']:.2f} | "
            f"{num('ber', '.2e')} | {num('bler', '.3f')} | {num('failure_rate', '.3f')} | {num('quality', '.1f')} |")
