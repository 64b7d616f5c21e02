"""Information bits per second through ``DigitalLink`` against the bare Sionna chain.

The bare chain is encoder -> mapper -> AWGN -> demapper -> decoder with the same codeword size, batch and
iterations. Both run in the same process, interleaved, and the medians of ``--repeats`` runs are compared.

    .venv/bin/python benchmarks/bench_link.py [--repeats 5]
"""

import argparse
import statistics
import time

import torch
from sionna.phy.channel import AWGN
from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
from sionna.phy.mapping import Demapper, Mapper

from vqdeepsc.link.channel import snr_db_to_no
from vqdeepsc.link.phy import DigitalLink, plan_codewords

SNR_DB = 4.0
CASES = (  # (what, payload bits, payloads): the bare chain sends the same codewords
    ("3-scale image, 8 per batch", 7616, 8),
    ("4-scale image, 4 per batch", 20032, 4),
    ("k = 8448, 32 per batch", 8448, 32),
)


def bare_chain(k: int):
    """Sionna's own chain for ``k`` information bits per codeword at rate 1/3."""
    encoder = LDPC5GEncoder(k, 3 * k, num_bits_per_symbol=4)
    decoder = LDPC5GDecoder(encoder, num_iter=20, hard_out=True, return_infobits=True)
    mapper, demapper, awgn = Mapper("qam", 4), Demapper("app", "qam", 4), AWGN()
    no = snr_db_to_no(SNR_DB)
    return lambda u: decoder(demapper(awgn(mapper(encoder(u)), no), no))


def timed(fn, x) -> float:
    start = time.perf_counter()
    fn(x)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    link, generator = DigitalLink("awgn"), torch.Generator().manual_seed(0)
    print(f"torch threads: {torch.get_num_threads()}, {args.repeats} interleaved repeats, medians\n")
    print("| case | codewords x k | bare Sionna (kbit/s) | DigitalLink (kbit/s) | ratio |")
    print("|---|---|---:|---:|---:|")
    for what, payload_bits, payloads in CASES:
        plan = plan_codewords(payload_bits)
        codewords = plan.num_codewords * payloads
        bits = torch.randint(0, 2, (payloads, payload_bits), generator=generator).float()
        u = torch.randint(0, 2, (codewords, plan.k), generator=generator).float()
        bare = bare_chain(plan.k)
        ours = lambda b: link(b, SNR_DB, generator)  # noqa: E731
        bare(u), ours(bits)  # build and warm up
        times = {"bare": [], "ours": []}
        for _ in range(args.repeats):
            times["bare"].append(timed(bare, u))
            times["ours"].append(timed(ours, bits))
        rate_bare = codewords * plan.k / statistics.median(times["bare"]) / 1e3
        rate_ours = payloads * payload_bits / statistics.median(times["ours"]) / 1e3
        print(f"| {what} | {codewords} x {plan.k} | {rate_bare:.1f} | {rate_ours:.1f} | {rate_ours / rate_bare:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
