"""The digital link: 5G LDPC rate 1/3 -> 16-QAM -> flat fading (eq. 3) -> ZF (eq. 4) -> soft demap -> BP decode.

Codeword plan. A payload of ``n_bits`` is split into ``C = ceil(n_bits / max_k)`` near-equal codewords of
``k = 4 * ceil(n_bits / (4 C))`` information bits (at least 12), zero-padded at the end; both ends know the
padding, which is stripped. ``max_k`` is 8448, the largest base-graph-1 block (codewords of k <= 3824 use base
graph 2 at rate 1/3), or 3824 to cut every payload into base-graph-2 codewords. ``k`` is a multiple of 4 so that ``n = 3 k`` fills whole 16-QAM symbols and the
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
MAX_K_BG2 = 3824
"""Largest information block Sionna codes with base graph 2 at rate 1/3."""
DECODERS = ("early", "fixed")
"""BP decoders: early-terminated by a parity check, or Sionna's fixed number of iterations."""
DECODER_BACKENDS = {"sionna": ("ldpc", "SionnaLDPCDecoder"), "cpp": ("ldpc_cpp", "CppLDPCDecoder")}
"""Who runs belief propagation: Sionna (torch; CPU or GPU; early or fixed) or the ``ldpc`` package's C++ decoder
(CPU; early only; in worker processes with ``workers > 1``). Both take ``(encoder, max_iter, early_stop, device)``
and give the same decisions."""

MIN_K = 12
"""Smallest information block Sionna's ``LDPC5GEncoder`` accepts."""
BITS_PER_SYMBOL = 4
"""16-QAM."""
SCRAMBLER_SEED = 0x5EED
"""Seed of the scrambling sequence both ends know (the same for every codeword)."""
DECODER_CHUNK = 2**18
"""Code bits per BP-decoder call: larger batches fall out of the CPU caches and run up to 3x slower."""


def default_backend(device: str, decoder: str = "early") -> str:
    """``"cpp"`` on the CPU with early termination (about twice as fast there), else ``"sionna"``."""
    return "cpp" if str(device).startswith("cpu") and decoder == "early" else "sionna"


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


def check_max_k(max_k: int) -> None:
    """``ValueError`` unless ``max_k`` is a codeword length 5G LDPC supports, ``MIN_K <= max_k <= MAX_K``."""
    if not MIN_K <= max_k <= MAX_K:
        raise ValueError(f"max_k must be in [{MIN_K}, {MAX_K}], got {max_k}")


