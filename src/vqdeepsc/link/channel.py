"""The channel of the paper's eq. 3, ``y = h * x + w``, its perfect-CSI equalizer (eq. 4), and SNR.

This module is the one place that defines SNR: Es/N0 in dB for unit-average-energy symbols, so the
noise variance per complex symbol is ``N0 = 10^(-SNR/10)``; both fading channels have ``E|h|^2 = 1``.
It imports torch only (no Sionna), so that SNR parsing stays cheap for the command line.
"""

from __future__ import annotations

import math
import numbers

import torch

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


class FlatFadingChannel(torch.nn.Module):
    r"""``y = h * x + w`` with ``w ~ CN(0, N0)``, element-wise as in the paper's eq. 3; ``E|h|^2 = 1``.

    A channel is one subclass (one :meth:`fading` and its ergodic :meth:`capacity`), registered in
    :data:`CHANNELS` under its :attr:`name`; :func:`parse_channel` builds it from a spec such as ``"rician:2"``.

    :param block_fading: one ``h`` per row of ``x`` (a codeword) instead of one per symbol.

    :input x: ``[..., n]``, ``torch.complex64``, unit average energy.
    :input no: ``float``, the noise variance ``N0`` per complex symbol, or a real tensor broadcastable to ``x`` (one
        ``N0`` per row, e.g. ``[B, 1]``).
    :input generator: ``torch.Generator`` on ``x``'s device, or ``None`` for torch's default generator.
    :output y: ``[..., n]``, ``torch.complex64``.
    :output h: ``[..., n]``, or ``[..., 1]`` with block fading or AWGN, ``torch.complex64``.
    """

    name = ""
    """The channel's family (results rows and link seeds are keyed by it)."""
    parameter: str | None = None
    """What the number after ``name:`` in a spec is (``None``: the channel takes none)."""

    def __init__(self, block_fading: bool = False):
        super().__init__()
        self.block_fading = block_fading

    @classmethod
    def from_spec(cls, value: float | None, block_fading: bool = False) -> "FlatFadingChannel":
        """The channel of a spec ``name`` (``value`` ``None``) or ``name:value``."""
        return cls(block_fading=block_fading)

    @property
    def spec(self) -> str:
        """What :func:`parse_channel` reads back, e.g. ``"rician:2"``."""
        return self.name

    def gains(self, shape: tuple[int, ...], generator: torch.Generator | None, device) -> torch.Tensor:
        """Fading coefficients ``h`` of ``shape``, ``torch.complex64``."""
        raise NotImplementedError

    def fading(self, shape: tuple[int, ...], generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> torch.Tensor:
        """Fading coefficients ``h`` for symbols of ``shape`` (``[..., 1]`` with block fading)."""
        if self.block_fading:
            shape = (*shape[:-1], 1)
        return self.gains(shape, generator, device)

    def capacity(self, snr_db: float) -> float:
        """Ergodic capacity in bits per complex symbol at Es/N0 ``snr_db`` with Gaussian inputs and perfect CSI at
        the receiver, ``E log2(1 + |h|^2 SNR)``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, no: float, generator: torch.Generator | None = None):
        h = self.fading(tuple(x.shape), generator, x.device)
        w = torch.randn(x.shape, dtype=x.dtype, generator=generator, device=x.device)
        return h * x + no ** 0.5 * w, h

    def extra_repr(self) -> str:
        return f"{self.spec}, block_fading={self.block_fading}"


class AWGN(FlatFadingChannel):
    """``h = 1``."""

    name = "awgn"

    def fading(self, shape, generator=None, device="cpu"):
        return torch.ones((*shape[:-1], 1), dtype=torch.complex64, device=device)

    def capacity(self, snr_db):
        return math.log2(1 + 1 / snr_db_to_no(snr_db))


class Rician(FlatFadingChannel):
    """``h ~ CN(sqrt(r/(r+1)), 1/(r+1))``, i.i.d. per symbol (or per codeword with block fading).

    :param r: the Rician factor, the line-of-sight to scattered power ratio, finite and ``>= 0``.
    """

    name, parameter = "rician", "the Rician factor r >= 0"

    @classmethod
    def from_spec(cls, value, block_fading=False):
        return cls(value, block_fading)

    def __init__(self, r: float, block_fading: bool = False):
        super().__init__(block_fading)
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not math.isfinite(r) or r < 0:
            raise ValueError(f"the Rician factor must be finite and >= 0, got {r}")
        self.r = float(r)

    @property
    def spec(self):
        return f"{self.name}:{self.r:g}"

    def gains(self, shape, generator, device):
        g = torch.randn(shape, dtype=torch.complex64, generator=generator, device=device)
        return math.sqrt(self.r / (self.r + 1)) + math.sqrt(1 / (self.r + 1)) * g

    def capacity(self, snr_db):
        from scipy import integrate, stats

        snr, r = 1 / snr_db_to_no(snr_db), self.r
        # |h|^2: exponential (r = 0) or a scaled noncentral chi-square with 2 degrees of freedom, mean 1
        gain = stats.ncx2(2, 2 * r, scale=1 / (2 * (r + 1))) if r > 0 else stats.expon()
        value, _ = integrate.quad(lambda g: math.log2(1 + g * snr) * gain.pdf(g), 0, math.inf, limit=200)
        return value


class Rayleigh(FlatFadingChannel):
    """``h ~ CN(0, 1)``, i.i.d. per symbol (or per codeword with block fading): Rician with ``r = 0``."""

    name = "rayleigh"

    def gains(self, shape, generator, device):
        return torch.randn(shape, dtype=torch.complex64, generator=generator, device=device)

    def capacity(self, snr_db):
        return Rician(0.0).capacity(snr_db)


CHANNELS = {c.name: c for c in (AWGN, Rayleigh, Rician)}
"""Channel name -> class; a class whose constructor takes a parameter is written ``name:value``."""


def parse_channel(spec: str, rician_factor: float | None = None, block_fading: bool = False) -> FlatFadingChannel:
    """``"awgn"``, ``"rayleigh"``, ``"rician:2"`` (or ``"rician"`` with ``rician_factor``, the ``--rician-factor``
    flag) -> the channel of :data:`CHANNELS`.

    ``ValueError`` in one line for an unknown name, a missing, extra or bad parameter.
    """
    if isinstance(spec, FlatFadingChannel):
        return spec
    name, colon, text = str(spec).strip().partition(":")
    kind = CHANNELS.get(name)
    if kind is None:
        raise ValueError(f"unknown channel {spec!r}; choose one of "
                         + ", ".join(f"{c.name}:VALUE ({c.parameter})" if c.parameter else c.name
                                     for c in CHANNELS.values()))
    if kind.parameter is None:
        if colon or rician_factor is not None:
            raise ValueError(f"channel {name!r} takes no parameter (a Rician factor applies only to the rician channel)")
        return kind.from_spec(None, block_fading)
    value = rician_factor
    if colon:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"channel {spec!r}: {kind.parameter} must be a number, e.g. {name}:2") from None
    if value is None:
        raise ValueError(f"the {name} channel needs {kind.parameter}: write {name}:VALUE, e.g. {name}:2")
    return kind.from_spec(value, block_fading)


def parse_channels(text: str, rician_factor: float | None = None) -> list[FlatFadingChannel]:
    """``"awgn,rician:2"`` -> the channels (``rician_factor`` applies to a ``rician`` without one); ``ValueError``
    for a bad spec or two channels of one name (results and channel draws are keyed by it)."""
    channels = [parse_channel(c, rician_factor if c.strip() == "rician" else None) for c in text.split(",")]
    names = [c.name for c in channels]
    if len(set(names)) < len(names):
        raise ValueError(f"two {max(names, key=names.count)} channels in {text!r}: evaluate them separately")
    return channels


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


def mmse_equalize(y: torch.Tensor, h: torch.Tensor, no) -> torch.Tensor:
    r"""Linear MMSE equalization with perfect CSI, ``x_hat = conj(h) y / (|h|^2 + N0)`` for unit-energy ``x``: unlike
    zero-forcing it does not blow up the noise of a deeply faded symbol (it shrinks it towards 0); with ``N0 = 0`` it
    is zero-forcing, ``x_hat = x``.

    :input y: ``[..., n]``, ``torch.complex64``.
    :input h: broadcastable to ``y``, ``torch.complex64``.
    :input no: ``float`` or a real tensor broadcastable to ``y``, ``N0``.
    :output x_hat: ``[..., n]``, ``torch.complex64``.
    """
    return h.conj() * y / (h.abs().square() + no).clamp_min(torch.finfo(torch.float32).tiny)
