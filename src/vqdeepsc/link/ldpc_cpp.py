"""5G LDPC decoding by the ``ldpc`` package's C++ belief propagation, with exactly Sionna's rate recovery.

:class:`CppLDPCDecoder` takes the channel LLRs of Sionna's ``LDPC5GEncoder`` codewords, recovers the (pruned)
mother codeword as Sionna's ``LDPC5GDecoder`` does (undo the output interleaver; the first ``2 Z`` systematic bits
are punctured: LLR 0; filler bits are known zeros: LLR ``llr_max``; clip at ``llr_max`` = 20) and decodes it on
Sionna's pruned parity-check matrix by product-sum BP with a flooding schedule, at most ``max_iter`` iterations,
each codeword stopping once its syndrome is zero (:mod:`.cpp_bp`). Its decisions are those of Sionna's decoder
(``tests/test_ldpc_cpp.py`` checks them bit for bit, on codewords that fail too); its posteriors differ in magnitude,
since Sionna clips every message at 20 and runs to its next parity check. About twice as fast as the
early-terminated Sionna decoder on one core, and it spreads codewords over worker processes
(``results/link/README.md``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .cpp_bp import decode_in_parallel

LLR_MAX = 20.0
"""Sionna's ``llr_max``: channel LLRs and output posteriors are clipped at it; filler bits get it."""


class CppLDPCDecoder(torch.nn.Module):
    """Soft-output BP decoding of 5G LDPC codewords by the ``ldpc`` package, stopping at a zero syndrome.

    :param encoder: Sionna ``LDPC5GEncoder`` of the code.
    :param max_iter: most BP iterations per codeword.
    :param early_stop: must be ``True``: this decoder always stops a codeword at a zero syndrome (Sionna's
        decoder runs a fixed number of iterations).
    :param workers: processes decoding codewords side by side (1: this one).

    :input llr: ``[N, n]``, ``torch.float32``, channel logits ``log p(1)/p(0)`` of the code bits (Sionna's
        convention).
    :output llr: ``[N, k]``, ``torch.float32``, a-posteriori logits ``log p(1)/p(0)`` of the information bits
        (clipped at 20); the decoded bits are ``llr >= 0``.
    :output iterations: ``[N]``, ``torch.int64``, BP iterations each codeword used.
    :output valid: ``[N]``, ``torch.bool``, the codeword's decision satisfies every parity check.
    """

    def __init__(self, encoder: torch.nn.Module, max_iter: int = 20, early_stop: bool = True, device: str = "cpu",
                 workers: int = 1):
        super().__init__()
        from sionna.phy.fec.ldpc import LDPC5GDecoder

        if not early_stop:
            raise ValueError("the cpp decoder stops every codeword at a zero syndrome; for a fixed number of "
                             "iterations use the sionna backend")
        if max_iter < 1 or workers < 1:
            raise ValueError(f"max_iter and workers must be positive, got {max_iter} and {workers}")
        self.encoder, self.max_iter, self.workers = encoder, max_iter, workers
        self.pcm = LDPC5GDecoder(encoder, num_iter=1).pcm.tocsr().astype("uint8")
        self.key = f"{encoder.k}/{encoder.n}/{self.pcm.shape}/{self.pcm.nnz}"

    def mother_llr(self, llr: torch.Tensor) -> torch.Tensor:
        """``[N, n]`` channel logits -> ``[N, n_pruned]`` ``log p(0)/p(1)`` of the pruned mother codeword, float64."""
        enc = self.encoder
        z, k, rows = enc.z, enc.k, llr.shape[0]
        x = llr.double().cpu()
        if enc.num_bits_per_symbol is not None:
            x = x[:, enc.out_int_inv]
        x = F.pad(x, (0, self.pcm.shape[1] - 2 * z - enc.k_filler - enc.n))
        mother = torch.cat([x.new_zeros(rows, 2 * z), x[:, :k - 2 * z], x.new_full((rows, enc.k_filler), -LLR_MAX),
                            x[:, k - 2 * z:]], dim=1)
        return -mother.clamp(-LLR_MAX, LLR_MAX)

    def forward(self, llr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        posterior, iterations, valid = decode_in_parallel(self.key, self.pcm, self.mother_llr(llr).numpy(),
                                                          self.max_iter, self.encoder.k, self.workers)
        u_llr = torch.from_numpy(-posterior.clip(-LLR_MAX, LLR_MAX)).float().to(llr.device)
        return u_llr, torch.from_numpy(iterations), torch.from_numpy(valid).to(llr.device)

    def extra_repr(self) -> str:
        return f"max_iter={self.max_iter}, workers={self.workers}"
