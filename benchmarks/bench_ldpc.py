"""Early-terminated LDPC decoding against Sionna's fixed 20 iterations, on the same channel LLRs.

For each channel and Es/N0 the link draws the LLRs of ``--images`` payloads once; both decoders decode them,
interleaved, ``--repeats`` times, and the medians are compared. Reported: information kbit/s of each, the
ratio, BP iterations per codeword, BER / BLER of each with the 95 % Wilson interval of the BLER, and how many
codewords the early decoder stopped on (a valid codeword) whose bits differ from the fixed decoder's.

    .venv/bin/python benchmarks/bench_ldpc.py [--payload-bits 20032] [--max-k 8448] [--images 8] [--repeats 2]
"""

import argparse
import math
import statistics
import time

import torch

from vqdeepsc.link.ldpc import LDPCDecoder
from vqdeepsc.link.phy import MAX_K, DigitalLink

POINTS = (  # (channel, Es/N0 in dB, where it lies for k = 6680)
    ("awgn", 2.0, "below"), ("awgn", 3.5, "waterfall"), ("awgn", 5.0, "above"), ("awgn", 8.0, "above"),
    ("rayleigh", 4.0, "below"), ("rayleigh", 5.0, "waterfall"), ("rayleigh", 7.0, "above"),
    ("rayleigh", 12.0, "above"),
)


def wilson(errors: int, total: int, z: float = 1.96) -> str:
    """95 % Wilson score interval of a proportion, as ``[lo, hi]``."""
    p = errors / total
    centre, half = p + z * z / (2 * total), z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    scale = 1 + z * z / total
    return f"[{max(0.0, (centre - half) / scale):.2f}, {min(1.0, (centre + half) / scale):.2f}]"


def timed(decoder, llr):
    start = time.perf_counter()
    out = decoder(llr)
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payload-bits", type=int, default=20032, help="bits per payload (default: a 4-scale image)")
    parser.add_argument("--max-k", type=int, default=MAX_K, help="longest codeword (3824: base graph 2 only)")
    parser.add_argument("--images", type=int, default=8, help="payloads per point")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"torch threads: {torch.get_num_threads()}, {args.images} payloads of {args.payload_bits} bits per point, "
          f"max_k {args.max_k}, medians of {args.repeats} interleaved repeats\n")
    print("| channel | Es/N0 (dB) | region | codewords x k | fixed kbit/s | early kbit/s | ratio | iterations "
          "fixed / early | BER fixed / early | BLER fixed / early (95 % CI) | stopped early, bits differ |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    generator = torch.Generator().manual_seed(0)
    for channel, snr, region in POINTS:
        link = DigitalLink(channel, 2.0 if channel == "rician" else None, max_k=args.max_k)
        bits = torch.randint(0, 2, (args.images, args.payload_bits), generator=generator)
        u, llr = link.transmit(bits, snr, generator)
        k = u.shape[1]
        early = link.codec(k)[1]
        fixed = LDPCDecoder(link.codec(k)[0], early_stop=False)
        early(llr[:1]), fixed(llr[:1])  # build and warm up
        times = {"fixed": [], "early": []}
        for _ in range(args.repeats):
            t, (u_fixed, it_fixed, _) = timed(fixed, llr)
            times["fixed"].append(t)
            t, (u_early, it_early, _) = timed(early, llr)
            times["early"].append(t)
        u_fixed, u_early = (u_fixed >= 0).float(), (u_early >= 0).float()
        rate = {name: u.numel() / statistics.median(ts) / 1e3 for name, ts in times.items()}
        wrong = {name: (out != u).any(dim=1) for name, out in (("fixed", u_fixed), ("early", u_early))}
        stopped = it_early < early.max_iter
        differ = int(((u_early != u_fixed).any(dim=1) & stopped).sum())
        ber = {name: (out != u).float().mean().item() for name, out in (("fixed", u_fixed), ("early", u_early))}
        bler = {name: f"{int(w.sum())}/{len(w)} {wilson(int(w.sum()), len(w))}" for name, w in wrong.items()}
        print(f"| {channel} | {snr:g} | {region} | {u.shape[0]} x {k} | {rate['fixed']:.1f} | {rate['early']:.1f} | "
              f"{rate['early'] / rate['fixed']:.2f} | {it_fixed.float().mean():.1f} / {it_early.float().mean():.1f} | "
              f"{ber['fixed']:.2e} / {ber['early']:.2e} | {bler['fixed']} / {bler['early']} | "
              f"{int(stopped.sum())}, {differ} |", flush=True)


if __name__ == "__main__":
    main()
