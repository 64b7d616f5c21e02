"""LDPC decoders side by side on the same channel LLRs: Sionna fixed 20 iterations, Sionna early-terminated, the
cpp backend (the ``ldpc`` package's C++ BP) on one core and on ``--workers`` processes.

For each channel and Es/N0 the link draws the LLRs of ``--images`` payloads once; every decoder decodes them,
interleaved, ``--repeats`` times, and the medians are compared. Reported: information kbit/s of each, the ratios
to the early-terminated Sionna decoder (the link's decoder before the cpp backend), BP iterations per codeword,
BLER with its 95 % Wilson interval, and how many codewords' decoded bits differ from Sionna's fixed decoder's
(the cpp decoder's and the early decoder's). Torch runs on one thread.

    .venv/bin/python benchmarks/bench_ldpc.py [--payload-bits 20032] [--max-k 8448] [--images 8] [--repeats 3]
        [--workers 2]
"""

import argparse
import math
import statistics
import time

import torch

from vqdeepsc.link.ldpc import SionnaLDPCDecoder
from vqdeepsc.link.ldpc_cpp import CppLDPCDecoder
from vqdeepsc.link.phy import MAX_K, DigitalLink

POINTS = (  # (channel, Es/N0 in dB, where it lies for k = 6680)
    ("awgn", 2.0, "below"), ("awgn", 3.5, "waterfall"), ("awgn", 4.0, "above"), ("awgn", 8.0, "above"),
    ("rayleigh", 4.0, "below"), ("rayleigh", 5.0, "waterfall"), ("rayleigh", 7.0, "above"),
    ("rayleigh", 12.0, "above"),
)


def wilson(errors: int, total: int, z: float = 1.96) -> str:
    """95 % Wilson score interval of a proportion, as ``[lo, hi]``."""
    p = errors / total
    centre, half = p + z * z / (2 * total), z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    scale = 1 + z * z / total
    return f"[{max(0.0, (centre - half) / scale):.2f}, {min(1.0, (centre + half) / scale):.2f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payload-bits", type=int, default=20032, help="bits per payload (default: a 4-scale image)")
    parser.add_argument("--max-k", type=int, default=MAX_K, help="longest codeword (3824: base graph 2 only)")
    parser.add_argument("--images", type=int, default=8, help="payloads per point")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="processes of the parallel cpp decoder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch threads: 1, {args.images} payloads of {args.payload_bits} bits per point, max_k {args.max_k}, "
          f"medians of {args.repeats} interleaved repeats\n")
    cpp_n = f"cpp x{args.workers}"
    print(f"| channel | Es/N0 (dB) | region | codewords x k | kbit/s: sionna fixed / sionna early / cpp / {cpp_n} | "
          f"cpp / early | {cpp_n} / early | iterations early / cpp | BLER fixed (95 % CI) / early / cpp | "
          "codewords differing from fixed: early, cpp |")
    print("|---|---:|---|---|---|---:|---:|---:|---|---|")
    generator = torch.Generator().manual_seed(0)
    for channel, snr, region in POINTS:
        link = DigitalLink(channel, max_k=args.max_k, backend="sionna")
        bits = torch.randint(0, 2, (args.images, args.payload_bits), generator=generator)
        u, llr = link.transmit(bits, snr, generator)
        encoder = link.codec(u.shape[1])[0]
        decoders = {"fixed": SionnaLDPCDecoder(encoder, early_stop=False), "early": SionnaLDPCDecoder(encoder),
                    "cpp": CppLDPCDecoder(encoder), cpp_n: CppLDPCDecoder(encoder, workers=args.workers)}
        for decoder in decoders.values():
            decoder(llr[:2])  # build and warm up (the workers' decoders too)
        times, out = {name: [] for name in decoders}, {}
        for _ in range(args.repeats):
            for name, decoder in decoders.items():
                start = time.perf_counter()
                out[name] = decoder(llr)
                times[name].append(time.perf_counter() - start)
        rate = {name: u.numel() / statistics.median(ts) / 1e3 for name, ts in times.items()}
        hard = {name: (o[0] >= 0).float() for name, o in out.items()}
        assert torch.equal(hard["cpp"], hard[cpp_n])
        wrong = {name: int((h != u).any(dim=1).sum()) for name, h in hard.items()}
        differ = {name: int((hard[name] != hard["fixed"]).any(dim=1).sum()) for name in ("early", "cpp")}
        n = len(u)
        print(f"| {channel} | {snr:g} | {region} | {n} x {u.shape[1]} | "
              f"{' / '.join(f'{rate[name]:.1f}' for name in decoders)} | {rate['cpp'] / rate['early']:.2f} | "
              f"{rate[cpp_n] / rate['early']:.2f} | {out['early'][1].float().mean():.1f} / "
              f"{out['cpp'][1].float().mean():.1f} | {wrong['fixed']}/{n} {wilson(wrong['fixed'], n)} / "
              f"{wrong['early']}/{n} / {wrong['cpp']}/{n} | {differ['early']}, {differ['cpp']} |", flush=True)


if __name__ == "__main__":
    main()
