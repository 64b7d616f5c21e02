"""Parameters, FLOPs and forward time of every preset at 128x128 (one command, prints a table).

    python benchmarks/bench_models.py [--batch 1] [--repeats 3] [--device cpu]

Times are medians of interleaved repeats (the presets are measured in turn, round-robin), so a noisy
shared machine affects them alike; compare ratios within one run.
"""

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from vqdeepsc.config import PRESETS
from vqdeepsc.models.system import VQDeepSC, count_parameters


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--presets", default="small-4,small-3,small-4-upper,paper-4,paper-3,paper-4-upper")
    args = parser.parse_args()
    names = args.presets.split(",")
    models = {n: VQDeepSC(PRESETS[n]).to(args.device).eval() for n in names}
    x = torch.rand(args.batch, 3, 128, 128, device=args.device)
    flops, times = {}, {n: [] for n in names}
    with torch.no_grad():
        for n, m in models.items():
            with FlopCounterMode(display=False) as counter:
                m.decode(m.encode(x))  # also the warm-up
            flops[n] = counter.get_total_flops() / args.batch
        for _ in range(args.repeats):
            for n, m in models.items():
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                t = time.perf_counter()
                m.decode(m.encode(x))
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                times[n].append(time.perf_counter() - t)
    print(f"device {args.device}, batch {args.batch}, {torch.get_num_threads()} threads, encode + decode, eval mode")
    print("| preset | parameters | GFLOP / image | ms / image | images / s |")
    print("|---|---|---|---|---|")
    for n, m in models.items():
        t = statistics.median(times[n]) / args.batch
        print(f"| {n} | {count_parameters(m) / 1e6:.2f} M | {flops[n] / 1e9:.2f} | {1e3 * t:.1f} | {1 / t:.1f} |")


if __name__ == "__main__":
    main()
