"""Our measured AWGN thresholds (BLER 1e-1 and 1e-2) against Sionna's PHY-abstraction BLER tables for the same code
block size.

Sionna's `sionna/sys/bler_tables/PDSCH_table{1,2}.json` give the BLER of MCS 3-28 on AWGN for code blocks of up to
2000 bits on a grid of 15 SNRs from -5 to 20 dB (1.8 dB apart); a threshold is read from them by the same log-linear
interpolation as ours (`vqdeepsc.link.thresholds._crossing`). Ours come from `vqdeepsc mcs --measure FILE
--channels awgn --payload-bits 2000` (one codeword of k = 2000 per payload).

    .venv/bin/python experiments/mcs/sionna_bler_tables.py results/link/mcs/thresholds-awgn-k2000.json [--table 1]
"""

import argparse
import json
import math
from pathlib import Path

import sionna

from vqdeepsc.link.mcs import mcs_table
from vqdeepsc.link.thresholds import TARGETS, ThresholdTable, _crossing

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("measured", help="thresholds measured with --payload-bits 2000 on awgn")
parser.add_argument("--table", type=int, default=1)
parser.add_argument("--cbs", default="2000", help="Sionna's code block size (default 2000)")
args = parser.parse_args()

sionna_file = Path(sionna.__file__).parent / "sys" / "bler_tables" / f"PDSCH_table{args.table}.json"
tables = json.loads(sionna_file.read_text())["category"]["1"]["index"][str(args.table)]["MCS"]
ours = ThresholdTable(args.measured)
print(f"AWGN, code blocks of {args.cbs} bits: Es/N0 (dB) of BLER 1e-1 and 1e-2, Sionna's table (1.8-dB grid, "
      f"log-linear interpolation) against this link\n")
print("| MCS | modulation | code rate | Sionna 1e-1 | ours 1e-1 | Sionna 1e-2 | ours 1e-2 | difference at 1e-2 (dB) |")
print("|---:|---|---|---:|---:|---:|---:|---:|")
differences = []
for mcs in mcs_table(args.table):
    entry, theirs = ours.find("awgn", mcs, 2000), tables.get(str(mcs.index))
    if entry is None or theirs is None:
        continue
    grid = theirs["SNR_db"]
    blers = theirs["CBS"][args.cbs]["BLER"]
    # Sionna's table counts, per point, at least ~600 blocks: a zero is below about 1e-3, as our 0.5 / codewords
    points = [{"snr_db": s, "codewords": 10**4, "codeword_errors": b * 10**4} for s, b in zip(grid, blers)]
    sionna_at = {t: _crossing(points, t) for t in TARGETS}
    diff = None if sionna_at[1e-2] is None or entry["1e-02"] is None else entry["1e-02"] - sionna_at[1e-2]
    if diff is not None:
        differences.append(diff)

    def show(x):
        return "-" if x is None else f"{x:.2f}"
    print(f"| {mcs.index} | {mcs.modulation} | {mcs.rate_text} | {show(sionna_at[1e-1])} | {show(entry['1e-01'])} | "
          f"{show(sionna_at[1e-2])} | {show(entry['1e-02'])} | {show(diff)} |")
if differences:
    print(f"\nmean difference {sum(differences) / len(differences):+.2f} dB, largest |difference| "
          f"{max(map(abs, differences)):.2f} dB over {len(differences)} schemes")
