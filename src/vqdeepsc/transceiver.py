"""VQ-DeepSC end to end: image -> indices -> bits -> symbols -> channel -> bits -> indices -> image."""

from __future__ import annotations

import torch
from torch import Tensor

from .link.bits import bits_to_indices, indices_to_bits
from .index_search import NEAREST_CODEWORDS, IndexSearch
from .link.phy import Posterior
from .models.system import VQDeepSC


class Transceiver:
    """A quantized ``VQDeepSC`` model sending a set of images over a ``DigitalLink``.

    The images are encoded to indices and bits once; each ``receive`` runs only the link, and ``reconstruct``
    runs a receiver and the decoder on the images that need it (an image whose bits all arrived right, from
    codewords that passed their parity checks, reuses the noiseless reconstruction). Several receivers can
    reconstruct the same reception, i.e. the same channel draws. The network sees one image at a time: float32
    kernels round differently with the batch, and an image's reconstruction must not depend on which other
    images had errors (it costs nothing on a CPU).

    :param model: the semantic codec (eval mode, quantized preset).
    :param images: [N, 3, H, W] in [0, 1], on the model's device, H and W multiples of 2^L.
    :param batch: images per link call (each image with its own seeded channel).
    :param index_search: how the transmitter chooses the indices (default: the nearest codewords, eq. 2).
    :attr noiseless: [N, 3, H, W], the reconstruction from the indices sent.

    :attr info: per-image ``source_bits``.

    ``receive`` (the same reception again for the same link, SNR and seeds): :input link: a ``DigitalLink``;
    :input snr_db: Es/N0 in dB; :input seeds: one link seed per image.
    :output: ``(received [N, n_bits], Posterior, record)``, record: per-image link counts (:func:`link_record`) and
    ``frame_error_rate`` (1 for an image with any bit wrong).
    ``reconstruct``: :input receiver: a :class:`~.receivers.Receiver`; :input reception: what ``receive`` returned.
    :output x_hat: [N, 3, H, W].
    """

    def __init__(self, model: VQDeepSC, images: Tensor, batch: int = 16, index_search: IndexSearch = NEAREST_CODEWORDS):
        self.model, self.batch, self.size = model.eval(), batch, tuple(images.shape[2:])
        self.codes = index_search(model, images)
        self.noiseless = self.decode(self.codes)
        self.bits = indices_to_bits(self.codes, model.preset.bits_per_index)
        self.info = {"source_bits": [self.bits.shape[1]] * len(images)}
        self._last = None

    @torch.no_grad()
    def decode(self, codes: list[Tensor]) -> Tensor:
        return torch.cat([self.model.decode(list(part)) for part in zip(*(c.split(1) for c in codes))])

    @torch.no_grad()
    def receive(self, link, snr_db: float, seeds: list[int]) -> tuple[Tensor, Posterior, dict]:
        key = (id(link), snr_db, tuple(seeds))
        if self._last is None or self._last[0] != key:
            self._last = key, self._receive(link, snr_db, seeds)
        return self._last[1]

    def _receive(self, link, snr_db: float, seeds: list[int]) -> tuple[Tensor, Posterior, dict]:
        sent = [link.send(self.bits[start:start + self.batch], snr_db,
                          [seeded(s, link) for s in seeds[start:start + self.batch]])
                for start in range(0, len(seeds), self.batch)]
        device = self.bits.device
        received = torch.cat([r for r, _, _ in sent]).to(device)
        posterior = Posterior(torch.cat([p.llr for _, _, p in sent]).to(device),
                              torch.cat([p.reliable for _, _, p in sent]).to(device))
        wrong = (received != self.bits).any(1)
        return received, posterior, {**link_record([s for _, stats, _ in sent for s in stats]),
                                     "frame_error_rate": wrong.int().tolist()}

    @torch.no_grad()
    def reconstruct(self, receiver, reception: tuple[Tensor, Posterior, dict]) -> Tensor:
        """Runs ``receiver`` on the frames with a wrong bit, and on those with a failed codeword if the receiver
        reads failures; every other frame is the noiseless reconstruction."""
        received, posterior, _ = reception
        redo = (received != self.bits).any(1)
        if receiver.reads_failures:
            redo |= ~posterior.reliable.all(1)
        x_hat = self.noiseless.clone()
        for part in redo.nonzero().flatten().split(1) if redo.any() else ():
            x_hat[part] = receiver.reconstruct(self.model, received[part],
                                               Posterior(posterior.llr[part], posterior.reliable[part]), self.size)
        return x_hat


def to_indices(model: VQDeepSC, bits: Tensor, height: int, width: int) -> list[Tensor]:
    """The indices in received bits, for ``height x width`` images.

    A bit error can give an index >= N when N is not a power of two: it is read as the last codeword.

    :input bits: [B, n_bits], 0/1.
    :output: [B, H_l, W_l] int64 per transmitted scale, finest first.
    """
    widths, shapes = model.preset.bits_per_index, model.code_shapes(height, width)
    sizes = [space.num_codes for space in model.embedding_spaces]
    return [c.clamp_max(n - 1) for c, n in zip(bits_to_indices(bits, widths, shapes), sizes)]


LINK_COUNTS = ("bit_errors", "num_bits", "codeword_errors", "num_codewords", "channel_symbols")


def link_record(stats: list) -> dict:
    """Per-image ``LinkStats`` -> per-image lists of :data:`LINK_COUNTS` (what :func:`~.results.summarise` turns into
    BER, codeword error rate and channel symbols per image)."""
    return {name: [getattr(s, name) for s in stats] for name in LINK_COUNTS}


def seeded(seed: int, link) -> torch.Generator:
    """A generator on the link's device seeded with ``seed``."""
    return torch.Generator(link.device).manual_seed(seed)
