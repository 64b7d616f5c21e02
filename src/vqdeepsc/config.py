"""Named configurations (presets) of VQ-DeepSC.

One place defines a preset. A preset fixes the network widths, which scales are
transmitted and the size of each scale's semantic embedding space (codebook).

Scale ``l = 1..L`` is the output of the ``l``-th down-sample block of the semantic
encoder, at resolution ``H / 2^l x W / 2^l`` with ``widths[l-1]`` channels; its
codewords have dimension ``K = widths[l-1]``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

MAX_SIDE = 4096
"""Largest image height and width any command codes, crops or trains on, in pixels."""


@dataclass(frozen=True)
class Preset:
    """A VQ-DeepSC configuration.

    :param name: preset name, e.g. ``"paper-4"``.
    :param stem_channels: channels of the encoder's first conv3x3 (paper: 64).
    :param widths: channels ``C_l`` of scales ``l = 1..L`` (paper: 128, 256, 512, 1024).
    :param codebook_sizes: ``N_l`` for every scale; ``None`` marks a scale that is not transmitted.
    :param quantized: ``False`` for an upper bound: the features are sent as they are (no embedding space).
    :param quantizer: which quantizer every scale uses (``vqdeepsc.models.quantizers.QUANTIZERS``): ``"vq"`` is
        the paper's learned codebook; files saved before this field existed hold ``"vq"`` models.
    :param up_widths: output channels of the decoder's L up-sample blocks, deepest first; default the paper's
        ``C_{L-1}, ..., C_1, stem`` (so the concatenations are ``2 x C_l`` wide). Files saved before this field
        existed hold :func:`legacy_up_widths`.
    :param encoder_fine_blocks: residual blocks the encoder adds after the down-sample block of the finest
        transmitted scale (paper: 0).
    :param decoder_fine_blocks: residual blocks the decoder adds after concatenating the finest transmitted scale
        (paper: 0). Neither changes the bits: they give the choice and the reading of the finest codewords, which
        carry most of the bits, more context.
    :param closed_loop: the transmitter chooses each scale's codeword from the encoder's features *and* the
        decoder's state at that scale, i.e. what the receiver has rebuilt from the coarser scales it received
        (:class:`~vqdeepsc.models.blocks.ClosedLoopChoice`; paper: ``False``, the features alone). The receiver and the
        bits are unchanged. Files saved before this field existed hold ``False``.
    """

    name: str
    stem_channels: int
    widths: tuple[int, ...]
    codebook_sizes: tuple[int | None, ...]
    quantized: bool = True
    quantizer: str = "vq"
    up_widths: tuple[int, ...] | None = None
    encoder_fine_blocks: int = 0
    decoder_fine_blocks: int = 0
    closed_loop: bool = False

    def __post_init__(self):
        if self.up_widths is None:
            object.__setattr__(self, "up_widths", (*self.widths[-2::-1], self.stem_channels))
        if len(self.up_widths) != len(self.widths) or min(self.up_widths) < 1:
            raise ValueError(f"preset {self.name!r}: {len(self.widths)} scales need as many positive up-sample widths")
        if self.closed_loop and not self.quantized:
            raise ValueError(f"preset {self.name!r}: an upper bound sends its features, it has no codewords to choose")
        if min(self.encoder_fine_blocks, self.decoder_fine_blocks) < 0:
            raise ValueError(f"preset {self.name!r}: the numbers of fine blocks must be >= 0")
        if len(self.widths) != len(self.codebook_sizes):
            raise ValueError(f"preset {self.name!r}: {len(self.widths)} widths but {len(self.codebook_sizes)} codebook sizes")
        if not any(n is not None for n in self.codebook_sizes):
            raise ValueError(f"preset {self.name!r} transmits no scale")
        if self.codebook_sizes[-1] is None:
            raise ValueError(f"preset {self.name!r}: the deepest scale must be transmitted (the decoder starts from it)")
        if any(n is not None and n < 2 for n in self.codebook_sizes):
            raise ValueError(f"preset {self.name!r}: every codebook needs at least 2 codewords")
        if self.stem_channels < 1 or any(w < 1 for w in self.widths):
            raise ValueError(f"preset {self.name!r}: channel counts must be positive")

    @property
    def num_scales(self) -> int:
        """``L``, the number of down-sample blocks."""
        return len(self.widths)

    @property
    def transmitted(self) -> tuple[int, ...]:
        """0-based indices of the scales that are sent, finest first."""
        return tuple(i for i, n in enumerate(self.codebook_sizes) if n is not None)

    @property
    def bits_per_index(self) -> tuple[int, ...]:
        """``ceil(log2 N_l)`` for every transmitted scale, finest first."""
        return tuple(math.ceil(math.log2(self.codebook_sizes[i])) for i in self.transmitted)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Preset":
        return cls(name=d["name"], stem_channels=d["stem_channels"], widths=tuple(d["widths"]),
                   codebook_sizes=tuple(d["codebook_sizes"]), quantized=d["quantized"],
                   quantizer=d.get("quantizer", "vq"),
                   up_widths=tuple(d.get("up_widths") or legacy_up_widths(d["stem_channels"], d["widths"])),
                   encoder_fine_blocks=d.get("encoder_fine_blocks", 0), decoder_fine_blocks=d.get("decoder_fine_blocks", 0),
                   closed_loop=d.get("closed_loop", False))


def legacy_network(preset: Preset) -> Preset:
    """``preset`` as presets were before their network was recorded (legacy up-sample widths, no fine blocks, the
    open loop): what a model file or training checkpoint of that time holds."""
    return Preset.from_dict({**preset.to_dict(), "up_widths": None, "encoder_fine_blocks": 0, "decoder_fine_blocks": 0,
                             "closed_loop": False})


def legacy_up_widths(stem_channels: int, widths: tuple[int, ...]) -> tuple[int, ...]:
    """The up-sample widths of models saved before ``Preset.up_widths`` existed: ``stem, C_{L-1}, ..., C_1``. The
    first up-sample block narrowed the deepest scale to the stem width, and every later one was a scale too wide
    (the concatenation at 64x64 of ``paper-4`` was 256 + 128 channels, not the paper's 2 x 128)."""
    return (stem_channels, *widths[-2::-1])


PAPER_WIDTHS = (128, 256, 512, 1024)
SMALL_WIDTHS = (16, 32, 64, 128)
FOUR_SCALES = (16, 8, 4, 2)
THREE_SCALES = (None, 64, 32, 8)


PAPER_SCALES = {"4": FOUR_SCALES, "3": THREE_SCALES}
TWO_SCALES = (None, None, 32, 8)
"""Not the paper's: its two coarsest scales alone, 16x16 indices of 5 bits and 8x8 of 3 (1472 bits per 128x128
tile), the smallest model of the rate-adaptive VQ-DeepSC, for low SNRs and narrow channels (``small-2``)."""


def _family(prefix: str, stem: int, widths: tuple[int, ...], fine_blocks: int = 0, closed_loop: bool = False,
            scales: dict[str, tuple[int | None, ...]] = PAPER_SCALES, quantizer: str = "vq") -> dict[str, Preset]:
    """``PREFIX-<k>`` for each entry ``k -> codebook sizes`` of ``scales`` (the paper's ``-4`` and ``-3``) and their
    upper bounds; ``closed_loop`` applies to the quantized presets."""
    out = {}
    for suffix_scales, sizes in scales.items():
        name = f"{prefix}-{suffix_scales}"
        for suffix, quantized in (("", True), ("-upper", False)):
            out[name + suffix] = Preset(name + suffix, stem, widths, sizes, quantized=quantized, quantizer=quantizer,
                                        encoder_fine_blocks=fine_blocks, decoder_fine_blocks=fine_blocks,
                                        closed_loop=closed_loop and quantized)
    return out


SMALL_FINE_BLOCKS = 2
"""The small presets' extra residual blocks at the finest sent scale, on each side (results/training/README.md)."""

BEYOND_SCALES = {"4": (None, 2 ** 16, 2 ** 13, 32), "3": (None, 2 ** 7, None, 2 ** 7)}
"""The ``beyond-*`` allocations, at the bits of the paper's budgets: per 128x128 tile, ``beyond-4`` sends 32x32 indices
of 16 bits, 16x16 of 13 and 8x8 of 5 (16384 + 3328 + 320 = 20032 bits, paper-4's), ``beyond-3`` 32x32 and 8x8
indices of 7 bits (7168 + 448 = 7616, paper-3's). Fewer, coarser scales with large codebooks (FSQ's grids: no
codebook to learn or collapse) in place of the paper's 16-word codes of 2x2 blocks, which carry 82 % of paper-4's
bits. The network is the small presets'."""


PRESETS: dict[str, Preset] = {**_family("paper", 64, PAPER_WIDTHS),
                              **_family("small", 8, SMALL_WIDTHS, SMALL_FINE_BLOCKS, closed_loop=True,
                                        scales={**PAPER_SCALES, "2": TWO_SCALES}),
                              **_family("beyond", 8, SMALL_WIDTHS, SMALL_FINE_BLOCKS, closed_loop=True,
                                        scales=BEYOND_SCALES, quantizer="fsq")}


TILE = 128
"""Side of the tiles the presets' bandwidths are counted on (the paper's 128x128 images)."""


@dataclass(frozen=True)
class AnalogPreset:
    """An analog Deep-JSCC configuration (:class:`~vqdeepsc.models.jscc.DeepJSCC`): no codebook, no bits; the
    encoder's outputs are the channel symbols.

    :param name: preset name, e.g. ``"djscc-15030"``.
    :param symbols: complex channel symbols per 128x128 tile, the bandwidth (CBR = ``symbols / (3 * 128 * 128)``);
        an H x W image takes ``round(symbols * H * W / 128^2)``.
    :param widths: channels of the encoder's stride-2 stages (the decoder mirrors them).
    :param depth: stride-1 layers after the last stage, on each side.
    :param snr_db: the training SNR range (Es/N0 in dB), drawn uniformly per image; equal ends train at one SNR.
    :param channels: the channels (specs of :func:`~vqdeepsc.link.channel.parse_channel`) trained on, one drawn per
        batch.
    """

    name: str
    symbols: int
    widths: tuple[int, ...] = (32, 64)
    depth: int = 2
    snr_db: tuple[float, float] = (0.0, 20.0)
    channels: tuple[str, ...] = ("awgn", "rayleigh", "rician:2")
    quantized = False
    closed_loop = False

    def __post_init__(self):
        if self.symbols < 1 or not self.widths or min(self.widths) < 1 or self.depth < 0:
            raise ValueError(f"preset {self.name!r}: symbols and widths must be positive, depth >= 0")
        if len(self.snr_db) != 2 or self.snr_db[0] > self.snr_db[1]:
            raise ValueError(f"preset {self.name!r}: the SNR range must be (low, high) with low <= high")

    @property
    def num_scales(self) -> int:
        """Stride-2 stages: image sides must be multiples of ``2 ** num_scales``."""
        return len(self.widths)

    @property
    def adaptive(self) -> bool:
        """Trained over a range of SNRs, with the SNR as an input (ADJSCC); else at one SNR."""
        return self.snr_db[0] < self.snr_db[1]

    @property
    def val_snr_db(self) -> tuple[float, ...]:
        """The SNRs training validates at: the ends and the middle of the range (one SNR: it alone)."""
        low, high = self.snr_db
        return (low, (low + high) / 2, high) if self.adaptive else (low,)

    @property
    def cbr(self) -> float:
        """Channel bandwidth ratio, complex symbols per real source value."""
        return self.symbols / (3 * TILE * TILE)

    @property
    def latent_channels(self) -> int:
        """Channels of the encoder's output: the fewest whose real values hold ``2 * symbols`` per tile."""
        return math.ceil(2 * self.symbols / (TILE >> self.num_scales) ** 2)

    def symbols_for(self, height: int, width: int) -> int:
        """Complex channel symbols of an ``height x width`` image."""
        cells = (height >> self.num_scales) * (width >> self.num_scales)
        return min(round(self.symbols * height * width / TILE ** 2), self.latent_channels * cells // 2)

    def to_dict(self) -> dict:
        return {"kind": "analog", **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "AnalogPreset":
        return cls(name=d["name"], symbols=d["symbols"], widths=tuple(d["widths"]), depth=d["depth"],
                   snr_db=tuple(d["snr_db"]), channels=tuple(d["channels"]))


def preset_from_dict(d: dict) -> Preset | AnalogPreset:
    """The preset a model file or checkpoint records (``kind`` ``"analog"``, or VQ-DeepSC's)."""
    return AnalogPreset.from_dict(d) if d.get("kind") == "analog" else Preset.from_dict(d)


ANALOG_BANDWIDTHS = (15030, 5712, 3072)
"""Symbols per 128x128 tile of the analog presets: the paper's two operating points (paper-4's and paper-3's
payloads on its link) and CBR 1/16."""
SINGLE_SNRS = (0.0, 10.0, 20.0)
"""The SNRs of the single-SNR analog presets ``djscc-<S>-<snr>db`` (the comparison with SNR-adaptive training)."""

ANALOG_PRESETS: dict[str, AnalogPreset] = {
    **{f"djscc-{s}": AnalogPreset(f"djscc-{s}", s) for s in ANALOG_BANDWIDTHS},
    **{f"djscc-{s}-{snr:g}db": AnalogPreset(f"djscc-{s}-{snr:g}db", s, snr_db=(snr, snr))
       for s in ANALOG_BANDWIDTHS for snr in SINGLE_SNRS}}


def get_preset(name: str) -> Preset | AnalogPreset:
    """The preset called ``name`` (VQ-DeepSC's or analog); ``ValueError`` naming the known ones otherwise."""
    found = PRESETS.get(name) or ANALOG_PRESETS.get(name)
    if found is None:
        raise ValueError(f"unknown preset {name!r}; known presets: {', '.join([*PRESETS, *ANALOG_PRESETS])}")
    return found
