"""5G LDPC belief-propagation decoding with early termination, on Sionna's ``LDPC5GDecoder``.

Sionna's decoder always runs its ``num_iter`` iterations. :class:`SionnaLDPCDecoder` (``early_stop=True``) decodes
in rounds instead: after the iterations listed in ``checks`` the hard decision of every codeword on the
(pruned) 5G mother code is checked against the decoder's parity-check matrix, codewords that satisfy every
check are final, and only the others go on from their saved variable-to-check messages (Sionna's
``return_state`` / ``msg_v2c``), up to ``max_iter`` iterations in all. With flooding scheduling the check
messages of an iteration depend only on the variable messages, so resuming from ``msg_v2c`` computes exactly
what uninterrupted iterations would: a codeword that never becomes valid gets the fixed decoder's bits.

The hard decision is read through Sionna's public ``v2c_callbacks`` hook, which sees the variable nodes'
a-posteriori LLRs after every iteration. The decoder returns soft a-posteriori logits of the information bits
(Sionna's ``hard_out=False``; its hard decision is ``logit >= 0``) and whether each codeword satisfied every parity
check: the fixed decoder checks once after its last iteration, so both decoders report the same.
"""

from __future__ import annotations

import torch

CHECKS = (4, 6, 8, 10, 13, 16)
"""Iterations after which the parity is checked (and always after the last): BP never produced a valid codeword
in fewer than 4 on these codes, and each check costs about a fifth of an iteration, paid in full below the
waterfall where nothing stops (``benchmarks/bench_ldpc.py``, ``results/link/README.md``)."""


class SionnaLDPCDecoder(torch.nn.Module):
    """Soft-output BP decoding of 5G LDPC codewords, early-terminated by a syndrome check or fixed-length.

    :param encoder: Sionna ``LDPC5GEncoder`` of the code.
    :param max_iter: most BP iterations per codeword (all of them when ``early_stop`` is ``False``).
    :param early_stop: stop each codeword as soon as its hard decision satisfies every parity check.
    :param checks: iteration counts after which the parity is checked (``max_iter`` is always checked).

    :input llr: ``[N, n]``, ``torch.float32``, channel logits ``log p(1)/p(0)`` of the code bits (Sionna's
        convention).
    :output llr: ``[N, k]``, ``torch.float32``, a-posteriori logits ``log p(1)/p(0)`` of the information bits
        (clipped at Sionna's ``llr_max`` = 20); the decoded bits are ``llr >= 0``.
    :output iterations: ``[N]``, ``torch.int64``, BP iterations each codeword used.
    :output valid: ``[N]``, ``torch.bool``, the codeword's hard decision satisfies every parity check.
    """

    def __init__(self, encoder: torch.nn.Module, max_iter: int = 20, early_stop: bool = True,
                 checks: tuple[int, ...] = CHECKS, device: str = "cpu"):
        super().__init__()
        from sionna.phy.fec.ldpc import LDPC5GDecoder

        if max_iter < 1:
            raise ValueError(f"max_iter must be positive, got {max_iter}")
        self.max_iter, self.early_stop = max_iter, early_stop
        self.checks = sorted({c for c in checks if 0 < c < max_iter} | {max_iter}) if early_stop else [max_iter]
        self.bp = LDPC5GDecoder(encoder, num_iter=max_iter, hard_out=False, return_infobits=True,
                                return_state=True, v2c_callbacks=[self._keep_app], device=device)
        check_node, variable_node = self.bp.pcm.nonzero()
        self.register_buffer("check_node", torch.as_tensor(check_node, dtype=torch.int64, device=device), False)
        self.register_buffer("variable_node", torch.as_tensor(variable_node, dtype=torch.int64, device=device), False)
        self._app = None

    def _keep_app(self, msg_vn: torch.Tensor, iteration: int, app: torch.Tensor) -> torch.Tensor:
        """Sionna v2c callback: remember the a-posteriori LLRs ``log p(0)/p(1)``, pass the messages on."""
        self._app = app
        return msg_vn

    def satisfied(self, app: torch.Tensor) -> torch.Tensor:
        """``[N]`` bool: the hard decisions of ``app`` (``[N, n_mother]``, ``log p(0)/p(1)``) satisfy every check."""
        bits = (app <= 0).to(torch.float32)[:, self.variable_node]
        ones = app.new_zeros(app.shape[0], self.bp.num_cns).index_add_(1, self.check_node, bits)
        return (ones.remainder(2) == 0).all(dim=1)

    def forward(self, llr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = llr.shape[0]
        u_llr = llr.new_empty(n, self.bp.encoder.k)
        iterations = torch.full((n,), self.max_iter, dtype=torch.int64)
        valid = torch.zeros(n, dtype=torch.bool, device=llr.device)
        active, state, done = torch.arange(n, device=llr.device), None, 0
        for check in self.checks:
            if not active.numel():
                break
            u_llr[active], state = self.bp(llr[active], num_iter=check - done, msg_v2c=state)
            done = check
            ok = self.satisfied(self._app)
            iterations[active[ok].cpu()] = done
            valid[active[ok]] = True
            active, state = active[~ok], state[~ok]
        self._app = None
        return u_llr, iterations, valid

    def extra_repr(self) -> str:
        mode = f"early_stop, checks={self.checks}" if self.early_stop else "fixed"
        return f"max_iter={self.max_iter}, {mode}"
