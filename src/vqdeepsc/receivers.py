"""Receivers: what the decoded bits (and their posteriors) of a payload become before the semantic decoder.

A receiver turns one reception (hard bits ``[B, n_bits]`` and the link's :class:`~.link.phy.Posterior`) into the
features of every transmitted scale, ``[B, C_l, H_l, W_l]``, which ``VQDeepSC.decode_features`` decodes. A new
receiver is one :class:`Receiver` subclass here and one entry in :data:`RECEIVERS`.

- ``hard``: the paper's receiver, the codeword of each hard-decided index.
- ``soft``: soft-decision dequantization (Skoglund's soft VQ decoding with the BP decoder's posteriors): each
  index's bits are taken as independent with ``P(bit = 1) = sigmoid(llr)``, which gives a probability ``P(n)`` for
  every codeword, and the decoder gets the expected codeword ``sum_n P(n) e_n``. An index whose bits all come from
  codewords that satisfied every parity check is taken as certain (its codeword exactly).
- ``soft-erasures``: as ``soft``, but the bits of a codeword that failed its parity check are erasures
  (``llr = 0``): such an index gets the mean codeword.

Any receiver can also decode with another model's semantic decoder (``decoder``): one fine-tuned for channel
errors (``vqdeepsc train --channel-errors``) from the sending model, whose encoder and codebooks it shares.
``reconstruct`` uses that decoder only for frames with a codeword that failed its parity check and whose
posteriors expect at least :data:`ROBUST_SWITCH_BER` of their bits wrong, so the error-free quality is the sending
model's, and a frame with a few wrong bits keeps the sending model's sharper decoder.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor

from .link.bits import split_payload
from .link.phy import Posterior
from .models.system import VQDeepSC


def codeword_log_posteriors(llr: Tensor, num_codes: int, temperature: float = 1.0) -> Tensor:
    """``log P(n)`` of every codeword of one index from the logits of its bits, which are taken as independent.

    :param num_codes: ``N``; indices ``>= N`` cannot have been sent, so ``P`` is renormalised over ``[0, N)``.
    :param temperature: the logits are divided by it (``> 1`` trusts the decoder less).
    :input llr: ``[..., b]``, logits ``log p(1)/p(0)`` of the index's bits, most significant first.
    :output: ``[..., N]``, normalised log-probabilities.
    """
    width = llr.shape[-1]
    if not 2 ** (width - 1) < num_codes <= 2 ** width:
        raise ValueError(f"{width} bits per index cannot carry {num_codes} codewords")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    shifts = torch.arange(width - 1, -1, -1, device=llr.device)
    bits = ((torch.arange(num_codes, device=llr.device)[:, None] >> shifts) & 1).to(llr.dtype)  # [N, b]
    llr = llr / temperature
    log_p = F.logsigmoid(llr) @ bits.T + F.logsigmoid(-llr) @ (1 - bits).T
    return torch.log_softmax(log_p, dim=-1)


def estimated_ber(posterior: Posterior) -> Tensor:
    """``[B]``: each payload's expected fraction of wrong bits under its posteriors, the mean of
    ``sigmoid(-|llr|)``."""
    return torch.sigmoid(-posterior.llr.abs()).mean(1)


ROBUST_SWITCH_BER = 0.01
"""The estimated bit error rate (:func:`estimated_ber`) from which a frame with a failed codeword goes to the
decoder trained for errors. Chosen on 80 validation tiles of both models at and around the LDPC cliff
(``benchmarks/robust_switch.py``, ``results/receivers/README.md``)."""


class Receiver:
    """Reception -> features of every transmitted scale.

    :param decoder: a model whose semantic decoder reconstructs the features instead of the sending model's (one
        fine-tuned for channel errors); its receivers are named ``robust-<name>``.
    :param switch_ber: the frames ``decoder`` reconstructs: those with a failed codeword whose estimated bit error
        rate is at least this.

    :input model: the quantized ``VQDeepSC`` whose indices were sent.
    :input received: ``[B, n_bits]`` hard-decided bits (0/1).
    :input posterior: their :class:`~.link.phy.Posterior`.
    :input shape: ``(H, W)`` of the images.
    :output (features): ``[B, C_l, H_l, W_l]`` per transmitted scale, finest first.
    :output (reconstruct): ``[B, 3, H, W]``, the images.
    """

    kind, description = "", ""
    uses_posterior = False
    """Whether the result can differ from the noiseless one when every hard bit is right (so the images with an
    unreliable codeword must be decoded even if no bit is wrong)."""

    def __init__(self, decoder: VQDeepSC | None = None, switch_ber: float = ROBUST_SWITCH_BER):
        self.decoder, self.switch_ber = decoder, switch_ber

    @property
    def name(self) -> str:
        return f"robust-{self.kind}" if self.decoder is not None else self.kind

    @property
    def label(self) -> str:
        return f"{self.description}, decoder trained for errors" if self.decoder is not None else self.description

    @property
    def reads_failures(self) -> bool:
        """Whether a frame whose bits are all right but whose codeword failed a parity check can come out other than
        noiseless (so it must be reconstructed)."""
        return self.uses_posterior or self.decoder is not None

    def features(self, model: VQDeepSC, received: Tensor, posterior: Posterior, shape: tuple[int, int]) -> list[Tensor]:
        raise NotImplementedError

    def robust_frames(self, posterior: Posterior) -> Tensor:
        """``[B]`` bool: the frames ``decoder`` reconstructs (a failed codeword, estimated BER >= ``switch_ber``)."""
        return ~posterior.reliable.all(1) & (estimated_ber(posterior) >= self.switch_ber)

    def reconstruct(self, model: VQDeepSC, received: Tensor, posterior: Posterior, shape: tuple[int, int]) -> Tensor:
        """The images: ``features`` decoded by ``model``, and by ``decoder`` for :meth:`robust_frames`."""
        features = self.features(model, received, posterior, shape)
        if self.decoder is None:
            return model.decode_features(features)
        failed = self.robust_frames(posterior)
        images = None
        for decoder, frames in ((model, ~failed), (self.decoder, failed)):
            if frames.any():
                part = decoder.decode_features([f[frames] for f in features])
                images = part.new_empty(len(failed), *part.shape[1:]) if images is None else images
                images[frames] = part
        return images


class HardReceiver(Receiver):
    """The codeword of each hard-decided index (an index ``>= N``, possible when ``N`` is not a power of two, is
    read as the last codeword)."""

    kind, description = "hard", "hard decisions"

    def features(self, model, received, posterior, shape):
        from .transceiver import to_indices

        return model.codeword_features(to_indices(model, received, *shape))


class SoftReceiver(Receiver):
    """The expected codeword under the bits' posteriors; indices whose codewords all passed are taken as certain.

    :param erasures: bits of codewords that failed their parity check carry no information (``llr = 0``).
    :param temperature: divides the posterior logits (see :func:`codeword_log_posteriors`).
    """

    uses_posterior = True

    def __init__(self, erasures: bool = False, temperature: float = 1.0, decoder: VQDeepSC | None = None):
        super().__init__(decoder)
        self.erasures, self.temperature = erasures, temperature
        self.kind = "soft-erasures" if erasures else "soft"
        self.description = "soft, failed codewords erased" if erasures else "soft decisions"

    def features(self, model, received, posterior, shape):
        widths, shapes = model.preset.bits_per_index, model.code_shapes(*shape)
        llr = posterior.llr.masked_fill(~posterior.reliable, 0.0) if self.erasures else posterior.llr
        hard = HardReceiver().features(model, received, posterior, shape)
        out = []
        for space, labels, h, l, r in zip(model.embedding_spaces, model.index_labels(), hard,
                                          split_payload(llr.float(), widths, shapes),
                                          split_payload(posterior.reliable, widths, shapes)):
            p = codeword_log_posteriors(l, space.num_codes, self.temperature).exp()[..., labels]  # label -> codeword
            out.append(torch.where(r.all(-1)[:, None], h, space.expected(p)))
        return out


DEFAULT_RECEIVER = "soft"
"""The receiver of ``send``, ``demo`` and method ``vq`` unless ``--dequantize`` says otherwise: on 20 validation
tiles it was at least as good as ``hard`` at every channel and SNR and 0.11-0.22 SSIM better below the LDPC cliff,
and better than ``soft-erasures`` at 2-4 dB (``results/eval/README.md``)."""

RECEIVERS: dict[str, Receiver] = {r.name: r for r in (HardReceiver(), SoftReceiver(), SoftReceiver(erasures=True))}
"""The receivers by name (``--dequantize``, and the ``vq-<name>`` methods of ``vqdeepsc eval``)."""


def check_same_transmitter(model: VQDeepSC, other: VQDeepSC) -> None:
    """``ValueError`` unless ``other`` has ``model``'s preset, encoder and codebooks (so it reads its bits)."""
    a, b = model.state_dict(), other.state_dict()
    sent = [k for k in a if not k.startswith("decoder.")]
    if model.preset != other.preset or any(k not in b or not torch.equal(a[k], b[k].to(a[k].device)) for k in sent):
        raise ValueError(f"the robust decoder's model was not fine-tuned from this {model.preset.name!r} model: its "
                         "encoder or codebooks differ (train it with --init-from this model --channel-errors)")


def get_receiver(name: str, robust: VQDeepSC | None = None) -> Receiver:
    """The receiver called ``name`` (``robust-<name>``: with ``robust``'s decoder); ``ValueError`` naming the known
    ones otherwise."""
    kind = name.removeprefix("robust-")
    if kind not in RECEIVERS:
        raise ValueError(f"unknown receiver {name!r}; known receivers: {', '.join(RECEIVERS)} (and robust-<name> "
                         "with a decoder trained for errors)")
    if kind == name:
        return RECEIVERS[name]
    if robust is None:
        raise ValueError(f"receiver {name!r} needs a decoder trained for errors (--robust MODEL)")
    receiver = copy.copy(RECEIVERS[kind])
    receiver.decoder = robust
    return receiver
