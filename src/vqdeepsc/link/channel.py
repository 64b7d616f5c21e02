"""The channel of the paper's eq. 3, ``y = h * x + w``, its perfect-CSI equalizer (eq. 4), and SNR.

This module is the one place that defines SNR: Es/N0 in dB for unit-average-energy symbols, so the
noise variance per complex symbol is ``N0 = 10^(-SNR/10)``; both fading channels have ``E|h|^2 = 1``.
It imports torch only (no Sionna), so that SNR parsing stays cheap for the command line.
"""

from __future__ import annotations

import math
import numbers

import torch

CHANNELS = ("awgn", "rayleigh", "rician")


def snr_db_to_no(snr_db: float) -> float:
    """Noise variance per complex symbol ``N0 = 10^(-SNR/10)`` for ``SNR = Es/N0`` in dB, ``Es = 1``.

    :param snr_db: a finite real number.
    """
    if isinstance(snr_db, bool) or not isinstance(snr_db, numbers.Real):
        raise ValueError(f"SNR must be a number of dB, got {snr_db!r}")
    if not math.isfinite(snr_db):
        raise ValueError(f"SNR must be a finite number of dB, got {snr_db}")
    return 10.0 ** (-float(snr_db) / 10.0)


MAX_SNR_POINTS = 1000
SNR_LIMIT_DB = 300.0  # |Es/N0| beyond this is no channel: N0 under- or overflows float32


def _parse_db(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number of dB: {text.strip()!r}") from None
    snr_db_to_no(value)
    if abs(value) > SNR_LIMIT_DB:
        raise ValueError(f"SNR {value:g} dB is outside -{SNR_LIMIT_DB:g}..{SNR_LIMIT_DB:g} dB")
    return value


def parse_snr_list(text: str) -> list[float]:
    """SNRs in dB from ``"start:stop:step"`` (stop included when on the grid) or ``"a,b,c"``.

    ``"0:1:0.25"`` gives ``[0.0, 0.25, 0.5, 0.75, 1.0]``; grid points are rounded to 1e-9 dB, so
    float steps neither miss the stop nor accumulate error. At most ``MAX_SNR_POINTS`` points, checked before
    any is made.
    """
    if ":" not in text:
        if text.count(",") >= MAX_SNR_POINTS:
            raise ValueError(f"more than {MAX_SNR_POINTS} SNR points")
        return [_parse_db(part) for part in text.split(",")]
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"SNR range must be start:stop:step, got {text!r}")
    start, stop, step = (_parse_db(part) for part in parts)
    if step <= 0 or stop < start:
        raise ValueError(f"SNR range {text!r} needs step > 0 and stop >= start")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_SNR_POINTS:
        raise ValueError(f"SNR range {text!r} has {count:.3g} points; at most {MAX_SNR_POINTS} (use a larger step)")
    return [round(start + i * step, 9) for i in range(count)]


def check_channel(channel: str, rician_factor: float | None) -> None:
    """``ValueError`` unless ``channel`` is known and ``rician_factor`` is a finite ``r >= 0`` for ``"rician"`` only."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; choose one of {', '.join(CHANNELS)}")
    if channel == "rician":
        if rician_factor is None:
            raise ValueError("the rician channel needs a Rician factor r >= 0")
        if not math.isfinite(rician_factor) or rician_factor < 0:
            raise ValueError(f"the Rician factor must be finite and >= 0, got {rician_factor}")
    elif rician_factor is not None:
        raise ValueError(f"a Rician factor applies only to the rician channel, not {channel!r}")


def parse_channels(text: str, rician_factor: float) -> list[str]:
    """``"awgn,rician"`` -> ``["awgn", "rician"]``, each checked (:func:`check_channel`; ``rician_factor`` applies to
    ``"rician"`` only)."""
    channels = [c.strip() for c in text.split(",")]
    for channel in channels:
        check_channel(channel, rician_factor if channel == "rician" else None)
    return channels


class FlatFadingChannel(torch.nn.Module):
    r"""``y = h * x + w`` with ``w ~ CN(0, N0)``, element-wise as in the paper's eq. 3.

    ``h = 1`` (``"awgn"``), ``h ~ CN(0, 1)`` (``"rayleigh"``) or ``h ~ CN(sqrt(r/(r+1)), 1/(r+1))``
    (``"rician"`` with factor ``r``), i.i.d. per symbol, or one ``h`` per row with ``block_fading``.

    :param channel: ``"awgn"``, ``"rayleigh"`` or ``"rician"``.
    :param rician_factor: ``r >= 0``, for ``"rician"`` only.
    :param block_fading: one ``h`` per row of ``x`` (a codeword) instead of one per symbol.

    :input x: ``[..., n]``, ``torch.complex64``, unit average energy.
    :input no: ``float``, the noise variance ``N0`` per complex symbol.
    :input generator: ``torch.Generator`` on ``x``'s device, or ``None`` for torch's default generator.
    :output y: ``[..., n]``, ``torch.complex64``.
    :output h: ``[..., n]``, or ``[..., 1]`` with block fading or AWGN, ``torch.complex64``.
    """

    def __init__(self, channel: str = "awgn", rician_factor: float | None = None, block_fading: bool = False):
        super().__init__()
        check_channel(channel, rician_factor)
        self.channel, self.rician_factor, self.block_fading = channel, rician_factor, block_fading

    def fading(self, shape: tuple[int, ...], generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> torch.Tensor:
        """Fading coefficients ``h`` for symbols of ``shape`` (``[..., 1]`` with block fading or AWGN)."""
        if self.channel == "awgn" or self.block_fading:
            shape = (*shape[:-1], 1)
        if self.channel == "awgn":
            return torch.ones(shape, dtype=torch.complex64, device=device)
        g = torch.randn(shape, dtype=torch.complex64, generator=generator, device=device)
        if self.channel == "rayleigh":
            return g
        r = self.rician_factor
        return math.sqrt(r / (r + 1)) + math.sqrt(1 / (r + 1)) * g

    def forward(self, x: torch.Tensor, no: float, generator: torch.Generator | None = None):
        h = self.fading(tuple(x.shape), generator, x.device)
        w = torch.randn(x.shape, dtype=x.dtype, generator=generator, device=x.device)
        return h * x + math.sqrt(no) * w, h

    def extra_repr(self) -> str:
        r = f", r={self.rician_factor}" if self.channel == "rician" else ""
        return f"{self.channel}{r}, block_fading={self.block_fading}"


def zf_equalize(y: torch.Tensor, h: torch.Tensor, no: float) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Zero-forcing equalization with perfect CSI, eq. 4: ``x_hat = conj(h) y / |h|^2``.

    The noise on ``x_hat`` has variance ``N0 / |h|^2``; this is what the demapper must be given,
    since a deeply faded symbol carries little information and its LLRs must say so.

    :input y: ``[..., n]``, ``torch.complex64``.
    :input h: broadcastable to ``y``, ``torch.complex64``.
    :input no: ``float``, ``N0``.
    :output x_hat: ``[..., n]``, ``torch.complex64``.
    :output no_eff: the shape of ``h``, ``torch.float32``: ``N0 / |h|^2``.
    """
    gain = h.abs().square().clamp_min(torch.finfo(torch.float32).tiny)
    return h.conj() * y / gain, no / gain
