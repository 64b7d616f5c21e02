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

from .baselines import CODECS, fit_to_budget, get_codec, send_files, to_image
from .data import to_tensor
from .index_search import NEAREST_CODEWORDS, IndexSearch
from .models.system import VQDeepSC
from .receivers import RECEIVERS, Receiver, get_receiver
from .transceiver import Transceiver, link_record, seeded

VQ_LABEL = "VQ-DeepSC"


class Sender:
    """One evaluated method (see the module's docstring)."""

    name, label = "", ""
    uses_link = True
    noiseless: Tensor
    info: dict

    def send(self, link, snr_db: float, seeds: list[int]) -> tuple[Tensor, dict]:
        raise NotImplementedError


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


class UpperBound(Sender):
    """The network without quantization, noiseless, one image at a time (as the
    :class:`~vqdeepsc.transceiver.Transceiver`): ``noiseless`` [N, 3, H, W] is its only output."""

    name, label = "upper", "upper bound (noiseless)"
    uses_link = False

    def __init__(self, model: VQDeepSC, images: Tensor):
        self.noiseless = torch.cat([model.decode(model.encode(x)) for x in images.split(1)])
        self.info = {}


class ClassicSender(Sender):
    """A classic codec's budget-fitted file per image (fitted once), padded to the budget and sent over the link,
    ``batch`` files per link call.

    :input images: [N, 3, H, W] in [0, 1].
    :attr noiseless: [N, 3, H, W], the local decode of the files.
    :attr info: per-image ``quality``, ``excess_bits`` and ``source_bits`` of the files.
    """

    def __init__(self, name: str, images: Tensor, budget_bits: int, batch: int = 16):
        self.codec, self.budget_bits, self.size = get_codec(name), budget_bits, (images.shape[3], images.shape[2])
        self.name, self.label, self.batch = name, self.codec.label, batch
        self.files = [fit_to_budget(self.codec, to_image(x), budget_bits) for x in images]
        self.noiseless = torch.stack([to_tensor(self.codec.decode(f.data, self.size)) for f in self.files])
        self.info = {"quality": [f.quality for f in self.files], "excess_bits": [f.excess_bits for f in self.files],
                     "source_bits": [8 * len(f.data) for f in self.files]}

    def send(self, link, snr_db, seeds):
        got = [g for start in range(0, len(self.files), self.batch)
               for g in send_files(self.codec, [f.data for f in self.files[start:start + self.batch]], link, snr_db,
                                   self.size, payload_bits=self.budget_bits,
                                   generators=[seeded(s, link) for s in seeds[start:start + self.batch]])]
        return torch.stack([g.image for g in got]), {**link_record([g.stats for g in got]),
                                                     "frame_error_rate": [int(g.changed) for g in got],
                                                     "failure_rate": [int(g.failed) for g in got]}


METHODS = ("vq", *(f"vq-{p}{r}" for p in ("", "robust-") for r in RECEIVERS), "upper", *CODECS)
"""``vq`` is VQ-DeepSC with the evaluation's default receiver (``dequantize``), ``vq-<receiver>`` with that
receiver (:data:`~vqdeepsc.receivers.RECEIVERS`), ``vq-robust-<receiver>`` with it and a decoder trained for
errors (``robust``); every VQ-DeepSC method sees the same receptions."""


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
                 classic_bits: int | None = None) -> dict[str, Sender]:
    """method name -> its sender; the VQ-DeepSC methods share one transceiver (its indices chosen by
    ``index_search``), a classic codec gets ``classic_bits`` (default ``budget_bits``, VQ-DeepSC's). ``images`` on
    the model's device."""
    vq = [m for m in methods if m.split("-")[0] == "vq"]
    transceiver = Transceiver(model, images, batch, index_search) if vq else None
    senders = {}
    for method in methods:
        if method in vq:
            receiver = get_receiver(dequantize if method == "vq" else method[3:], robust)
            senders[method] = VQSender(method, transceiver, receiver, VQ_LABEL if method == "vq" else None)
        elif method == "upper":
            senders[method] = UpperBound(upper, images)
        else:
            senders[method] = ClassicSender(method, images.cpu(), classic_bits or budget_bits, batch)
    return senders


@functools.cache
def labels() -> dict[str, str]:
    """method name -> label, for every method of :data:`METHODS` (what results files are read with)."""
    out = {"vq": VQ_LABEL, **{f"vq-{r.name}": f"{VQ_LABEL}, {r.label}" for r in RECEIVERS.values()},
           **{f"vq-robust-{r.name}": f"{VQ_LABEL}, {r.label}, decoder trained for errors" for r in RECEIVERS.values()},
           UpperBound.name: UpperBound.label}
    return {**out, **{name: get_codec(name).label for name in CODECS}}
