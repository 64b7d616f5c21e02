"""The SNR at which each modulation and coding scheme reaches a codeword error rate (BLER) of 1e-1 and 1e-2.

:func:`measure_threshold` walks Es/N0 up in ``step`` dB from the SNR where the channel's capacity equals the
scheme's information bits per symbol (below it no code is reliable), counting codeword errors of image-sized
payloads at each point until ``min_errors`` codeword errors or ``max_codewords`` codewords, and stops at the first
point at or under the lowest target; a target's threshold is the SNR where ``log10 BLER``, interpolated linearly
between the two points around it, crosses it (a point without errors counts as ``0.5 / codewords``).
:class:`ThresholdTable` is the measured table, one JSON file, written after every scheme so that a killed
measurement resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch

from .channel import FlatFadingChannel
from .mcs import MCS, PAPER, mcs_table
from .phy import DigitalLink

TARGETS = (1e-1, 1e-2)
"""The codeword error rates whose SNRs are measured."""
MAX_SNR_DB = 60.0
"""Where the walk gives up (no scheme of the tables needs this much on these channels)."""


def capacity_snr_db(channel: FlatFadingChannel, bits_per_symbol: float) -> float:
    """The Es/N0 in dB at which ``channel``'s capacity is ``bits_per_symbol`` (bisection, to 1e-3 dB)."""
    low, high = -30.0, MAX_SNR_DB
    while high - low > 1e-3:
        mid = (low + high) / 2
        low, high = (mid, high) if channel.capacity(mid) < bits_per_symbol else (low, mid)
    return high


def _crossing(points: list[dict], target: float) -> float | None:
    """The SNR where the interpolated ``log10 BLER`` of ``points`` (ascending SNR) first falls to ``target``."""
    def log_bler(p):
        return math.log10(max(p["codeword_errors"], 0.5) / p["codewords"])

    for before, after in zip(points, points[1:]):
        a, b, t = log_bler(before), log_bler(after), math.log10(target)
        if a > t >= b:
            return before["snr_db"] + (after["snr_db"] - before["snr_db"]) * (a - t) / (a - b)
    return None


def measure_threshold(link: DigitalLink, payload_bits: int = 20032, *, step: float = 0.5, min_errors: int = 50,
                      max_codewords: int = 500, seed: int = 0, progress=None) -> dict:
    """The thresholds of ``link``'s scheme on its channel (see the module's docstring).

    :output: JSON-able dict with ``channel`` (spec), the MCS's fields (:meth:`~.mcs.MCS.describe`), ``k``,
        ``codewords_per_payload``, ``points`` (``snr_db``, ``codewords``, ``codeword_errors`` of each point),
        ``"1e-01"`` and ``"1e-02"`` (the threshold SNRs in dB; ``None`` if not reached below
        :data:`MAX_SNR_DB`), ``seconds``.
    """
    if max_codewords * min(TARGETS) < 1:
        raise ValueError(f"a codeword error rate of {min(TARGETS):g} needs at least {math.ceil(1 / min(TARGETS))} "
                         f"codewords per point, got {max_codewords}")
    plan = link.plan(payload_bits)
    generator = torch.Generator(link.device).manual_seed(seed)
    start = time.perf_counter()
    snr = math.floor(capacity_snr_db(link.channel, link.mcs.efficiency) / step) * step
    points, lowest = [], min(TARGETS)
    while snr <= MAX_SNR_DB:
        errors = codewords = 0
        while errors < min_errors and codewords < max_codewords:
            batch = max(1, min(8, math.ceil((max_codewords - codewords) / plan.num_codewords)))
            bits = torch.randint(0, 2, (batch, payload_bits), generator=generator, device=link.device)
            stats = link(bits, snr, generator)[1]
            errors, codewords = errors + stats.codeword_errors, codewords + stats.num_codewords
        points.append({"snr_db": snr, "codewords": codewords, "codeword_errors": errors})
        if progress is not None:
            progress(points[-1])
        if errors / codewords <= lowest:
            break
        snr = round(snr + step, 9)
    return {"channel": link.channel.spec, **link.mcs.describe(), "k": plan.k,
            "codewords_per_payload": plan.num_codewords, "payload_bits": payload_bits, "points": points,
            **{f"{t:.0e}": _round(_crossing(points, t)) for t in TARGETS}, "seconds": round(time.perf_counter() - start, 1)}


