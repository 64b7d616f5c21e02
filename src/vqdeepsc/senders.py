"""What an evaluation compares: one sender per method, behind one interface.

A sender has a ``name`` (the method, as in ``--methods``), a ``label`` (its name in tables and figures),
``noiseless`` (``[N, 3, H, W]``, its reconstruction without the link), ``info`` (per-image lists that describe its
payload) and ``uses_link``; one that uses the link has ``send(link, snr_db, seeds) -> (x_hat, record)``, with
per-image lists of link counts (:func:`~vqdeepsc.transceiver.link_record`). A new receiver or classic codec is
one class (in ``receivers.py`` or ``baselines/codecs.py``); :func:`make_senders` turns method names into senders.
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

from .baselines import CODECS, MID_GRAY, FittedImage, ReceivedFile, fit_to_budget, get_codec, send_files, to_image
from .data import to_tensor
from .index_search import NEAREST_CODEWORDS, IndexSearch
from .link.channel import AWGN
from .link.phy import LinkStats, payload_capacity
from .models.system import VQDeepSC
from .receivers import RECEIVERS, Receiver, get_receiver
from .transceiver import Transceiver, link_record, seeded

VQ_LABEL = "VQ-DeepSC"
CAPACITY = "capacity-"
"""Prefix of the methods that deliver a classic codec's file at the channel's capacity (:class:`CapacitySender`)."""


class Sender:
    """One evaluated method (see the module's docstring)."""

    name, label = "", ""
    uses_link = True
    uses_mcs = True
    """``False`` for a method that sends no bits (analog): it meets the link's channel, not its MCS."""
    noiseless: Tensor
    info: dict

    def send(self, link, snr_db: float, seeds: list[int]) -> tuple[Tensor, dict]:
        raise NotImplementedError

    def payload(self, symbols: int, mcs, max_k: int) -> int | None:
        """The bits the method sends in ``symbols`` channel symbols with ``mcs`` (``None`` if it cannot): by default
        all they carry (a classic codec's file; one that does not fit is a failure)."""
        return payload_capacity(symbols, mcs, max_k)

    def fits(self, symbols: int, mcs, max_k: int) -> bool:
        return self.payload(symbols, mcs, max_k) is not None


class VQSender(Sender):
    """VQ-DeepSC with one receiver. Senders sharing a :class:`~vqdeepsc.transceiver.Transceiver` see the same
    receptions (its last one is kept), so receivers are compared on the same channel draws."""

    def __init__(self, name: str, transceiver: Transceiver, receiver: Receiver, label: str | None = None):
        self.name, self.transceiver, self.receiver = name, transceiver, receiver
        self.label = label or f"{VQ_LABEL}, {receiver.label}"
        self.noiseless, self.info = transceiver.noiseless, transceiver.info

    def send(self, link, snr_db, seeds):
        reception = self.transceiver.receive(link, snr_db, seeds)
        return self.transceiver.reconstruct(self.receiver, reception), reception[2]

    def payload(self, symbols, mcs, max_k):
        bits = self.transceiver.bits.shape[1]
        return bits if bits <= payload_capacity(symbols, mcs, max_k) else None


class UpperBound(Sender):
    """The network without quantization, noiseless, one image at a time (as the
    :class:`~vqdeepsc.transceiver.Transceiver`): ``noiseless`` [N, 3, H, W] is its only output."""

    name, label = "upper", "upper bound (noiseless)"
    uses_link = False

    def __init__(self, model: VQDeepSC, images: Tensor):
        self.noiseless = torch.cat([model.decode(model.encode(x)) for x in images.split(1)])
        self.info = {}


class ClassicSender(Sender):
    """A classic codec's budget-fitted file per image, padded to the budget and sent over the link, ``batch`` files per
    link call. The budget is ``budget_bits``, or, on a link with a symbol budget, every bit its symbols carry with its
    MCS; files are fitted once per budget. A file over a symbol budget (even at the lowest quality) is not sent: it
    counts as a failure (mid-gray).

    :input images: [N, 3, H, W] in [0, 1].
    :param files: per image, quality -> the codec's file (filled as files are made; senders of one codec share it).
    :attr noiseless: [N, 3, H, W], the local decode of the files fitted to ``budget_bits``.
    :attr info: per-image ``quality``, ``excess_bits`` and ``source_bits`` of those files.
    """

    def __init__(self, name: str, images: Tensor, budget_bits: int, batch: int = 16, files: list[dict] | None = None):
        self.codec, self.budget_bits, self.size = get_codec(name), budget_bits, (images.shape[3], images.shape[2])
        self.name, self.label, self.batch = name, self.codec.label, batch
        self.images, self._fitted = [to_image(x) for x in images], {}
        self._files = [{} for _ in self.images] if files is None else files  # shared by every budget
        self.files = self.fitted(budget_bits)
        self.noiseless = torch.stack([self.decode(f.data) for f in self.files])
        self.info = self.describe(self.files)

    def fitted(self, bits: int) -> list:
        """Every image's file fitted to ``bits`` (cached)."""
        if bits not in self._fitted:
            self._fitted[bits] = [fit_to_budget(self.codec, image, bits, files)
                                  for image, files in zip(self.images, self._files)]
        return self._fitted[bits]

    def decode(self, data: bytes) -> Tensor:
        return to_tensor(self.codec.decode(data, self.size))

    @staticmethod
    def describe(files: list) -> dict:
        return {"quality": [f.quality for f in files], "excess_bits": [f.excess_bits for f in files],
                "source_bits": [8 * len(f.data) for f in files]}

    def budget(self, link, snr_db: float) -> int:
        """The bits a file may take on ``link`` at ``snr_db``."""
        return payload_capacity(link.symbols, link.mcs, link.max_k) if link.symbols else self.budget_bits

    def send(self, link, snr_db, seeds):
        budget = max(1, self.budget(link, snr_db))
        files = self.fitted(budget)
        sent = [i for i, f in enumerate(files) if not (link.symbols and f.excess_bits)]
        got = dict(zip(sent, self.deliver([files[i].data for i in sent], budget, link, snr_db, [seeds[i] for i in sent])))
        unsent = ReceivedFile(torch.full((3, self.size[1], self.size[0]), MID_GRAY), True, True,
                              LinkStats(link.symbols or 0, 0, 0, 0, 0, 0))
        record = self.describe([f if i in got else FittedImage(b"", 0, f.excess_bits) for i, f in enumerate(files)])
        got = [got.get(i, unsent) for i in range(len(files))]
        return torch.stack([g.image for g in got]), {**link_record([g.stats for g in got]), **record,
                                                     "frame_error_rate": [int(g.changed) for g in got],
                                                     "failure_rate": [int(g.failed) for g in got]}

    def deliver(self, files: list[bytes], budget: int, link, snr_db: float, seeds: list[int]) -> list[ReceivedFile]:
        """The files over ``link``, padded to ``budget`` bits, ``batch`` per call."""
        return [g for start in range(0, len(files), self.batch)
                for g in send_files(self.codec, files[start:start + self.batch], link, snr_db, self.size,
                                    payload_bits=budget,
                                    generators=[seeded(s, link) for s in seeds[start:start + self.batch]])]


class CapacitySender(ClassicSender):
    """The ideal of separation: a classic codec's largest file whose bits fit the link's symbols times the channel's
    capacity at the SNR (``log2(1 + SNR)`` on AWGN, the ergodic capacity on fading channels), delivered without
    errors (no code reaches capacity: an upper bound for every digital scheme with this codec). Needs a link with a
    symbol budget."""

    def __init__(self, name: str, images: Tensor, budget_bits: int, batch: int = 16, files: list[dict] | None = None):
        super().__init__(name.removeprefix(CAPACITY), images, budget_bits, batch, files)
        self.name, self.label = name, f"{self.codec.label} at capacity (ideal)"

    def budget(self, link, snr_db):
        if not link.symbols:
            raise ValueError(f"method {self.name} needs a channel bandwidth: --symbols S or --cbr X")
        return int(link.symbols * link.channel.capacity(snr_db))

    def deliver(self, files, budget, link, snr_db, seeds):
        from .link.phy import LinkStats

        return [ReceivedFile(self.decode(data), False, False, LinkStats(link.symbols, 0, 0, 0, 0, 0)) for data in files]


class AnalogSender(Sender):
    """Analog Deep-JSCC (:class:`~vqdeepsc.models.jscc.DeepJSCC`): its encoder's symbols over the link's channel with
    the evaluation's per-image generators (no bits, no code, no MCS: the link's digital part is not used), MMSE
    equalization with the true ``h``, its decoder; one image at a time. Its bandwidth is fixed by the model.

    :input images: [N, 3, H, W] in [0, 1].
    :attr noiseless: [N, 3, H, W], through a noiseless channel (``y = x``).
    :attr info: per-image ``channel_symbols``.
    """

    name, label = "djscc", "Deep-JSCC (analog)"
    uses_mcs = False

    def __init__(self, model, images: Tensor):
        self.model, self.images = model, images
        self.symbols = model.preset.symbols_for(images.shape[2], images.shape[3])
        with torch.no_grad():
            self.noiseless = torch.cat([model.transmit(x, AWGN(), None) for x in images.split(1)])
        self.info = {"channel_symbols": [self.symbols] * len(images)}

    def send(self, link, snr_db, seeds):
        x_hat = torch.cat([self.model.transmit(x, link.channel, snr_db, seeded(s, link))
                           for x, s in zip(self.images.split(1), seeds)])
        return x_hat, dict(self.info)

    def payload(self, symbols, mcs, max_k):
        return None


class AdaptiveVQSender(Sender):
    """Rate-adaptive VQ-DeepSC: a family of models of different bit budgets sharing the link; on each link it sends
    the model with the most bits that fit the link's symbols with its MCS (:meth:`fits` says whether any does), and
    each model's receiver decodes frames with a failed codeword by its decoder trained for errors.

    :param members: ``(transceiver, receiver)`` per model, on the same images; of two with the same bits per image,
        the first.
    :attr noiseless, info: those of the model with the most bits.
    """

    name, label = "vq", VQ_LABEL

    def __init__(self, members: list[tuple[Transceiver, Receiver]]):
        by_bits = {}
        for member in members:
            by_bits.setdefault(member[0].bits.shape[1], member)
        self.members = [by_bits[b] for b in sorted(by_bits)]
        self.noiseless, self.info = self.members[-1][0].noiseless, self.members[-1][0].info

    @property
    def budgets(self) -> list[int]:
        """Bits per image of the models, fewest first."""
        return [t.bits.shape[1] for t, _ in self.members]

    def member(self, symbols: int, mcs, max_k: int) -> tuple[Transceiver, Receiver] | None:
        """The model with the most bits whose payload takes at most ``symbols`` with ``mcs`` (``None`` if none)."""
        bits = payload_capacity(symbols, mcs, max_k)
        fitting = [m for m in self.members if m[0].bits.shape[1] <= bits]
        return fitting[-1] if fitting else None

    def payload(self, symbols, mcs, max_k):
        member = self.member(symbols, mcs, max_k)
        return None if member is None else member[0].bits.shape[1]

    def send(self, link, snr_db, seeds):
        transceiver, receiver = self.member(link.symbols, link.mcs, link.max_k)
        reception = transceiver.receive(link, snr_db, seeds)
        return transceiver.reconstruct(receiver, reception), {**reception[2], **transceiver.info}


METHODS = ("vq", *(f"vq-{p}{r}" for p in ("", "robust-") for r in RECEIVERS), "upper", *CODECS,
           *(f"{CAPACITY}{c}" for c in CODECS), AnalogSender.name)
"""``vq`` is VQ-DeepSC with the evaluation's default receiver (``dequantize``; with a ``family``, the rate-adaptive
VQ-DeepSC), ``vq-<receiver>`` with that receiver (:data:`~vqdeepsc.receivers.RECEIVERS`), ``vq-robust-<receiver>``
with it and a decoder trained for errors (``robust``); every VQ-DeepSC method sees the same receptions.
``capacity-<codec>``: the codec's file at the channel's capacity (:class:`CapacitySender`); ``djscc``: the analog
Deep-JSCC of the evaluation's bandwidth (:class:`AnalogSender`)."""


def parse_methods(text: str) -> list[str]:
    """``"vq,upper,jpeg"`` -> ``["vq", "upper", "jpeg"]``; ``ValueError`` naming the known methods otherwise."""
    methods = list(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown method {unknown[0] if unknown else text!r}; known methods: {', '.join(METHODS)}")
    return methods


def make_senders(methods: list[str], model: VQDeepSC, images: Tensor, *, budget_bits: int, batch: int = 16,
                 upper: VQDeepSC | None = None, robust: VQDeepSC | None = None,
                 dequantize: str = "soft", index_search: IndexSearch = NEAREST_CODEWORDS,
                 classic_bits: int | None = None,
                 family: list[tuple[VQDeepSC, VQDeepSC]] | None = None, analog=None) -> dict[str, Sender]:
    """method name -> its sender; the VQ-DeepSC methods share one transceiver (its indices chosen by
    ``index_search``), a classic codec gets ``classic_bits`` (default ``budget_bits``, VQ-DeepSC's). With ``family``
    (``(model, robust)`` pairs besides ``model`` and ``robust``), ``vq`` is the rate-adaptive VQ-DeepSC of them all,
    each decoding failed frames with the robust version of ``dequantize``. Method ``djscc`` sends with ``analog``, a
    :class:`~vqdeepsc.models.jscc.DeepJSCC`. ``images`` on the model's device."""
    vq = [m for m in methods if m.split("-")[0] == "vq"]
    transceiver = Transceiver(model, images, batch, index_search) if vq else None
    senders, files = {}, {}  # files: codec -> per image, quality -> file
    for method in methods:
        if method == "vq" and family is not None:
            name = dequantize if dequantize.startswith("robust-") else f"robust-{dequantize}"
            members = [(transceiver, get_receiver(name, robust))] + [
                (Transceiver(m, images, batch, index_search), get_receiver(name, r)) for m, r in family]
            senders[method] = AdaptiveVQSender(members)
        elif method in vq:
            receiver = get_receiver(dequantize if method == "vq" else method[3:], robust)
            senders[method] = VQSender(method, transceiver, receiver, VQ_LABEL if method == "vq" else None)
        elif method == "upper":
            senders[method] = UpperBound(upper, images)
        elif method == AnalogSender.name:
            senders[method] = AnalogSender(analog, images)
        else:
            kind = CapacitySender if method.startswith(CAPACITY) else ClassicSender
            codec_files = files.setdefault(method.removeprefix(CAPACITY), [{} for _ in images])
            senders[method] = kind(method, images.cpu(), classic_bits or budget_bits, batch, codec_files)
    return senders


@functools.cache
def labels() -> dict[str, str]:
    """method name -> label, for every method of :data:`METHODS` (what results files are read with)."""
    out = {"vq": VQ_LABEL, **{f"vq-{r.name}": f"{VQ_LABEL}, {r.label}" for r in RECEIVERS.values()},
           **{f"vq-robust-{r.name}": f"{VQ_LABEL}, {r.label}, decoder trained for errors" for r in RECEIVERS.values()},
           UpperBound.name: UpperBound.label}
    return {**out, AnalogSender.name: AnalogSender.label, **{name: get_codec(name).label for name in CODECS},
            **{f"{CAPACITY}{name}": f"{get_codec(name).label} at capacity (ideal)" for name in CODECS}}
