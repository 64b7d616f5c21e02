"""Belief propagation of many codewords by the C++ decoder of the ``ldpc`` package, on one core or several.

The ``ldpc`` package (Roffe's ``BpDecoder``: product-sum, flooding schedule, stop at a zero syndrome) decodes an
error pattern ``e`` from a syndrome ``s`` and bit-flip probabilities. A codeword with channel LLRs ``lambda`` (``log
p(0)/p(1)``) is decoded in that form: ``r`` = the hard decisions of ``lambda``, ``s = H r``, flip probabilities
``sigmoid(-|lambda|)``; then ``c = r xor e`` and the posterior of ``c`` is ``(1 - 2 r)`` times the posterior of
``e``. In product-sum BP every message of the codeword decoder is ``(-1)^r`` times the error decoder's, so both
compute the same thing; bits with ``lambda = 0`` (punctured) may take either ``r``.

Worker processes are forked (not spawned: a spawned worker re-runs the user's main script) and run only this
module's numpy, scipy and ``ldpc`` code, never torch, whose thread pool does not survive a fork. They die with the
process that made them (even a killed one, on Linux) and leave Ctrl-C to it.
"""

from __future__ import annotations

import atexit
import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import scipy.sparse

_DECODERS: dict = {}
"""This process's ``BpDecoder`` per parity-check matrix key."""
_POOLS: dict[int, ProcessPoolExecutor] = {}
TASKS_PER_WORKER = 4
"""Calls are cut into this many tasks per worker, so that codewords that stop early do not leave a worker idle."""


def _decoder(key: str, pcm: scipy.sparse.csr_matrix, max_iter: int):
    from ldpc import BpDecoder

    if key not in _DECODERS:
        _DECODERS[key] = BpDecoder(pcm, error_rate=0.1, max_iter=max_iter, bp_method="product_sum",
                                   schedule="parallel", input_vector_type="syndrome")
    decoder = _DECODERS[key]
    decoder.max_iter = max_iter
    return decoder


def decode_codewords(key: str, pcm: scipy.sparse.csr_matrix, llr: np.ndarray, max_iter: int, keep: int):
    """BP-decode every row of ``llr``.

    :param key: names ``pcm`` (decoders are cached by it).
    :param pcm: ``[m, n]`` parity-check matrix, 0/1.
    :param keep: how many leading bits' posteriors to return.
    :input llr: ``[N, n]`` float64, channel LLRs ``log p(0)/p(1)``.
    :output posterior: ``[N, keep]`` float64, a-posteriori LLRs ``log p(0)/p(1)`` (unclipped).
    :output iterations: ``[N]`` int64, BP iterations used (0 for a row that is a codeword as received).
    :output valid: ``[N]`` bool, the decision satisfies every parity check.
    """
    decoder = _decoder(key, pcm, max_iter)
    posterior = np.empty((len(llr), keep))
    iterations = np.zeros(len(llr), np.int64)
    valid = np.zeros(len(llr), bool)
    for i, row in enumerate(llr):
        received = (row < 0).astype(np.uint8)
        syndrome = (pcm @ received) % 2
        if not syndrome.any():  # ldpc returns at once on a zero syndrome: try the other sign of the zero LLRs
            received = (row <= 0).astype(np.uint8)
            syndrome = (pcm @ received) % 2
        if not syndrome.any():  # a codeword as received (and no LLR is 0)
            posterior[i], valid[i] = row[:keep], True
            continue
        decoder.update_channel_probs((1 / (1 + np.exp(np.abs(row)))).tolist())
        decoder.decode(syndrome.astype(np.uint8))
        posterior[i] = (1 - 2.0 * received[:keep]) * np.asarray(decoder.log_prob_ratios)[:keep]
        iterations[i], valid[i] = decoder.iter, decoder.converge
    return posterior, iterations, valid


PR_SET_PDEATHSIG = 1
"""``prctl`` option of Linux: the signal a process gets when its parent dies."""


def _start_worker(parent: int) -> None:
    """A worker ignores Ctrl-C (the parent stops the pool) and is killed with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _pool(workers: int) -> ProcessPoolExecutor:
    if workers not in _POOLS:
        _POOLS[workers] = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                              initializer=_start_worker, initargs=(os.getpid(),))
    return _POOLS[workers]


@atexit.register
def _shutdown() -> None:
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)


def decode_in_parallel(key: str, pcm: scipy.sparse.csr_matrix, llr: np.ndarray, max_iter: int, keep: int,
                       workers: int = 1):
    """:func:`decode_codewords` with the rows spread over ``workers`` processes (in this one if ``workers`` is 1
    or there is one row). Same inputs and outputs."""
    if workers == 1 or len(llr) < 2:
        return decode_codewords(key, pcm, llr, max_iter, keep)
    parts = np.array_split(llr, min(len(llr), workers * TASKS_PER_WORKER))
    done = list(_pool(workers).map(decode_codewords, *zip(*((key, pcm, p, max_iter, keep) for p in parts))))
    return tuple(np.concatenate(x) for x in zip(*done))
