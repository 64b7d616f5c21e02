"""The digital link: 5G LDPC rate 1/3 -> 16-QAM -> flat fading (eq. 3) -> ZF (eq. 4) -> soft demap -> BP decode.

Codeword plan. A payload of ``n_bits`` is split into ``C = ceil(n_bits / 8448)`` near-equal codewords of
``k = 4 * ceil(n_bits / (4 C))`` information bits (at least 12), zero-padded at the end; both ends know the
padding, which is stripped. ``k`` is a multiple of 4 so that ``n = 3 k`` fills whole 16-QAM symbols and the
rate is exactly 1/3 (Sionna's base graph 1, used above k = 3824, rejects rates below 1/3). Uncoded, ``n = k``.
A 4-scale image (20032 bits) takes 3 codewords of k = 6680 (8 padding bits), 15030 channel symbols; a
3-scale image (7616 bits) one codeword, 5712 symbols.

Sionna is imported when the first :class:`DigitalLink` is built, so :func:`plan_codewords` (used by
``vqdeepsc budget``) stays free of its ~3 s import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .bits import check_binary
from .channel import FlatFadingChannel, snr_db_to_no, zf_equalize

MAX_K = 8448
"""Largest 5G LDPC information block (base graph 1)."""
MIN_K = 12
"""Smallest information block Sionna's ``LDPC5GEncoder`` accepts."""
BITS_PER_SYMBOL = 4
"""16-QAM."""
SCRAMBLER_SEED = 0x5EED
"""Seed of the scrambling sequence both ends know (the same for every codeword)."""
DECODER_CHUNK = 2**18
"""Code bits per BP-decoder call: larger batches fall out of the CPU caches and run up to 3x slower."""


@dataclass(frozen=True)
class CodewordPlan:
    """How one payload is cut into codewords.

    :param num_codewords: ``C``, codewords per payload.
    :param k: information bits per codeword (payload bits plus padding).
    :param n: code bits per codeword (``3 k``, or ``k`` uncoded).
    :param padding_bits: ``C k - n_bits``, zeros appended to the payload.
    :param channel_symbols: 16-QAM symbols per payload, ``C n / 4``.
    """

    num_codewords: int
    k: int
    n: int
    padding_bits: int
    channel_symbols: int


