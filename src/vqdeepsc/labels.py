"""Channel-robust index labels: which bit pattern carries which codeword (pseudo-Gray coding).

A label assignment is a permutation ``labels`` of ``[0, N)``: codeword ``n`` travels as the bits of ``labels[n]``.
With independent bit errors at a small rate the distortion a single bit error causes is

    D(labels) = sum_n p(n) sum_j || e_n - e_m(n, j) ||^2,  m(n, j) = the codeword labelled labels[n] XOR 2^j,

and binary switching (Zeger & Gersho, "Pseudo-Gray coding", IEEE Trans. Commun. 1990) lowers it by swapping the
labels of two codewords while a swap helps; for ``N <= 8`` every permutation is tried.
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor


def single_error_cost(codewords: Tensor, prior: Tensor, labels: Tensor) -> float:
    """``D(labels)``: :input codewords: [N, K]; :input prior: [N] (sums to 1); :input labels: [N] permutation."""
    return _Cost(codewords, prior)(labels)


class _Cost:
    """``D(labels)`` with the pairwise distances computed once."""

    def __init__(self, codewords: Tensor, prior: Tensor):
        self.n = codewords.shape[0]
        self.distance = torch.cdist(codewords.double(), codewords.double()) ** 2
        self.prior = prior.double()
        self.flips = torch.tensor([1 << j for j in range(max(1, (self.n - 1).bit_length()))])

    def __call__(self, labels: Tensor) -> float:
        owner = torch.empty_like(labels)
        owner[labels] = torch.arange(self.n)
        neighbour = labels[:, None] ^ self.flips  # [N, b]
        valid = neighbour < self.n
        m = owner[neighbour.clamp_max(self.n - 1)]
        d = self.distance.gather(1, m) * valid
        return (self.prior[:, None] * d).sum().item()


def binary_switching(codewords: Tensor, prior: Tensor, max_rounds: int = 200) -> Tensor:
    """A label permutation with a low :func:`single_error_cost` (exhaustive for ``N <= 8``); :output: [N] int64."""
    cost, n = _Cost(codewords, prior), codewords.shape[0]
    if n <= 8:
        return min((torch.tensor(p) for p in itertools.permutations(range(n))), key=cost)
    labels = torch.arange(n)
    current = cost(labels)
    for _ in range(max_rounds):
        best, swap = current, None
        for a, b in itertools.combinations(range(n), 2):
            labels[[a, b]] = labels[[b, a]]
            c = cost(labels)
            labels[[a, b]] = labels[[b, a]]
            if c < best - 1e-12:
                best, swap = c, (a, b)
        if swap is None:
            break
        labels[list(swap)] = labels[list(swap[::-1])]
        current = best
    return labels


@torch.no_grad()
def relabel(model, images: Tensor, batch: int = 64) -> list[Tensor]:
    """Set every transmitted scale's index labels of ``model`` (a quantized ``VQDeepSC``) by binary switching,
    with the codeword usage of ``images`` ([N, 3, H, W] in [0, 1]) as the prior. A pure relabelling: the error-free
    round trip image -> bits -> image is unchanged. :output: the labels, one [N_l] permutation per scale."""
    model.eval()
    indices = [torch.cat(c) for c in zip(*(model.codeword_indices(x) for x in images.split(batch)))]
    out = []
    for space, labels, idx in zip(model.embedding_spaces, model.index_labels(), indices):
        prior = torch.bincount(idx.flatten().cpu(), minlength=space.num_codes).double()
        new = binary_switching(space.codewords().detach().cpu(), prior / prior.sum())
        labels.copy_(new.to(labels.device))
        out.append(new)
    return out