def plan_codewords(num_bits: int, coded: bool = True, max_k: int = MAX_K) -> CodewordPlan:
    """The :class:`CodewordPlan` of a payload of ``num_bits`` bits in codewords of at most ``max_k`` (pure
    arithmetic)."""
    if num_bits < 1:
        raise ValueError(f"empty payload: {num_bits} bits")
    check_max_k(max_k)
    count = math.ceil(num_bits / max_k)
    k = BITS_PER_SYMBOL * math.ceil(num_bits / (BITS_PER_SYMBOL * count))
    if coded:
        k = max(k, MIN_K)
    n = 3 * k if coded else k
    return CodewordPlan(count, k, n, count * k - num_bits, count * n // BITS_PER_SYMBOL)


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
    :param num_iter: most belief-propagation iterations per codeword.
    :param decoder: ``"early"`` stops each codeword once it satisfies every parity check
        (:class:`~.ldpc.SionnaLDPCDecoder`), ``"fixed"`` always runs ``num_iter`` (Sionna's decoder as is).
    :param max_k: longest codeword, in information bits (see :func:`plan_codewords`).
    :param device: ``"cpu"``, ``"cuda:0"``, ...
    :param backend: who decodes, a key of :data:`DECODER_BACKENDS` (default :func:`default_backend`).
    :param workers: processes the ``cpp`` backend decodes codewords in.

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

    def __init__(self, channel: str = "awgn", rician_factor: float | None = None, block_fading: bool = False,
                 coded: bool = True, num_iter: int = 20, decoder: str = "early", max_k: int = MAX_K,
                 device: str = "cpu", backend: str | None = None, workers: int = 1):
        super().__init__()
        from sionna.phy.fec.scrambling import Descrambler, Scrambler
        from sionna.phy.mapping import Demapper, Mapper

        if num_iter < 1:
            raise ValueError(f"num_iter must be positive, got {num_iter}")
        if decoder not in DECODERS:
            raise ValueError(f"unknown decoder {decoder!r}: choose from {', '.join(DECODERS)}")
        check_max_k(max_k)
        backend = backend or default_backend(device, decoder)
        if backend not in DECODER_BACKENDS:
            raise ValueError(f"unknown decoder backend {backend!r}: choose from {', '.join(DECODER_BACKENDS)}")
        if backend == "cpp" and (decoder == "fixed" or not str(device).startswith("cpu")):
            raise ValueError("the cpp decoder backend runs on the CPU and always stops at a zero syndrome: "
                             "use the sionna backend for --decoder fixed or a GPU")
        if workers < 1 or (workers > 1 and backend != "cpp"):
            raise ValueError(f"decoder workers must be positive and need the cpp backend, got {workers} with {backend}")
        self.decoder, self.max_k, self.backend, self.workers = decoder, max_k, backend, workers
        self.channel = FlatFadingChannel(channel, rician_factor, block_fading)
        self.coded, self.num_iter, self.device = coded, num_iter, device
        self.scrambler = Scrambler(SCRAMBLER_SEED, keep_batch_constant=True, device=device)
        self.descrambler = Descrambler(self.scrambler, binary=False)
        self.mapper = Mapper("qam", BITS_PER_SYMBOL, device=device)
        self.demapper = Demapper("app", "qam", BITS_PER_SYMBOL, device=device)
        self.codecs = torch.nn.ModuleDict()

    def codec(self, k: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        """The cached ``(LDPC5GEncoder, decoder)`` pair for ``k`` information bits, ``n = 3 k``, the decoder of
        :attr:`backend`."""
        import importlib

        from sionna.phy.fec.ldpc import LDPC5GEncoder

        key = str(k)
        if key not in self.codecs:
            encoder = LDPC5GEncoder(k, 3 * k, num_bits_per_symbol=BITS_PER_SYMBOL, check_input=False,
                                    device=self.device)
            module, name = DECODER_BACKENDS[self.backend]
            options = {"workers": self.workers} if self.workers > 1 else {}
            decoder = getattr(importlib.import_module(f".{module}", __package__), name)(
                encoder, self.num_iter, self.decoder == "early", device=self.device, **options)
            self.codecs[key] = torch.nn.ModuleList([encoder, decoder])
        encoder, decoder = self.codecs[key]
        return encoder, decoder

    def plan(self, num_bits: int) -> CodewordPlan:
        """The :class:`CodewordPlan` this link uses for payloads of ``num_bits`` bits."""
        return plan_codewords(num_bits, self.coded, self.max_k)

    def transmit(self, bits: torch.Tensor, snr_db: float | None,
                 generator: torch.Generator | list | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Everything before the decoder: the codewords' information bits ``u`` (``[B C, k]``, padded) and the
        channel logits of their code bits (``[B C, n]``)."""
        if bits.dim() != 2 or bits.numel() == 0:
            raise ValueError(f"empty payload or wrong shape: expected bits [B, n_bits], got {list(bits.shape)}")
        check_binary(bits)
        no = 0.0 if snr_db is None else snr_db_to_no(snr_db)
        plan = self.plan(bits.shape[1])
        u = F.pad(bits.to(self.device, torch.float32), (0, plan.padding_bits)).reshape(-1, plan.k)
        c = self.codec(plan.k)[0](u) if self.coded else u
        x = self.mapper(self.scrambler(c))
        if not isinstance(generator, (list, tuple)):
            return u, self.channel_llr(x, no, generator)
        if len(generator) != bits.shape[0]:
            raise ValueError(f"{len(generator)} generators for {bits.shape[0]} payloads")
        # payload by payload: float kernels round by the position in the batch, and a payload must get exactly what
        # it gets sent alone
        return u, torch.cat([self.channel_llr(part, no, g) for part, g in zip(x.split(plan.num_codewords), generator)])

    def channel_llr(self, x: torch.Tensor, no: float, generator: torch.Generator | None) -> torch.Tensor:
        """Symbols ``[N, n / 4]`` -> channel -> ZF -> APP demapper -> descrambler -> code-bit logits ``[N, n]``."""
        y, h = self.channel(x, no, generator)
        x_hat, no_eff = zf_equalize(y, h, no)
        return self.descrambler(self.demapper(x_hat, no_eff))

    def decode(self, llr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The decoder: ``[N, n]`` channel logits -> ``[N, k]`` a-posteriori logits, ``[N]`` BP iterations and
        ``[N]`` parity satisfied (uncoded: the channel logits, 0 iterations, ``False``)."""
        if not self.coded:
            none = torch.zeros(llr.shape[0], dtype=torch.int64)
            return llr, none, none.bool().to(llr.device)
        decoder = self.codec(llr.shape[1] // 3)[1]
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
        u_llr, iterations, valid = self.decode(llr)
        u_hat = (u_llr >= 0).float()
        batch, num_bits = bits.shape
        plan = self.plan(num_bits)
        received = u_hat.reshape(batch, -1)[:, :num_bits]
        bit_errors = (received != u.reshape(batch, -1)[:, :num_bits]).sum(1).tolist()
        codeword_errors = (u_hat != u).any(dim=1).reshape(batch, -1).sum(1).tolist()
        iterations = iterations.reshape(batch, -1).sum(1).tolist()
        stats = [LinkStats(plan.channel_symbols, plan.padding_bits, num_bits, e, plan.num_codewords, c, i)
                 for e, c, i in zip(bit_errors, codeword_errors, iterations)]
        reliable = valid[:, None].expand(-1, plan.k).reshape(batch, -1)[:, :num_bits]
        return received, stats, Posterior(u_llr.reshape(batch, -1)[:, :num_bits], reliable)

    def extra_repr(self) -> str:
        return (f"coded={self.coded}, num_iter={self.num_iter}, decoder={self.decoder!r}, max_k={self.max_k}, "
                f"device={self.device!r}, backend={self.backend!r}, workers={self.workers}")
