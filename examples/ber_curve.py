"""A BER curve of the link: 16-QAM uncoded and with 5G LDPC 1/3, on AWGN and Rayleigh fading.

    python examples/ber_curve.py [--bits 100000] [--snr 0:12:2] [--out ber.png]

The same as ``vqdeepsc link --channel awgn --snr 0:12:2 --plot ber.png`` for each curve. Uncoded AWGN is checked
against the closed form of Gray 16-QAM, ``(3/4) Q(sqrt(Es/N0 / 5))`` plus its next-neighbour terms.
"""

import argparse
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from vqdeepsc.link.channel import parse_snr_list  # noqa: E402
from vqdeepsc.link.sweep import ber_sweep  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--bits", type=int, default=100_000, help="bits per SNR point (default 100000)")
parser.add_argument("--snr", default="0:12:2", help="Es/N0 in dB (default 0:12:2)")
parser.add_argument("--out", default="ber.png")
args = parser.parse_args()
snrs = parse_snr_list(args.snr)


def q(x):
    return 0.5 * math.erfc(x / math.sqrt(2))


def qam16_ber(snr_db):
    """Gray 16-QAM on AWGN, exact per-bit average: (1/4) (3 Q(d) + 2 Q(3d) - Q(5d)), d = sqrt(Es/N0 / 5)."""
    d = math.sqrt(10 ** (snr_db / 10) / 5)
    return (3 * q(d) + 2 * q(3 * d) - q(5 * d)) / 4


fig, ax = plt.subplots(figsize=(6, 4))
for channel in ("awgn", "rayleigh"):
    for coded in (False, True):
        result = ber_sweep(snrs, channel, coded=coded, num_bits=args.bits, seed=0)
        label = f"{channel}, {'LDPC 1/3' if coded else 'uncoded'}"
        print(label + ": " + ", ".join(f"{s:g} dB {b:.2e}" for s, b in zip(result["snr_db"], result["ber"])))
        ax.semilogy(result["snr_db"], [max(b, 1e-7) for b in result["ber"]], "o-", label=label)
theory = [qam16_ber(s) for s in snrs]
print("awgn, uncoded, theory: " + ", ".join(f"{s:g} dB {b:.2e}" for s, b in zip(snrs, theory)))
ax.semilogy(snrs, theory, "k--", label="awgn, uncoded, theory")
ax.set(xlabel="Es/N0 (dB), unit-energy 16-QAM", ylabel="bit error rate", ylim=(1e-6, 1))
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.savefig(args.out, dpi=120, bbox_inches="tight")
print(f"wrote {args.out}")