def plan_codewords(num_bits: int, coded: bool = True) -> CodewordPlan:
    """The :class:`CodewordPlan` of a payload of ``num_bits`` bits (pure arithmetic)."""
    if num_bits < 1:
        raise ValueError(f"empty payload: {num_bits} bits")
    count = math.ceil(num_bits / MAX_K)
    k = BITS_PER_SYMBOL * math.ceil(num_bits / (BITS_PER_SYMBOL * count))
    if coded:
        k = max(k, MIN_K)
    n = 3 * k if coded else k
    return CodewordPlan(count, k, n, count * k - num_bits, count * n // BITS_PER_SYMBOL)


@dataclass(frozen=True)
class LinkStats:
    """What one :meth:`DigitalLink.forward` call did.

    :param channel_symbols: 16-QAM symbols per payload.
    :param padding_bits: padding bits per payload.
    :param num_bits: payload bits sent in the call (``B n_bits``).
    :param bit_errors: payload bits received wrong.
    :param num_codewords: codewords sent in the call (``B C``).
    :param codeword_errors: codewords whose ``k`` decoded bits are not all right.
    """

    channel_symbols: int
    padding_bits: int
    num_bits: int
    bit_errors: int
    num_codewords: int
    codeword_errors: int

    @property
    def ber(self) -> float:
        """Bit error rate."""
        return self.bit_errors / self.num_bits

    @property
    def bler(self) -> float:
        """Codeword (block) error rate."""
        return self.codeword_errors / self.num_codewords


class DigitalLink(torch.nn.Module):
    r"""Bits -> 5G LDPC (rate 1/3) -> scrambler -> Gray 16-QAM -> channel -> ZF -> APP demapper -> descrambler
    -> BP decoder -> bits.

    The scrambler (a fixed pseudo-random sequence XORed onto the code bits) makes the symbols' average energy 1
    whatever the payload: without it an all-zero payload maps every symbol to one inner 16-QAM point of energy
    0.2 and fails about 7 dB early.

    The demapper gets the post-equalization noise variance ``N0 / |h|^2`` of every symbol. Encoder and
    decoder are built once per information block size ``k`` and cached.

    :param channel: ``"awgn"``, ``"rayleigh"`` or ``"rician"`` (see :class:`~.channel.FlatFadingChannel`).
    :param rician_factor: ``r >= 0``, for ``"rician"`` only.
    :param block_fading: one ``h`` per codeword instead of one per symbol.
    :param coded: ``False`` sends the bits uncoded (hard decisions on the LLRs), for checks against theory.
    :param num_iter: belief-propagation iterations (no early stopping in Sionna).
    :param device: ``"cpu"``, ``"cuda:0"``, ...

    :input bits: ``[B, n_bits]``, any real dtype, 0/1.
    :input snr_db: ``float``, Es/N0 in dB; ``None`` for a noiseless channel (``w = 0``).
    :input generator: ``torch.Generator`` on ``device``, or ``None`` for torch's default generator
        (which ``sionna.phy.config.seed`` also seeds). The same generator state gives the same output.
    :output received: ``[B, n_bits]``, ``torch.float32`` of 0/1, on ``device``.
    :output stats: :class:`LinkStats`.

    >>> link = DigitalLink("rayleigh")
    >>> received, stats = link(torch.randint(0, 2, (2, 20032)), 10.0, torch.Generator().manual_seed(0))
    >>> stats.channel_symbols, stats.num_codewords
    (15030, 6)
    """

    def __init__(self, channel: str = "awgn", rician_factor: float | None = None, block_fading: bool = False,
                 coded: bool = True, num_iter: int = 20, device: str = "cpu"):
        super().__init__()
        from sionna.phy.fec.scrambling import Descrambler, Scrambler
        from sionna.phy.mapping import Demapper, Mapper

        if num_iter < 1:
            raise ValueError(f"num_iter must be positive, got {num_iter}")
        self.channel = FlatFadingChannel(channel, rician_factor, block_fading)
        self.coded, self.num_iter, self.device = coded, num_iter, device
        self.scrambler = Scrambler(SCRAMBLER_SEED, keep_batch_constant=True, device=device)
        self.descrambler = Descrambler(self.scrambler, binary=False)
        self.mapper = Mapper("qam", BITS_PER_SYMBOL, device=device)
        self.demapper = Demapper("app", "qam", BITS_PER_SYMBOL, device=device)
        self.codecs = torch.nn.ModuleDict()

    def codec(self, k: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        """The cached ``(LDPC5GEncoder, LDPC5GDecoder)`` pair for ``k`` information bits, ``n = 3 k``."""
        from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder

        key = str(k)
        if key not in self.codecs:
            encoder = LDPC5GEncoder(k, 3 * k, num_bits_per_symbol=BITS_PER_SYMBOL, check_input=False,
                                    device=self.device)
            decoder = LDPC5GDecoder(encoder, num_iter=self.num_iter, hard_out=True, return_infobits=True,
                                    device=self.device)
            self.codecs[key] = torch.nn.ModuleList([encoder, decoder])
        encoder, decoder = self.codecs[key]
        return encoder, decoder

    def forward(self, bits: torch.Tensor, snr_db: float | None, generator: torch.Generator | None = None):
        if bits.dim() != 2 or bits.numel() == 0:
            raise ValueError(f"empty payload or wrong shape: expected bits [B, n_bits], got {list(bits.shape)}")
        check_binary(bits)
        no = 0.0 if snr_db is None else snr_db_to_no(snr_db)
        batch, num_bits = bits.shape
        plan = plan_codewords(num_bits, self.coded)
        u = F.pad(bits.to(self.device, torch.float32), (0, plan.padding_bits)).reshape(-1, plan.k)
        if self.coded:
            encoder, decoder = self.codec(plan.k)
            c = encoder(u)
        else:
            c = u
        y, h = self.channel(self.mapper(self.scrambler(c)), no, generator)
        x_hat, no_eff = zf_equalize(y, h, no)
        llr = self.descrambler(self.demapper(x_hat, no_eff))
        if self.coded:
            chunk = max(1, DECODER_CHUNK // plan.n)
            u_hat = torch.cat([decoder(part) for part in llr.split(chunk)])
        else:
            u_hat = (llr > 0).float()
        received = u_hat.reshape(batch, -1)[:, :num_bits]
        stats = LinkStats(
            channel_symbols=plan.channel_symbols,
            padding_bits=plan.padding_bits,
            num_bits=batch * num_bits,
            bit_errors=int((received != u.reshape(batch, -1)[:, :num_bits]).sum()),
            num_codewords=u.shape[0],
            codeword_errors=int((u_hat != u).any(dim=1).sum()),
        )
        return received, stats

    def extra_repr(self) -> str:
        return f"coded={self.coded}, num_iter={self.num_iter}, device={self.device!r}"
