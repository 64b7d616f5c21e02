"""VQ-DeepSC's semantic codec: encoder -> embedding spaces -> (indices) -> look-up -> decoder."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..config import Preset
from .blocks import ClosedLoopChoice, check_image_batch
from .decoder import SemanticDecoder
from .encoder import SemanticEncoder
from .quantizers import make_quantizer


class VQDeepSC(nn.Module):
    """The transceiver's neural parts for one preset.

    ``encode`` gives the *codes* of the transmitted scales (finest first): index tensors [B, H_l, W_l] int64
    for a quantized preset, the features themselves [B, C_l, H_l, W_l] for an upper-bound preset. The index of
    codeword ``n`` is its label ``index_labels()[l][n]`` (a permutation stored with the model, the identity unless
    set by :func:`vqdeepsc.labels.relabel`; files without labels load with the identity).
    ``decode`` rebuilds the images from those codes. ``forward`` is the training pass. With ``preset.closed_loop``
    the transmitter chooses each finer scale's codewords with the decoder's state after the coarser ones
    (``closed_loop``, one :class:`~vqdeepsc.models.blocks.ClosedLoopChoice` per scale but the deepest); the
    receiver's ``decode`` is the same.

    :param preset: the configuration (``vqdeepsc.config``).
    :param quantizer_options: keyword options of every scale's quantizer (e.g. the codebook remedies of
        ``SemanticEmbeddingSpace``); options a quantizer does not take are not passed to it.

    :input images: [B, 3, H, W], float in [0, 1], H and W multiples of 2^L.
    :output (forward): dict with ``x_hat`` [B, 3, H, W], ``codebook_loss``, ``commitment_loss`` (scalars, summed
        over scales), ``indices`` (list per transmitted scale) and per-scale ``perplexity`` and ``usage`` lists.
    """

    def __init__(self, preset: Preset, **quantizer_options):
        super().__init__()
        self.preset, self.quantizer_options = preset, quantizer_options
        self.encoder = SemanticEncoder(preset.stem_channels, preset.widths, preset.transmitted[0],
                                       preset.encoder_fine_blocks)
        self.embedding_spaces = nn.ModuleList(
            make_quantizer(preset.quantizer, preset.codebook_sizes[l], preset.widths[l], **quantizer_options)
            for l in preset.transmitted) if preset.quantized else nn.ModuleList()
        self.decoder = SemanticDecoder(preset.widths, preset.up_widths, preset.transmitted, preset.decoder_fine_blocks)
        state_widths = dict(zip(range(preset.num_scales - 2, -2, -1), preset.up_widths))
        self.closed_loop = nn.ModuleDict({str(l): ClosedLoopChoice(preset.widths[l], state_widths[l])
                                          for l in preset.transmitted[:-1]} if preset.closed_loop else {})
        for i, space in enumerate(self.embedding_spaces):
            self.register_buffer(f"index_labels_{i}", torch.arange(space.num_codes))

    def index_labels(self) -> list[Tensor]:
        """``[N_l]`` int64 per transmitted scale: the label (transmitted index) of every codeword."""
        return [getattr(self, f"index_labels_{i}") for i in range(len(self.embedding_spaces))]

    def chosen_features(self, images: Tensor) -> list[Tensor]:
        """What each transmitted scale's codeword is chosen for, [B, C_l, H_l, W_l] (finest first): the encoder's
        features ``F^l``, or with ``preset.closed_loop`` ``F^l`` and the decoder's state after the nearest codewords
        of the coarser scales."""
        return self._nearest(images)[0]

    def codeword_indices(self, images: Tensor) -> list[Tensor]:
        """The quantizers' codeword indices [B, H_l, W_l] (before labelling) of every transmitted scale."""
        return self._nearest(images)[1]

    def _nearest(self, images: Tensor) -> tuple[list[Tensor], list[Tensor]]:
        """(chosen features, their nearest codewords' indices) per transmitted scale, finest first."""
        self.check_images(images)
        features = self.encoder(images)
        if not self.closed_loop:
            chosen = [features[l] for l in self.preset.transmitted]
            return chosen, [space.quantize(z) for space, z in zip(self.embedding_spaces, chosen)]
        chosen, indices = {}, {}

        def nearest(i: int, z: Tensor) -> Tensor:
            chosen[i], indices[i] = z, self.embedding_spaces[i].quantize(z)
            return self.embedding_spaces[i].features(indices[i])
        self._transmit(features, nearest, until=self.preset.transmitted[0])
        return [chosen[i] for i in sorted(chosen)], [indices[i] for i in sorted(indices)]

    def _transmit(self, features: list[Tensor], receive: Callable[[int, Tensor], Tensor],
                  until: int | None = None) -> Tensor:
        """The decoder on the encoder's ``features``, transmitted scale ``i`` (0 the finest) received as
        ``receive(i, chosen features)``; the images [B, 3, H, W] (``until``: see ``SemanticDecoder.run``)."""
        index = {l: i for i, l in enumerate(self.preset.transmitted)}

        def scale(l: int, state: Tensor | None) -> Tensor:
            z = features[l] if state is None or not self.closed_loop else self.closed_loop[str(l)](features[l], state)
            return receive(index[l], z)
        return self.decoder.run(scale, until)

    def codeword_features(self, codes: list[Tensor]) -> list[Tensor]:
        """The codewords [B, C_l, H_l, W_l] of received indices (labels) [B, H_l, W_l], per transmitted scale."""
        out = []
        for space, labels, c in zip(self.embedding_spaces, self.index_labels(), codes):
            space.check_indices(c)
            out.append(space.features(torch.argsort(labels)[c]))
        return out

    def check_images(self, images: Tensor) -> None:
        """``ValueError`` unless ``images`` is a float [B, 3, H, W] batch with H, W positive multiples of 2^L."""
        check_image_batch(images, self.preset)

    def code_shapes(self, height: int, width: int) -> list[tuple[int, ...]]:
        """Shape of each transmitted scale's codes for one image (no batch dim), finest first."""
        shapes = []
        for l in self.preset.transmitted:
            h, w = height >> (l + 1), width >> (l + 1)
            shapes.append((h, w) if self.preset.quantized else (self.preset.widths[l], h, w))
        return shapes

    def encode(self, images: Tensor) -> list[Tensor]:
        if not self.preset.quantized:
            self.check_images(images)
            features = self.encoder(images)
            return [features[l] for l in self.preset.transmitted]
        return [labels[i] for labels, i in zip(self.index_labels(), self.codeword_indices(images))]

    def decode(self, codes: list[Tensor]) -> Tensor:
        if len(codes) != len(self.preset.transmitted):
            raise ValueError(f"preset {self.preset.name!r} sends {len(self.preset.transmitted)} scales, "
                             f"got codes for {len(codes)}")
        return self.decode_features(self.codeword_features(codes) if self.preset.quantized else codes)

    def decode_features(self, features: list[Tensor]) -> Tensor:
        """The semantic decoder on received features ``[B, C_l, H_l, W_l]``, one per transmitted scale (codewords,
        their expectation under a receiver's posterior, or an upper bound's features)."""
        received = [None] * self.preset.num_scales
        for l, f in zip(self.preset.transmitted, features):
            received[l] = f
        return self.decoder(received)

    def forward(self, images: Tensor) -> dict:
        self.check_images(images)
        zero = images.new_zeros(())
        out = {"codebook_loss": zero, "commitment_loss": zero, "indices": [], "perplexity": [], "usage": []}
        quantized = {}

        def quantize(i: int, z: Tensor) -> Tensor:
            if not self.preset.quantized:
                return z
            quantized[i] = self.embedding_spaces[i](z)
            return quantized[i]["z_q"]
        out["x_hat"] = self._transmit(self.encoder(images), quantize)
        for i in range(len(quantized)):
            q = quantized[i]
            out["codebook_loss"] = out["codebook_loss"] + q["codebook_loss"]
            out["commitment_loss"] = out["commitment_loss"] + q["commitment_loss"]
            for key in ("indices", "perplexity", "usage"):
                out[key].append(q[key])
        return out


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
