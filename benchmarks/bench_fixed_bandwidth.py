"""Where the time of a fixed-bandwidth evaluation goes: the whole ``Evaluation`` against its LDPC decoding alone.

Runs ``vqdeepsc eval``'s sweep (adaptive MCS at a symbol budget, the rate-adaptive VQ-DeepSC and classic codecs) on
real tiles and times every call of the links' belief-propagation decoder inside it, side by side in one run; the
ratio (whole / decoding) is the pipeline's overhead (the issue's target: at most 1.5). Also prints the cProfile
functions with the most own time.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fixed_bandwidth.py --data ../shared/data [--limit 16]
        [--symbols 15030] [--snr=-4:20:4] [--channels awgn,rayleigh,rician]
        [--methods vq,jpeg,heif,avif,capacity-heif,djscc]

The defaults are the fixed-bandwidth sweep of ``results/eval/`` on fewer tiles.
"""

import argparse
import cProfile
import io
import pstats
import time

from vqdeepsc.data import load_images
from vqdeepsc.evaluate import Evaluation
from vqdeepsc.link.adaptation import LinkAdaptation
from vqdeepsc.link.channel import parse_channels, parse_snr_list
from vqdeepsc.link.phy import DigitalLink
from vqdeepsc.zoo import analog_for, resolve_model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", required=True)
parser.add_argument("--limit", type=int, default=16)
parser.add_argument("--symbols", type=int, default=15030)
parser.add_argument("--snr", default="-4:20:4")
parser.add_argument("--channels", default="awgn,rayleigh,rician")
parser.add_argument("--methods", default="vq,jpeg,heif,avif,capacity-heif,djscc")
parser.add_argument("--top", type=int, default=12, help="profile rows to print")
args = parser.parse_args()

decoding = {"seconds": 0.0, "calls": 0}
original = DigitalLink.decode


def timed_decode(self, llr, k):
    start = time.perf_counter()
    try:
        return original(self, llr, k)
    finally:
        decoding["seconds"] += time.perf_counter() - start
        decoding["calls"] += 1


DigitalLink.decode = timed_decode
images, _ = load_images(args.data, "test", args.limit, 128)
model, _ = resolve_model("small-4")
robust, _ = resolve_model("small-4-robust")
family = [(resolve_model("small-3")[0], resolve_model("small-3-robust")[0])]
methods = args.methods.split(",")
analog = resolve_model(analog_for(args.symbols, 128, 128))[0] if "djscc" in methods else None
profile = cProfile.Profile()
start = time.perf_counter()
profile.enable()
evaluation = Evaluation(model, images, methods=methods, channels=parse_channels(args.channels, 2.0),
                        snr_db=parse_snr_list(args.snr), robust=robust, family=family, analog=analog,
                        link_options={"mcs": LinkAdaptation(), "symbols": args.symbols, "workers": 1})
built = time.perf_counter() - start
result = evaluation.run()
profile.disable()
total = time.perf_counter() - start
points = len(result["points"])
print(f"{len(images)} tiles, {args.channels}, {points} SNR points, {args.symbols} symbols, methods {args.methods}\n")
print("| part | seconds | share |\n|---|---:|---:|")
for name, seconds in (("setup: encode, fit classic files", built), ("LDPC decoding", decoding["seconds"]),
                      ("everything else in the sweep", total - built - decoding["seconds"]), ("whole", total)):
    print(f"| {name} | {seconds:.1f} | {100 * seconds / total:.0f} % |")
print(f"\nwhole / LDPC decoding: {total / decoding['seconds']:.2f}x; sweep without setup / decoding: "
      f"{(total - built) / decoding['seconds']:.2f}x ({decoding['calls']} decoder calls)\n")
out = io.StringIO()
pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:4000])
for row in result["results"]:
    bits = "analog" if row.get("source_bits") is None else f"bits {row['source_bits']:.0f}"
    print(f"{row['method']:>14} {row['channel']:>8} {row['snr_db']:>5g} dB  MCS {row['mcs']}  SSIM {row['ssim']:.4f}  "
          f"{bits}")
