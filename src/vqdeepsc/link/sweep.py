"""Bit and codeword error rates of the :class:`~.phy.DigitalLink` over a range of SNRs: numbers, table, figure."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import torch

from .channel import FlatFadingChannel, Rician
from .mcs import MCS, PAPER
from .phy import MAX_K, DigitalLink

CALL_BITS = 2**17
"""Payload bits per link call: bounds memory, the decoder batches on its own."""


def ber_sweep(snr_db: Sequence[float], channel: FlatFadingChannel | str = "awgn", *,
              rician_factor: float | None = None, block_fading: bool = False, coded: bool = True, num_iter: int = 20,
              num_bits: int = 100_000, payload_bits: int = 20032, decoder: str = "early", max_k: int = MAX_K,
              seed: int = 0, device: str = "cpu", backend: str | None = None, workers: int = 1, mcs: MCS = PAPER,
              progress=None) -> dict:
    """Send ``num_bits`` random bits at every SNR and count the errors.

    The bits go in payloads of at most ``payload_bits`` (default: one 4-scale image, 20032 bits, i.e. three
    codewords of k = 6680), ``P = ceil(num_bits / payload_bits)`` payloads of ``ceil(num_bits / P)`` bits each,
    so slightly more than ``num_bits`` may be sent; ``"bits"`` reports the exact count per SNR. ``progress``
    (e.g. a ``tqdm`` bar) is given the total by ``progress.reset(total=...)`` and each call's bits by
    ``progress.update(n)``.

    ``channel`` is a :class:`~.channel.FlatFadingChannel` or its spec (``rician_factor`` and ``block_fading`` for a
    spec), ``mcs`` the modulation and code rate (``coded=False``: its modulation alone).

    :output: JSON-able dict with ``channel`` (its name), ``coded``, ``snr_db``, ``ber``, ``bler`` (codeword error
        rate), ``bits``, and ``rician_factor``, ``block_fading``, ``num_iter``, ``decoder``, ``max_k``,
        ``decoder_backend``, ``k``, ``n`` (code bits per codeword), ``scheme`` (the MCS in words) and the MCS's
        fields (:meth:`~.mcs.MCS.describe`),
        ``payload_bits``, ``codewords`` (per SNR), ``bit_errors``, ``codeword_errors``, ``iterations`` (mean BP
        iterations per codeword), ``seconds`` (link wall time) (lists over SNR), ``seed``.
    """
    if num_bits < 1 or payload_bits < 1:
        raise ValueError(f"need a positive number of bits and payload bits, got {num_bits} and {payload_bits}")
    if not snr_db:
        raise ValueError("no SNR to sweep")
    link = DigitalLink(channel, rician_factor, block_fading, coded, num_iter, decoder, max_k, device, backend, workers,
                       mcs=mcs)
    payloads = math.ceil(num_bits / payload_bits)
    payload_bits = math.ceil(num_bits / payloads)
    per_call = max(1, CALL_BITS // payload_bits)
    calls = [min(per_call, payloads - start) for start in range(0, payloads, per_call)]
    generator = torch.Generator(device).manual_seed(seed)
    if progress is not None:
        progress.reset(total=len(snr_db) * payloads * payload_bits)
    bit_errors, codeword_errors, iterations, seconds = [], [], [], []
    for snr in snr_db:
        stats, start = [], time.perf_counter()
        for rows in calls:
            bits = torch.randint(0, 2, (rows, payload_bits), generator=generator, device=device)
            stats.append(link(bits, snr, generator)[1])
            if progress is not None:
                progress.update(bits.numel())
        seconds.append(time.perf_counter() - start)
        bit_errors.append(sum(s.bit_errors for s in stats))
        codeword_errors.append(sum(s.codeword_errors for s in stats))
        iterations.append(sum(s.iterations for s in stats) / sum(s.num_codewords for s in stats))
    codewords = sum(s.num_codewords for s in stats)
    bits = payloads * payload_bits
    plan, channel = link.plan(payload_bits), link.channel
    return {
        "channel": channel.name, "coded": link.coded, "snr_db": list(snr_db),
        "ber": [e / bits for e in bit_errors], "bler": [e / codewords for e in codeword_errors], "bits": bits,
        "rician_factor": channel.r if isinstance(channel, Rician) else None,
        "block_fading": channel.block_fading, "num_iter": num_iter, "decoder": decoder,
        "max_k": max_k, "decoder_backend": link.backend, "k": plan.k, "n": plan.n, "scheme": str(link.mcs),
        **link.mcs.describe(),
        "payload_bits": payload_bits, "codewords": codewords,
        "bit_errors": bit_errors, "codeword_errors": codeword_errors, "iterations": iterations,
        "seconds": seconds, "seed": seed,
    }


def describe(result: dict) -> str:
    """One line naming the link of a sweep, e.g. ``rician (r=2), block fading, 5G LDPC 1/3 + 16-QAM (k = 6680, ...)``."""
    name = result["channel"] + (f" (r={result['rician_factor']:g})" if result["rician_factor"] is not None else "")
    fading = ", block fading" if result["block_fading"] else ""
    decoding = f"{result['decoder']}, at most {result['num_iter']}" if result["decoder"] == "early" else result["num_iter"]
    scheme = result.get("scheme", "5G LDPC 1/3 + 16-QAM" if result["coded"] else "uncoded 16-QAM")
    return f"{name}{fading}, {scheme}" + (f" (k = {result['k']}, {decoding} it.)" if result["coded"] else "")


def format_sweep(result: dict) -> str:
    """The sweep as a markdown table; zero error counts are shown as ``< 1/count``."""
    lines = [f"{describe(result)}: {result['bits']} bits, {result['codewords']} codewords per SNR", "",
             "| Es/N0 (dB) | BER | bit errors | BLER | codeword errors | BP iterations | info kbit/s |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for snr, ber, be, bler, ce, it, sec in zip(result["snr_db"], result["ber"], result["bit_errors"], result["bler"],
                                               result["codeword_errors"], result["iterations"], result["seconds"]):
        ber_s = f"{ber:.3e}" if be else f"< {1 / result['bits']:.1e}"
        bler_s = f"{bler:.3e}" if ce else f"< {1 / result['codewords']:.1e}"
        lines.append(f"| {snr:g} | {ber_s} | {be} | {bler_s} | {ce} | {it:.1f} | {result['bits'] / sec / 1e3:.1f} |")
    return "\n".join(lines)


def plot_sweep(result: dict, path: str) -> None:
    """BER and BLER against Es/N0 on a log scale, written to ``path`` (zero error rates are not drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label, marker in (("ber", "BER", "o"), ("bler", "codeword error rate", "s")):
        points = [(s, v) for s, v in zip(result["snr_db"], result[key]) if v > 0]
        ax.semilogy([s for s, _ in points], [v for _, v in points], marker=marker, label=label)
    ax.axhline(1 / result["bits"], color="gray", linestyle=":", linewidth=1, label="1 / bits sent")
    if len(result["snr_db"]) > 1:
        ax.set_xlim(min(result["snr_db"]), max(result["snr_db"]))
    ax.set_xlabel("Es/N0 (dB)")
    ax.set_ylabel("error rate")
    ax.set_title(describe(result), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
