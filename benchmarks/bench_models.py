"""Parameters, FLOPs and forward time of every preset at 128x128 (one command, prints a table).

The transmitter (``encode``) and the receiver (``decode``) are counted apart: a closed-loop transmitter runs the
decoder too, so each closed-loop preset is also measured as its open-loop twin. The analog Deep-JSCC presets
(``djscc-*``) are measured the same way: ``encode`` gives the channel symbols, ``decode`` the image from them.

    python benchmarks/bench_models.py [--batch 1] [--repeats 3] [--device cpu]

Times are medians of interleaved repeats (the presets are measured in turn, round-robin), so a noisy
shared machine affects them alike; compare ratios within one run.
"""

import argparse
import statistics
import time
from dataclasses import replace

import torch
from torch.utils.flop_counter import FlopCounterMode

from vqdeepsc.config import AnalogPreset, get_preset
from vqdeepsc.models import build_model
from vqdeepsc.models.system import count_parameters


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--presets", default="small-4,small-3,small-4-upper,paper-4,paper-3,paper-4-upper,"
                                                 "djscc-15030,djscc-5712,djscc-3072")
    args = parser.parse_args()
    presets = {n: get_preset(n) for n in args.presets.split(",")}
    for n, p in list(presets.items()):
        if p.closed_loop:
            presets[f"{n} (open loop)"] = replace(p, closed_loop=False)
    models = {n: build_model(p).to(args.device).eval() for n, p in presets.items()}
    x = torch.rand(args.batch, 3, 128, 128, device=args.device)
    flops = {}
    times = {(n, part): [] for n in models for part in ("encode", "decode")}

    def parts(m):
        """The transmitter's and the receiver's halves of one image's trip through ``m``."""
        if isinstance(m.preset, AnalogPreset):
            symbols = m.encode(x, 10.0)
            return ("encode", lambda: m.encode(x, 10.0)), ("decode", lambda: m.decode(symbols, 128, 128, 10.0))
        codes = m.encode(x)
        return ("encode", lambda: m.encode(x)), ("decode", lambda: m.decode(codes))

    with torch.no_grad():
        for n, m in models.items():
            for part, run in parts(m):  # also the warm-up
                with FlopCounterMode(display=False) as counter:
                    run()
                flops[n, part] = counter.get_total_flops() / args.batch
        for _ in range(args.repeats):
            for n, m in models.items():
                for part, run in parts(m):
                    if args.device.startswith("cuda"):
                        torch.cuda.synchronize()
                    t = time.perf_counter()
                    run()
                    if args.device.startswith("cuda"):
                        torch.cuda.synchronize()
                    times[n, part].append(time.perf_counter() - t)
    print(f"device {args.device}, batch {args.batch}, {torch.get_num_threads()} threads, eval mode")
    print("| preset | parameters | GFLOP / image, encode + decode | ms / image, encode + decode | images / s |")
    print("|---|---|---|---|---|")
    for n, m in models.items():
        e, d = (statistics.median(times[n, part]) / args.batch for part in ("encode", "decode"))
        print(f"| {n} | {count_parameters(m) / 1e6:.2f} M | {flops[n, 'encode'] / 1e9:.2f} + "
              f"{flops[n, 'decode'] / 1e9:.2f} | {1e3 * e:.1f} + {1e3 * d:.1f} | {1 / (e + d):.1f} |")


if __name__ == "__main__":
    main()
