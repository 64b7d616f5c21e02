"""Analysis-by-synthesis at the transmitter: indices chosen for the decoded image, not only for the features.

The paper's transmitter sends, at every position, the codeword nearest to the encoder's feature (eq. 2). The bits
cost the same whichever codeword is sent, so the transmitter, which holds the decoder too, may send the indices
whose *decoded image* is closest to its input. :class:`IndexSearch` starts from the encoder's features and takes
Adam steps on them through the straight-through quantizer to lower the training distortion ``L1 + 1 - SSIM`` of
the decoded image; every image keeps the indices of the best step, the nearest codewords (step 0) included, so by
that measure it never does worse than eq. 2. The receiver and the bits per image are unchanged. It costs the
transmitter ``steps`` decoder passes forward and backward per image (results/training/README.md: the gain and the
time).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .metrics import ssim
from .models.system import VQDeepSC


def distortion(x_hat: Tensor, images: Tensor) -> Tensor:
    """The ``fast`` recipe's distortion per image: :input x_hat, images: [B, 3, H, W]. :output: [B],
    ``L1 + 1 - SSIM``."""
    return (x_hat - images).abs().mean((1, 2, 3)) + 1 - ssim(x_hat, images)


MAX_STEPS = 10_000
"""Most Adam steps of an index search per image."""


class IndexSearch:
    """The transmitter's choice of indices by decoding (see the module's docstring).

    :param steps: Adam steps per image (20 was chosen on the validation split); 0 sends the nearest codewords (eq. 2,
        ``model.encode``).
    :param lr: Adam's learning rate on the features (chosen on the validation split).

    :input model: a quantized :class:`VQDeepSC`, in eval mode.
    :input images: [B, 3, H, W] in [0, 1], H and W multiples of 2^L (at least 16).
    :output codes: per transmitted scale [B, H_l, W_l] int64 labels, as ``model.encode`` returns them. The network
        sees one image at a time, so an image's indices do not depend on the others in the batch.
    """

    def __init__(self, steps: int = 20, lr: float = 0.01):
        if not 0 <= steps <= MAX_STEPS or not lr > 0:
            raise ValueError(f"the index search needs 0 <= steps <= {MAX_STEPS} and a positive learning rate, got "
                             f"{steps} and {lr}")
        self.steps, self.lr = steps, lr

    def __call__(self, model: VQDeepSC, images: Tensor) -> list[Tensor]:
        if not model.preset.quantized:
            raise ValueError(f"{model.preset.name!r} sends features, not indices: there are no indices to search")
        if model.training:
            raise ValueError("the index search decodes with the model: put it in eval mode first")
        model.check_images(images)
        return [torch.cat(c) for c in zip(*(self._search(model, x) for x in images.split(1)))]

    def _search(self, model: VQDeepSC, image: Tensor) -> list[Tensor]:
        if self.steps == 0:
            with torch.no_grad():
                return model.encode(image)
        variables = self._variables(model, image)
        optimizer = torch.optim.Adam(variables, lr=self.lr)
        best, best_indices = float("inf"), None
        for step in range(self.steps + 1):
            with torch.enable_grad():
                indices, received = self._quantized(model, variables)
                loss = distortion(model.decode_features(received).float(), image.float()).sum()
            if loss.item() < best:
                best, best_indices = loss.item(), indices
            if step < self.steps:
                for v, grad in zip(variables, torch.autograd.grad(loss, variables)):
                    v.grad = grad
                optimizer.step()
        return [labels[i] for labels, i in zip(model.index_labels(), best_indices)]

    def _variables(self, model: VQDeepSC, image: Tensor) -> list[Tensor]:
        """What the search moves, one tensor per transmitted scale: the features the codewords are chosen for
        (:meth:`VQDeepSC.chosen_features`) [1, K, H_l, W_l]."""
        with torch.no_grad():
            return [f.clone().requires_grad_(True) for f in model.chosen_features(image)]

    def _quantized(self, model: VQDeepSC, variables: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """The codeword indices [1, H_l, W_l] the variables give, and the received features [1, K, H_l, W_l] with a
        gradient to the variables (here the straight-through copy)."""
        spaces = model.embedding_spaces
        indices = [space.quantize(f) for space, f in zip(spaces, variables)]
        return indices, [space.features(i) + f - f.detach() for space, i, f in zip(spaces, indices, variables)]


NEAREST_CODEWORDS = IndexSearch(steps=0)
"""The paper's transmitter (eq. 2): every position's nearest codeword; the default wherever indices are chosen."""
