"""The digital link: 5G LDPC -> QAM -> flat fading (eq. 3) -> ZF (eq. 4) -> soft demap -> BP decode.

The modulation and code rate are an :class:`~.mcs.MCS`: the paper's (16-QAM, rate exactly 1/3; the default) or
one of 5G NR's tables.

Codeword plan. A payload of ``n_bits`` is split into ``C = ceil(n_bits / max_k)`` near-equal codewords of
``k = Q_m * ceil(n_bits / (Q_m C))`` information bits (at least 12), zero-padded at the end, ``Q_m`` the bits per
symbol; both ends know the padding, which is stripped. A codeword has ``n = Q_m * ceil(k / (R Q_m))`` code bits,
the fewest whole symbols at a rate of at most ``R``: ``n = 3 k`` at the paper's rate. ``max_k`` is 8448, the
largest base-graph-1 block, or 3824 to cut every payload into base-graph-2 codewords; at rates below 1/3 it is at
most 3824 (Sionna's base graph 1, used above k = 3824, rejects rates below 1/3). Below rate 1/5 the encoder
makes the rate-1/5 codeword and the link repeats it up to ``n`` bits. Uncoded, ``n = k``. With the paper's
scheme a 4-scale image (20032 bits) takes 3 codewords of k = 6680 (8 padding bits), 15030 channel symbols; a
3-scale image (7616 bits) one codeword, 5712 symbols.

Sionna is imported when the first :class:`DigitalLink` is built, so :func:`plan_codewords` (used by
``vqdeepsc budget``) stays free of its ~3 s import.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import torch
import torch.nn.functional as F

from .bits import check_binary
from .channel import FlatFadingChannel, parse_channel, snr_db_to_no, zf_equalize
from .mcs import MCS, PAPER

MAX_K = 8448
"""Largest 5G LDPC information block (base graph 1)."""
MAX_K_BG2 = 3824
"""Largest information block Sionna codes with base graph 2 at rates of 1/3 or more (below 1/3, the largest of
every payload's codewords)."""
MIN_RATE = Fraction(1, 5)
"""Lowest rate of Sionna's 5G LDPC encoder (base graph 2); lower rates repeat its codeword."""
DECODERS = ("early", "fixed")
"""BP decoders: early-terminated by a parity check, or Sionna's fixed number of iterations."""
DECODER_BACKENDS = {"sionna": ("ldpc", "SionnaLDPCDecoder"), "cpp": ("ldpc_cpp", "CppLDPCDecoder")}
"""Who runs belief propagation: Sionna (torch; CPU or GPU; early or fixed) or the ``ldpc`` package's C++ decoder
(CPU; early only; in worker processes with ``workers > 1``). Both take ``(encoder, max_iter, early_stop, device)``
and give the same decisions."""

MIN_K = 12
"""Smallest information block Sionna's ``LDPC5GEncoder`` accepts."""
SCRAMBLER_SEED = 0x5EED
"""Seed of the scrambling sequence both ends know (the same for every codeword)."""
DECODER_CHUNK = 2**18
"""Code bits per BP-decoder call: larger batches fall out of the CPU caches and run up to 3x slower."""


@functools.lru_cache(maxsize=64)
def _build_codec(k: int, n: int, bits_per_symbol: int, backend: str, num_iter: int, early_stop: bool, device: str,
                 workers: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    """Sionna's ``LDPC5GEncoder`` of ``(k, n)`` for ``bits_per_symbol`` and the ``backend``'s decoder of it."""
    import importlib

    from sionna.phy.fec.ldpc import LDPC5GEncoder

    encoder = LDPC5GEncoder(k, n, num_bits_per_symbol=bits_per_symbol, check_input=False, device=device)
    module, name = DECODER_BACKENDS[backend]
    options = {"workers": workers} if workers > 1 else {}
    decoder = getattr(importlib.import_module(f".{module}", __package__), name)(encoder, num_iter, early_stop,
                                                                                 device=device, **options)
    return encoder, decoder


def default_backend(device: str, decoder: str = "early") -> str:
    """``"cpp"`` on the CPU with early termination (about twice as fast there), else ``"sionna"``."""
    return "cpp" if str(device).startswith("cpu") and decoder == "early" else "sionna"


@dataclass(frozen=True)
class CodewordPlan:
    """How one payload is cut into codewords.

    :param num_codewords: ``C``, codewords per payload.
    :param k: information bits per codeword (payload bits plus padding).
    :param n: code bits per codeword sent (``k`` uncoded).
    :param padding_bits: ``C k - n_bits``, zeros appended to the payload.
    :param channel_symbols: symbols per payload, ``C n / Q_m``.
    :param encoded: code bits per codeword out of the LDPC encoder: ``n``, or fewer when the rate is below 1/5 and
        the encoder's codeword is repeated up to ``n`` bits.
    """

    num_codewords: int
    k: int
    n: int
    padding_bits: int
    channel_symbols: int
    encoded: int


def check_max_k(max_k: int) -> None:
    """``ValueError`` unless ``max_k`` is a codeword length 5G LDPC supports, ``MIN_K <= max_k <= MAX_K``."""
    if not MIN_K <= max_k <= MAX_K:
        raise ValueError(f"max_k must be in [{MIN_K}, {MAX_K}], got {max_k}")


def plan_codewords(num_bits: int, mcs: MCS = PAPER, max_k: int = MAX_K) -> CodewordPlan:
    """The :class:`CodewordPlan` of a payload of ``num_bits`` bits sent with ``mcs`` in codewords of at most
    ``max_k`` information bits (pure arithmetic; see the module's docstring)."""
    if num_bits < 1:
        raise ValueError(f"empty payload: {num_bits} bits")
    check_max_k(max_k)
    m, rate = mcs.bits_per_symbol, mcs.code_rate
    limit = max_k if not mcs.coded or rate >= Fraction(1, 3) else min(max_k, MAX_K_BG2)
    count = math.ceil(num_bits / (m * (limit // m)))
    k = m * math.ceil(num_bits / (m * count))
    if not mcs.coded:
        return CodewordPlan(count, k, k, count * k - num_bits, count * k // m, k)
    k = max(k, m * math.ceil(MIN_K / m))
    n = m * math.ceil(k / (rate * m))
    encoded = n if Fraction(k, n) >= MIN_RATE else m * (5 * k // m)
    return CodewordPlan(count, k, n, count * k - num_bits, count * n // m, encoded)


def payload_capacity(symbols: int, mcs: MCS = PAPER, max_k: int = MAX_K) -> int:
    """The most payload bits whose :func:`plan_codewords` takes at most ``symbols`` channel symbols (0 if none)."""
    if symbols < 1:
        raise ValueError(f"a symbol budget must be positive, got {symbols}")
    bits = math.floor(symbols * mcs.bits_per_symbol * (mcs.code_rate if mcs.coded else 1))
    while bits > 0 and plan_codewords(bits, mcs, max_k).channel_symbols > symbols:
        bits -= 1
    return bits


@dataclass(frozen=True)
class Posterior:
    """What the receiver knows about each payload bit besides its hard decision.

    :param llr: ``[B, n_bits]``, ``torch.float32``, a-posteriori logits ``log p(1)/p(0)`` (the BP decoder's output;
        the demapper's, uncoded); the hard decision is ``llr >= 0``.
    :param reliable: ``[B, n_bits]``, ``torch.bool``, the bit's codeword satisfied every parity check (always
        ``False`` uncoded).
    """

    llr: torch.Tensor
    reliable: torch.Tensor


@dataclass(frozen=True)
class LinkStats:
    """What one :meth:`DigitalLink.forward` call did.

    :param channel_symbols: 16-QAM symbols per payload.
    :param padding_bits: padding bits per payload.
    :param num_bits: payload bits sent in the call (``B n_bits``).
    :param bit_errors: payload bits received wrong.
    :param num_codewords: codewords sent in the call (``B C``).
    :param codeword_errors: codewords whose ``k`` decoded bits are not all right.
    :param iterations: BP iterations run, summed over the codewords.
    """

    channel_symbols: int
    padding_bits: int
    num_bits: int
    bit_errors: int
    num_codewords: int
    codeword_errors: int
    iterations: int = 0

    @staticmethod
    def total(stats: list[LinkStats]) -> LinkStats:
        """The stats of several payloads of one length taken together."""
        return LinkStats(stats[0].channel_symbols, stats[0].padding_bits, *(sum(getattr(s, f) for s in stats) for f in
                         ("num_bits", "bit_errors", "num_codewords", "codeword_errors", "iterations")))

    @property
    def ber(self) -> float:
        """Bit error rate."""
        return self.bit_errors / self.num_bits

    @property
    def bler(self) -> float:
        """Codeword (block) error rate."""
        return self.codeword_errors / self.num_codewords

    @property
    def mean_iterations(self) -> float:
        """BP iterations per codeword."""
        return self.iterations / self.num_codewords


class DigitalLink(torch.nn.Module):
    r"""Bits -> 5G LDPC -> scrambler -> Gray QAM -> channel -> ZF -> APP demapper -> descrambler -> BP decoder
    -> bits, with the modulation and code rate of an :class:`~.mcs.MCS` (default: the paper's, LDPC 1/3 + 16-QAM).

    The scrambler (a fixed pseudo-random sequence XORed onto the code bits) makes the symbols' average energy 1
    whatever the payload: without it an all-zero payload maps every symbol to one inner 16-QAM point of energy
    0.2 and fails about 7 dB early.

    The demapper (Sionna's APP demapper on the QAM's two PAMs, :mod:`.demapper`) gets the post-equalization noise
    variance ``N0 / |h|^2`` of every symbol. Encoder and decoder are built once per codeword shape ``(k, n)``
    (:meth:`codec`).

    :param channel: a :class:`~.channel.FlatFadingChannel` or its spec, ``"awgn"``, ``"rayleigh"``, ``"rician:2"``
        (:func:`~.channel.parse_channel`).
    :param rician_factor: ``r >= 0``, for a ``"rician"`` spec without one.
    :param block_fading: one ``h`` per codeword instead of one per symbol (for a spec).
    :param coded: ``False`` sends the bits uncoded (hard decisions on the LLRs), for checks against theory.
    :param num_iter: most belief-propagation iterations per codeword.
    :param decoder: ``"early"`` stops each codeword once it satisfies every parity check
        (:class:`~.ldpc.SionnaLDPCDecoder`), ``"fixed"`` always runs ``num_iter`` (Sionna's decoder as is).
    :param max_k: longest codeword, in information bits (see :func:`plan_codewords`).
    :param device: ``"cpu"``, ``"cuda:0"``, ...
    :param backend: who decodes, a key of :data:`DECODER_BACKENDS` (default :func:`default_backend`).
    :param workers: processes the ``cpp`` backend decodes codewords in.
    :param mcs: the modulation and coding scheme (:data:`~.mcs.PAPER` by default).
    :param symbols: the channel symbols each payload may take (``None``: as many as its plan needs); a longer
        payload is refused, a shorter one is padded (its stats count ``symbols``).

    :input bits: ``[B, n_bits]``, any real dtype, 0/1.
    :input snr_db: ``float``, Es/N0 in dB; ``None`` for a noiseless channel (``w = 0``).
    :input generator: ``torch.Generator`` on ``device``, or ``None`` for torch's default generator
        (which ``sionna.phy.config.seed`` also seeds), or a list of ``B`` generators, one per payload: each payload
        then meets the channel it would meet sent alone with its generator. The same generator state gives the
        same output.
    :input soft: also return the :class:`Posterior` of the payload bits.
    :output received: ``[B, n_bits]``, ``torch.float32`` of 0/1, on ``device``.
    :output stats: :class:`LinkStats`.
    :output posterior: :class:`Posterior` (only with ``soft=True``).

    :meth:`send` gives the stats of every payload.

    >>> link = DigitalLink("rayleigh")
    >>> received, stats = link(torch.randint(0, 2, (2, 20032)), 10.0, torch.Generator().manual_seed(0))
    >>> stats.channel_symbols, stats.num_codewords
    (15030, 6)
    """

    def __init__(self, channel: FlatFadingChannel | str = "awgn", rician_factor: float | None = None,
                 block_fading: bool = False, coded: bool = True, num_iter: int = 20, decoder: str = "early",
                 max_k: int = MAX_K, device: str = "cpu", backend: str | None = None, workers: int = 1, *,
                 mcs: MCS = PAPER, symbols: int | None = None):
        super().__init__()
        from sionna.phy.fec.scrambling import Descrambler, Scrambler
        from sionna.phy.mapping import Mapper

        from .demapper import SeparableQAMDemapper

        if num_iter < 1:
            raise ValueError(f"num_iter must be positive, got {num_iter}")
        if decoder not in DECODERS:
            raise ValueError(f"unknown decoder {decoder!r}: choose from {', '.join(DECODERS)}")
        check_max_k(max_k)
        if symbols is not None and symbols < 1:
            raise ValueError(f"a symbol budget must be positive, got {symbols}")
        backend = backend or default_backend(device, decoder)
        if backend not in DECODER_BACKENDS:
            raise ValueError(f"unknown decoder backend {backend!r}: choose from {', '.join(DECODER_BACKENDS)}")
        if backend == "cpp" and (decoder == "fixed" or not str(device).startswith("cpu")):
            raise ValueError("the cpp decoder backend runs on the CPU and always stops at a zero syndrome: "
                             "use the sionna backend for --decoder fixed or a GPU")
        if workers < 1 or (workers > 1 and backend != "cpp"):
            raise ValueError(f"decoder workers must be positive and need the cpp backend, got {workers} with {backend}")
        self.decoder, self.max_k, self.backend, self.workers = decoder, max_k, backend, workers
        self.channel = parse_channel(channel, rician_factor, block_fading)
        self.mcs = mcs if coded else mcs.without_code()
        self.coded, self.num_iter, self.device, self.symbols = self.mcs.coded, num_iter, device, symbols
        m = self.mcs.bits_per_symbol
        self.scrambler = Scrambler(SCRAMBLER_SEED, keep_batch_constant=True, device=device)
        self.descrambler = Descrambler(self.scrambler, binary=False)
        self.mapper = Mapper("qam", m, device=device)
        self.demapper = SeparableQAMDemapper(m, device=device)

    def codec(self, k: int, n: int | None = None) -> tuple[torch.nn.Module, torch.nn.Module]:
        """The ``(LDPC5GEncoder, decoder)`` pair for ``k`` information bits and ``n`` encoder output bits (default:
        those of one codeword of ``k`` bits), the decoder of :attr:`backend`; built once and shared by every link of
        the same modulation and decoder settings (links of several channels use the same codes)."""
        n = n or plan_codewords(k, self.mcs, self.max_k).encoded
        return _build_codec(k, n, self.mcs.bits_per_symbol, self.backend, self.num_iter, self.decoder == "early",
                            str(self.device), self.workers)

    def plan(self, num_bits: int) -> CodewordPlan:
        """The :class:`CodewordPlan` this link uses for payloads of ``num_bits`` bits; ``ValueError`` if it takes more
        than :attr:`symbols`."""
        plan = plan_codewords(num_bits, self.mcs, self.max_k)
        if self.symbols is not None and plan.channel_symbols > self.symbols:
            raise ValueError(f"a payload of {num_bits} bits takes {plan.channel_symbols} symbols with {self.mcs}, "
                             f"more than the budget of {self.symbols}")
        return plan

    def transmit(self, bits: torch.Tensor, snr_db: float | None,
                 generator: torch.Generator | list | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Everything before the decoder: the codewords' information bits ``u`` (``[B C, k]``, padded) and the
        channel logits of the encoder's code bits (``[B C, encoded]``; repeated bits added up)."""
        if bits.dim() != 2 or bits.numel() == 0:
            raise ValueError(f"empty payload or wrong shape: expected bits [B, n_bits], got {list(bits.shape)}")
        check_binary(bits)
        no = 0.0 if snr_db is None else snr_db_to_no(snr_db)
        plan = self.plan(bits.shape[1])
        u = F.pad(bits.to(self.device, torch.float32), (0, plan.padding_bits)).reshape(-1, plan.k)
        c = self.codec(plan.k, plan.encoded)[0](u) if self.coded else u
        x = self.mapper(self.scrambler(c.repeat(1, math.ceil(plan.n / plan.encoded))[:, :plan.n]))
        if not isinstance(generator, (list, tuple)):
            return u, self.channel_llr(x, no, generator, plan)
        if len(generator) != bits.shape[0]:
            raise ValueError(f"{len(generator)} generators for {bits.shape[0]} payloads")
        # payload by payload: float kernels round by the position in the batch, and a payload must get exactly what
        # it gets sent alone
        return u, torch.cat([self.channel_llr(part, no, g, plan)
                             for part, g in zip(x.split(plan.num_codewords), generator)])

    def channel_llr(self, x: torch.Tensor, no: float, generator: torch.Generator | None,
                    plan: CodewordPlan) -> torch.Tensor:
        """Symbols ``[N, n / Q_m]`` -> channel -> ZF -> APP demapper -> descrambler -> code-bit logits ``[N, n]``,
        the logits of repeated bits added up (``[N, encoded]``)."""
        y, h = self.channel(x, no, generator)
        x_hat, no_eff = zf_equalize(y, h, no)
        llr = self.descrambler(self.demapper(x_hat, no_eff))
        if plan.n == plan.encoded:
            return llr
        repeats = math.ceil(plan.n / plan.encoded)
        return F.pad(llr, (0, repeats * plan.encoded - plan.n)).reshape(-1, repeats, plan.encoded).sum(1)

    def decode(self, llr: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The decoder: ``[N, encoded]`` channel logits of codewords of ``k`` information bits -> ``[N, k]``
        a-posteriori logits, ``[N]`` BP iterations and ``[N]`` parity satisfied (uncoded: the channel logits, 0
        iterations, ``False``)."""
        if not self.coded:
            none = torch.zeros(llr.shape[0], dtype=torch.int64)
            return llr, none, none.bool().to(llr.device)
        decoder = self.codec(k, llr.shape[1])[1]
        parts = [decoder(part) for part in llr.split(max(1, DECODER_CHUNK // llr.shape[1]))]
        return tuple(torch.cat(p) for p in zip(*parts))

    def forward(self, bits: torch.Tensor, snr_db: float | None, generator: torch.Generator | list | None = None,
                soft: bool = False):
        received, stats, posterior = self.send(bits, snr_db, generator)
        return (received, LinkStats.total(stats), posterior) if soft else (received, LinkStats.total(stats))

    def send(self, bits: torch.Tensor, snr_db: float | None,
             generator: torch.Generator | list | None = None) -> tuple[torch.Tensor, list[LinkStats], Posterior]:
        """``forward`` with ``soft=True``, but with one :class:`LinkStats` per payload (a list of ``B``)."""
        u, llr = self.transmit(bits, snr_db, generator)
        u_llr, iterations, valid = self.decode(llr, u.shape[1])
        u_hat = (u_llr >= 0).float()
        batch, num_bits = bits.shape
        plan = self.plan(num_bits)
        received = u_hat.reshape(batch, -1)[:, :num_bits]
        bit_errors = (received != u.reshape(batch, -1)[:, :num_bits]).sum(1).tolist()
        codeword_errors = (u_hat != u).any(dim=1).reshape(batch, -1).sum(1).tolist()
        iterations = iterations.reshape(batch, -1).sum(1).tolist()
        symbols = self.symbols or plan.channel_symbols
        stats = [LinkStats(symbols, plan.padding_bits, num_bits, e, plan.num_codewords, c, i)
                 for e, c, i in zip(bit_errors, codeword_errors, iterations)]
        reliable = valid[:, None].expand(-1, plan.k).reshape(batch, -1)[:, :num_bits]
        return received, stats, Posterior(u_llr.reshape(batch, -1)[:, :num_bits], reliable)

    def describe(self) -> dict:
        """JSON-able: the link as results files record it (``channel`` spec, the MCS's fields, ``symbols``, decoder
        settings, ``text``: one line)."""
        decoding = f", at most {self.num_iter} BP iterations ({self.decoder})" if self.coded else ""
        budget = f", {self.symbols} symbols per image" if self.symbols else ""
        fading = ", block fading" if self.channel.block_fading else ""
        return {"channel": self.channel.spec, "block_fading": self.channel.block_fading, **self.mcs.describe(),
                "symbols": self.symbols, "num_iter": self.num_iter, "decoder": self.decoder, "max_k": self.max_k,
                "decoder_backend": self.backend, "decoder_workers": self.workers,
                "text": f"{self.channel.spec}{fading}, {self.mcs}{decoding}, ZF{budget}"}

    def extra_repr(self) -> str:
        return (f"{self.mcs}, symbols={self.symbols}, num_iter={self.num_iter}, decoder={self.decoder!r}, "
                f"max_k={self.max_k}, device={self.device!r}, backend={self.backend!r}, workers={self.workers}")
