"""What an evaluation sends besides VQ-DeepSC's indices: the upper bound (no link) and classic codecs' files.

Every sender has ``noiseless`` (``[N, 3, H, W]``, its reconstruction without the link) and ``info`` (per-image
lists of what describes its payload); a sender that uses the link has ``send(link, snr_db, seeds) -> (x_hat,
record)`` with per-image lists of link counts (:func:`~vqdeepsc.transceiver.link_record`). VQ-DeepSC's sender is
the :class:`~vqdeepsc.transceiver.Transceiver`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .baselines import fit_to_budget, get_codec, send_files, to_image
from .data import to_tensor
from .models.system import VQDeepSC
from .transceiver import link_record, seeded


class UpperBound:
    """The network without quantization, noiseless, one image at a time (as the
    :class:`~vqdeepsc.transceiver.Transceiver`): ``noiseless`` [N, 3, H, W] is its only output."""

    def __init__(self, model: VQDeepSC, images: Tensor):
        self.noiseless = torch.cat([model.decode(model.encode(x)) for x in images.split(1)])
        self.info = {}


class ClassicSender:
    """A classic codec's budget-fitted file per image (fitted once), padded to the budget and sent over the link,
    ``batch`` files per link call.

    :input images: [N, 3, H, W] in [0, 1].
    :attr noiseless: [N, 3, H, W], the local decode of the files.
    :attr info: per-image ``quality``, ``excess_bits`` and ``source_bits`` of the files.
    """

    def __init__(self, name: str, images: Tensor, budget_bits: int, batch: int = 16):
        self.codec, self.budget_bits, self.size = get_codec(name), budget_bits, (images.shape[3], images.shape[2])
        self.batch = batch
        self.files = [fit_to_budget(self.codec, to_image(x), budget_bits) for x in images]
        self.noiseless = torch.stack([to_tensor(self.codec.decode(f.data, self.size)) for f in self.files])
        self.info = {"quality": [f.quality for f in self.files], "excess_bits": [f.excess_bits for f in self.files],
                     "source_bits": [8 * len(f.data) for f in self.files]}

    def send(self, link, snr_db: float, seeds: list[int]) -> tuple[Tensor, dict]:
        got = [g for start in range(0, len(self.files), self.batch)
               for g in send_files(self.codec, [f.data for f in self.files[start:start + self.batch]], link, snr_db,
                                   self.size, payload_bits=self.budget_bits,
                                   generators=[seeded(s, link) for s in seeds[start:start + self.batch]])]
        return torch.stack([g.image for g in got]), {**link_record([g.stats for g in got]),
                                                     "frame_error_rate": [int(g.changed) for g in got],
                                                     "failure_rate": [int(g.failed) for g in got]}