def _round(snr_db: float | None) -> float | None:
    return None if snr_db is None else round(snr_db, 3)


class ThresholdTable:
    """Measured thresholds, one JSON file: ``{"entries": [measure_threshold dicts]}``.

    :param path: the file (read if it exists).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.entries = json.loads(self.path.read_text())["entries"] if self.path.is_file() else []

    def find(self, channel: str, mcs: MCS, payload_bits: int = 20032) -> dict | None:
        """The entry of ``mcs``'s modulation and code rate (whichever table it was measured under) on channel spec
        ``channel`` for payloads of ``payload_bits``, or ``None``."""
        key = (channel, mcs.bits_per_symbol, mcs.rate_text, payload_bits)
        return next((e for e in self.entries
                     if (e["channel"], e["bits_per_symbol"], e["code_rate"], e["payload_bits"]) == key), None)

    def add(self, entry: dict) -> None:
        """Append ``entry`` and rewrite the file atomically."""
        from ..checkpoint import atomic_write

        self.entries.append(entry)
        text = json.dumps({"entries": self.entries}, indent=1) + "\n"
        atomic_write(self.path, lambda tmp: Path(tmp).write_text(text))


def schemes(table: int) -> list[MCS]:
    """The paper's scheme, then every MCS of TS 38.214 table ``table``."""
    return [PAPER, *mcs_table(table)]


def format_thresholds(entries: list[dict]) -> str:
    """The table as markdown: one row per scheme, the 1e-1 and 1e-2 thresholds per channel."""
    channels = list(dict.fromkeys(e["channel"] for e in entries))
    rows = {}
    for e in entries:
        rows.setdefault((e["mcs_table"], e["mcs"], e["modulation"], e["code_rate"], e["efficiency"]), {})[
            e["channel"]] = e
    lines = ["| MCS | modulation | code rate | bits / symbol | " + " | ".join(
             f"{c}: BLER 1e-1 / 1e-2 (dB)" for c in channels) + " |", "|---|---|---|---:|" + "---:|" * len(channels)]
    for (table, index, modulation, rate, efficiency), by_channel in rows.items():
        name = "paper" if index is None else f"{index} (table {table})"

        def cell(e):
            return "" if e is None else " / ".join("-" if e[t] is None else f"{e[t]:.2f}" for t in ("1e-01", "1e-02"))
        lines.append(f"| {name} | {modulation} | {rate} | {efficiency:.3f} | "
                     + " | ".join(cell(by_channel.get(c)) for c in channels) + " |")
    return "\n".join(lines)


def plot_thresholds(entries: list[dict], path: str) -> None:
    """Information bits per symbol against the Es/N0 of BLER 1e-2, one panel per channel, beside the channel's
    capacity (Gaussian inputs; ergodic on fading channels), written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .channel import parse_channel

    channels = list(dict.fromkeys(e["channel"] for e in entries))
    fig, axes = plt.subplots(1, len(channels), figsize=(4.5 * len(channels), 3.8), squeeze=False, sharey=True)
    for ax, spec in zip(axes[0], channels):
        channel = parse_channel(spec)
        snr = np.linspace(-10, 30, 81)
        ax.plot(snr, [channel.capacity(s) for s in snr], color="gray", label="capacity")
        for modulation, marker in (("QPSK", "o"), ("16-QAM", "s"), ("64-QAM", "^"), ("256-QAM", "D")):
            got = [(e["1e-02"], e["efficiency"]) for e in entries if e["channel"] == spec and e["mcs"] is not None
                   and e["modulation"] == modulation and e["1e-02"] is not None]
            if got:
                ax.plot(*zip(*got), marker=marker, linestyle="none", markersize=4, label=f"{modulation} (BLER 1e-2)")
        paper = [e for e in entries if e["channel"] == spec and e["mcs"] is None and e["1e-02"] is not None]
        if paper:
            ax.plot(paper[0]["1e-02"], paper[0]["efficiency"], "k*", markersize=9, label="paper: LDPC 1/3 + 16-QAM")
        ax.set(xlabel="Es/N0 (dB)", title=spec, xlim=(-10, 30), ylim=(0, 8))
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("information bits per symbol")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
