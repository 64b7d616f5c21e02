"""The paper's semantic embedding space of one scale: a learned codebook and nearest-neighbour quantization."""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from .base import Quantizer


def _all_reduce(t: Tensor) -> Tensor:
    """Sum ``t`` over the DDP processes (no-op outside DDP), so every process takes the same codebook update."""
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t)
    return t


def _broadcast(t: Tensor) -> Tensor:
    """Rank 0's ``t`` on every DDP process (no-op outside DDP)."""
    if dist.is_available() and dist.is_initialized():
        dist.broadcast(t, 0)
    return t


class SemanticEmbeddingSpace(Quantizer):
    """Codebook ``E`` (N x K) with eq. 2, ``n = argmin_n ||f_m - e_n||_2``, and the VQ losses of eq. 8.

    The paper's plain method (VQ-VAE) is the default. Opt-in remedies against codebook collapse, as in
    vector-quantize-pytorch and the literature:

    :param kmeans_init: initialise the codebook by k-means on the first training batch (Zeghidour et al.,
        SoundStream 2021) instead of U(-1/N, 1/N).
    :param dead_code_threshold: restart a codeword whose running assignment frequency falls below
        ``threshold / N`` with a random encoder output of the current batch (Dhariwal et al., Jukebox 2020);
        0 disables it.
    :param ema_decay: update the codebook by exponential moving averages of its assigned vectors (van den Oord
        et al., VQ-VAE 2017, appendix; VQ-VAE-2) instead of by the codebook loss; ``None`` disables it.

    Tensor contract: ``Quantizer``. ``codebook_loss`` = ||sg[f] - e||^2 and ``commitment_loss`` = ||f - sg[e]||^2
    (mean per element; the commitment loss is *not* yet multiplied by beta_c); ``z_q`` carries the
    straight-through gradient (identity to ``z``, none to the codebook).
    """

    def __init__(self, num_codes: int, dim: int, kmeans_init: bool = False, dead_code_threshold: float = 0.0,
                 ema_decay: float | None = None):
        super().__init__(num_codes, dim)
        if not 0.0 <= dead_code_threshold < 1.0:
            raise ValueError(f"dead_code_threshold must lie in [0, 1), got {dead_code_threshold}")
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"ema_decay must lie in (0, 1), got {ema_decay}")
        self.kmeans_init, self.dead_code_threshold, self.ema_decay = kmeans_init, dead_code_threshold, ema_decay
        self.codebook = nn.Parameter(torch.empty(num_codes, dim).uniform_(-1 / num_codes, 1 / num_codes),
                                     requires_grad=ema_decay is None)
        self.register_buffer("initialized", torch.tensor(not kmeans_init))
        self.register_buffer("usage_ema", torch.full((num_codes,), 1.0 / num_codes))
        if ema_decay is not None:
            self.register_buffer("ema_count", torch.ones(num_codes))
            self.register_buffer("ema_sum", self.codebook.detach().clone())

    def codewords(self) -> Tensor:
        return self.codebook

    def quantize(self, z: Tensor) -> Tensor:
        """Eq. 2. :input z: [B, K, H, W]. :output indices: [B, H, W] int64."""
        self.check_features(z)
        flat = z.detach().permute(0, 2, 3, 1).reshape(-1, self.dim).float()
        return self._nearest(flat).view(z.shape[0], z.shape[2], z.shape[3])

    def forward(self, z: Tensor) -> dict[str, Tensor]:
        self.check_features(z)
        flat = z.permute(0, 2, 3, 1).reshape(-1, self.dim)
        if self.training:
            self._train_step(flat.detach().float())
        indices = self._nearest(flat.detach().float()).view(z.shape[0], z.shape[2], z.shape[3])
        e = self.features(indices)
        return {
            "z_q": e.detach() + self.gradient_path(z, e),  # value exactly e
            "indices": indices,
            "codebook_loss": F.mse_loss(e, z.detach()),
            "commitment_loss": F.mse_loss(z, e.detach()),
            **self.statistics(indices),
        }

    def gradient_path(self, z: Tensor, e: Tensor) -> Tensor:
        """A zero-valued term that carries the encoder's gradient: the straight-through copy ``z - sg[z]``."""
        return z - z.detach()

    def _nearest(self, flat: Tensor) -> Tensor:
        codebook = self.codebook.detach().float()
        d = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ codebook.t() + codebook.pow(2).sum(1)[None])
        return d.argmin(1)

    @torch.no_grad()
    def _train_step(self, flat: Tensor) -> None:
        """Codebook book-keeping before quantizing a training batch: k-means init, EMA, dead-code restarts."""
        if not bool(self.initialized):
            self.codebook.data.copy_(_broadcast(self._kmeans(flat)))
            if self.ema_decay is not None:
                self.ema_sum.copy_(self.codebook.data)
            self.initialized.fill_(True)
        onehot = F.one_hot(self._nearest(flat), self.num_codes).float()
        counts = _all_reduce(onehot.sum(0))
        self.usage_ema.lerp_(counts / counts.sum(), 0.01)
        if self.ema_decay is not None:
            sums = _all_reduce(onehot.t() @ flat)
            self.ema_count.lerp_(counts, 1 - self.ema_decay)
            self.ema_sum.lerp_(sums, 1 - self.ema_decay)
            n = self.ema_count.sum()
            smoothed = (self.ema_count + 1e-5) / (n + self.num_codes * 1e-5) * n  # Laplace smoothing
            self.codebook.data.copy_(self.ema_sum / smoothed[:, None])
        if self.dead_code_threshold > 0:
            dead = self.usage_ema < self.dead_code_threshold / self.num_codes
            if dead.any():
                picks = flat[torch.randint(len(flat), (int(dead.sum()),), device=flat.device)]
                self.codebook.data[dead] = _broadcast(picks)
                self.usage_ema[dead] = 1.0 / self.num_codes
                if self.ema_decay is not None:
                    self.ema_sum[dead], self.ema_count[dead] = self.codebook.data[dead], 1.0

    def _kmeans(self, flat: Tensor, iterations: int = 10) -> Tensor:
        n = len(flat)
        picks = torch.randperm(n, device=flat.device)[: self.num_codes] if n >= self.num_codes else \
            torch.randint(n, (self.num_codes,), device=flat.device)
        centroids = flat[picks]
        for _ in range(iterations):
            d = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ centroids.t() + centroids.pow(2).sum(1)[None]
            assign = F.one_hot(d.argmin(1), self.num_codes).float()
            counts = assign.sum(0)
            centroids = torch.where(counts[:, None] > 0, assign.t() @ flat / counts.clamp_min(1)[:, None], centroids)
        return centroids
